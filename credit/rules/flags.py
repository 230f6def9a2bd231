"""Flag derivation: which measures are in force for a subject now. The one rule, in one place.

The API (`activeFlags`, `heldFlags`) and the indexer's document builder (`hasActivePunishment`)
both call `derive_flags`; nothing else decides whether a measure applies.

A record brings the measures the catalogue lists for it while it is *in force*: its effective
status is ACTIVE or UNDER_OBJECTION (not REVOKED, REPAIRED or EXPIRED) and its `valid_from`, if any,
has come. Then:

- ACTIVE: every measure is an active flag.
- UNDER_OBJECTION (异议核查中): the policy says the joint-punishment measures of a record are not
  enforced while an objection to it is being verified, so its PUNISHMENT measures become *held*
  flags; its INCENTIVE measures stay active, because the objection (filed by the subject, about
  its own record) suspends only what weighs on the subject. A REJECTED objection puts the record
  back to ACTIVE, which restores exactly the held flags; CORRECTED re-derives them from the
  corrected record; REVOKED removes them.
- REVOKED, REPAIRED, EXPIRED: nothing.

The hold lasts until the objection is resolved, also past its due date: a late reply is the
credit office's failure, not a reason to enforce a disputed measure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from credit.enums import FlagKind, RecordStatus
from credit.rules.catalogue import Catalogue, Measure, default_catalogue
from credit.rules.disclosure import DisclosureTable, disclosure_period
from credit.rules.facts import RecordFacts

_ONE_DAY = timedelta(days=1)
_DISCLOSED = frozenset({RecordStatus.ACTIVE, RecordStatus.UNDER_OBJECTION})


@dataclass(frozen=True, slots=True)
class Flag:
    """A measure in force (or held) for a subject because of one of its records."""

    code: str
    kind: FlagKind
    name: str
    basis: str | None
    agency: str | None
    record_id: int

    @classmethod
    def from_measure(cls, measure: Measure, record_id: int) -> Flag:
        return cls(
            code=measure.code,
            kind=measure.kind,
            name=measure.name,
            basis=measure.basis,
            agency=measure.agency,
            record_id=record_id,
        )


@dataclass(frozen=True, slots=True)
class FlagSet:
    """The flags of a subject on one day: `active` are enforced, `held` are suspended by objections.

    Both are ordered by record id, then measure code.
    """

    active: tuple[Flag, ...]
    held: tuple[Flag, ...]

    @property
    def has_active_punishment(self) -> bool:
        return any(flag.kind is FlagKind.PUNISHMENT for flag in self.active)

    @property
    def has_active_incentive(self) -> bool:
        return any(flag.kind is FlagKind.INCENTIVE for flag in self.active)


def effective_status(record: RecordFacts, today: date, table: DisclosureTable | None = None) -> RecordStatus:
    """The record's status on `today`: the stored status, or EXPIRED once its disclosure has ended.

    Disclosure ends after the last day of the disclosure period, which is never later than the
    record's `valid_until` (see `credit.rules.disclosure`). REVOKED and REPAIRED stay as they are.
    """
    if record.status not in _DISCLOSED:
        return record.status
    if disclosure_period(record, table).ended(today):
        return RecordStatus.EXPIRED
    return record.status


def in_public_disclosure(record: RecordFacts, today: date, table: DisclosureTable | None = None) -> bool:
    """Whether the record is publicly disclosed on `today` (ACTIVE or UNDER_OBJECTION, not expired)."""
    return effective_status(record, today, table) in _DISCLOSED


def in_force(record: RecordFacts, today: date, table: DisclosureTable | None = None) -> bool:
    """Whether the record's measures apply on `today`: disclosed and its `valid_from` has come."""
    if record.valid_from is not None and record.valid_from > today:
        return False
    return in_public_disclosure(record, today, table)


def _flag_order(flag: Flag) -> tuple[int, str]:
    return flag.record_id, flag.code


def derive_flags(
    records: Iterable[RecordFacts],
    today: date,
    catalogue: Catalogue | None = None,
    *,
    table: DisclosureTable | None = None,
) -> FlagSet:
    """The active and held flags that a subject's records bring on `today`.

    `catalogue` and `table` default to the packaged measures catalogue and disclosure table.
    """
    if catalogue is None:
        catalogue = default_catalogue()
    active: list[Flag] = []
    held: list[Flag] = []
    for record in records:
        status = effective_status(record, today, table)
        if status not in _DISCLOSED or (record.valid_from is not None and record.valid_from > today):
            continue  # not in force (same test as `in_force`, computing the status once)
        under_objection = status is RecordStatus.UNDER_OBJECTION
        for measure in catalogue.measures_for(record):
            flag = Flag.from_measure(measure, record.id)
            if under_objection and measure.kind is FlagKind.PUNISHMENT:
                held.append(flag)
            else:
                active.append(flag)
    return FlagSet(active=tuple(sorted(active, key=_flag_order)), held=tuple(sorted(held, key=_flag_order)))


def next_time_boundary(
    records: Iterable[RecordFacts], today: date, table: DisclosureTable | None = None
) -> date | None:
    """The earliest date after `today` on which the records' flags or disclosure may change by themselves.

    Candidates, for records that are ACTIVE or UNDER_OBJECTION and not yet expired: the day after the
    disclosure period ends (which covers `valid_until + 1`, since disclosure never outlasts
    validity), `valid_from` when it is still to come, and the day after a pending objection's due
    date (the objection becomes overdue: `derive_flags` does not change then, but documents that
    show the objection's state do; an extra sweep is harmless, a missed one is not). None when no
    record will change by itself. The indexer's sweeper re-indexes the subject on that date.
    """
    candidates: list[date] = []
    for record in records:
        if record.status not in _DISCLOSED:
            continue
        until = disclosure_period(record, table).until
        if until is not None:
            if until < today:
                continue  # already expired: nothing changes any more
            candidates.append(until + _ONE_DAY)
        if record.valid_from is not None and record.valid_from > today:
            candidates.append(record.valid_from)
        if record.status is RecordStatus.UNDER_OBJECTION and record.objection_due_on is not None:
            overdue_from = record.objection_due_on + _ONE_DAY
            if overdue_from > today:
                candidates.append(overdue_from)
    return min(candidates, default=None)
