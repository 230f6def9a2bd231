"""The sweeper: re-queues subjects whose records cross a time boundary, so time is data too.

A document is built for a day: a disclosure period that ends, a list whose validity starts or ends,
an objection that becomes overdue, all change it without any row changing. When the indexer builds
a document it also stores the subject's next such date (`credit.rules.flags.next_time_boundary`, the
one rule) in `subject_time_boundaries`, with the revision it was computed from. The sweeper, run by
every worker every `interval` seconds:

1. fills in the boundary of subjects that have none yet (data indexed before this table existed),
   computed from the day of the subject's last change, so a boundary passed since then is due;
2. takes the due subjects (`next_boundary <= today`) with `FOR UPDATE SKIP LOCKED`, bumps their
   revision and queues them (`touch_subjects`, reason "sweep") and clears their boundary, in one
   transaction. The new revision lets the rebuilt document replace the old one (external versions
   refuse an equal revision); the indexer stores the next boundary when it writes it.

Several workers sweep concurrently without double work (skipped locks, cleared boundaries); a worker
that was down catches up on its first sweep, since every boundary up to today is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from credit import clock
from credit.outbox.queue import touch_subjects
from credit.outbox.work import unit_of_work
from credit.platform.runtime import Runtime
from credit.rules.flags import next_time_boundary
from credit.subjects.repository import read_profiles
from indexers import metrics
from indexers.documents import SubjectDocument

log = logging.getLogger("creditgraph.sweeper")

CHUNK = 1000
SWEEP_REASON = "sweep"

# The subjects' rows are locked FOR KEY SHARE: a subject deleted meanwhile is skipped (its row is
# re-checked) instead of failing the foreign key, and cannot be deleted before this commits.
_INSERT = (
    "INSERT INTO subject_time_boundaries (subject_id, revision, next_boundary)"
    " SELECT b.subject_id, b.revision, b.next_boundary"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:revisions AS bigint[]), CAST(:boundaries AS date[]))"
    " AS b(subject_id, revision, next_boundary)"
    " JOIN subjects s ON s.id = b.subject_id ORDER BY b.subject_id FOR KEY SHARE OF s"
)
_UPSERT = text(
    _INSERT + " ON CONFLICT (subject_id) DO UPDATE SET revision = excluded.revision,"
    " next_boundary = CASE WHEN excluded.revision > subject_time_boundaries.revision"
    " THEN excluded.next_boundary"
    " ELSE least(subject_time_boundaries.next_boundary, excluded.next_boundary) END"
    " WHERE subject_time_boundaries.revision <= excluded.revision"
)
_FILL = text(_INSERT + " ON CONFLICT (subject_id) DO NOTHING")


async def record_boundaries(conn: AsyncConnection, documents: Mapping[int, SubjectDocument]) -> None:
    """Store each document's next boundary, unless a newer revision's is already stored.

    For the same revision the earliest boundary is kept: documents of one revision built on different
    days (around midnight) have different boundaries, and the one the index holds (the latest day,
    see `external_version`) has the latest of them, so the earliest is never too late; at worst it
    costs one extra sweep. Callers record documents that were written or refused as stale alike: a
    stale one's writer either recorded its own boundary in the same transaction that acknowledged its
    rows, or did not commit, and then its rows come back. Rows are written in subject order, so
    concurrent workers never deadlock on them.
    """
    if not documents:
        return
    ids = sorted(documents)
    await conn.execute(
        _UPSERT,
        {
            "ids": ids,
            "revisions": [documents[i].revision for i in ids],
            "boundaries": [documents[i].next_boundary for i in ids],
        },
    )


async def fill_missing(runtime: Runtime, after: int = 0, limit: int = CHUNK) -> tuple[int, int]:
    """Compute the boundary of up to `limit` subjects (id > `after`) that have none; (count, last id)."""
    async with runtime.sessions.begin() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT s.id, s.revision, s.updated_at FROM subjects s"
                    " WHERE s.id > :after AND NOT EXISTS"
                    " (SELECT 1 FROM subject_time_boundaries b WHERE b.subject_id = s.id)"
                    " ORDER BY s.id LIMIT :n"
                ),
                {"after": after, "n": limit},
            )
        ).all()
        if not rows:
            return 0, after
        profiles = await read_profiles(session, [r.id for r in rows])
        values = [
            {
                "id": r.id,
                "revision": r.revision,
                # Boundaries after the last change: one passed since then is due now.
                "boundary": next_time_boundary(
                    profiles[r.id].facts(), clock.china_date(r.updated_at), profiles[r.id].subject_facts()
                ),
            }
            for r in rows
            if r.id in profiles
        ]
        await session.execute(
            _FILL,
            {
                "ids": [v["id"] for v in values],
                "revisions": [v["revision"] for v in values],
                "boundaries": [v["boundary"] for v in values],
            },
        )
    return len(rows), rows[-1].id


async def sweep_due(runtime: Runtime, today: dt.date, limit: int = CHUNK) -> int:
    """Re-queue every subject whose boundary is on or before `today`; returns how many."""
    total = 0
    while True:
        async with unit_of_work(runtime) as work:
            session = work.session
            ids = list(
                (
                    await session.scalars(
                        text(
                            "SELECT subject_id FROM subject_time_boundaries WHERE next_boundary <= :today"
                            " ORDER BY next_boundary, subject_id LIMIT :n FOR UPDATE SKIP LOCKED"
                        ),
                        {"today": today, "n": limit},
                    )
                ).all()
            )
            if not ids:
                return total
            await session.execute(
                text("UPDATE subject_time_boundaries SET next_boundary = NULL WHERE subject_id = ANY(:ids)"),
                {"ids": ids},
            )
            await touch_subjects(work, ids, SWEEP_REASON)
        total += len(ids)
        metrics.SWEPT.inc(len(ids))


class Sweeper:
    def __init__(self, runtime: Runtime, interval: float = 30.0) -> None:
        self.runtime = runtime
        self.interval = interval
        self._filled_after: int | None = 0  # keyset position of the fill-in; None once complete

    async def sweep_once(self, today: dt.date | None = None) -> int:
        """One pass: fill in missing boundaries (a chunk at a time), then re-queue what is due."""
        while self._filled_after is not None:
            count, last = await fill_missing(self.runtime, self._filled_after)
            self._filled_after = last if count else None
        swept = await sweep_due(self.runtime, today or clock.today())
        if swept:
            log.info("sweeper re-queued %d subject(s) whose records crossed a time boundary", swept)
        return swept

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sweep_once()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("sweep failed (%s: %s); next try in %.0f s", type(exc).__name__, exc, self.interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval)
