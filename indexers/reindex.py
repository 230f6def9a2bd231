"""Full rebuild with no downtime: a new versioned index, bulk-loaded, caught up, then swapped in.

1. Create `<alias>_v<timestamp>` with refresh off and no replicas (bulk settings).
2. Stream every subject id from a server-side cursor; build documents (one snapshot per batch) and
   bulk-write them, building the next batch while the engine takes the previous ones.
3. Catch up: re-write subjects changed since the load began (`updated_at`, see `changes_since`);
   the outbox worker keeps writing to the alias meanwhile, so nothing is lost on either side.
4. Restore the serving settings, refresh, swap the alias atomically (one `_aliases` call: searches
   see the old index or the new one, never none), catch up once more on what the worker wrote to
   the old index since step 3 began, delete from the new index the subjects that vanished while it
   loaded, and remove the old and any orphaned indices (no sooner than `OLD_INDEX_GRACE` after the
   swap, so that searches already running on the old index finish).

External versions make every overlap harmless: a catch-up and the worker may write the same subject
in any order, the highest revision stays. One reindex runs at a time (a PostgreSQL advisory lock),
so orphan removal never deletes an index that another reindex is still loading.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from elasticsearch import AsyncElasticsearch
from sqlalchemy import select, text

from credit.models import Subject
from credit.outbox import queue
from credit.platform.runtime import Runtime
from credit.search.client import concrete_indices, create_versioned_index, load_index_config
from indexers.documents import DocumentBatch, read_documents
from indexers.writes import EngineUnavailable, write_documents

log = logging.getLogger("creditgraph.reindex")

# Subjects per bulk request (about 1 MB). The embedded engine took 20,000 demo subjects in 26 s with
# 1,000 per request, 42 s with 750 and 49 s with 500 (2,000: 28 s).
BATCH = 1000
WRITERS = 2  # bulk requests in flight; the next batch is built meanwhile
WRITE_ATTEMPTS = 8
# Every change sets `updated_at = now()` (its transaction's start, on the database's clock); the
# margin before the oldest open transaction only guards against a writer using another clock.
CATCH_UP_MARGIN = dt.timedelta(seconds=5)
# No refresh and no replicas while bulk loading; the serving values (from search_config) after.
BULK_SETTINGS = {"refresh_interval": "-1", "auto_expand_replicas": "false", "number_of_replicas": 0}
SERVING_DEFAULTS: dict[str, object] = {"refresh_interval": "1s", "auto_expand_replicas": "0-1"}
_LOCK_ID = 0x637265696E78  # pg_advisory_lock key of the reindex
OLD_INDEX_GRACE = 2.0  # seconds between the swap and deleting the old index


class ReindexError(RuntimeError):
    pass


@dataclass
class ReindexSummary:
    index: str
    subjects: int
    caught_up: int
    seconds: float  # from start to the old indices removed
    serving_after: float = 0.0  # seconds from start until the alias served the new index
    deleted: int = 0  # subjects that vanished during the load, removed from the new index
    queued: int = 0  # subjects whose document could not be written, handed to the outbox worker


@dataclass
class _Load:
    """What one pass wrote: every subject id it attempted, and those it could not write."""

    written: int = 0
    seen: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


async def changes_since(runtime: Runtime) -> dt.datetime:
    """A time before the start of every transaction that may still commit a change.

    A change's `updated_at` is no earlier than its transaction's start, so "updated_at >= this" finds
    every change that commits from now on. Without the right to see other roles' sessions in
    pg_stat_activity their start is unknown; the margin covers transactions shorter than it.
    """
    async with runtime.engine.connect() as conn:
        oldest = (
            await conn.execute(
                text(
                    "SELECT LEAST(now(), (SELECT min(xact_start) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND xact_start IS NOT NULL))"
                )
            )
        ).scalar_one()
    return oldest - CATCH_UP_MARGIN  # type: ignore[no-any-return]


@contextlib.asynccontextmanager
async def _exclusive(runtime: Runtime) -> AsyncIterator[None]:
    async with runtime.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        if not (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _LOCK_ID})).scalar_one():
            raise ReindexError("another reindex is running")
        try:
            yield
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_ID})


async def _write(client: AsyncElasticsearch, index: str, batch: DocumentBatch, pass_: _Load) -> None:
    """Write one batch, retrying the engine's failures; what the engine refuses for good is noted."""
    documents, attempt = dict(batch.documents), 0
    while True:
        try:
            result = await write_documents(client, index, documents)
        except EngineUnavailable as exc:
            result = None
            error = str(exc)
        if result is not None:
            pass_.written += len(result.done)
            pass_.failed.update(result.failed)
            if not result.transient:
                return
            documents = {sid: documents[sid] for sid in result.transient}
            error = next(iter(result.transient.values()))
        attempt += 1
        if attempt >= WRITE_ATTEMPTS:
            raise ReindexError(f"the search engine keeps failing: {error}")
        await asyncio.sleep(min(30.0, 0.5 * 2**attempt))


