"""Disclosure periods (公示期限): how long a record stays in public disclosure.

The tables are data, one file per version under `credit/rules/data/disclosure/` (format below);
this module validates them and computes a record's `DisclosurePeriod`.

**Versions.** Each file is one version of the rules (an order, an interpretation, a platform
choice) with its effective period, and rows for the categories it governs, each row citing its
document and article. A record is judged by the version in force, *for its category*, on its
decision date (`decided_on`): a penalty decided on 2026-03-15 keeps the periods of
《失信行为纠正后的信用信息修复管理办法（试行）》 (58号令) after 《信用修复管理办法》 (36号令)
replaced it on 2026-04-01. A decision older than every version of its category is judged by the
earliest one. So adding a version (a new file, and an `effective_until` on the one it replaces)
never changes a decision made before it takes effect, and needs no code.

**Counting** follows the Civil Code (《中华人民共和国民法典》第二百零一条、第二百零二条): the first
day is not counted, and a period in months or years ends on the corresponding day of the last month
(the month's last day when there is none). So a 3-year period from 2024-05-10 ends on 2027-05-10,
and a 1-year period from 2024-02-29 ends on 2025-02-28. Both dates of a `DisclosurePeriod` are
*last days, inclusive*: the record leaves disclosure on `until + 1 day`, and early removal through
credit repair (信用修复) is possible from `minimum_until + 1 day`.

**Several penalty types.** A penalty decision with several `content.penaltyTypes` is disclosed for
the period of the type whose period is longest (58号令: "同一行政处罚决定涉及多种处罚类型的，其公示
期限以期限最长的类型为准"): the period is computed for each type alone and the longest wins (the
later end; on a tie, the later end of the minimum).

Version file format (keys starting with "_" are comments and are ignored)::

    {"version": "ndrc-order-36",                      # unique
     "title": "《信用修复管理办法》(国家发展改革委令2025年第36号)",
     "effective_from": "2026-04-01" | null,            # null: since always
     "effective_until": null | "2030-12-31",           # inclusive; null: until replaced
     "periods": [{"category": "ADMINISTRATIVE_PENALTY",
                  "severities": ["MINOR"] | null,      # null: any severity, or none
                  "domains": ["FOOD", …] | null,       # content.domain; null: any
                  "penalty_types": ["FINE", …] | null, # one of content.penaltyTypes; null: any
                  "anchor": "DECIDED_ON" | "VALID_FROM",   # VALID_FROM falls back to decided_on
                  "minimum": {"years": 0, "months": 3} | null,
                  "maximum": {"years": 3} | null,      # null: open-ended unless valid_until
                  "valid_until": "REPLACES" | "CAPS",
                  "longest_term": {"years": 3} | null, # the longest validity a record may state
                  "source": {"document": "…", "article": "第…条" | null, "verify": "…" | null}}, …]}

Within a version, rows are tried in order and the first match wins; each category the version
governs must end with exactly one catch-all row (no conditions). Across versions, the versions of a
category may neither overlap nor leave a gap, and the latest must be open-ended. `valid_until` says
what the record's own `valid_until` does: REPLACES — it is the end of disclosure (lists: their
validity is the period); CAPS — disclosure ends at the earlier of `valid_until` and the maximum
(penalties: a stated validity may shorten, never lengthen, the maximum). Either way a record is
never disclosed past its `valid_until`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from credit.enums import RecordCategory, Severity
from credit.rules.facts import RecordFacts
from credit.rules.loading import validation_summary, without_comments
from credit.rules.versions import EffectivePeriod, Source, gap_after, overlapping
from credit.rules.vocabulary import DOMAIN_KEY, PENALTY_TYPES_KEY, PenaltyDomain, PenaltyType, read_domain
from credit.rules.vocabulary import read_penalty_types as _read_types

DATA_DIR = "disclosure"


class DisclosureTableError(ValueError):
    """A disclosure-period table is unreadable or inconsistent; the message names the file and entry."""


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

    def last_day_from(self, start: dt.date) -> dt.date:
        """The last day of a period of this length counted from `start` (start not counted)."""
        return add_months(start, self.total_months)


@dataclass(frozen=True, slots=True)
class DisclosurePeriod:
    """A record's disclosure period; both dates are last days, inclusive.

    `minimum_until`: end of the minimum period (最短公示期), before which the record cannot leave
    disclosure early; None when the rules set no minimum. `until`: end of disclosure (最长公示期 or
    the list's validity); None when open-ended.
    """

    minimum_until: dt.date | None
    until: dt.date | None

    def ended(self, today: dt.date) -> bool:
        return self.until is not None and self.until < today

    def length_key(self) -> tuple[dt.date, dt.date]:
        """Orders periods by length: the later end first matters, open-ended is longest."""
        return (self.until or dt.date.max, self.minimum_until or dt.date.min)


class PeriodRule(BaseModel):
    """One row of a version: which records it matches and the period it gives them."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    category: RecordCategory
    severities: frozenset[Severity] | None = None
    domains: frozenset[PenaltyDomain] | None = None
    penalty_types: frozenset[PenaltyType] | None = None
    anchor: Anchor = Anchor.DECIDED_ON
    minimum: Duration | None = None
    maximum: Duration | None = None
    valid_until: ValidUntilRule
    #: The longest validity a record may state: `validUntil` (and `validFrom`) no later than this
    #: after the anchor; null: no bound from this row (`credit.rules.terms`).
    longest_term: Duration | None = None
    source: Source

    @model_validator(mode="after")
    def _consistent(self) -> PeriodRule:
        for name in ("severities", "domains", "penalty_types"):
            value = getattr(self, name)
            if value is not None and not value:
                raise ValueError(f"{name} must be null or a non-empty list")
        if (
            self.minimum is not None
            and self.maximum is not None
            and self.minimum.total_months > self.maximum.total_months
        ):
            raise ValueError("minimum is longer than maximum")
        return self

    @property
    def is_catch_all(self) -> bool:
        return self.severities is None and self.domains is None and self.penalty_types is None

    def matches(self, record: RecordFacts, penalty_type: PenaltyType | None = None) -> bool:
        """Whether the row matches the record, read as a decision of `penalty_type` alone."""
        if record.category is not self.category:
            return False
        if self.severities is not None and record.severity not in self.severities:
            return False
        if self.domains is not None and penalty_domain(record) not in self.domains:
            return False
        return self.penalty_types is None or penalty_type in self.penalty_types

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


class TableVersion(BaseModel):
    """One version of the disclosure rules: its effective period and its rows."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    version: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    title: str = Field(min_length=1)
    effective_from: dt.date | None = None
    effective_until: dt.date | None = None
    periods: tuple[PeriodRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates(self) -> TableVersion:
        EffectivePeriod(self.effective_from, self.effective_until)  # raises when reversed
        return self

    @property
    def effective(self) -> EffectivePeriod:
        return EffectivePeriod(self.effective_from, self.effective_until)

    @property
    def categories(self) -> frozenset[RecordCategory]:
        return frozenset(rule.category for rule in self.periods)


@dataclass(frozen=True, slots=True)
class Governing:
    """What decides a record's period: the version in force on its decision date and the row used."""

    version: TableVersion
    rule: PeriodRule
    period: DisclosurePeriod


@dataclass(frozen=True, slots=True)
class DisclosureTable:
    """The validated versions. Build with `parse_disclosure_table`, or use `default_disclosure_table()`."""

    versions: tuple[TableVersion, ...]
    _by_category: Mapping[RecordCategory, tuple[TableVersion, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_category: dict[RecordCategory, list[TableVersion]] = {}
        for version in self.versions:
            for category in version.categories:
                by_category.setdefault(category, []).append(version)
        ordered = {k: tuple(sorted(v, key=lambda x: x.effective_from or dt.date.min)) for k, v in by_category.items()}
        object.__setattr__(self, "_by_category", ordered)

    def version_for(self, category: RecordCategory, day: dt.date) -> TableVersion:
        """The version governing `category` on `day`; the earliest for a day before all of them."""
        versions = self._by_category[category]
        for version in versions:
            if version.effective.covers(day):
                return version
        return versions[0]  # validated: no gaps and an open-ended latest, so only earlier days get here

    def governing(self, record: RecordFacts) -> Governing:
        """The version, row and period of `record` (several penalty types: the longest)."""
        version = self.version_for(record.category, record.decided_on)
        best: Governing | None = None
        for penalty_type in penalty_types(record) or (None,):
            rule = next(rule for rule in version.periods if rule.matches(record, penalty_type))
            candidate = Governing(version, rule, rule.period_for(record))
            if best is None or candidate.period.length_key() > best.period.length_key():
                best = candidate
        assert best is not None
        return best

    def period_for(self, record: RecordFacts) -> DisclosurePeriod:
        return self.governing(record).period

    @property
    def rules(self) -> tuple[PeriodRule, ...]:
        """Every row of every version."""
        return tuple(rule for version in self.versions for rule in version.periods)


def add_months(start: dt.date, months: int) -> dt.date:
    """`start` moved by whole months; the month's last day when the day does not exist (民法典第二百零二条)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def penalty_domain(record: RecordFacts) -> PenaltyDomain | None:
    """The regulated field of a penalty from `content.domain`; None when absent.

    The import refuses an unknown domain (`credit.rules.vocabulary.check_content`); one stored before
    that check existed reads as absent.
    """
    value = (record.content or {}).get(DOMAIN_KEY)
    if value is None:
        return None
    try:
        return read_domain(value)
    except ValueError:
        return None


def penalty_types(record: RecordFacts) -> tuple[PenaltyType, ...]:
    """The penalty types of the decision (`content.penaltyTypes`); () when absent or unreadable."""
    value = (record.content or {}).get(PENALTY_TYPES_KEY)
    if value is None or record.category is not RecordCategory.ADMINISTRATIVE_PENALTY:
        return ()
    try:
        return _read_types(value)
    except ValueError:
        return ()


def _parse_version(document: object, source: str) -> TableVersion:
    if not isinstance(document, dict):
        raise DisclosureTableError(f"{source}: a version must be a JSON object")
    entries = document.get("periods")
    if not isinstance(entries, list) or not entries:
        raise DisclosureTableError(f"{source}: 'periods' must be a non-empty list")
    rules: list[PeriodRule] = []
    closed: dict[RecordCategory, int] = {}
    for index, entry in enumerate(entries):
        where = f"periods[{index}]"
        if isinstance(entry, dict):
            where += f" (category {entry.get('category')!r}, severities {entry.get('severities')!r})"
        try:
            rule = PeriodRule.model_validate(without_comments(entry))
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
    missing = sorted(rule.category.value for rule in rules if rule.category not in closed)
    if missing:
        raise DisclosureTableError(f"{source}: no catch-all row (no conditions) for {sorted(set(missing))}")
    cleaned = without_comments(document)
    assert isinstance(cleaned, dict)
    header = {k: v for k, v in cleaned.items() if k != "periods"}
    try:
        return TableVersion.model_validate({**header, "periods": rules})
    except ValidationError as exc:
        raise DisclosureTableError(f"{source}: {validation_summary(exc)}") from None


def parse_disclosure_table(documents: Iterable[tuple[str, object]]) -> DisclosureTable:
    """Validate decoded version documents, each with the name used in messages (its file)."""
    versions: list[TableVersion] = []
    names: dict[str, str] = {}
    for source, document in documents:
        version = _parse_version(document, source)
        if version.version in names:
            raise DisclosureTableError(
                f"{source}: version {version.version!r} is already defined in {names[version.version]}"
            )
        names[version.version] = source
        versions.append(version)
    if not versions:
        raise DisclosureTableError("no disclosure-period version found")
    for category in RecordCategory:
        mine = sorted((v for v in versions if category in v.categories), key=lambda v: v.effective_from or dt.date.min)
        if not mine:
            raise DisclosureTableError(f"no version governs {category.value}")
        clash = overlapping(mine)
        if clash is not None:
            first, second = mine[clash[0]].version, mine[clash[1]].version
            raise DisclosureTableError(f"versions {first!r} and {second!r} overlap for {category.value}")
        gap = gap_after(v.effective for v in mine)
        if gap is not None:
            raise DisclosureTableError(f"no version governs {category.value} decisions after {gap.isoformat()}")
        if mine[-1].effective_until is not None:
            raise DisclosureTableError(
                f"the latest version of {category.value} ({mine[-1].version!r}) must be open-ended (no effective_until)"
            )
    return DisclosureTable(versions=tuple(versions))


def _read(name: str, text: str) -> tuple[str, object]:
    try:
        return name, json.loads(text)
    except json.JSONDecodeError as exc:
        raise DisclosureTableError(f"{name}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc


def _files(folder: Traversable | Path) -> Sequence[Traversable | Path]:
    return sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)


def load_disclosure_table(path: Path | None = None) -> DisclosureTable:
    """Load and validate the versions in a folder (every `*.json`) or a single version file; by
    default the packaged `credit/rules/data/disclosure/`."""
    try:
        if path is None:
            folder = resources.files("credit.rules").joinpath("data", DATA_DIR)
            documents = [_read(f"credit/rules/data/{DATA_DIR}/{f.name}", f.read_text("utf-8")) for f in _files(folder)]
        elif path.is_dir():
            documents = [_read(str(f), f.read_text(encoding="utf-8")) for f in _files(path)]
        else:
            documents = [_read(str(path), path.read_text(encoding="utf-8"))]
    except (OSError, UnicodeDecodeError) as exc:
        raise DisclosureTableError(f"{path or 'credit/rules/data'}: cannot read the tables: {exc}") from exc
    return parse_disclosure_table(documents)


@functools.cache
def default_disclosure_table() -> DisclosureTable:
    """The packaged tables, loaded once per process."""
    return load_disclosure_table()


def disclosure_period(record: RecordFacts, table: DisclosureTable | None = None) -> DisclosurePeriod:
    """The record's disclosure period under `table` (default: the packaged tables). A listing the court
    deleted (法释〔2017〕7号 第十条) is disclosed no longer: its last day is the day before the deletion."""
    period = (default_disclosure_table() if table is None else table).period_for(record)
    if record.deleted_on is not None:
        last = record.deleted_on - dt.timedelta(days=1)
        if period.until is None or last < period.until:
            minimum = period.minimum_until if period.minimum_until is None or period.minimum_until <= last else last
            return DisclosurePeriod(minimum_until=minimum, until=last)
    return period


def governing_rule(record: RecordFacts, table: DisclosureTable | None = None) -> Governing:
    """The version and row deciding the record's period (for explanations and exports)."""
    return (default_disclosure_table() if table is None else table).governing(record)
