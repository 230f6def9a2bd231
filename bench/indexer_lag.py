"""Commit-to-searchable lag under a steady change rate, against the engine alone, in the same run.

    .venv/bin/python -m bench.indexer_lag [--subjects 3000] [--rate 200] [--seconds 20]

Measured (pipeline): a steady `--rate` of changes, each one transaction that edits a record of a
random subject, bumps the subject's revision and writes its outbox row (what `touch_subjects` does);
the worker runs as its own process (`python -m creditgraph.cli worker`) with its defaults. The lag of
a change is from its commit returning to the first search (`_search`, not the real-time GET) that
returns its subject at that revision or later; searches poll every 10 ms.

Baseline (engine alone): the same schedule of changes, but the same prebuilt documents are written
straight to a copy of the index by a loop that does what the worker does on the engine side (take
everything queued, one bulk request with external versions, refresh at most every 0.1 s) with no
PostgreSQL, outbox or document building. Its lag is the part the engine accounts for.

Prints lag p50/p90/p99/max for both, the p99 ratio, the worker's forced refreshes per second, and
whether the pipeline's p99 meets the target (≤ 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx
from elasticsearch import AsyncElasticsearch
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text

from bench.common import (
    bench_environment,
    bench_runtime,
    build_documents,
    creditgraph_environment,
    free_port,
    import_demo,
    percentile,
)
from credit.platform.runtime import Runtime
from credit.search.client import create_versioned_index
from indexers.documents import SubjectDocument
from indexers.reindex import reindex

TARGET_P99 = 1.0
POLL = 0.01
ROOT = Path(__file__).resolve().parents[1]


class Visibility:
    """Pending (subject, revision, committed at) and the lag of each once searchable."""

    def __init__(self, client: AsyncElasticsearch, index: str) -> None:
        self.client = client.options(request_timeout=120)
        self.index = index
        self.pending: dict[int, list[tuple[int, float]]] = defaultdict(list)
        self.lags: list[float] = []
        self._done = asyncio.Event()

    def committed(self, subject_id: int, revision: int, at: float) -> None:
        self.pending[subject_id].append((revision, at))

    async def run(self) -> None:
        while not (self._done.is_set() and not self.pending):
            if self.pending:
                ids = list(self.pending)[:1000]
                body = await self.client.search(
                    index=self.index,
                    query={"ids": {"values": [str(i) for i in ids]}},
                    size=len(ids),
                    source={"includes": ["revision"]},
                )
                now = time.perf_counter()
                for hit in body["hits"]["hits"]:
                    sid, version = int(hit["_id"]), int(hit["_source"]["revision"])
                    waiting = self.pending.get(sid, [])
                    self.lags.extend(now - at for revision, at in waiting if revision <= version)
                    left = [(r, at) for r, at in waiting if r > version]
                    if left:
                        self.pending[sid] = left
                    else:
                        self.pending.pop(sid, None)
            await asyncio.sleep(POLL)

    def finish(self) -> None:
        self._done.set()


async def steady(rate: float, seconds: float, change: Callable[[], Coroutine[Any, Any, None]]) -> float:
    """Fire `change` at a steady rate (each in its own task); returns the rate achieved."""
    total = int(rate * seconds)
    tasks: set[asyncio.Task[None]] = set()
    started = time.perf_counter()
    for i in range(total):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(change())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return total / (time.perf_counter() - started)


def report(name: str, lags: list[float], achieved: float, unresolved: int) -> None:
    if not lags:
        print(f"{name}: no change became visible")
        return
    p = {q: percentile(lags, q) for q in (0.5, 0.9, 0.99)}
    print(
        f"{name}: {len(lags):,} changes at {achieved:.0f}/s; lag p50 {p[0.5] * 1000:.0f} ms, "
        f"p90 {p[0.9] * 1000:.0f} ms, p99 {p[0.99] * 1000:.0f} ms, max {max(lags) * 1000:.0f} ms"
        + (f"; {unresolved} never visible" if unresolved else "")
    )


async def baseline(runtime: Runtime, documents: dict[int, SubjectDocument], args: argparse.Namespace) -> list[float]:
    """The engine alone: prebuilt documents, written as the worker writes them."""
    assert runtime.search is not None
    client = runtime.search.options(request_timeout=60)
    index = await create_versioned_index(client, f"{runtime.alias}_baseline", "v1")
    ids = sorted(documents)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        operations: list[dict[str, object]] = []
        for sid in chunk:
            operations += [{"index": {"_index": index, "_id": str(sid)}}, documents[sid].document]
        await client.bulk(operations=operations)
    await client.indices.refresh(index=index)
    versions = {sid: documents[sid].revision for sid in ids}  # as indexed just above
    queue: dict[int, int] = {}
    visibility = Visibility(client, index)
    wake = asyncio.Event()
    stop = asyncio.Event()

    async def change() -> None:
        sid = random.choice(ids)
        versions[sid] += 1
        queue[sid] = versions[sid]
        visibility.committed(sid, versions[sid], time.perf_counter())
        wake.set()

    async def writer() -> None:
        last_refresh = 0.0
        while not (stop.is_set() and not queue):
            await wake.wait()
            wake.clear()
            batch = dict(queue)
            queue.clear()
            if not batch:
                continue
            operations: list[dict[str, object]] = []
            for sid, version in batch.items():
                operations.append(
                    {"index": {"_index": index, "_id": str(sid), "version": version, "version_type": "external"}}
                )
                operations.append({**documents[sid].document, "revision": version})
            await client.bulk(operations=operations)
            if time.perf_counter() - last_refresh >= 0.1:
                last_refresh = time.perf_counter()
                await client.indices.refresh(index=index)
            if queue:
                wake.set()

    checking = asyncio.create_task(visibility.run())
    writing = asyncio.create_task(writer())
    achieved = await steady(args.rate, args.seconds, change)
    stop.set()
    wake.set()
    await writing
    await client.indices.refresh(index=index)
    visibility.finish()
    await asyncio.wait_for(checking, 60)
    report("engine alone", visibility.lags, achieved, 0)
    await client.indices.delete(index=index)
    return visibility.lags


async def pipeline(runtime: Runtime, args: argparse.Namespace, metrics_port: int) -> list[float]:
    """PostgreSQL commit → outbox → worker process → engine → searchable."""
    assert runtime.search is not None
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id, subject_id FROM records ORDER BY id"))).all()
    records = [(r.id, r.subject_id) for r in rows]
    visibility = Visibility(runtime.search, runtime.alias)
    url = (runtime.settings.database_url or "").replace("postgresql+psycopg://", "postgresql://")
    async with AsyncConnectionPool(url, min_size=8, max_size=16, open=False) as pool:
        await pool.open(wait=True)

        async def change() -> None:
            record_id, subject_id = random.choice(records)
            async with pool.connection() as conn:
                async with conn.transaction():
                    await conn.execute(
                        "UPDATE records SET title = left(title, 60) || ' #' || %s, revision = revision + 1,"
                        " updated_at = now() WHERE id = %s",
                        (random.randrange(10**6), record_id),
                    )
                    cursor = await conn.execute(
                        "UPDATE subjects SET revision = revision + 1, updated_at = now() WHERE id = %s"
                        " RETURNING revision",
                        (subject_id,),
                    )
                    row = await cursor.fetchone()
                    await conn.execute(
                        "INSERT INTO outbox (subject_id, record_id, reason) VALUES (%s, %s, 'bench')",
                        (subject_id, record_id),
                    )
                committed = time.perf_counter()
            assert row is not None
            visibility.committed(subject_id, int(row[0]), committed)

        refreshes_before = await _scrape(metrics_port, "creditgraph_indexer_refreshes_total")
        applied_before = await _scrape(metrics_port, "creditgraph_indexer_applied_total")
        checking = asyncio.create_task(visibility.run())
        started = time.perf_counter()
        achieved = await steady(args.rate, args.seconds, change)
        visibility.finish()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(checking), 60)
        elapsed = time.perf_counter() - started
        unresolved = sum(len(v) for v in visibility.pending.values())
        checking.cancel()
        refreshes = await _scrape(metrics_port, "creditgraph_indexer_refreshes_total") - refreshes_before
        applied = await _scrape(metrics_port, "creditgraph_indexer_applied_total") - applied_before
    report("pipeline", visibility.lags, achieved, unresolved)
    print(
        f"worker: {applied:,.0f} documents written for {len(visibility.lags):,} changes (coalesced per subject); "
        f"{refreshes:,.0f} forced refreshes, {refreshes / elapsed:.1f}/s"
    )
    return visibility.lags


async def _scrape(port: int, name: str) -> float:
    async with httpx.AsyncClient() as http:
        body = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


async def _until_listening(runtime: Runtime, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with runtime.engine.connect() as conn:
            listening = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND query = 'LISTEN creditgraph_outbox'"
                    )
                )
            ).scalar_one()
        if listening:
            try:
                await _scrape(port, "x")
                return
            except httpx.HTTPError:
                pass
        await asyncio.sleep(0.2)
    raise TimeoutError("the worker did not start")


async def run(args: argparse.Namespace) -> float:
    random.seed(args.seed)
    with bench_environment("creditgraph_bench_lag") as settings:
        async with bench_runtime(settings) as runtime:
            seconds = await import_demo(runtime, args.subjects)
            summary = await reindex(runtime)
            async with runtime.engine.begin() as conn:
                await conn.execute(text("DELETE FROM outbox"))  # the reindex has indexed all of it
            print(
                f"{args.subjects:,} demo subjects imported in {seconds:.1f} s, indexed in {summary.seconds:.1f} s; "
                f"{args.rate:.0f} changes/s for {args.seconds:.0f} s; load average {os.getloadavg()[0]:.1f} "
                f"on {os.cpu_count()} CPUs"
            )
            engine_lags = await baseline(runtime, await build_documents(runtime), args)

            port = free_port()
            worker = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "creditgraph.cli",
                "worker",
                "--metrics-port",
                str(port),
                cwd=ROOT,
                env=creditgraph_environment(settings),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                await _until_listening(runtime, port)
                lags = await pipeline(runtime, args, port)
            finally:
                worker.terminate()
                await asyncio.wait_for(worker.wait(), 30)
    p99, engine_p99 = percentile(lags, 0.99), percentile(engine_lags, 0.99)
    print(
        f"p99 pipeline {p99 * 1000:.0f} ms vs engine alone {engine_p99 * 1000:.0f} ms: ratio {p99 / engine_p99:.2f}; "
        f"p50 {percentile(lags, 0.5) * 1000:.0f} vs {percentile(engine_lags, 0.5) * 1000:.0f} ms; "
        f"target p99 ≤ {TARGET_P99 * 1000:.0f} ms: {'met' if p99 <= TARGET_P99 else 'NOT met'}"
    )
    return p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    return 0 if asyncio.run(run(args)) <= TARGET_P99 else 1


if __name__ == "__main__":
    raise SystemExit(main())
