"""Statements of the record lifecycle (objections and credit repair).

A command locks the record it changes (`SELECT … FOR UPDATE`), so two commands on one record run
one after the other and each sees the other's result; every status change is written as a
`RecordEvent` (who, when, why) and queues the subject in the outbox, in the command's unit of work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.access.viewer import Viewer
from credit.clock import now
from credit.enums import ObjectionOutcome, ObjectionStatus, RecordCategory, RecordStatus, RepairStatus
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


@dataclass(frozen=True, slots=True)
class Actor:
    """Who makes a change, as the record's history names it: a viewer's key, or an import."""

    label: str
    key_id: int | None = None
    authorities: frozenset[str] = frozenset()

    @classmethod
    def of(cls, viewer: Viewer) -> Actor:
        return cls(viewer.label, viewer.key_id, viewer.authorities)


async def log_change(
    work: UnitOfWork,
    actor: Actor,
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
        actor=actor.label,
        actor_key_id=actor.key_id,
        actor_authority=record.authority if record.authority in actor.authorities else None,
        action=action,
        from_status=from_status.value,
        to_status=record.status.value,
        reason=reason,
    )
    work.session.add(event)
    await touch_subjects(work, [record.subject_id], action, record_id=record.id)
    await work.session.flush()
    return event


async def pending_objections(
    session: AsyncSession, authorities: Sequence[str] | None, categories: Sequence[RecordCategory]
) -> Sequence[tuple[Objection, CreditRecord]]:
    """Pending objections, oldest due first, with their records: all of them (`authorities` None), or
    those on records of `authorities` or of `categories` (what a key may decide)."""
    stmt = (
        select(Objection, CreditRecord)
        .join(CreditRecord, CreditRecord.id == Objection.record_id)
        .where(Objection.status == ObjectionStatus.PENDING)
        .order_by(Objection.due_on, Objection.id)
    )
    if authorities is not None:
        stmt = stmt.where(or_(CreditRecord.authority.in_(authorities), CreditRecord.category.in_(categories)))
    return [(objection, record) for objection, record in (await session.execute(stmt)).all()]


async def deletions_between(
    session: AsyncSession, first: dt.date, last: dt.date
) -> Sequence[tuple[CreditRecord, dt.datetime]]:
    """Records whose court deletion (`deleted_on`) falls in [first, last], with when the platform
    received it (its "deleted" event), oldest first."""
    received = func.min(RecordEvent.at)
    stmt = (
        select(CreditRecord, received)
        .join(RecordEvent, (RecordEvent.record_id == CreditRecord.id) & (RecordEvent.action == "deleted"))
        .where(CreditRecord.deleted_on.between(first, last))
        .group_by(CreditRecord.id)
        .order_by(CreditRecord.deleted_on, CreditRecord.id)
    )
    return [(record, at) for record, at in (await session.execute(stmt)).all()]


async def rejected_before(session: AsyncSession, record: CreditRecord) -> bool:
    """Whether an objection to this revision of the record was already REJECTED (a new objection then
    repeats it, without new grounds)."""
    stmt = select(Objection.id).where(
        Objection.record_id == record.id,
        Objection.record_revision == record.revision,
        Objection.outcome == ObjectionOutcome.REJECTED,
    )
    return await session.scalar(stmt.limit(1)) is not None


async def awaiting_correction(session: AsyncSession, record_id: int, *, other_than: int | None = None) -> bool:
    stmt = select(Objection.id).where(
        Objection.record_id == record_id,
        Objection.outcome == ObjectionOutcome.CORRECTED,
        Objection.corrected_at.is_(None),
    )
    if other_than is not None:
        stmt = stmt.where(Objection.id != other_than)
    return await session.scalar(stmt.limit(1)) is not None


async def awaiting_corrections(
    session: AsyncSession, record_ids: Iterable[int]
) -> Sequence[tuple[CreditRecord, Objection]]:
    """The CORRECTED objections still awaiting their record's corrected revision, with the records,
    locked (record first, as every lifecycle command)."""
    ids = sorted(set(record_ids))
    if not ids:
        return []
    waiting = select(Objection.record_id).where(
        Objection.record_id.in_(ids), Objection.outcome == ObjectionOutcome.CORRECTED, Objection.corrected_at.is_(None)
    )
    records = {
        r.id: r
        for r in (
            await session.scalars(
                select(CreditRecord).where(CreditRecord.id.in_(waiting)).order_by(CreditRecord.id).with_for_update()
            )
        ).all()
    }
    if not records:
        return []
    stmt = (
        select(Objection)
        .where(
            Objection.record_id.in_(list(records)),
            Objection.outcome == ObjectionOutcome.CORRECTED,
            Objection.corrected_at.is_(None),
        )
        .order_by(Objection.record_id, Objection.id)
        .with_for_update()
    )
    return [(records[o.record_id], o) for o in (await session.scalars(stmt)).all()]


async def overdue_corrections(session: AsyncSession, today: dt.date) -> Sequence[Objection]:
    """CORRECTED objections whose corrected revision is overdue (due before `today`), longest overdue first."""
    stmt = (
        select(Objection)
        .where(
            Objection.outcome == ObjectionOutcome.CORRECTED,
            Objection.corrected_at.is_(None),
            Objection.correction_due_on < today,
        )
        .order_by(Objection.correction_due_on, Objection.id)
    )
    return (await session.scalars(stmt)).all()


@dataclass(frozen=True, slots=True)
class Backlog:
    pending_replies: int
    overdue_replies: int
    pending_corrections: int
    overdue_corrections: int
    pending_repairs: int
    overdue_repairs: int


async def backlog(session: AsyncSession, today: dt.date) -> Backlog:
    pending = Objection.status == ObjectionStatus.PENDING
    awaiting = (Objection.outcome == ObjectionOutcome.CORRECTED) & Objection.corrected_at.is_(None)
    row = (
        await session.execute(
            select(
                func.count().filter(pending),
                func.count().filter(pending & (Objection.due_on < today)),
                func.count().filter(awaiting),
                func.count().filter(awaiting & (Objection.correction_due_on < today)),
            ).select_from(Objection)
        )
    ).one()
    waiting = CreditRepair.status == RepairStatus.PENDING
    repairs = (
        await session.execute(
            select(func.count().filter(waiting), func.count().filter(waiting & (CreditRepair.decision_due_on < today)))
        )
    ).one()
    return Backlog(*(int(v) for v in (*row, *repairs)))


async def commitments(
    session: AsyncSession, limit: int, before_id: int | None
) -> Sequence[tuple[CreditRepair, CreditRecord]]:
    """Repair applications with a commitment, newest first, with their records."""
    stmt = (
        select(CreditRepair, CreditRecord)
        .join(CreditRecord, CreditRecord.id == CreditRepair.record_id)
        .where(CreditRepair.commitment_public_text.is_not(None), CreditRecord.status != RecordStatus.REVOKED)
        .order_by(CreditRepair.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        stmt = stmt.where(CreditRepair.id < before_id)
    return [(repair, record) for repair, record in (await session.execute(stmt)).all()]
