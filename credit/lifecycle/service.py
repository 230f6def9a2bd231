"""The record lifecycle's commands and queries, each in its own unit of work.

`file_objection`, `resolve_objection` (credit.lifecycle.objections) and `apply_credit_repair`,
`decide_credit_repair` (credit.lifecycle.repairs) change a record's status; the credit office reads a
record's history and the overdue objections. Callers (the GraphQL API) only parse and wrap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from credit import clock
from credit.access.policy import Capability, can, may_read_record, require
from credit.access.viewer import Viewer
from credit.enums import ObjectionOutcome
from credit.errors import InvalidRequest
from credit.lifecycle import objections, repairs, repository
from credit.lifecycle.objections import Addressee
from credit.lifecycle.repairs import Commitment
from credit.models import CreditRecord, CreditRepair, Objection, RecordEvent
from credit.outbox.work import unit_of_work
from credit.platform.runtime import Runtime
from credit.rules.calendar import working_days_between
from credit.rules.flags import in_public_disclosure


async def file_objection(
    runtime: Runtime,
    viewer: Viewer,
    record_id: int,
    reason: str,
    today: dt.date,
    addressed_to: Addressee = Addressee.CREDIT_OFFICE,
) -> Objection:
    async with unit_of_work(runtime) as work:
        return await objections.file_objection(work, viewer, record_id, reason, today, runtime.settings, addressed_to)


async def grant_objection_hold(runtime: Runtime, viewer: Viewer, objection_id: int, note: str | None) -> Objection:
    async with unit_of_work(runtime) as work:
        return await objections.grant_hold(work, viewer, objection_id, note)


async def resolve_objection(
    runtime: Runtime, viewer: Viewer, objection_id: int, outcome: ObjectionOutcome, note: str | None, today: dt.date
) -> Objection:
    async with unit_of_work(runtime) as work:
        return await objections.resolve_objection(work, viewer, objection_id, outcome, note, today, runtime.settings)


async def apply_credit_repair(
    runtime: Runtime,
    viewer: Viewer,
    record_id: int,
    statement: str,
    today: dt.date,
    commitment: Commitment | None = None,
    evidence: Sequence[str] = (),
) -> CreditRepair:
    async with unit_of_work(runtime) as work:
        return await repairs.apply_credit_repair(
            work, viewer, record_id, statement, today, runtime.settings, runtime.vault, commitment, evidence
        )


async def decide_credit_repair(
    runtime: Runtime, viewer: Viewer, repair_id: int, approve: bool, note: str | None, today: dt.date
) -> CreditRepair:
    async with unit_of_work(runtime) as work:
        return await repairs.decide_credit_repair(work, viewer, repair_id, approve, note, today)


async def record_history(runtime: Runtime, viewer: Viewer, record_id: int) -> Sequence[RecordEvent]:
    """Every status change of a record, oldest first (the credit office)."""
    require(viewer, Capability.CREDIT_OFFICE, "recordHistory")
    async with runtime.sessions() as session:
        return await repository.record_events(session, record_id)


async def overdue_objections(runtime: Runtime, viewer: Viewer, today: dt.date) -> Sequence[Objection]:
    """Pending objections whose reply is overdue, the longest overdue first (the credit office)."""
    require(viewer, Capability.CREDIT_OFFICE, "overdueObjections")
    async with runtime.sessions() as session:
        return await repository.overdue_objections(session, today)


async def overdue_corrections(runtime: Runtime, viewer: Viewer, today: dt.date) -> Sequence[Objection]:
    """CORRECTED objections whose corrected revision has not arrived by its due date (the credit office)."""
    require(viewer, Capability.CREDIT_OFFICE, "overdueCorrections")
    async with runtime.sessions() as session:
        return await repository.overdue_corrections(session, today)


async def backlog(runtime: Runtime, viewer: Viewer, today: dt.date) -> repository.Backlog:
    """What the credit office tracks, counted: pending and overdue replies, corrections and repair decisions."""
    require(viewer, Capability.CREDIT_OFFICE, "lifecycleBacklog")
    async with runtime.sessions() as session:
        return await repository.backlog(session, today)


async def repair_commitments(
    runtime: Runtime, first: int, before_id: int | None
) -> tuple[Sequence[tuple[CreditRepair, CreditRecord]], bool]:
    """信用修复承诺公示: the commitments of repair applications, newest first, public (personal data
    masked when they were made); whether more follow."""
    async with runtime.sessions() as session:
        rows = await repository.commitments(session, first + 1, before_id)
    return rows[:first], len(rows) > first


async def pending_objections(runtime: Runtime, viewer: Viewer) -> Sequence[tuple[Objection, CreditRecord]]:
    """The pending objections the viewer has to answer or track, oldest due first: for the credit office
    all of them (those it only tracks carry `referredTo`), for a key bound to authorities those on
    its authorities' records."""
    require(viewer, Capability.DECIDE_ON_RECORDS, "pendingObjections")
    office = can(viewer, Capability.CREDIT_OFFICE)
    async with runtime.sessions() as session:
        return await repository.pending_objections(session, None if office else sorted(viewer.authorities), ())


@dataclass(frozen=True, slots=True)
class ListingDeletion:
    """A court's deletion of a 失信被执行人 listing and when it reached the public."""

    record: CreditRecord
    received_at: dt.datetime
    working_days: int  # from the court's deletion to the day the platform received it

    @property
    def on_time(self) -> bool:
        return self.working_days <= DELETION_WORKING_DAYS


#: 法释〔2017〕7号 第十条: the court deletes the listing within three working days.
DELETION_WORKING_DAYS = 3


async def listing_deletions(runtime: Runtime, viewer: Viewer, first: dt.date, last: dt.date) -> list[ListingDeletion]:
    """Court deletions decided in [first, last] and whether each reached the public within three
    working days of the deletion (the credit office's oversight)."""
    require(viewer, Capability.CREDIT_OFFICE, "listingDeletions")
    if last < first:
        raise InvalidRequest("to is before from")
    if (last - first).days > 366:
        raise InvalidRequest("a report covers at most one year")
    async with runtime.sessions() as session:
        rows = await repository.deletions_between(session, first, last)
    result = []
    for record, received_at in rows:
        assert record.deleted_on is not None
        received_on = received_at.astimezone(clock.CHINA).date()
        result.append(ListingDeletion(record, received_at, working_days_between(record.deleted_on, received_on)))
    return result


async def objection_for(runtime: Runtime, viewer: Viewer, objection_id: int, today: dt.date) -> Objection | None:
    """An objection by id, None unless the viewer may read its record (`may_read_record`)."""
    async with runtime.sessions() as session:
        found = await repository.objection_with_record(session, objection_id)
    if found is None:
        return None
    objection, record = found
    disclosed = in_public_disclosure(record.facts(), today)
    return objection if may_read_record(viewer, record.subject_id, disclosed) else None


async def repair_for(runtime: Runtime, viewer: Viewer, repair_id: int) -> CreditRepair | None:
    """A credit-repair application by id, None unless the viewer may read it (`may_read_answer`)."""
    async with runtime.sessions() as session:
        found = await repository.repair_with_record(session, repair_id)
    if found is None:
        return None
    repair, record = found
    # The statement, commitment and evidence are the subject's: it, the deciding body and the office.
    return repair if objections.may_read_answer(viewer, record) else None
