"""The outbox worker: claims queued subjects, rebuilds their documents and writes them.

Rows are claimed with `FOR UPDATE SKIP LOCKED` so several workers share the queue; rows of one
subject are coalesced into one write; the subject's revision is the document's external version, so
a duplicate or late write is rejected by the engine as stale and is harmless (indexers/writes.py).
Documents are read in one REPEATABLE READ snapshot taken after the claim, so every claimed change is
in it. LISTEN/NOTIFY wakes the worker as soon as a change commits; polling every `poll_interval`
seconds covers a lost notification or a dropped LISTEN connection.

Failures are of two kinds:
- the engine's (unreachable, 429, 5xx): the claim is released untouched and the worker backs off
  exponentially (0.25 s doubling to 30 s, with jitter) — an outage never turns rows into dead letters;
- a row's own (its document cannot be built, or the engine refuses it): the row is retried with
  exponential backoff and becomes a dead letter after `max_attempts`, with its last error, shown by
  `creditgraph outbox` and put back by `creditgraph outbox replay`.

Searchable within a second: the index refreshes every second by itself (`refresh_interval`), which
alone would add up to 1 s to the lag. After a write the worker also asks for a refresh (`_refresh`),
at most one per `refresh_gap` seconds (0.1 s: at most 10 refreshes a second per worker, each one
cheap since it only covers the documents written since the last one); a write that comes sooner is
covered by one refresh scheduled at the end of the gap. `refresh_gap=None` leaves it to the index.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random
import time
from collections import defaultdict
from collections.abc import Sequence

import psycopg
from elasticsearch import ApiError, TransportError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from credit.outbox import queue
from credit.outbox.events import CHANGES, encode_change
from credit.outbox.queue import Claim
from credit.platform.db import libpq_url
from credit.platform.runtime import Runtime
from credit.search.client import concrete_indices, ensure_alias
from credit.subjects.profiles import stamp_revisions
from indexers import metrics
from indexers.documents import LOCK_TIMEOUT, TOMBSTONE_VERSION, DocumentBatch, read_documents
from indexers.reindex import ReindexError, reindex
from indexers.sweeper import Sweeper, record_boundaries
from indexers.writes import EngineUnavailable, WriteResult, write_documents

log = logging.getLogger("creditgraph.indexer")

MAX_ENGINE_BACKOFF = 30.0


def backoff(attempt: int, base: float = 0.25, cap: float = MAX_ENGINE_BACKOFF) -> float:
    """Exponential backoff with ±25 % jitter: base·2^attempt, at most `cap`."""
    return float(min(cap, base * 2.0**attempt) * random.uniform(0.75, 1.25))


class Indexer:
    def __init__(
        self,
        runtime: Runtime,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        max_attempts: int = 10,
        index: str | None = None,
        refresh_gap: float | None = 0.1,
        request_timeout: float = 30.0,
        sweep_interval: float | None = 30.0,
    ) -> None:
        if runtime.search is None:
            raise RuntimeError("the indexer needs a search engine (ELASTICSEARCH_URL or a running serve)")
        self.runtime = runtime
        # One attempt per request: a retry rebuilds the documents from a fresh snapshot (bulk.py).
        self.search = runtime.search.options(request_timeout=request_timeout, max_retries=0)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.index = index or runtime.alias
        self.refresh_gap = refresh_gap
        self.sweep_interval = sweep_interval
        self.engine_failures = 0  # consecutive batches the engine could not take
        self._wake = asyncio.Event()
        self._last_refresh = float("-inf")
        self._refresh_task: asyncio.Task[None] | None = None

    # --- the loop -------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        tasks = [asyncio.create_task(self._listen(stop), name="indexer-listen")]
        if self.sweep_interval is not None:
            sweeper = Sweeper(self.runtime, self.sweep_interval)
            tasks.append(asyncio.create_task(sweeper.run(stop), name="indexer-sweep"))
        failures = 0
        try:
            await self._ensure_alias(stop)
            while not stop.is_set():
                self._wake.clear()  # before the claim: a notification during it wakes the next wait
                try:
                    handled = await self.process_batch()
                    failures = 0
                except EngineUnavailable as exc:
                    if await self._rebuild_if_lost():
                        continue
                    delay = backoff(self.engine_failures)
                    log.warning("search engine unavailable (%s); retrying in %.1f s", exc, delay)
                    await _sleep(stop, delay)
                    continue
                except (SQLAlchemyError, OSError) as exc:
                    failures += 1
                    delay = backoff(failures)
                    log.warning("database error (%s: %s); retrying in %.1f s", type(exc).__name__, exc, delay)
                    await _sleep(stop, delay)
                    continue
                except Exception:  # a bug must not stop the indexing of everything else for good
                    failures += 1
                    delay = backoff(failures)
                    log.exception("indexer batch failed; retrying in %.1f s", delay)
                    await _sleep(stop, delay)
                    continue
                if handled == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.poll_interval)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if self._refresh_task is not None:
                self._refresh_task.cancel()

    async def drain(self, timeout: float = 60.0) -> None:
        """Process until no row is ready (rows waiting for a retry back-off are left)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                if not await self.process_batch():
                    return
            except EngineUnavailable:
                await asyncio.sleep(backoff(self.engine_failures, cap=2.0))
            if loop.time() > deadline:
                raise TimeoutError("outbox not drained in time")

    async def _ensure_alias(self, stop: asyncio.Event) -> None:
        """A fresh engine gets the alias and an empty index (`creditgraph reindex` fills it)."""
        if self.index != self.runtime.alias:
            return
        attempt = 0
        while not stop.is_set():
            try:
                if not await concrete_indices(self.search, self.index):
                    log.warning("no index behind %s: creating an empty one; run `creditgraph reindex`", self.index)
                await ensure_alias(self.search, self.index)
                return
            except (ApiError, TransportError) as exc:
                delay = backoff(attempt)
                attempt += 1
                log.warning("search engine not ready (%s); retrying in %.1f s", type(exc).__name__, delay)
                await _sleep(stop, delay)

    async def _rebuild_if_lost(self) -> bool:
        """After a failed write: when the alias has no index any more (an engine restarted empty on the
        same address: its writes fail `index_not_found`, which no retry cures), rebuild the whole index
        from PostgreSQL (`indexers.reindex`: a versioned index swapped in behind the alias) instead of
        retrying for ever. True when it rebuilt; False when the index is there or the engine does not
        answer (the caller backs off); a rebuild already running elsewhere is left to finish."""
        if self.index != self.runtime.alias:
            return False
        try:
            if await concrete_indices(self.search, self.index):
                return False
        except (ApiError, TransportError):
            return False
        log.warning("the index behind %s is gone (an engine that lost its data): rebuilding it", self.index)
        try:
            summary = await reindex(self.runtime)
        except ReindexError as exc:
            log.warning("index rebuild not started: %s", exc)
            return False
        except (ApiError, TransportError, EngineUnavailable) as exc:
            log.warning("index rebuild failed (%s); retrying later", type(exc).__name__)
            return False
        log.warning("index %s rebuilt: %d subjects in %.1f s", summary.index, summary.subjects, summary.seconds)
        metrics.REBUILDS.inc()
        self.engine_failures = 0
        return True

    async def _listen(self, stop: asyncio.Event) -> None:
        delay = 0.5
        while not stop.is_set():
            try:
                conn = await psycopg.AsyncConnection.connect(libpq_url(self.runtime.database_url), autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {queue.CHANNEL}")
                    delay = 0.5
                    self._wake.set()  # catch up on anything committed while not listening
                    async for _ in conn.notifies():
                        self._wake.set()
            except (psycopg.Error, OSError) as exc:
                log.warning("LISTEN connection lost (%s); polling until it is back", type(exc).__name__)
            except Exception:  # never let the listener die silently: polling alone is slower
                log.exception("LISTEN failed; polling until it is back")
            await _sleep(stop, delay)
            delay = min(delay * 2, 10)

    # --- one batch ------------------------------------------------------------------------------

    async def process_batch(self) -> int:
        """Claim, index and acknowledge one batch; returns the number of outbox rows handled.

        Raises `EngineUnavailable` when the engine took none or only part of the batch (what it took
        is acknowledged first).
        """
        async with self.runtime.engine.connect() as conn, conn.begin():
            claim = await self._claim(conn)
            if claim is None:
                return 0
            batch = await read_documents(self.runtime, claim.subject_ids)
            try:
                result = await write_documents(
                    self.search,
                    self.index,
                    batch.documents,
                    batch.missing,
                    require_alias=self.index == self.runtime.alias,
                )
            except EngineUnavailable:
                self.engine_failures += 1
                metrics.RETRIED.labels("engine").inc(len(claim.ids))
                raise  # leaving the block rolls the claim back: the rows are free again at once
            await self._settle(conn, claim, batch, result)
        await self._refresh()
        done = sorted(result.done)
        self._observe_lag(claim, done)
        await self._after_apply(done, claim, batch)
        if result.transient:
            raise EngineUnavailable(next(iter(result.transient.values())))
        self.engine_failures = 0
        return len(claim.ids)

    async def _claim(self, conn: AsyncConnection) -> Claim | None:
        # The claim is held while documents are read on another connection: see read_documents.
        return await queue.claim(conn, self.batch_size, LOCK_TIMEOUT)

    async def _settle(self, conn: AsyncConnection, claim: Claim, batch: DocumentBatch, result: WriteResult) -> None:
        """Acknowledge what is indexed, put the rest back; in the claim's transaction."""
        done = result.done
        await record_boundaries(conn, {sid: doc for sid, doc in batch.documents.items() if sid in done})
        await queue.acknowledge(conn, claim.rows_of(sorted(done)))
        if result.transient:
            rows = claim.rows_of(sorted(result.transient))
            metrics.RETRIED.labels("engine").inc(len(rows))
            error = next(iter(result.transient.values()))
            await queue.postpone(conn, rows, error, backoff(self.engine_failures))
            self.engine_failures += 1
        by_error: dict[str, list[int]] = defaultdict(list)
        for sid, error in {**batch.errors, **result.failed}.items():
            by_error[error].append(sid)
        for error, sids in by_error.items():
            await self._retry(conn, claim.rows_of(sids), error)

    async def _retry(self, conn: AsyncConnection, ids: Sequence[int], error: str) -> None:
        """Count a failed attempt on each row: back off (0.5 s doubling to 60 s), dead after max_attempts."""
        if not ids:
            return
        turned_dead = await queue.retry(conn, ids, error, self.max_attempts)
        metrics.RETRIED.labels("row").inc(len(ids) - turned_dead)
        if turned_dead:
            metrics.DEAD.inc(turned_dead)
            log.error("%d outbox row(s) became dead letters: %s", turned_dead, error)

    # --- after a write --------------------------------------------------------------------------

    async def _refresh(self) -> None:
        """Make the writes just made searchable within `refresh_gap` seconds (see the module doc)."""
        if self.refresh_gap is None or self._refresh_task is not None:
            return  # a scheduled refresh starts after this write completed: it covers it
        wait = self._last_refresh + self.refresh_gap - time.monotonic()
        if wait <= 0:
            await self._force_refresh()
        else:
            self._refresh_task = asyncio.create_task(self._refresh_later(wait))

    async def _refresh_later(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self._refresh_task = None  # a write that completes from now on schedules its own
        await self._force_refresh()

    async def _force_refresh(self) -> None:
        self._last_refresh = time.monotonic()
        try:
            await self.search.indices.refresh(index=self.index)
            metrics.REFRESHES.inc()
        except (ApiError, TransportError) as exc:  # the index's own refresh_interval covers it
            log.debug("refresh failed: %s", exc)

    def _observe_lag(self, claim: Claim, subject_ids: Sequence[int]) -> None:
        now = dt.datetime.now(dt.UTC)
        for row in claim.rows_of(subject_ids):
            metrics.LAG.observe(max(0.0, (now - claim.created_at[row]).total_seconds()))

    async def _after_apply(self, subject_ids: Sequence[int], claim: Claim, batch: DocumentBatch) -> None:
        if not subject_ids:
            return
        broker = self.runtime.broker
        try:
            # Stamp the indexed revision, so that a profile read before the change and cached after
            # it counts as a miss; a deleted subject gets a stamp no entry can reach.
            revisions = {
                sid: batch.documents[sid].revision if sid in batch.documents else TOMBSTONE_VERSION
                for sid in subject_ids
            }
            await stamp_revisions(broker, revisions)
            for sid in subject_ids:
                await broker.publish(CHANGES, encode_change(sid, claim.record_ids.get(sid, [])))
        except Exception as exc:  # the broker holds nothing precious; the index is already right
            log.warning("broker unavailable after indexing: %s", type(exc).__name__)


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, waking early when `stop` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
