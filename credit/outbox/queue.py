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


_TOUCH_RECORDS = text(
    "WITH touched AS ("
    " UPDATE subjects SET revision = revision + 1, updated_at = now()"
    " WHERE id = ANY(CAST(:ids AS bigint[])) RETURNING id)"
    " INSERT INTO outbox (subject_id, record_id, reason)"
    " SELECT c.subject_id, c.record_id, :reason"
    " FROM unnest(CAST(:subject_ids AS bigint[]), CAST(:record_ids AS bigint[])) AS c(subject_id, record_id)"
    " JOIN touched ON touched.id = c.subject_id"
)


async def touch_records(session: AsyncSession, changes: Iterable[tuple[int, int | None]], reason: str) -> None:
    """Queue changed records, given as (subject id, record id or None): one outbox row per record,
    so the indexer's change events name the records (live disclosures), and one revision bump per
    subject."""
    pairs = sorted(set(changes), key=lambda pair: (pair[0], pair[1] or 0))
    if pairs:
        await session.execute(
            _TOUCH_RECORDS,
            {
                "ids": sorted({sid for sid, _ in pairs}),
                "subject_ids": [sid for sid, _ in pairs],
                "record_ids": [rid for _, rid in pairs],
                "reason": reason,
            },
        )
