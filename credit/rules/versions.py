"""Versions of the rule tables: effective periods and sources.

The law changes, and the lists must follow it (动态管理, seed 003 L20
「清單實施動態(tài)管理,根據(jù)法律法規(guī)、機構和職能等調整情況及時調整更新」): a rule table is kept
as versions, each with the period in which it is in force and the document and article it comes
from. A record is judged by the version in force on the date that matters for it
(for disclosure periods, its decision date), so a decision keeps the rules it was made under, and a
new version is a new entry in the data, not a change of code.

`EffectivePeriod` is inclusive at both ends; `until` None means "until replaced". A version's
`since` None means "since always" (a platform rule with no dated source).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class Source(BaseModel):
    """Where a rule comes from: a document (law, regulation, policy, seed) and the article in it."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    document: str = Field(min_length=1)
    article: str | None = Field(default=None, min_length=1)
    #: What must still be checked against the official text, when anything must.
    verify: str | None = Field(default=None, min_length=1)

    def cite(self) -> str:
        return f"{self.document}{self.article}" if self.article else self.document


@dataclass(frozen=True, slots=True)
class EffectivePeriod:
    """The days on which a version is in force, both inclusive; open at either end when None."""

    since: dt.date | None = None
    until: dt.date | None = None

    def __post_init__(self) -> None:
        if self.since is not None and self.until is not None and self.until < self.since:
            raise ValueError("effectiveUntil is before effectiveFrom")

    def covers(self, day: dt.date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)

    def overlaps(self, other: EffectivePeriod) -> bool:
        starts_before_other_ends = self.since is None or other.until is None or self.since <= other.until
        ends_after_other_starts = self.until is None or other.since is None or other.since <= self.until
        return starts_before_other_ends and ends_after_other_starts


class Versioned(Protocol):
    @property
    def effective(self) -> EffectivePeriod: ...


def overlapping(items: Sequence[Versioned]) -> tuple[int, int] | None:
    """The indexes of the first two items whose effective periods overlap, or None."""
    for i, first in enumerate(items):
        for j in range(i + 1, len(items)):
            if first.effective.overlaps(items[j].effective):
                return i, j
    return None


def gap_after(periods: Iterable[EffectivePeriod]) -> dt.date | None:
    """The last day before a gap between consecutive periods (sorted by start), or None when they tile."""
    ordered = sorted(periods, key=lambda p: p.since or dt.date.min)
    for first, second in itertools.pairwise(ordered):
        if first.until is None or second.since is None:
            continue  # an open end overlaps (reported elsewhere), an open start cannot follow anything
        if (second.since - first.until).days > 1:
            return first.until
    return None


def in_force_on(items: Sequence[Versioned], day: dt.date) -> list[int]:
    """The indexes of the items in force on `day`."""
    return [i for i, item in enumerate(items) if item.effective.covers(day)]
