"""The transactional outbox: every change to a subject's data bumps its revision and queues it.

Call `touch_subjects` inside the transaction of the change; the indexer rebuilds each queued
subject's document and writes it with the revision as its external version.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_TOUCH = text(
    "WITH touched AS ("
    " UPDATE subjects SET revision = revision + 1, updated_at = now()"
    " WHERE id = ANY(CAST(:ids AS bigint[])) RETURNING id)"
    " INSERT INTO outbox (subject_id, record_id, reason) SELECT id, :record_id, :reason FROM touched"
)


async def touch_subjects(
    session: AsyncSession, subject_ids: Iterable[int], reason: str, record_id: int | None = None
) -> None:
    ids = sorted(set(subject_ids))
    if ids:
        await session.execute(_TOUCH, {"ids": ids, "record_id": record_id, "reason": reason})
