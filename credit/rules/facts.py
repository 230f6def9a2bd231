"""The facts about a credit record that the rules need, independent of storage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from credit.enums import RecordCategory, RecordStatus, Severity, SubjectKind


@dataclass(frozen=True, slots=True)
class SubjectFacts:
    """What the rules need to know about a subject itself: its kind (measures apply to some kinds
    only, `credit.rules.catalogue.Measure.applies_to`) and its registration date (where its record
    begins, for measures earned by a clean record over time, `credit.rules.history`)."""

    kind: SubjectKind
    registered_on: date | None = None


@dataclass(frozen=True, slots=True)
class RecordFacts:
    """One credit record as the rules see it.

    `status` is the stored lifecycle status (ACTIVE, UNDER_OBJECTION, REVOKED or REPAIRED);
    EXPIRED is never stored, it is derived from dates by `credit.rules.flags.effective_status`.
    `valid_until` is the last day of validity (inclusive); `objection_due_on` is the reply due date
    of the pending objection, if any. `content` is the provider's free-form payload; the rules read
    `content["grade"]` (credit evaluations), and `content["domain"]` and `content["penaltyTypes"]`
    (administrative penalties, `credit.rules.vocabulary`). `listing_ground` is the item of 法释〔2017〕7号
    第一条 a 失信被执行人 listing rests on, and `deleted_on` the day the court deleted the listing
    (第十条): it is not disclosed from that day.
    """

    id: int
    category: RecordCategory
    status: RecordStatus
    decided_on: date
    published_on: date
    severity: Severity | None = None
    list_name: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    content: Mapping[str, Any] | None = None
    objection_due_on: date | None = None
    listing_ground: int | None = None
    deleted_on: date | None = None

    def content_text(self, key: str) -> str | None:
        """`content[key]` as a stripped upper-case string, or None when absent or blank."""
        if not self.content:
            return None
        value = self.content.get(key)
        if value is None or isinstance(value, (dict, list)):
            return None
        text = str(value).strip().upper()
        return text or None
