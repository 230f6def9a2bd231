"""The API starts and serves while the search engine is down: profiles answer from PostgreSQL,
searches answer SERVICE_UNAVAILABLE, and search comes back by itself once the engine does."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import psycopg
import pytest

from credit.platform.embedded import running_engine
from credit.platform.runtime import Runtime, SearchMode, open_runtime
from credit.records.importer import Importer
from creditgraph.wiring import create_app
from tests.conftest import free_port, serving, wait_for
from tests.support.faults import dedicated_database, settings_for

pytestmark = pytest.mark.e2e

COMPANY = "91110000600037341L"
SEARCH = '{ searchSubjects(query: "环保科技") { totalCount } }'
PROFILE = f'{{ subject(code: "{COMPANY}") {{ name }} }}'


@dataclass
class Offline:
    url: str  # the API's /graphql
    engine_port: int  # where the engine will come up
    runtime: Runtime  # on a database of its own: no other test's indexer drains its outbox


@pytest.fixture
async def offline(admin_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Offline]:
    engine_port = free_port()  # nothing listens here yet
    with dedicated_database(admin_database_url, f"creditgraph_o{os.getpid()}") as database_url:
        settings = settings_for(
            database_url, f"http://127.0.0.1:{engine_port}", tmp_path_factory.mktemp("outage"), f"o{os.getpid()}_"
        )
        async with (
            serving(create_app(settings, run_worker=True), log_level="critical") as url,
            open_runtime(settings, search=SearchMode.NONE) as runtime,
        ):
            yield Offline(f"{url}/graphql", engine_port, runtime)


async def post(url: str, query: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(url, json={"query": query})
    assert response.status_code == 200
    return dict(response.json())


async def ready(graphql_url: str) -> tuple[int, dict[str, str]]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.get(graphql_url.removesuffix("/graphql") + "/ready")
    return response.status_code, dict(response.json())


async def test_serves_profiles_while_the_engine_is_down(offline: Offline) -> None:
    url, engine_port, runtime = offline.url, offline.engine_port, offline.runtime
    line = {"type": "subject", "kind": "LEGAL_PERSON", "code": COMPANY, "name": "常州天宁环保科技有限公司"}
    assert (await Importer(runtime).run([orjson.dumps(line)])).rejected == []

    assert (await post(url, PROFILE))["data"] == {"subject": {"name": "常州天宁环保科技有限公司"}}
    down = await post(url, SEARCH)
    assert down["data"] is None
    [error] = down["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    assert "Traceback" not in error["message"] and "127.0.0.1" not in error["message"]
    assert await ready(url) == (200, {"database": "ok", "search": "unavailable", "cache": "ok", "index": "unavailable"})

    with running_engine(f"127.0.0.1:{engine_port}"):

        async def searchable() -> bool:
            answer = await post(url, SEARCH)
            return "errors" not in answer and answer["data"]["searchSubjects"]["totalCount"] == 1

        # The in-process indexer creates the index once the engine answers and indexes the backlog.
        await wait_for(searchable, timeout=60, interval=0.5)
        assert await ready(url) == (200, {"database": "ok", "search": "ok", "cache": "ok", "index": "ok"})


async def test_not_ready_without_postgres(offline: Offline, admin_database_url: str) -> None:
    assert (await ready(offline.url))[0] == 200
    await offline.runtime.engine.dispose()
    name = offline.runtime.database_url.rsplit("/", 1)[1].split("?")[0]
    async with await psycopg.AsyncConnection.connect(admin_database_url, autocommit=True) as conn:
        await conn.execute(f"DROP DATABASE {name} WITH (FORCE)")  # the API's connections are cut
    status, body = await ready(offline.url)
    assert (status, body["database"]) == (503, "unavailable")
