"""The transactional outbox: the only code that reads or writes the `outbox` table.

Writers (in the transaction of their change, through a `UnitOfWork`): every change to a subject's data
bumps the subject's revision and queues it (`touch_subjects`, `touch_records`, `enqueue`); the
revisions a unit bumped are stamped in the profile cache once it commits (`credit.outbox.work`).

The indexer's side: `claim` takes ready rows with `FOR UPDATE SKIP LOCKED` (several workers share
the queue) and coalesces each subject's later rows into the same claim; `acknowledge` deletes what was
indexed, `postpone` puts rows back after an engine outage without counting an attempt, and `retry`
counts a failed attempt and turns a row into a dead letter after `max_attempts`. Dead letters are
listed and replayed by `creditgraph outbox`; `stats` feeds the /metrics gauges.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

if TYPE_CHECKING:
    from credit.outbox.work import UnitOfWork

#: The NOTIFY channel of the `outbox_notify` trigger (migration 0001): a row was queued.
CHANNEL: Final = "creditgraph_outbox"

_TOUCH = text(
    "WITH touched AS ("
    " UPDATE subjects SET revision = revision + 1, updated_at = now()"
    " WHERE id = ANY(CAST(:ids AS bigint[])) RETURNING id, revision),"
    " queued AS (INSERT INTO outbox (subject_id, record_id, reason) SELECT id, :record_id, :reason FROM touched)"
    " SELECT id, revision FROM touched"
)

_TOUCH_RECORDS = text(
    "WITH touched AS ("
    " UPDATE subjects SET revision = revision + 1, updated_at = now()"
    " WHERE id = ANY(CAST(:ids AS bigint[])) RETURNING id, revision),"
    " queued AS (INSERT INTO outbox (subject_id, record_id, reason)"
    " SELECT c.subject_id, c.record_id, :reason"
    " FROM unnest(CAST(:subject_ids AS bigint[]), CAST(:record_ids AS bigint[])) AS c(subject_id, record_id)"
    " JOIN touched ON touched.id = c.subject_id)"
    " SELECT id, revision FROM touched"
)

_ENQUEUE = text("INSERT INTO outbox (subject_id, reason) SELECT unnest(CAST(:ids AS bigint[])), :reason")


async def touch_subjects(
    work: UnitOfWork, subject_ids: Iterable[int], reason: str, record_id: int | None = None
) -> None:
    """Bump the subjects' revisions and queue them."""
    ids = sorted(set(subject_ids))
    if ids:
        result = await work.session.execute(_TOUCH, {"ids": ids, "record_id": record_id, "reason": reason})
        work.changed({sid: revision for sid, revision in result.all()})


async def touch_records(work: UnitOfWork, changes: Iterable[tuple[int, int | None]], reason: str) -> None:
    """Queue changed records, given as (subject id, record id or None): one outbox row per record,
    so the indexer's change events name the records (live disclosures), and one revision bump per
    subject."""
    pairs = sorted(set(changes), key=lambda pair: (pair[0], pair[1] or 0))
    if pairs:
        result = await work.session.execute(
            _TOUCH_RECORDS,
            {
                "ids": sorted({sid for sid, _ in pairs}),
                "subject_ids": [sid for sid, _ in pairs],
                "record_ids": [rid for _, rid in pairs],
                "reason": reason,
            },
        )
        work.changed({sid: revision for sid, revision in result.all()})


async def enqueue(work: UnitOfWork, revisions: Mapping[int, int], reason: str) -> None:
    """Queue subjects whose revision the caller's own statement already bumped (to these values)."""
    if revisions:
        await work.session.execute(_ENQUEUE, {"ids": sorted(revisions), "reason": reason})
        work.changed(revisions)


async def requeue(session: AsyncSession, subject_ids: Iterable[int], reason: str) -> None:
    """Queue subjects again without a new revision (a reindex hands over what it could not write)."""
    ids = sorted(set(subject_ids))
    if ids:
        await session.execute(_ENQUEUE, {"ids": ids, "reason": reason})


# --- the indexer's side ---------------------------------------------------------------------------


@dataclass
class Claim:
    """Claimed outbox rows, grouped by subject, with their creation times and the records they name."""

    ids: list[int]
    rows_by_subject: dict[int, list[int]]
    created_at: dict[int, dt.datetime]
    record_ids: dict[int, list[int]] = field(default_factory=dict)

    @property
    def subject_ids(self) -> list[int]:
        return sorted(self.rows_by_subject)

    def rows_of(self, subject_ids: Sequence[int]) -> list[int]:
        return [row for sid in subject_ids for row in self.rows_by_subject.get(sid, [])]


_READY = "NOT dead AND available_at <= now()"


