"""The measures catalogue: which records bring which incentive or punishment measures.

The policy documents publish this as the "four lists" (四张清单, seed 003 L15): the typical-trust
scope (诚信典型范围清单), the serious-dishonesty scope (严重失信行为及主体范围清单), the incentive
measures (守信激励政策措施清单) and the punishment measures (失信惩戒政策措施清单), each entry with
「行政單位、實施事由、法律依據、聯合獎懲實施單位、措施內容和證據材料」 (003 L20), published on the
web (003 L23) and updated as the law changes (動態管理, 003 L20). Here the measure lists are
`measures` and the scope lists are `rules` (scope TRUST or DISHONESTY); three more tables make the
measures' interplay data rather than code:

- `history`: measures a subject earns by its record over time ("连续三年无不良信用记录", 001 L467);
- `suspensions`: measures suspended while others are in force (incentives while a punishment is);
- `withdrawals`: records the credit office should withdraw while others are in force (the red
  listing of a subject on a black list, 001 L468 「及时撤销严重失信企业…荣誉称号」).

Every measure and rule is versioned (`version`, `effective_from`, `effective_until`, both
inclusive, null = open): a measure applies on a day only through a rule and a measure version in
force that day. The catalogue is data (`credit/rules/data/measures.json`, format in
`credit.rules.catalogue_load`), which validates it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from credit.enums import FlagKind, RecordCategory, Severity, SubjectKind
from credit.rules.facts import RecordFacts
from credit.rules.versions import EffectivePeriod

CODE = r"^[A-Z][A-Z0-9_]*$"
SCOPE_KIND: Mapping[str, FlagKind] = {"TRUST": FlagKind.INCENTIVE, "DISHONESTY": FlagKind.PUNISHMENT}


class CatalogueError(ValueError):
    """The catalogue file is unreadable or inconsistent; the message names the offending entry."""


class MeasureReach(StrEnum):
    """Whom a measure binds, for a kind of subject.

    For an organisation listed as 失信被执行人, 法释〔2015〕17号 第三条第二款 binds "被执行人及其法定代表人、
    主要负责人、影响债务履行的直接责任人员、实际控制人": travel restrictions bind those persons (an
    organisation does not board a plane), spending restrictions bind the organisation's funds and them.
    """

    SUBJECT = "SUBJECT"
    RESPONSIBLE_PERSONS = "RESPONSIBLE_PERSONS"
    SUBJECT_AND_RESPONSIBLE_PERSONS = "SUBJECT_AND_RESPONSIBLE_PERSONS"


class BodyKind(StrEnum):
    """What kind of body implements a measure. A court's own orders are not held by an objection
    (法释〔2017〕7号 第十二条 "复议期间，不停止原决定的执行")."""

    COURT = "COURT"
    ADMINISTRATIVE = "ADMINISTRATIVE"
    FINANCIAL = "FINANCIAL"


class VersionedEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    version: str = Field(min_length=1, max_length=40)
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None

    @model_validator(mode="after")
    def _dates(self) -> VersionedEntry:
        EffectivePeriod(self.effective_from, self.effective_until)  # raises when reversed
        return self

    @property
    def effective(self) -> EffectivePeriod:
        return EffectivePeriod(self.effective_from, self.effective_until)

    def in_force(self, day: dt.date) -> bool:
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_until is None or day <= self.effective_until
        )


class Measure(VersionedEntry):
    """One version of an incentive (激励) or punishment (惩戒) measure, with what the four lists publish."""

    code: str = Field(pattern=CODE)
    name: str = Field(min_length=1)
    kind: FlagKind
    #: 实施事由: what brings the measure.
    trigger: str = Field(min_length=1)
    #: 措施内容: what the measure does.
    content: str = Field(min_length=1)
    #: 法律依据.
    basis: str = Field(min_length=1)
    #: 联合奖惩实施单位.
    implementing_body: str = Field(min_length=1)
    body_kind: BodyKind
    #: 证据材料: the document that proves the trigger.
    evidence: str = Field(min_length=1)
    #: Held (not enforced) while an objection to the record that brings it is verified (002 L19).
    held_during_objection: bool
    #: The kinds of subject it applies to, and whom it binds for each; other kinds: not applied.
    applies_to: Mapping[SubjectKind, MeasureReach] = Field(min_length=1)

    @model_validator(mode="after")
    def _hold(self) -> Measure:
        if self.held_during_objection and self.kind is not FlagKind.PUNISHMENT:
            raise ValueError("only a punishment measure can be held during an objection")
        if self.held_during_objection and self.body_kind is BodyKind.COURT:
            raise ValueError("a court's measure is not held during an objection (法释〔2017〕7号 第十二条)")
        return self

    @property
    def agency(self) -> str:
        return self.implementing_body

    def reach_for(self, kind: SubjectKind) -> MeasureReach | None:
        """Whom the measure binds for a subject of `kind`; None: it does not apply to that kind."""
        return self.applies_to.get(kind)


class RecordPattern(BaseModel):
    """Which records: a category and, optionally, severities, a list-name pattern and grades."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    category: RecordCategory
    severities: frozenset[Severity] | None = None
    list_name_pattern: re.Pattern[str] | None = None
    grades: frozenset[str] | None = None

    @field_validator("grades")
    @classmethod
    def _normalise_grades(cls, value: frozenset[str] | None) -> frozenset[str] | None:
        if value is None:
            return None
        grades = frozenset(grade.strip().upper() for grade in value)
        if not grades or "" in grades:
            raise ValueError("grades must be non-empty strings")
        return grades

    @field_validator("severities")
    @classmethod
    def _non_empty_severities(cls, value: frozenset[Severity] | None) -> frozenset[Severity] | None:
        if value is not None and not value:
            raise ValueError("severities must be null or a non-empty list")
        return value

    def matches(self, record: RecordFacts) -> bool:
        if record.category is not self.category:
            return False
        if self.severities is not None and record.severity not in self.severities:
            return False
        if self.list_name_pattern is not None and (
            record.list_name is None or self.list_name_pattern.search(record.list_name) is None
        ):
            return False
        return self.grades is None or record.content_text("grade") in self.grades

    def describe(self) -> str:
        parts = [self.category.value]
        if self.severities is not None:
            parts.append("severity " + "/".join(sorted(s.value for s in self.severities)))
        if self.grades is not None:
            parts.append("grade " + "/".join(sorted(self.grades)))
        if self.list_name_pattern is not None:
            parts.append(f"listName ~ {self.list_name_pattern.pattern}")
        return ", ".join(parts)


