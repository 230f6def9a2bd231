"""Flag derivation: which measures are in force for a subject on a day. The one rule, in one place.

The API (`activeFlags`, `heldFlags`, `suspendedFlags`, the office's `redListWithdrawals`) and the
indexer's document builder (`hasActivePunishment`) all call `derive_flags`; nothing else decides
whether a measure applies. Every choice below is read from the catalogue (`credit.rules.catalogue`):

1. **Records.** A record brings the measures its scope rules list (rules and measure versions in
   force on the day) while it is *in force*: its effective status is ACTIVE or UNDER_OBJECTION (not
   REVOKED, REPAIRED or EXPIRED) and its `valid_from`, if any, has come.
2. **Subject kind.** A measure applies only to the kinds of subject its `applies_to` lists, and each
   flag says whom it binds there (`reach`): a flight ban on an organisation binds its legal
   representative and responsible persons, never the organisation as such.
3. **Objections.** While an objection to a record is verified (UNDER_OBJECTION), its measures with
   `held_during_objection` are *held* (002 L19 「信用信息异议处理、核实期间暂不执行联合惩戒措施」,
   the joint measures of other agencies); the others stay active — a court's own orders (法释〔2017〕7号
   第十二条 「复议期间，不停止原决定的执行」) and incentives (the objection, filed by the subject about
   its own record, suspends only what weighs on it). REJECTED restores exactly the held flags,
   CORRECTED re-derives them from the corrected record, REVOKED removes them. The hold lasts until
   the objection is answered, also past its due date: a late reply is the office's failure, not a
   reason to enforce a disputed measure.
4. **History.** Measures earned over time (三年无不良信用记录) are active from the day they are
   earned, with that day as `since` and no record (`credit.rules.history`).
5. **Suspensions.** While any active flag of a suspending kind is in force, the active flags of the
   suspended kind move to `suspended` (incentives while a punishment is in force). Held punishments
   suspend nothing: they are not enforced.
6. **Withdrawals.** A record matching a withdrawal rule (a red listing) is flagged for withdrawal
   while an ACTIVE record of the listed kinds (black list, 失信被执行人) is in force; the designating
   body withdraws it, the credit office sees the list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from credit.enums import FlagKind, RecordStatus
from credit.rules.catalogue import Catalogue, Measure, MeasureReach, default_catalogue
from credit.rules.disclosure import DisclosureTable, disclosure_period
from credit.rules.facts import RecordFacts, SubjectFacts
from credit.rules.history import clean_run

_ONE_DAY = dt.timedelta(days=1)
_DISCLOSED = frozenset({RecordStatus.ACTIVE, RecordStatus.UNDER_OBJECTION})


@dataclass(frozen=True, slots=True)
class Flag:
    """A measure in force (or held, or suspended) for a subject.

    `record_id`: the record that brings it; None for a measure earned by the subject's history.
    `reach`: whom it binds for this subject's kind. `since`: the day it began to apply (the record's
    `valid_from` or decision date; the day a history measure was earned).
    """

    code: str
    kind: FlagKind
    name: str
    basis: str | None
    agency: str | None
    record_id: int | None
    reach: MeasureReach
    since: dt.date | None

    @classmethod
    def of(cls, measure: Measure, record_id: int | None, reach: MeasureReach, since: dt.date | None) -> Flag:
        return cls(
            code=measure.code,
            kind=measure.kind,
            name=measure.name,
            basis=measure.basis,
            agency=measure.implementing_body,
            record_id=record_id,
            reach=reach,
            since=since,
        )


@dataclass(frozen=True, slots=True)
class WithdrawalNotice:
    """`record_id` (a red listing) should be withdrawn by its designating body under rule `rule`,
    because the records `because` (black listings, court listings) are in force."""

    record_id: int
    rule: str
    because: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FlagSet:
    """The flags of a subject on one day: `active` are enforced, `held` are suspended by objections,
    `suspended` by other measures in force; `withdrawals` are records to withdraw.

    Flags are ordered by record id (history flags last), then measure code.
    """

    active: tuple[Flag, ...]
    held: tuple[Flag, ...]
    suspended: tuple[Flag, ...] = ()
    withdrawals: tuple[WithdrawalNotice, ...] = ()

    @property
    def has_active_punishment(self) -> bool:
        return any(flag.kind is FlagKind.PUNISHMENT for flag in self.active)

    @property
    def has_active_incentive(self) -> bool:
        return any(flag.kind is FlagKind.INCENTIVE for flag in self.active)


def effective_status(record: RecordFacts, today: dt.date, table: DisclosureTable | None = None) -> RecordStatus:
    """The record's status on `today`: the stored status, or EXPIRED once its disclosure has ended.

    Disclosure ends after the last day of the disclosure period, which is never later than the
    record's `valid_until` (see `credit.rules.disclosure`). REVOKED and REPAIRED stay as they are.
    """
    if record.status not in _DISCLOSED:
        return record.status
    if disclosure_period(record, table).ended(today):
        return RecordStatus.EXPIRED
    return record.status


def in_public_disclosure(record: RecordFacts, today: dt.date, table: DisclosureTable | None = None) -> bool:
    """Whether the record is publicly disclosed on `today` (ACTIVE or UNDER_OBJECTION, not expired)."""
    return effective_status(record, today, table) in _DISCLOSED


def in_force(record: RecordFacts, today: dt.date, table: DisclosureTable | None = None) -> bool:
    """Whether the record's measures apply on `today`: disclosed and its `valid_from` has come."""
    if record.valid_from is not None and record.valid_from > today:
        return False
    return in_public_disclosure(record, today, table)


