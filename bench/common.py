"""Shared set-up of the benchmarks (bench/*.py).

PostgreSQL: `BENCH_ADMIN_DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/postgres) is only
used to create a benchmark's own database (next to it, on the same server) and to drop it at the end;
nothing else is touched. Search: an osmem-server of the benchmark's own. Data: `creditgraph.demo.generator.generate`,
loaded through the real `credit.records.importer.Importer` (and, where needed, the real full reindex).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson
import psycopg
from sqlalchemy import select

from credit.models import Subject
from credit.platform.config import Settings
from credit.platform.crypto import Vault
from credit.platform.embedded import running_engine
from credit.platform.runtime import Runtime, SearchMode, open_runtime
from credit.records.importer import Importer, ImportSummary
from creditgraph.demo.generator import generate
from indexers.documents import SubjectDocument, read_documents
from indexers.reindex import reindex

ADMIN_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "search-bench-secret"
VAULT = Vault.from_secret(SECRET)


# --- PostgreSQL, search engine, settings --------------------------------------------------------------


def database_url(name: str) -> str:
    """The URL of database `name` on the server of BENCH_ADMIN_DATABASE_URL."""
    base, _, query = ADMIN_URL.partition("?")
    return base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")


@contextlib.contextmanager
def dedicated_database(name: str) -> Iterator[str]:
    """A fresh database `name` (dropped first if a crashed run left it), dropped at the end."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield database_url(name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def bench_settings(database: str, search_url: str) -> Iterator[Settings]:
    """Settings for the benchmark's database and engine (no Redis); rate limits out of the way."""
    with tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as home:
        yield Settings(
            database_url=database,
            elasticsearch_url=search_url,
            redis_url=None,
            creditgraph_home=Path(home),
            CREDITGRAPH_SECRET_KEY=SECRET,
            SEARCH_INDEX_PREFIX="bench_",
            SEARCH_ENGINE_FLAVOR="opensearch",
            rate_limit_cost_per_key=10**12,
            rate_limit_cost_per_address=10**12,
        )


@contextlib.contextmanager
def bench_environment(database: str) -> Iterator[Settings]:
    """A dedicated database `database` and an osmem-server, both the benchmark's own, and settings for them."""
    with dedicated_database(database) as url, running_engine() as engine, bench_settings(url, engine.url) as settings:
        yield settings


def creditgraph_environment(settings: Settings) -> dict[str, str]:
    """The environment that makes a `creditgraph` subprocess (CLI, worker, API) use `settings`: this
    process's environment with the settings' variables, and REDIS_URL only if the settings have one."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "ELASTICSEARCH_URL": settings.elasticsearch_url or "",
        "CREDITGRAPH_HOME": str(settings.home),
        "CREDITGRAPH_SECRET_KEY": SECRET,
        "SEARCH_INDEX_PREFIX": settings.search_index_prefix,
        "SEARCH_ENGINE_FLAVOR": settings.search_engine_flavor,
        "RATE_LIMIT_COST_PER_KEY": str(settings.rate_limit_cost_per_key),
        "RATE_LIMIT_COST_PER_ADDRESS": str(settings.rate_limit_cost_per_address),
    }
    env.pop("REDIS_URL", None)
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


@contextlib.asynccontextmanager
async def bench_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime on the benchmark's database and engine (migrated)."""
    async with open_runtime(settings, search=SearchMode.CONNECT, pool_size=10) as runtime:
        yield runtime


# --- demo data ----------------------------------------------------------------------------------------


def demo_subject_lines(subjects: int, seed: int = 7) -> list[dict[str, Any]]:
    """The subject lines of the demo data set (the first `subjects` lines of `creditgraph.demo.generator.generate`)."""
    return list(itertools.islice(generate(subjects, seed=seed), subjects))


async def _import_demo(runtime: Runtime, subjects: int, seed: int) -> tuple[ImportSummary, float]:
    started = time.perf_counter()
    importer = Importer(runtime, actor="bench")
    summary = await importer.run(orjson.dumps(line) for line in generate(subjects, seed=seed))
    return summary, time.perf_counter() - started


