"""The API starts and serves while the search engine is down: profiles answer from PostgreSQL,
searches answer SERVICE_UNAVAILABLE, and search comes back by itself once the engine does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
import uvicorn
from osmem_server import OsmemServer

from api.app import create_app
from credit.config import Settings
from credit.importer import Importer
from credit.runtime import Runtime
from tests.conftest import free_port, wait_for

COMPANY = "91110000600037341L"
SEARCH = '{ searchSubjects(query: "环保科技") { totalCount } }'
PROFILE = f'{{ subject(code: "{COMPANY}") {{ name }} }}'


@pytest.fixture
async def api_without_engine(settings: Settings, clean_db: Runtime) -> AsyncIterator[tuple[str, int]]:
    engine_port = free_port()  # nothing listens here yet
    offline = settings.model_copy(update={"elasticsearch_url": f"http://127.0.0.1:{engine_port}"})
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(offline, run_worker=True), host="127.0.0.1", port=port, log_level="critical")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield f"http://127.0.0.1:{port}/graphql", engine_port
    server.should_exit = True
    await task


async def post(url: str, query: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(url, json={"query": query})
    assert response.status_code == 200
    return dict(response.json())


async def test_serves_profiles_while_the_engine_is_down(clean_db: Runtime, api_without_engine: tuple[str, int]) -> None:
    url, engine_port = api_without_engine
    line = {"type": "subject", "kind": "LEGAL_PERSON", "code": COMPANY, "name": "常州天宁环保科技有限公司"}
    assert (await Importer(clean_db.sessions, clean_db.vault).run([orjson.dumps(line)])).rejected == []

    assert await post(url, PROFILE) == {"data": {"subject": {"name": "常州天宁环保科技有限公司"}}}
    down = await post(url, SEARCH)
    assert down["data"] is None
    [error] = down["errors"]
    assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE"}
    assert "Traceback" not in error["message"] and "127.0.0.1" not in error["message"]

    engine = await asyncio.to_thread(OsmemServer.start, japanese=False, addr=f"127.0.0.1:{engine_port}")
    try:

        async def searchable() -> bool:
            answer = await post(url, SEARCH)
            return "errors" not in answer and answer["data"]["searchSubjects"]["totalCount"] == 1

        # The in-process indexer creates the index once the engine answers and indexes the backlog.
        await wait_for(searchable, timeout=60, interval=0.5)
    finally:
        engine.close()
        for pipe in (engine.process.stdin, engine.process.stdout):
            if pipe is not None:
                pipe.close()