class ScopeRule(RecordPattern, VersionedEntry):
    """An entry of a scope list: which records bring which measures."""

    code: str = Field(pattern=CODE)
    scope: Literal["TRUST", "DISHONESTY"]
    #: 实施事由 of the scope list: the conduct or status that brings the measures.
    description: str = Field(min_length=1)
    #: 行政单位 / 认定单位: who designates such records.
    designating_body: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    evidence: str = Field(min_length=1)
    measures: tuple[str, ...] = Field(min_length=1)


class HistoryRule(VersionedEntry):
    """Measures a subject earns by having no adverse record for `years` consecutive years.

    An adverse record is one matching `adverse`. It counts from its decision date to the last day of
    its disclosure period (while it is in force it counts every day); REVOKED records never count
    (they should not have existed) and neither do REPAIRED ones (修复后停止共享和使用, 36号令第三条).
    The years count from the later of the subject's registration (or, without one, its first
    record) and the day after the last adverse record stopped counting (`credit.rules.history`).
    """

    code: str = Field(pattern=CODE)
    description: str = Field(min_length=1)
    designating_body: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    evidence: str = Field(min_length=1)
    years: int = Field(ge=1, le=20)
    adverse: tuple[RecordPattern, ...] = Field(min_length=1)
    measures: tuple[str, ...] = Field(min_length=1)

    def is_adverse(self, record: RecordFacts) -> bool:
        return any(pattern.matches(record) for pattern in self.adverse)


class Suspension(VersionedEntry):
    """While any active measure of kind `while_active` is in force, measures of kind `suspend` are
    suspended (not enforced)."""

    code: str = Field(pattern=CODE)
    description: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    suspend: FlagKind
    while_active: FlagKind

    @model_validator(mode="after")
    def _different(self) -> Suspension:
        if self.suspend is self.while_active:
            raise ValueError("a kind of measure cannot suspend itself")
        return self