async def import_demo(runtime: Runtime, subjects: int, seed: int = 7) -> float:
    """Generate and import the demo data set; returns the seconds it took."""
    summary, seconds = await _import_demo(runtime, subjects, seed)
    if summary.rejected:
        raise RuntimeError(f"demo data rejected: {summary.rejected[:3]}")
    return seconds


async def load_demo(settings: Settings, subjects: int, seed: int = 7, *, say: Callable[[str], None] = print) -> None:
    """The demo data set through the real importer, then a full reindex (as `creditgraph demo` does)."""
    async with bench_runtime(settings) as runtime:
        summary, seconds = await _import_demo(runtime, subjects, seed)
        say(f"imported {summary.accepted:,} lines ({len(summary.rejected)} rejected) in {seconds:.0f} s")
        result = await reindex(runtime)
        say(f"reindexed {result.subjects:,} subjects in {result.seconds:.0f} s")


def add_environment_options(parser: argparse.ArgumentParser, verb: str) -> None:
    """--database-url and --engine-url: an environment loaded earlier (see `run_on_demo`)."""
    parser.add_argument("--database-url", help=f"{verb} this database, already loaded (with --engine-url)")
    parser.add_argument("--engine-url", help="... and this engine, indexed by it (nothing is created or dropped)")


def run_on_demo(
    database: str,
    args: argparse.Namespace,
    work: Callable[[Settings, argparse.Namespace, list[dict[str, Any]]], Awaitable[None]],
) -> None:
    """`work(settings, args, the demo subject lines)` on the demo data set (`args.subjects` subjects, seed
    `args.seed`). With `args.database_url` and `args.engine_url` (see `add_environment_options`): on that
    environment, loaded earlier with the same demo data. Else on a dedicated database `database` and an
    osmem-server of its own, loaded and indexed first (`load_demo`)."""

    async def main() -> None:
        lines = demo_subject_lines(args.subjects, args.seed)
        if args.database_url and args.engine_url:
            with bench_settings(args.database_url, args.engine_url) as settings:
                await work(settings, args, lines)
            return
        with bench_environment(database) as settings:
            print(f"loading {args.subjects:,} demo subjects (and their records) ...", flush=True)
            await load_demo(settings, args.subjects, args.seed)
            await work(settings, args, lines)

    asyncio.run(main())


async def build_documents(runtime: Runtime) -> dict[int, SubjectDocument]:
    """The search document of every subject, built from PostgreSQL as the indexer builds them."""
    async with runtime.sessions() as session:
        ids = list((await session.scalars(select(Subject.id).order_by(Subject.id))).all())
    documents: dict[int, SubjectDocument] = {}
    for start in range(0, len(ids), 1000):
        documents.update((await read_documents(runtime, ids[start : start + 1000])).documents)
    return documents


# --- servers and load ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], seconds: float = 120) -> None:
    """Wait until `url` answers; fails if `process` (the server) exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


async def post_load(
    url: str, next_request: Callable[[], tuple[bytes, dict[str, str]] | None], seconds: float, in_flight: int = 16
) -> tuple[int, int, float]:
    """POST the (body, headers) that `next_request` gives (None: nothing left) to `url` for `seconds`,
    `in_flight` at a time, over keep-alive connections. Returns (succeeded, failed, seconds taken): a
    request succeeds when it is answered 200 with no `"errors"` in the body."""
    succeeded = failed = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal succeeded, failed
            while time.perf_counter() < deadline:
                request = next_request()
                if request is None:
                    return
                response = await client.post(url, content=request[0], headers=request[1])
                if response.status_code == 200 and b'"errors"' not in response.content:
                    succeeded += 1
                else:
                    failed += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        elapsed = time.perf_counter() - started
    return succeeded, failed, elapsed


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory now (VmRSS) or at its peak so far (VmHWM), in MB, from /proc (NaN
    if it is gone). Read while the process runs: `ru_maxrss` of a child would count the pages it
    shared with its parent between fork and exec."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# --- figures ------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
