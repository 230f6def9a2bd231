"""The record lifecycle's commands and queries, each in its own unit of work.

`file_objection`, `resolve_objection` (credit.lifecycle.objections) and `apply_credit_repair`,
`decide_credit_repair` (credit.lifecycle.repairs) change a record's status; the credit office reads a
record's history and the overdue objections. Callers (the GraphQL API) only parse and wrap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from credit.access.policy import Capability, may_read_record, may_read_repair, require
from credit.access.viewer import Viewer
from credit.enums import ObjectionOutcome
from credit.lifecycle import objections, repairs, repository
from credit.models import CreditRepair, Objection, RecordEvent
from credit.outbox.work import unit_of_work
from credit.platform.runtime import Runtime
from credit.rules.flags import in_public_disclosure


async def file_objection(runtime: Runtime, viewer: Viewer, record_id: int, reason: str, today: dt.date) -> Objection:
    async with unit_of_work(runtime) as work:
        return await objections.file_objection(work, viewer, record_id, reason, today, runtime.settings)


async def resolve_objection(
    runtime: Runtime, viewer: Viewer, objection_id: int, outcome: ObjectionOutcome, note: str | None, today: dt.date
) -> Objection:
    async with unit_of_work(runtime) as work:
        return await objections.resolve_objection(work, viewer, objection_id, outcome, note, today, runtime.settings)


async def apply_credit_repair(
    runtime: Runtime, viewer: Viewer, record_id: int, statement: str, today: dt.date
) -> CreditRepair:
    async with unit_of_work(runtime) as work:
        return await repairs.apply_credit_repair(work, viewer, record_id, statement, today)


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
    """A credit-repair application by id, None unless the viewer may read it (`may_read_repair`)."""
    async with runtime.sessions() as session:
        found = await repository.repair_with_record(session, repair_id)
    if found is None:
        return None
    repair, record = found
    return repair if may_read_repair(viewer, record.subject_id) else None
