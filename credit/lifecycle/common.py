"""Shared steps of the record lifecycle commands (objections and credit repair).

A command locks the record it changes (`SELECT … FOR UPDATE`), so two commands on one record run
one after the other and each sees the other's result; every status change is written as a
`RecordEvent` (who, when, why) and queues the subject in the outbox, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.access.keys import Viewer
from credit.enums import RecordStatus, Role
from credit.errors import InvalidRequest, NotAllowed, NotFoundError
from credit.models import CreditRecord, CreditRepair, Objection, RecordEvent
from credit.outbox.queue import touch_subjects

#: The credit office: may act on any subject's records and decides objections and repairs.
OFFICE: frozenset[Role] = frozenset({Role.REGULATOR, Role.ADMIN})
#: Who may file on a record: the credit office, or a SUBJECT key for its own subject's records.
ON_BEHALF_OF_SUBJECT: frozenset[Role] = OFFICE | {Role.SUBJECT}

MAX_TEXT = 2000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def require_role(viewer: Viewer, roles: Collection[Role], action: str) -> None:
    if viewer.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise NotAllowed(f"{action} needs one of the roles {allowed}")


def clean_text(value: str | None, name: str, *, required: bool, max_length: int = MAX_TEXT) -> str | None:
    """The stripped text; InvalidRequest naming the field (never echoing the value) when it is bad."""
    if value is None or not value.strip():
        if required:
            raise InvalidRequest(f"{name} must not be empty")
        return None
    text = value.strip()
    if len(text) > max_length:
        raise InvalidRequest(f"{name} must be at most {max_length} characters")
    if _CONTROL.search(text):
        raise InvalidRequest(f"{name} contains control characters")
    return text


async def lock_record(session: AsyncSession, record_id: int) -> CreditRecord:
    record = await session.scalar(select(CreditRecord).where(CreditRecord.id == record_id).with_for_update())
    if record is None:
        raise NotFoundError("no credit record with this id")
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


def authorize_for_record(viewer: Viewer, record: CreditRecord, action: str) -> None:
    """The credit office acts on any record; a SUBJECT key only on its own subject's records."""
    require_role(viewer, ON_BEHALF_OF_SUBJECT, action)
    if viewer.role is Role.SUBJECT and (viewer.subject_id is None or viewer.subject_id != record.subject_id):
        raise NotAllowed(f"{action}: a SUBJECT key may act only on the records of its own subject")


async def log_change(
    session: AsyncSession,
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
    session.add(event)
    await touch_subjects(session, [record.subject_id], action, record_id=record.id)
    await session.flush()
    return event
