"""The transactional outbox: every change to a subject's data bumps its revision and queues it.

Call `touch_subjects` inside the transaction of the change; the indexer rebuilds each queued
subject's document and writes it with the revision as its external version.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from credit.models import OutboxEntry, Subject


async def touch_subjects(
    session: AsyncSession, subject_ids: Iterable[int], reason: str, record_id: int | None = None
) -> None:
    ids = sorted(set(subject_ids))
    if not ids:
        return
    await session.execute(
        update(Subject)
        .where(Subject.id.in_(ids))
        .values(revision=Subject.revision + 1, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        insert(OutboxEntry),
        [{"subject_id": sid, "record_id": record_id, "reason": reason} for sid in ids],
    )
