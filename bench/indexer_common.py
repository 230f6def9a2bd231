"""Shared set-up of the indexer benchmarks (bench/indexer_*.py).

PostgreSQL: `DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/postgres) is where the
benchmark creates its own database (`<name>`), dropped at the end; nothing else is touched.
Search: an osmem-server of the benchmark's own. Data: `credit.demo.generate` through the real
`credit.importer.Importer`.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import orjson
import psycopg
from osmem_server import OsmemServer

from credit.config import Settings
from credit.demo import generate
from credit.importer import Importer
from credit.runtime import Runtime, SearchMode, open_runtime

ADMIN_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "indexer-bench-secret"


@contextlib.contextmanager
def bench_database(name: str) -> Iterator[str]:
    """A fresh database `name` next to DATABASE_URL's, dropped at the end."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    base, _, query = ADMIN_URL.partition("?")
    try:
        yield base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@contextlib.contextmanager
def bench_engine() -> Iterator[OsmemServer]:
    server = OsmemServer.start(japanese=False)
    try:
        yield server
    finally:
        server.close()
        for pipe in (server.process.stdin, server.process.stdout):
            if pipe is not None:
                pipe.close()


@contextlib.contextmanager
def bench_settings(database_url: str, search_url: str) -> Iterator[Settings]:
    with tempfile.TemporaryDirectory(prefix="creditgraph-bench-") as home:
        yield Settings(
            database_url=database_url,
            elasticsearch_url=search_url,
            redis_url=None,
            creditgraph_home=Path(home),
            CREDITGRAPH_SECRET_KEY=SECRET,
            SEARCH_INDEX_PREFIX="bench_",
            SEARCH_ENGINE_FLAVOR="opensearch",
        )


def worker_environment(settings: Settings) -> dict[str, str]:
    """The environment that makes `python -m creditgraph.cli worker` use `settings`."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "ELASTICSEARCH_URL": settings.elasticsearch_url or "",
        "CREDITGRAPH_HOME": str(settings.home),
        "CREDITGRAPH_SECRET_KEY": SECRET,
        "SEARCH_INDEX_PREFIX": settings.search_index_prefix,
        "SEARCH_ENGINE_FLAVOR": settings.search_engine_flavor,
    }
    env.pop("REDIS_URL", None)
    return env


@contextlib.asynccontextmanager
async def bench_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with open_runtime(settings, search=SearchMode.CONNECT, pool_size=10) as runtime:
        yield runtime


async def import_demo(runtime: Runtime, subjects: int, seed: int = 7) -> float:
    """Generate and import the demo data set; returns the seconds it took."""
    started = time.perf_counter()
    summary = await Importer(runtime.sessions, runtime.vault, actor="bench").run(
        orjson.dumps(line) for line in generate(subjects, seed=seed)
    )
    if summary.rejected:
        raise RuntimeError(f"demo data rejected: {summary.rejected[:3]}")
    return time.perf_counter() - started


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
