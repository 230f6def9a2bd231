"""Statements of the record lifecycle (objections and credit repair).

A command locks the record it changes (`SELECT … FOR UPDATE`), so two commands on one record run
one after the other and each sees the other's result; every status change is written as a
`RecordEvent` (who, when, why) and queues the subject in the outbox, in the command's unit of work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.access.viewer import Viewer
from credit.clock import now
from credit.enums import ObjectionStatus, RecordStatus, RepairStatus
from credit.errors import NotFoundError
from credit.models import CreditRecord, CreditRepair, Objection, RecordEvent
from credit.outbox.queue import touch_subjects
from credit.outbox.work import UnitOfWork

NO_RECORD = "no credit record with this id"


async def lock_record(session: AsyncSession, record_id: int) -> CreditRecord:
    record = await session.scalar(select(CreditRecord).where(CreditRecord.id == record_id).with_for_update())
    if record is None:
        raise NotFoundError(NO_RECORD)
    return record


_OnRecord = TypeVar("_OnRecord", Objection, CreditRepair)


async def lock_with_record(
    session: AsyncSession, model: type[_OnRecord], item_id: int, missing: str
) -> tuple[CreditRecord, _OnRecord]:
    """An objection or repair application and its record, both locked: the record first (the order
    every lifecycle command uses), then the item. `missing` is the NOT_FOUND message."""
    record_id = await session.scalar(select(model.record_id).where(model.id == item_id))
    if record_id is None:
        raise NotFoundError(missing)
    record = await lock_record(session, record_id)
    item = await session.scalar(select(model).where(model.id == item_id).with_for_update())
    assert item is not None  # objections and applications are never deleted
    return record, item


async def objection_with_record(session: AsyncSession, objection_id: int) -> tuple[Objection, CreditRecord] | None:
    row = (
        await session.execute(
            select(Objection, CreditRecord)
            .join(CreditRecord, CreditRecord.id == Objection.record_id)
            .where(Objection.id == objection_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def repair_with_record(session: AsyncSession, repair_id: int) -> tuple[CreditRepair, CreditRecord] | None:
    row = (
        await session.execute(
            select(CreditRepair, CreditRecord)
            .join(CreditRecord, CreditRecord.id == CreditRepair.record_id)
            .where(CreditRepair.id == repair_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def pending_objection(session: AsyncSession, record_id: int) -> Objection | None:
    stmt = select(Objection).where(Objection.record_id == record_id, Objection.status == ObjectionStatus.PENDING)
    objection: Objection | None = await session.scalar(stmt)
    return objection


async def has_pending_repair(session: AsyncSession, record_id: int) -> bool:
    stmt = select(CreditRepair.id).where(
        CreditRepair.record_id == record_id, CreditRepair.status == RepairStatus.PENDING
    )
    return await session.scalar(stmt) is not None


async def record_events(session: AsyncSession, record_id: int) -> Sequence[RecordEvent]:
    """Every status change of a record, oldest first; NotFoundError when there is no such record."""
    if await session.get(CreditRecord, record_id) is None:
        raise NotFoundError(NO_RECORD)
    stmt = select(RecordEvent).where(RecordEvent.record_id == record_id).order_by(RecordEvent.at, RecordEvent.id)
    return (await session.scalars(stmt)).all()


async def overdue_objections(session: AsyncSession, today: dt.date) -> Sequence[Objection]:
    """Pending objections whose reply is overdue (due before `today`), the longest overdue first."""
    stmt = (
        select(Objection)
        .where(Objection.status == ObjectionStatus.PENDING, Objection.due_on < today)
        .order_by(Objection.due_on, Objection.id)
    )
    return (await session.scalars(stmt)).all()


async def log_change(
    work: UnitOfWork,
    viewer: Viewer,
    record: CreditRecord,
    *,
    action: str,
    reason: str | None,
    to_status: RecordStatus | None = None,
) -> RecordEvent:
    """Set the record's status (when `to_status` is given), write the event and queue the subject."""
    from_status = record.status
    if to_status is not None and to_status is not from_status:
        record.status = to_status
        record.updated_at = now()
    event = RecordEvent(
        record_id=record.id,
        at=now(),
        actor=viewer.label,
        actor_key_id=viewer.key_id,
        action=action,
        from_status=from_status.value,
        to_status=record.status.value,
        reason=reason,
    )
    work.session.add(event)
    await touch_subjects(work, [record.subject_id], action, record_id=record.id)
    await work.session.flush()
    return event
