"""Disclosure periods (公示期限): how long a record stays in public disclosure.

The table is data (`credit/rules/data/disclosure_periods.json`, each entry with its `source`); this
module validates it and computes a record's `DisclosurePeriod`.

Counting follows the Civil Code (《中华人民共和国民法典》第二百零一条、第二百零二条): the first day is
not counted, and a period in months or years ends on the corresponding day of the last month (the
month's last day when there is none). So a 3-year period from 2024-05-10 ends on 2027-05-10, and a
1-year period from 2024-02-29 ends on 2025-02-28. Both dates of a `DisclosurePeriod` are *last days,
inclusive*: the record leaves disclosure on `until + 1 day`, and early removal through credit repair
(信用修复) is possible from `minimum_until + 1 day`.

Table format (one JSON object; keys starting with "_" are comments and are ignored)::

    {"periods": [{"category": "ADMINISTRATIVE_PENALTY",
                  "severities": ["MINOR"] | null,          # null: any severity, or none
                  "domains": ["FOOD", …] | null,           # record.content["domain"]; null: any
                  "anchor": "DECIDED_ON" | "VALID_FROM",   # VALID_FROM falls back to decided_on
                  "minimum": {"years": 0, "months": 3} | null,
                  "maximum": {"years": 3} | null,          # null: open-ended unless valid_until
                  "valid_until": "REPLACES" | "CAPS",
                  "source": "…"}, …]}

Entries are tried in order and the first match wins; every category must end with exactly one
catch-all entry (no `severities`, no `domains`). `valid_until` says what the record's own
`valid_until` does: REPLACES — it is the end of disclosure (lists: their validity is the period);
CAPS — disclosure ends at the earlier of `valid_until` and the maximum (penalties: a stated
validity may shorten, never lengthen, the statutory maximum). Either way a record is never disclosed
past its `valid_until`.
"""

from __future__ import annotations

import calendar
import functools
import json
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from credit.enums import RecordCategory, Severity
from credit.rules.catalogue import validation_summary
from credit.rules.facts import RecordFacts


class DisclosureTableError(ValueError):
    """The disclosure-period table is unreadable or inconsistent; the message names the entry."""


class PenaltyDomain(StrEnum):
    """The regulated field of an administrative penalty, read from `content["domain"]`.

    Penalties in these fields have a longer minimum disclosure period (58号令). Any other value
    of `content["domain"]` (or none) is an ordinary penalty.
    """

    FOOD = "FOOD"  # 食品
    DRUG = "DRUG"  # 药品
    SPECIAL_EQUIPMENT = "SPECIAL_EQUIPMENT"  # 特种设备
    WORK_SAFETY = "WORK_SAFETY"  # 安全生产
    FIRE_SAFETY = "FIRE_SAFETY"  # 消防


class Anchor(StrEnum):
    DECIDED_ON = "DECIDED_ON"
    VALID_FROM = "VALID_FROM"


class ValidUntilRule(StrEnum):
    REPLACES = "REPLACES"
    CAPS = "CAPS"


