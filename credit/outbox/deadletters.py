"""Dead letters: outbox rows that kept failing, kept with their last error until replayed.

`creditgraph outbox` lists them; `creditgraph outbox replay [--id N …]` puts them back in the queue
with a fresh attempt count (after the cause is fixed: a mapping, a subject's data, the engine).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True)
class DeadLetter:
    id: int
    subject_id: int
    reason: str
    attempts: int
    last_error: str | None
    created_at: dt.datetime


async def dead_letters(engine: AsyncEngine, limit: int = 1000) -> list[DeadLetter]:
    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT id, subject_id, reason, attempts, last_error, created_at FROM outbox"
                    " WHERE dead ORDER BY id LIMIT :n"
                ),
                {"n": limit},
            )
        ).all()
    return [DeadLetter(*row) for row in rows]


async def replay(engine: AsyncEngine, ids: Sequence[int] | None = None) -> int:
    """Queue dead letters again (all of them, or those of `ids`); returns how many."""
    condition = "dead AND id = ANY(:ids)" if ids else "dead"
    async with engine.begin() as conn:
        result = await conn.execute(
            text(f"UPDATE outbox SET dead = false, attempts = 0, available_at = now() WHERE {condition} RETURNING id"),
            {"ids": list(ids or [])},
        )
        count = len(result.all())
        if count:
            await conn.execute(text("NOTIFY creditgraph_outbox"))  # wake the workers now
    return count