async def claim(conn: AsyncConnection, batch_size: int, lock_timeout: str) -> Claim | None:
    """Lock up to `batch_size` ready rows (skipping rows other workers hold) and the claimed subjects'
    later ready rows, in the caller's transaction; None when nothing is ready."""
    await conn.execute(text(f"SET LOCAL lock_timeout = '{lock_timeout}'"))
    rows = list(
        (
            await conn.execute(
                text(
                    f"SELECT id, subject_id, record_id, created_at FROM outbox WHERE {_READY}"
                    " ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED"
                ),
                {"n": batch_size},
            )
        ).all()
    )
    if not rows:
        return None
    # Coalesce further: the claimed subjects' later rows are acknowledged by the same rebuild.
    rows += (
        await conn.execute(
            text(
                "SELECT id, subject_id, record_id, created_at FROM outbox"
                f" WHERE subject_id = ANY(:subjects) AND id > :last AND {_READY}"
                " ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED"
            ),
            {"subjects": sorted({r.subject_id for r in rows}), "last": rows[-1].id, "n": 10 * batch_size},
        )
    ).all()
    result = Claim(ids=[r.id for r in rows], rows_by_subject=defaultdict(list), created_at={})
    for r in rows:
        result.rows_by_subject[r.subject_id].append(r.id)
        result.created_at[r.id] = r.created_at
        if r.record_id is not None:
            result.record_ids.setdefault(r.subject_id, []).append(r.record_id)
    return result


async def acknowledge(conn: AsyncConnection, row_ids: Sequence[int]) -> None:
    if row_ids:
        await conn.execute(text("DELETE FROM outbox WHERE id = ANY(:ids)"), {"ids": list(row_ids)})


async def postpone(conn: AsyncConnection, row_ids: Sequence[int], error: str, delay: float) -> None:
    """Put rows back for `delay` seconds without counting an attempt (the engine's trouble)."""
    if row_ids:
        await conn.execute(
            text(
                "UPDATE outbox SET last_error = :err, available_at = now() + make_interval(secs => :delay)"
                " WHERE id = ANY(:ids)"
            ),
            {"ids": list(row_ids), "err": error, "delay": delay},
        )


async def retry(conn: AsyncConnection, row_ids: Sequence[int], error: str, max_attempts: int) -> int:
    """Count a failed attempt on each row: back off (0.5 s doubling to 60 s, with jitter), dead after
    `max_attempts`; returns how many rows became dead letters."""
    if not row_ids:
        return 0
    dead = (
        await conn.execute(
            text(
                "UPDATE outbox SET attempts = attempts + 1, last_error = :err,"
                " dead = attempts + 1 >= :max,"
                " available_at = now() + make_interval(secs => least(60.0, 0.5 * power(2, attempts))"
                " * (0.75 + random() * 0.5))"
                " WHERE id = ANY(:ids) RETURNING dead"
            ),
            {"ids": list(row_ids), "err": error, "max": max_attempts},
        )
    ).scalars()
    return sum(1 for d in dead if d)


# --- operations: dead letters and the backlog ---------------------------------------------------------


@dataclass(frozen=True)
class DeadLetter:
    id: int
    subject_id: int
    reason: str
    attempts: int
    last_error: str | None
    created_at: dt.datetime


async def dead_letters(engine: AsyncEngine, limit: int = 1000) -> list[DeadLetter]:
    """Rows that kept failing, kept with their last error until replayed."""
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
    """Queue dead letters again (all of them, or those of `ids`) with a fresh attempt count; how many."""
    condition = "dead AND id = ANY(:ids)" if ids else "dead"
    async with engine.begin() as conn:
        result = await conn.execute(
            text(f"UPDATE outbox SET dead = false, attempts = 0, available_at = now() WHERE {condition} RETURNING id"),
            {"ids": list(ids or [])},
        )
        count = len(result.all())
        if count:
            await conn.execute(text(f"NOTIFY {CHANNEL}"))  # wake the workers now
    return count


@dataclass(frozen=True)
class OutboxStats:
    backlog: int  # rows not yet indexed (including rows waiting for a retry), dead letters excluded
    retrying: int  # of those, rows that failed at least once
    dead: int
    oldest_pending_age: float  # seconds since the oldest pending row's transaction began; 0 when none


async def stats(engine: AsyncEngine) -> OutboxStats:
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT count(*) FILTER (WHERE NOT dead),"
                    " count(*) FILTER (WHERE NOT dead AND attempts > 0),"
                    " count(*) FILTER (WHERE dead),"
                    " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE NOT dead)), 0)"
                    " FROM outbox"
                )
            )
        ).one()
    return OutboxStats(int(row[0]), int(row[1]), int(row[2]), max(0.0, float(row[3])))