class Duration(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    years: int = Field(default=0, ge=0, le=100)
    months: int = Field(default=0, ge=0, le=1200)

    @model_validator(mode="after")
    def _positive(self) -> Duration:
        if self.total_months == 0:
            raise ValueError("a duration must be at least one month")
        return self

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def last_day_from(self, start: date) -> date:
        """The last day of a period of this length counted from `start` (start not counted)."""
        return add_months(start, self.total_months)


class PeriodRule(BaseModel):
    """One row of the disclosure-period table."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    category: RecordCategory
    severities: frozenset[Severity] | None = None
    domains: frozenset[PenaltyDomain] | None = None
    anchor: Anchor = Anchor.DECIDED_ON
    minimum: Duration | None = None
    maximum: Duration | None = None
    valid_until: ValidUntilRule
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> PeriodRule:
        if self.severities is not None and not self.severities:
            raise ValueError("severities must be null or a non-empty list")
        if self.domains is not None and not self.domains:
            raise ValueError("domains must be null or a non-empty list")
        if (
            self.minimum is not None
            and self.maximum is not None
            and self.minimum.total_months > self.maximum.total_months
        ):
            raise ValueError("minimum is longer than maximum")
        return self

    @property
    def is_catch_all(self) -> bool:
        return self.severities is None and self.domains is None

    def matches(self, record: RecordFacts) -> bool:
        if record.category is not self.category:
            return False
        if self.severities is not None and record.severity not in self.severities:
            return False
        return self.domains is None or penalty_domain(record) in self.domains

    def period_for(self, record: RecordFacts) -> DisclosurePeriod:
        start = record.decided_on
        if self.anchor is Anchor.VALID_FROM and record.valid_from is not None:
            start = record.valid_from
        until = self.maximum.last_day_from(start) if self.maximum is not None else None
        if record.valid_until is not None and (
            self.valid_until is ValidUntilRule.REPLACES or until is None or record.valid_until < until
        ):
            until = record.valid_until
        minimum_until = self.minimum.last_day_from(start) if self.minimum is not None else None
        if minimum_until is not None and until is not None and minimum_until > until:
            minimum_until = until
        return DisclosurePeriod(minimum_until=minimum_until, until=until)


@dataclass(frozen=True, slots=True)
class DisclosurePeriod:
    """A record's disclosure period; both dates are last days, inclusive.

    `minimum_until`: end of the minimum period (最短公示期), before which the record cannot leave
    disclosure early; None when the rules set no minimum. `until`: end of disclosure (最长公示期 or
    the list's validity); None when open-ended.
    """

    minimum_until: date | None
    until: date | None

    def ended(self, today: date) -> bool:
        return self.until is not None and self.until < today


@dataclass(frozen=True, slots=True)
class DisclosureTable:
    rules: tuple[PeriodRule, ...]

    def rule_for(self, record: RecordFacts) -> PeriodRule:
        for rule in self.rules:
            if rule.matches(record):
                return rule
        # Unreachable for a validated table: every category has a catch-all entry.
        raise LookupError(f"no disclosure period for category {record.category.value}")

    def period_for(self, record: RecordFacts) -> DisclosurePeriod:
        return self.rule_for(record).period_for(record)


def add_months(start: date, months: int) -> date:
    """`start` moved by whole months; the month's last day when the day does not exist (民法典第二百零二条)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def penalty_domain(record: RecordFacts) -> PenaltyDomain | None:
    """The regulated field of the record from `content["domain"]`, or None for an ordinary one."""
    value = record.content_text("domain")
    try:
        return PenaltyDomain(value) if value is not None else None
    except ValueError:
        return None


def _where(index: int, entry: object) -> str:
    if isinstance(entry, dict):
        return f"periods[{index}] (category {entry.get('category')!r}, severities {entry.get('severities')!r})"
    return f"periods[{index}]"


def _without_comments(entry: object) -> object:
    if isinstance(entry, dict):
        return {key: value for key, value in entry.items() if not str(key).startswith("_")}
    return entry


def parse_disclosure_table(document: object, source: str = "<disclosure periods>") -> DisclosureTable:
    """Validate an already decoded table; raise DisclosureTableError naming the bad entry."""
    if not isinstance(document, dict):
        raise DisclosureTableError(f"{source}: the table must be a JSON object")
    entries = document.get("periods")
    if not isinstance(entries, list) or not entries:
        raise DisclosureTableError(f"{source}: 'periods' must be a non-empty list")
    rules: list[PeriodRule] = []
    closed: dict[RecordCategory, int] = {}
    for index, entry in enumerate(entries):
        where = _where(index, entry)
        try:
            rule = PeriodRule.model_validate(_without_comments(entry))
        except ValidationError as exc:
            raise DisclosureTableError(f"{source}: {where}: {validation_summary(exc)}") from None
        if rule.category in closed:
            raise DisclosureTableError(
                f"{source}: {where}: unreachable, periods[{closed[rule.category]}] already matches "
                f"every {rule.category.value} record"
            )
        if rule.is_catch_all:
            closed[rule.category] = index
        rules.append(rule)
    missing = [category.value for category in RecordCategory if category not in closed]
    if missing:
        raise DisclosureTableError(f"{source}: no catch-all entry (no severities, no domains) for {missing}")
    return DisclosureTable(rules=tuple(rules))


def load_disclosure_table(path: Path | None = None) -> DisclosureTable:
    """Load and validate a table file; by default the packaged `credit/rules/data/disclosure_periods.json`."""
    try:
        if path is None:
            source = "credit/rules/data/disclosure_periods.json"
            data = resources.files("credit.rules").joinpath("data", "disclosure_periods.json")
            text = data.read_text(encoding="utf-8")
        else:
            source = str(path)
            text = path.read_text(encoding="utf-8")
        document: object = json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise DisclosureTableError(f"{source}: cannot read the table: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise DisclosureTableError(f"{source}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    return parse_disclosure_table(document, source)


@functools.cache
def default_disclosure_table() -> DisclosureTable:
    """The packaged table, loaded once per process."""
    return load_disclosure_table()


def disclosure_period(record: RecordFacts, table: DisclosureTable | None = None) -> DisclosurePeriod:
    """The record's disclosure period under `table` (default: the packaged table). A listing the court
    deleted (法释〔2017〕7号 第十条) is disclosed no longer: its last day is the day before the deletion."""
    period = (default_disclosure_table() if table is None else table).period_for(record)
    if record.deleted_on is not None:
        last = record.deleted_on - timedelta(days=1)
        if period.until is None or last < period.until:
            minimum = period.minimum_until if period.minimum_until is None or period.minimum_until <= last else last
            return DisclosurePeriod(minimum_until=minimum, until=last)
    return period
