"""Shared set-up of the search benchmarks (bench/search_*.py): demo subjects, a dedicated PostgreSQL
database, an osmem-server of their own, and loading through the real importer and reindex.

PostgreSQL: `BENCH_ADMIN_DATABASE_URL` (default postgresql://postgres@127.0.0.1:5432/postgres) is only
used to create and drop the benchmark's own database.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
from osmem_server import OsmemServer

from credit.config import Settings
from credit.crypto import Vault
from credit.demo import generate
from credit.enums import SubjectKind
from credit.search.document import SubjectSnapshot

ADMIN_URL = os.environ.get("BENCH_ADMIN_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "search-bench-secret"
VAULT = Vault.from_secret(SECRET)


def demo_subject_lines(subjects: int, seed: int = 7) -> list[dict[str, Any]]:
    """The subject lines of the demo data set (the first `subjects` lines of `credit.demo.generate`)."""
    return list(itertools.islice(generate(subjects, seed=seed), subjects))


def snapshot_of_line(subject_id: int, line: dict[str, Any]) -> SubjectSnapshot:
    """A snapshot of a demo subject line without records (name fields are what indexing costs)."""
    return SubjectSnapshot(
        id=subject_id,
        kind=SubjectKind(line["kind"]),
        code=line["code"],
        name=line["name"],
        former_names=tuple(line.get("formerNames") or ()),
        region_code=line.get("regionCode"),
        revision=1,
        categories=(),
        active_flag_codes=(),
        has_active_punishment=False,
    )


def database_url(name: str) -> str:
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
def osmem_engine() -> Iterator[OsmemServer]:
    """An osmem-server process of the benchmark's own (Japanese analysis off: not used)."""
    server = OsmemServer.start(japanese=False)
    try:
        yield server
    finally:
        server.close()
        for pipe in (server.process.stdin, server.process.stdout):
            if pipe is not None:
                pipe.close()


@contextlib.contextmanager
def bench_settings(database: str, search_url: str) -> Iterator[Settings]:
    """Settings for the benchmark's database and engine; rate limits out of the way."""
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


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment variables that make a `creditgraph` subprocess use `settings`."""
    return {
        "DATABASE_URL": settings.database_url or "",
        "ELASTICSEARCH_URL": settings.elasticsearch_url or "",
        "CREDITGRAPH_HOME": str(settings.home),
        "CREDITGRAPH_SECRET_KEY": SECRET,
        "SEARCH_INDEX_PREFIX": settings.search_index_prefix,
        "SEARCH_ENGINE_FLAVOR": settings.search_engine_flavor,
        "RATE_LIMIT_COST_PER_KEY": str(settings.rate_limit_cost_per_key),
        "RATE_LIMIT_COST_PER_ADDRESS": str(settings.rate_limit_cost_per_address),
    }


async def load_demo(settings: Settings, subjects: int, seed: int = 7, *, say: Callable[[str], None] = print) -> None:
    """The demo data set through the real importer, then a full reindex (as `creditgraph demo` does)."""
    import orjson

    from credit.importer import Importer
    from credit.runtime import SearchMode, open_runtime
    from indexers.reindex import reindex

    async with open_runtime(settings, search=SearchMode.CONNECT) as runtime:
        started = time.perf_counter()
        importer = Importer(runtime.sessions, runtime.vault, actor="bench")
        summary = await importer.run(orjson.dumps(line) for line in generate(subjects, seed=seed))
        say(
            f"imported {summary.accepted:,} lines ({len(summary.rejected)} rejected) "
            f"in {time.perf_counter() - started:.0f} s"
        )
        result = await reindex(runtime)
        say(f"reindexed {result.subjects:,} subjects in {result.seconds:.0f} s")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)
