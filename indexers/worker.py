"""The outbox worker: claims queued subjects, rebuilds their documents and writes them.

Rows are claimed with `FOR UPDATE SKIP LOCKED` so several workers share the queue; rows of one
subject are coalesced into one write; the subject's revision is the document's external version, so
a duplicate or late write is rejected by the engine as stale and is harmless. LISTEN/NOTIFY wakes
the worker as soon as a change commits; polling every `poll_interval` seconds covers a lost
notification or a dropped LISTEN connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from elasticsearch import ApiError, TransportError
from sqlalchemy import text

from credit.db import libpq_url
from credit.runtime import Runtime
from indexers import metrics
from indexers.documents import load_documents

log = logging.getLogger("creditgraph.indexer")

CHANNEL = "creditgraph_outbox"
CHANGES = "creditgraph:changes"
PROFILE_KEYS = ("public", "entitled")


def profile_cache_keys(subject_id: int) -> list[str]:
    return [f"profile:{subject_id}:{k}" for k in PROFILE_KEYS]


@dataclass
class Claim:
    ids: list[int]
    subject_ids: list[int]
    record_ids: dict[int, list[int]]
    oldest: dt.datetime | None
    attempts: int


class Indexer:
    def __init__(
        self,
        runtime: Runtime,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        max_attempts: int = 10,
        index: str | None = None,
    ) -> None:
        if runtime.search is None:
            raise RuntimeError("the indexer needs a search engine (ELASTICSEARCH_URL or a running serve)")
        self.runtime = runtime
        self.search = runtime.search
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.index = index or runtime.alias
        self._wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        listener = asyncio.create_task(self._listen(stop))
        try:
            while not stop.is_set():
                done = await self.process_batch()
                if done == 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_interval)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener

    async def drain(self, timeout: float = 60.0) -> None:
        """Process until no row is ready (rows waiting for a retry back-off are left)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while await self.process_batch():
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("outbox not drained in time")

    async def _listen(self, stop: asyncio.Event) -> None:
        delay = 0.5
        while not stop.is_set():
            try:
                conn = await psycopg.AsyncConnection.connect(libpq_url(self.runtime.database_url), autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    delay = 0.5
                    self._wake.set()  # catch up on anything committed while not listening
                    async for _ in conn.notifies():
                        self._wake.set()
            except (psycopg.Error, OSError) as exc:
                log.warning("LISTEN connection lost (%s); polling until it is back", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def process_batch(self) -> int:
        """Claim, index and acknowledge one batch; returns the number of outbox rows handled."""
        async with self.runtime.engine.connect() as conn:
            tx = await conn.begin()
            rows = (
                await conn.execute(
                    text(
                        "SELECT id, subject_id, record_id, created_at, attempts FROM outbox"
                        " WHERE NOT dead AND available_at <= now() ORDER BY id LIMIT :n FOR UPDATE SKIP LOCKED"
                    ),
                    {"n": self.batch_size},
                )
            ).all()
            if not rows:
                await tx.rollback()
                return 0
            claim = Claim(
                ids=[r.id for r in rows],
                subject_ids=sorted({r.subject_id for r in rows}),
                record_ids={},
                oldest=min(r.created_at for r in rows),
                attempts=max(r.attempts for r in rows),
            )
            for r in rows:
                if r.record_id is not None:
                    claim.record_ids.setdefault(r.subject_id, []).append(r.record_id)
            try:
                failed = await self._apply(claim)
            except (ApiError, TransportError, OSError) as exc:
                metrics.FAILED.inc()
                await self._retry(conn, claim.ids, claim.attempts, f"{type(exc).__name__}: {exc}"[:500])
                await tx.commit()
                return len(rows)
            if failed:
                bad_ids = [r.id for r in rows if r.subject_id in failed]
                await self._retry(conn, bad_ids, claim.attempts, "; ".join(sorted(set(failed.values())))[:500])
            done = [r.id for r in rows if r.subject_id not in failed]
            if done:
                await conn.execute(text("DELETE FROM outbox WHERE id = ANY(:ids)"), {"ids": done})
            await tx.commit()
        await self._after_apply([s for s in claim.subject_ids if s not in failed], claim)
        return len(rows)

    async def _retry(self, conn: Any, ids: Sequence[int], attempts: int, error: str) -> None:
        backoff = min(2 ** (attempts + 1) * 0.25, 60.0)
        dead = attempts + 1 >= self.max_attempts
        if dead:
            metrics.DEAD.inc(len(ids))
        await conn.execute(
            text(
                "UPDATE outbox SET attempts = attempts + 1, last_error = :err, dead = :dead,"
                " available_at = now() + make_interval(secs => :backoff) WHERE id = ANY(:ids)"
            ),
            {"ids": list(ids), "err": error, "dead": dead, "backoff": backoff},
        )

    async def _apply(self, claim: Claim) -> dict[int, str]:
        """Write the documents; returns {subject id: error} for documents the engine refused."""
        today = dt.date.today()
        async with self.runtime.engine.connect() as conn:
            await conn.execution_options(isolation_level="REPEATABLE READ")
            async with self.runtime.sessions(bind=conn) as session:
                documents = await load_documents(session, self.runtime.vault, claim.subject_ids, today)
        if not documents:
            return {}
        return await write_documents(self.search, self.index, documents)

    async def _after_apply(self, subject_ids: list[int], claim: Claim) -> None:
        if claim.oldest is not None:
            metrics.LAG.observe(max(0.0, (dt.datetime.now(dt.UTC) - claim.oldest).total_seconds()))
        broker = self.runtime.broker
        try:
            keys = [k for sid in subject_ids for k in profile_cache_keys(sid)]
            await broker.delete(*keys)
            for sid in subject_ids:
                event = {"subjectId": sid, "recordIds": claim.record_ids.get(sid, [])}
                await broker.publish(CHANGES, orjson.dumps(event))
        except Exception as exc:  # the broker holds nothing precious; the index is already right
            log.warning("broker unavailable after indexing: %s", type(exc).__name__)


async def write_documents(search: Any, index: str, documents: dict[int, tuple[int, dict[str, Any]]]) -> dict[int, str]:
    """Bulk-write `{id: (revision, document)}` with external versions; {id: error} for refused ones."""
    operations: list[dict[str, Any]] = []
    for sid, (revision, document) in documents.items():
        operations.append(
            {"index": {"_index": index, "_id": str(sid), "version": revision, "version_type": "external"}}
        )
        operations.append(document)
    response = await search.bulk(operations=operations)
    failed: dict[int, str] = {}
    if response.get("errors"):
        for item in response["items"]:
            result = item.get("index", {})
            status = result.get("status", 200)
            if status == 409:
                metrics.STALE.inc()
                continue
            if status >= 300:
                if status == 429 or status >= 500:
                    raise TransportError(f"engine refused the batch ({status})")
                failed[int(result["_id"])] = str(result.get("error", {}).get("type", status))
    metrics.APPLIED.inc(len(documents) - len(failed))
    return failed