class Withdrawal(VersionedEntry):
    """A record matching `withdraw` should be withdrawn by its designating body while the subject has
    an ACTIVE record matching one of `while_in_force` in force; the credit office sees the list."""

    code: str = Field(pattern=CODE)
    description: str = Field(min_length=1)
    basis: str = Field(min_length=1)
    withdraw: RecordPattern
    while_in_force: tuple[RecordPattern, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The validated catalogue. Build it with `credit.rules.catalogue_load`, or `default_catalogue()`."""

    measures: tuple[Measure, ...]
    rules: tuple[ScopeRule, ...]
    history: tuple[HistoryRule, ...] = ()
    suspensions: tuple[Suspension, ...] = ()
    withdrawals: tuple[Withdrawal, ...] = ()
    _versions: Mapping[str, tuple[Measure, ...]] = field(init=False, repr=False, compare=False)
    _by_category: Mapping[RecordCategory, tuple[ScopeRule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        versions: dict[str, list[Measure]] = {}
        for measure in self.measures:
            versions.setdefault(measure.code, []).append(measure)
        by_category: dict[RecordCategory, list[ScopeRule]] = {}
        for rule in self.rules:
            by_category.setdefault(rule.category, []).append(rule)
        ordered = {c: tuple(sorted(v, key=lambda m: m.effective_from or dt.date.min)) for c, v in versions.items()}
        object.__setattr__(self, "_versions", ordered)
        object.__setattr__(self, "_by_category", {k: tuple(v) for k, v in by_category.items()})

    @property
    def codes(self) -> tuple[str, ...]:
        """Every measure code, in catalogue order."""
        return tuple(self._versions)

    def versions_of(self, code: str) -> tuple[Measure, ...]:
        """Every version of a measure, oldest first; KeyError when the catalogue has none."""
        return self._versions[code]

    def measure(self, code: str, on: dt.date | None = None) -> Measure:
        """The version of a measure in force on `on` (None: the latest version); KeyError when none."""
        versions = self._versions[code]
        if on is None:
            return versions[-1]
        for measure in versions:
            if measure.in_force(on):
                return measure
        raise KeyError(f"{code} is not in force on {on.isoformat()}")

    def in_force(self, code: str, on: dt.date) -> Measure | None:
        try:
            return self.measure(code, on)
        except KeyError:
            return None

    def rules_for(self, record: RecordFacts, on: dt.date) -> list[ScopeRule]:
        """The scope rules in force on `on` that the record matches, in catalogue order."""
        return [r for r in self._by_category.get(record.category, ()) if r.in_force(on) and r.matches(record)]

    def measures_for(self, record: RecordFacts, on: dt.date) -> list[Measure]:
        """The measure versions in force on `on` that the record brings (when in force), each once, by code.

        This ignores the record's status and dates and the subject's kind; `credit.rules.flags` decides.
        """
        codes = {code for rule in self.rules_for(record, on) for code in rule.measures}
        found = (self.in_force(code, on) for code in sorted(codes))
        return [measure for measure in found if measure is not None]

    def history_rules(self, on: dt.date) -> list[HistoryRule]:
        return [rule for rule in self.history if rule.in_force(on)]

    def suspensions_on(self, on: dt.date) -> list[Suspension]:
        return [rule for rule in self.suspensions if rule.in_force(on)]

    def withdrawals_on(self, on: dt.date) -> list[Withdrawal]:
        return [rule for rule in self.withdrawals if rule.in_force(on)]

    def _everything(self) -> Iterable[VersionedEntry]:
        yield from self.measures
        yield from self.rules
        yield from self.history
        yield from self.suspensions
        yield from self.withdrawals

    def next_change_after(self, today: dt.date) -> dt.date | None:
        """The first day after `today` on which a version of anything starts or stops being in force."""
        days: list[dt.date] = []
        for item in self._everything():
            if item.effective_from is not None and item.effective_from > today:
                days.append(item.effective_from)
            if item.effective_until is not None and item.effective_until >= today:
                days.append(item.effective_until + dt.timedelta(days=1))
        return min(days, default=None)


def default_catalogue() -> Catalogue:
    """The packaged catalogue, loaded once per process."""
    from credit.rules.catalogue_load import packaged_catalogue  # the loader imports this module

    return packaged_catalogue()
