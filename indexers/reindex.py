"""Full rebuild with no downtime: a new versioned index, bulk-loaded, caught up, then swapped in.

1. Create `<alias>_v<timestamp>` with refresh off and no replicas (bulk settings).
2. Stream every subject id from a server-side cursor; build and write documents in batches.
3. Catch up: re-write subjects changed since the load began (their `updated_at`); the outbox
   worker keeps writing to the alias meanwhile, so nothing is lost on either side.
4. Restore the index settings, refresh, swap the alias atomically, catch up once more, and remove
   the old indices. Searches keep answering from the old index until the swap.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from credit.models import Subject
from credit.runtime import Runtime
from credit.search.client import create_versioned_index, load_index_config, swap_alias
from indexers.documents import load_documents
from indexers.worker import write_documents

BATCH = 1000
# updated_at is the transaction start time: a change that began before the load but committed
# after the cursor passed it is caught by looking this far back.
CATCH_UP_MARGIN = dt.timedelta(seconds=30)
# No refresh and no replicas while bulk loading; the serving values (from search_config) after.
BULK_SETTINGS = {"refresh_interval": "-1", "auto_expand_replicas": "false", "number_of_replicas": 0}
SERVING_DEFAULTS: dict[str, object] = {"refresh_interval": "1s", "auto_expand_replicas": "0-1"}


@dataclass
class ReindexSummary:
    index: str
    subjects: int
    caught_up: int
    seconds: float


async def _load(
    runtime: Runtime, index: str, since: dt.datetime | None, on_progress: Callable[[int], None] | None
) -> int:
    assert runtime.search is not None
    today = dt.date.today()
    total = 0
    async with runtime.engine.connect() as conn:
        stmt = select(Subject.id).order_by(Subject.id)
        if since is not None:
            stmt = stmt.where(Subject.updated_at >= since)
        stream = await conn.stream(stmt.execution_options(yield_per=BATCH))
        async for partition in stream.partitions(BATCH):
            ids = [row[0] for row in partition]
            async with runtime.sessions() as session:
                documents = await load_documents(session, runtime.vault, ids, today)
            await write_documents(runtime.search, index, documents)
            total += len(ids)
            if on_progress:
                on_progress(total)
    return total


async def reindex(runtime: Runtime, on_progress: Callable[[int], None] | None = None) -> ReindexSummary:
    assert runtime.search is not None
    started = time.perf_counter()
    load_started = dt.datetime.now(dt.UTC) - CATCH_UP_MARGIN
    index = await create_versioned_index(runtime.search, runtime.alias, f"v{time.time_ns() // 1_000_000}")
    serving = load_index_config()["settings"].get("index", {})
    await runtime.search.indices.put_settings(index=index, settings={"index": BULK_SETTINGS})
    total = await _load(runtime, index, None, on_progress)
    swap_started = dt.datetime.now(dt.UTC) - CATCH_UP_MARGIN
    caught_up = await _load(runtime, index, load_started, None)
    restore = {key: serving.get(key, default) for key, default in SERVING_DEFAULTS.items()}
    await runtime.search.indices.put_settings(index=index, settings={"index": restore})
    await runtime.search.indices.refresh(index=index)
    await swap_alias(runtime.search, runtime.alias, index)
    caught_up += await _load(runtime, index, swap_started, None)
    return ReindexSummary(index, total, caught_up, time.perf_counter() - started)
