"""Fixture strategy.

Tests talk to real services, never to mocks of our own components:

* PostgreSQL: `TEST_DATABASE_URL` (default: the machine's server at 127.0.0.1:5432, database
  `test`). Each test session creates its own database `creditgraph_t<pid>`, migrated to head, and
  drops it at the end, so parallel sessions never meet. When no server answers (a fresh machine
  with only Python), an embedded `pgserver` in a temporary folder stands in.
* Redis: `TEST_REDIS_URL` (default redis://127.0.0.1:6379/0); tests that need Redis itself are
  skipped when none answers, the rest use the in-process broker of the embedded default.
* Search: one in-memory `osmem-server` per session over HTTP; each session uses its own index
  prefix, and tests that write documents clear them first.
* Between tests, `clean_db` truncates every table: the worker, the API and the importer use their
  own connections and transactions, as in production, so a rolled-back outer transaction would not
  see their work.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
import redis
from osmem_server import OsmemServer
from starlette.applications import Starlette

from credit.platform.config import Settings
from credit.platform.embedded import running_engine
from credit.platform.runtime import Runtime, SearchMode, open_runtime

KINDS = ("unit", "integration", "e2e", "fault")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test says what kind it is (a `pytestmark` of its module): `-m unit` runs in seconds."""
    untyped = [item.nodeid for item in items if sum(1 for k in KINDS if item.get_closest_marker(k)) != 1]
    if untyped:
        raise pytest.UsageError(f"tests without exactly one of the markers {KINDS}: {untyped[:5]}")


#: The repository's root (the checkout), for tests that read committed files.
ROOT = Path(__file__).resolve().parent.parent

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


def _postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture(scope="session")
def admin_database_url() -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL", DEFAULT_DB)
    if _postgres_answers(url):
        yield url
        return
    from credit.platform.embedded import start_postgres

    with tempfile.TemporaryDirectory(prefix="creditgraph-pg-") as tmp:
        yield start_postgres(Path(tmp))


@pytest.fixture(scope="session")
def database_url(admin_database_url: str) -> Iterator[str]:
    name = f"creditgraph_t{os.getpid()}"
    with psycopg.connect(admin_database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    base, _, query = admin_database_url.partition("?")
    url = base.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")
    yield url
    with psycopg.connect(admin_database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except (redis.ConnectionError, OSError):
        return None
    return url


@pytest.fixture(scope="session")
def search_server() -> Iterator[OsmemServer]:
    with running_engine() as server:
        yield server


@pytest.fixture(scope="session")
def settings(
    database_url: str, redis_url: str | None, search_server: OsmemServer, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        elasticsearch_url=search_server.url,
        creditgraph_home=tmp_path_factory.mktemp("home"),
        CREDITGRAPH_SECRET_KEY="test-secret-key-not-for-production",
        SEARCH_INDEX_PREFIX=f"t{os.getpid()}_",
        # The shared server is not the rate limits' subject (tests/e2e/test_abuse.py starts its own).
        rate_limit_cost_per_key=10**12,
        rate_limit_cost_per_address=10**12,
        rate_limit_key_prefix=f"t{os.getpid()}:rl:",
        # Tests fetch several exports at once from loopback (tests/api/http/test_export_faults.py
        # checks the per-address limit on an app of its own).
        export_slots_per_client=4,
        redis_namespace=f"t{os.getpid()}:",
    )


@pytest.fixture(scope="session")
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    async with open_runtime(settings, search=SearchMode.CONNECT) as rt:
        yield rt


TABLES = "record_events, audit_log, repairs, objections, outbox, api_keys, records, subjects"


@pytest.fixture
async def clean_db(runtime: Runtime) -> AsyncIterator[Runtime]:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    # When the session's `api_server` runs, its indexer may hold a claimed batch of outbox rows while
    # it reads documents on a second connection; that read would queue behind this TRUNCATE, which
    # waits for the batch: a deadlock PostgreSQL cannot see. A short lock timeout lets the batch finish.
    for attempt in range(100):
        try:
            async with runtime.engine.begin() as conn:
                await conn.execute(text("SET LOCAL lock_timeout = '300ms'"))
                await conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
            break
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03" or attempt == 99:  # lock_not_available
                raise
            await asyncio.sleep(0.05)
    if runtime.search is not None:
        from credit.search.client import ensure_alias

        await runtime.search.options(ignore_status=404).indices.delete(index=f"{runtime.alias}_*")
        await ensure_alias(runtime.search, runtime.alias)
    yield runtime


@pytest.fixture
async def tx(runtime: Runtime) -> AsyncIterator[Runtime]:
    """The session's runtime with every session bound to one connection whose transaction is rolled
    back at the end: for tests of the services where no worker has to see the data.

    The tables are emptied with DELETE inside that transaction (rolled back with the rest): row locks
    only, so an indexer of the session's `api_server` that polls meanwhile skips them instead of waiting.
    Sessions become savepoints (`join_transaction_mode="create_savepoint"`), so a service's own commit
    releases its savepoint and a test sees what it wrote. Ids are not reset: tests read the ids they got.
    """
    from dataclasses import replace

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import async_sessionmaker

    async with runtime.engine.connect() as conn:
        outer = await conn.begin()
        try:
            for table in TABLES.split(", "):
                await conn.execute(text(f"DELETE FROM {table}"))
            sessions = async_sessionmaker(bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
            yield replace(runtime, sessions=sessions)
        finally:
            await outer.rollback()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


T = TypeVar("T")


async def wait_for(predicate: Callable[[], Awaitable[T]], timeout: float = 5.0, interval: float = 0.05) -> T:
    """Poll an async predicate until it returns a truthy value; returns it or fails the test."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        await asyncio.sleep(interval)


class ApiServer:
    """The real app served by uvicorn on a loopback port, in the test session's event loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.graphql_url = f"{url}/graphql"

    async def graphql(
        self, query: str, variables: dict[str, object] | None = None, key: str | None = None
    ) -> dict[str, Any]:
        import httpx

        headers = {"Authorization": f"Bearer {key}"} if key else {}
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                self.graphql_url, json={"query": query, "variables": variables}, headers=headers
            )
        body: dict[str, Any] = response.json()
        body["_status"] = response.status_code
        return body


@contextlib.asynccontextmanager
async def serving(app: Starlette, log_level: str = "warning") -> AsyncIterator[str]:
    """`app` served by uvicorn on a free loopback port in this event loop; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level, proxy_headers=False))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture(scope="session")
async def api_server(settings: Settings, runtime: Runtime) -> AsyncIterator[ApiServer]:
    from creditgraph.wiring import create_app

    async with serving(create_app(settings, runtime=runtime, run_worker=True)) as url:
        yield ApiServer(url)