async def _load(
    runtime: Runtime,
    client: AsyncElasticsearch,
    index: str,
    since: dt.datetime | None,
    on_progress: Callable[[int], None] | None,
) -> _Load:
    pass_ = _Load()
    queue: asyncio.Queue[DocumentBatch | None] = asyncio.Queue(maxsize=WRITERS)

    async def produce() -> None:
        async with runtime.engine.connect() as conn:
            stmt = select(Subject.id).order_by(Subject.id)
            if since is not None:
                stmt = stmt.where(Subject.updated_at >= since)
            stream = await conn.stream(stmt.execution_options(yield_per=BATCH))
            async for partition in stream.partitions(BATCH):
                ids = [row[0] for row in partition]
                pass_.seen.extend(ids)
                batch = await read_documents(runtime, ids)
                pass_.failed.update(batch.errors)
                await queue.put(batch)
        for _ in range(WRITERS):
            await queue.put(None)

    async def consume() -> None:
        while (batch := await queue.get()) is not None:
            await _write(client, index, batch, pass_)
            if on_progress:
                on_progress(pass_.written)

    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(produce())
        for _ in range(WRITERS):
            tasks.create_task(consume())
    return pass_


async def _delete_vanished(runtime: Runtime, client: AsyncElasticsearch, index: str, ids: Sequence[int]) -> int:
    """Tombstone in `index` the loaded subjects that no longer exist in PostgreSQL."""
    vanished: list[int] = []
    unique = sorted(set(ids))
    async with runtime.engine.connect() as conn:
        for start in range(0, len(unique), 10_000):
            chunk = unique[start : start + 10_000]
            found = set((await conn.execute(select(Subject.id).where(Subject.id.in_(chunk)))).scalars())
            vanished.extend(sid for sid in chunk if sid not in found)
    for start in range(0, len(vanished), BATCH):
        result = await write_documents(client, index, {}, vanished[start : start + BATCH])
        if result.failed or result.transient:
            raise ReindexError(f"cannot delete vanished subjects: {result.failed or result.transient}")
    return len(vanished)


async def _queue_failed(runtime: Runtime, failed: dict[int, str]) -> None:
    """Hand subjects the reindex could not write to the worker: it retries them, then dead-letters them."""
    if not failed:
        return
    log.error("reindex could not write %d subject(s); queued for the worker: %s", len(failed), failed)
    async with runtime.sessions.begin() as session:
        await queue.requeue(session, failed, "reindex")


async def _swap(client: AsyncElasticsearch, alias: str, index: str) -> None:
    """Point the alias at `index` alone, in one atomic `_aliases` call."""
    current = [i for i in await concrete_indices(client, alias) if i != index]
    actions: list[dict[str, object]] = [{"remove": {"index": i, "alias": alias}} for i in current]
    actions.append({"add": {"index": index, "alias": alias}})
    await client.indices.update_aliases(actions=actions)


async def _remove_old(client: AsyncElasticsearch, alias: str, index: str) -> list[str]:
    """Delete every version of the index but `index`: the ones swapped out and orphans of failed runs."""
    pattern = re.compile(rf"^{re.escape(alias)}_v\d+$")
    existing = (await client.indices.get(index=f"{alias}_*", expand_wildcards="open,closed")).body
    removed = [name for name in sorted(existing) if name != index and pattern.match(name)]
    for name in removed:
        await client.options(ignore_status=404).indices.delete(index=name)
    return removed


async def reindex(runtime: Runtime, on_progress: Callable[[int], None] | None = None) -> ReindexSummary:
    assert runtime.search is not None
    client = runtime.search.options(request_timeout=120, max_retries=0)
    async with _exclusive(runtime):
        started = time.perf_counter()
        load_since = await changes_since(runtime)
        index = await create_versioned_index(client, runtime.alias, f"v{time.time_ns() // 1_000_000}")
        serving = load_index_config()["settings"].get("index", {})
        await client.indices.put_settings(index=index, settings={"index": BULK_SETTINGS})
        loaded = await _load(runtime, client, index, None, on_progress)
        swap_since = await changes_since(runtime)
        first = await _load(runtime, client, index, load_since, None)
        restore = {key: serving.get(key, default) for key, default in SERVING_DEFAULTS.items()}
        await client.indices.put_settings(index=index, settings={"index": restore})
        await client.indices.refresh(index=index)
        await _swap(client, runtime.alias, index)
        swapped = time.monotonic()
        serving_after = time.perf_counter() - started
        second = await _load(runtime, client, index, swap_since, None)
        passes = (loaded, first, second)
        deleted = await _delete_vanished(runtime, client, index, [i for p in passes for i in p.seen])
        failed = {sid: err for p in passes for sid, err in p.failed.items()}
        await _queue_failed(runtime, failed)
        # Searches that resolved the alias just before the swap may still be running on the old index.
        await asyncio.sleep(max(0.0, OLD_INDEX_GRACE - (time.monotonic() - swapped)))
        removed = await _remove_old(client, runtime.alias, index)
        log.info("reindex: alias %s now on %s; removed %s", runtime.alias, index, removed or "nothing")
    return ReindexSummary(
        index=index,
        subjects=loaded.written,
        caught_up=first.written + second.written,
        seconds=time.perf_counter() - started,
        serving_after=serving_after,
        deleted=deleted,
        queued=len(failed),
    )