def _flag_order(flag: Flag) -> tuple[bool, int, str]:
    return flag.record_id is None, flag.record_id or 0, flag.code


def _in_force_statuses(
    records: Sequence[RecordFacts], today: dt.date, table: DisclosureTable | None
) -> dict[int, tuple[RecordFacts, RecordStatus]]:
    found: dict[int, tuple[RecordFacts, RecordStatus]] = {}
    for record in records:
        status = effective_status(record, today, table)
        if status in _DISCLOSED and (record.valid_from is None or record.valid_from <= today):
            found[record.id] = (record, status)  # the same test as `in_force`, computing the status once
    return found


def derive_flags(
    records: Iterable[RecordFacts],
    today: dt.date,
    subject: SubjectFacts,
    catalogue: Catalogue | None = None,
    *,
    table: DisclosureTable | None = None,
) -> FlagSet:
    """The flags that a subject's records and history bring on `today`.

    `catalogue` and `table` default to the packaged measures catalogue and disclosure tables.
    """
    catalogue = default_catalogue() if catalogue is None else catalogue
    records = list(records)
    current = _in_force_statuses(records, today, table)
    active: list[Flag] = []
    held: list[Flag] = []
    for record, status in current.values():
        under_objection = status is RecordStatus.UNDER_OBJECTION
        since = record.valid_from or record.decided_on
        for measure in catalogue.measures_for(record, today):
            reach = measure.reach_for(subject.kind)
            if reach is None:
                continue
            flag = Flag.of(measure, record.id, reach, since)
            (held if under_objection and measure.held_during_objection else active).append(flag)
    for rule in catalogue.history_rules(today):
        run = clean_run(rule, records, subject, today, table)
        if not run.earned(today):
            continue
        for code in rule.measures:
            earned = catalogue.in_force(code, today)
            reach = earned.reach_for(subject.kind) if earned is not None else None
            if earned is not None and reach is not None:
                active.append(Flag.of(earned, None, reach, run.earned_on))
    active_kinds = {flag.kind for flag in active}
    suspended_kinds = {s.suspend for s in catalogue.suspensions_on(today) if s.while_active in active_kinds}
    suspended = [flag for flag in active if flag.kind in suspended_kinds]
    active = [flag for flag in active if flag.kind not in suspended_kinds]
    return FlagSet(
        active=tuple(sorted(active, key=_flag_order)),
        held=tuple(sorted(held, key=_flag_order)),
        suspended=tuple(sorted(suspended, key=_flag_order)),
        withdrawals=_withdrawals(catalogue, current, today),
    )


def _withdrawals(
    catalogue: Catalogue, current: dict[int, tuple[RecordFacts, RecordStatus]], today: dt.date
) -> tuple[WithdrawalNotice, ...]:
    notices: list[WithdrawalNotice] = []
    for rule in catalogue.withdrawals_on(today):
        because = tuple(
            sorted(
                record.id
                for record, status in current.values()
                if status is RecordStatus.ACTIVE and any(pattern.matches(record) for pattern in rule.while_in_force)
            )
        )
        if because:
            notices.extend(
                WithdrawalNotice(record.id, rule.code, because)
                for record, _ in current.values()
                if rule.withdraw.matches(record) and record.id not in because
            )
    return tuple(sorted(notices, key=lambda n: (n.record_id, n.rule)))


def next_time_boundary(
    records: Iterable[RecordFacts],
    today: dt.date,
    subject: SubjectFacts | None = None,
    catalogue: Catalogue | None = None,
    table: DisclosureTable | None = None,
) -> dt.date | None:
    """The earliest date after `today` on which the records' flags or disclosure may change by themselves.

    Candidates, for records that are ACTIVE or UNDER_OBJECTION and not yet expired: the day after the
    disclosure period ends (which covers `valid_until + 1`, since disclosure never outlasts
    validity), `valid_from` when it is still to come, and the day after a pending objection's due
    date (the objection becomes overdue: `derive_flags` does not change then, but documents that
    show the objection's state do; an extra sweep is harmless, a missed one is not). With the
    subject: the day a history measure is earned. With or without: the day a version of the
    catalogue starts or stops being in force. None when nothing will change by itself. The
    indexer's sweeper re-indexes the subject on that date.
    """
    catalogue = default_catalogue() if catalogue is None else catalogue
    records = list(records)
    candidates: list[dt.date] = []
    for record in records:
        if record.decided_on > today:
            candidates.append(record.decided_on)  # a future-dated decision starts to count for history
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
    if subject is not None:
        if subject.registered_on is not None and subject.registered_on > today:
            candidates.append(subject.registered_on)  # its record (and any clean run) starts then
        for rule in catalogue.history_rules(today):
            earned_on = clean_run(rule, records, subject, today, table).earned_on
            if earned_on is not None and earned_on > today:
                candidates.append(earned_on)
    change = catalogue.next_change_after(today)
    if change is not None:
        candidates.append(change)
    return min(candidates, default=None)
