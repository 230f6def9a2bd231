"""An engine that comes back empty on the same address (issue 18, finding 9): the indexer's writes
fail `index_not_found` (it writes through the alias only), so it rebuilds the versioned index behind
the alias from PostgreSQL instead of retrying for ever; `/ready` says the index is missing meanwhile.

The loss is simulated on a real osmem-server by deleting the index (and with it the alias)."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest

from credit.platform.embedded import running_engine
from credit.platform.runtime import SearchMode, open_runtime
from credit.search.client import concrete_indices, open_search_client
from creditgraph.wiring import create_app
from tests.conftest import free_port, serving, wait_for
from tests.support.faults import dedicated_database, settings_for
from tests.support.feed_data import company, import_lines

pytestmark = pytest.mark.e2e

SEARCH = '{ searchSubjects(query: "科技有限公司") { totalCount } }'


async def answer(url: str, query: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30) as http:
        return dict((await http.post(f"{url}/graphql", json={"query": query})).json())


async def ready(url: str) -> dict[str, str]:
    async with httpx.AsyncClient(timeout=30) as http:
        return dict((await http.get(f"{url}/ready")).json())


async def test_a_lost_index_is_rebuilt_by_the_indexer(
    admin_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    port = free_port()
    prefix = f"lost{os.getpid()}_"
    with (
        dedicated_database(admin_database_url, f"creditgraph_l{os.getpid()}") as database_url,
        running_engine(f"127.0.0.1:{port}") as engine,
    ):
        settings = settings_for(database_url, engine.url, tmp_path_factory.mktemp("lost"), prefix)
        async with (
            serving(create_app(settings, run_worker=True), log_level="critical") as url,
            open_runtime(settings, search=SearchMode.NONE) as runtime,
        ):

            async def found(count: int) -> bool:
                body = await answer(url, SEARCH)
                return "errors" not in body and body["data"]["searchSubjects"]["totalCount"] == count

            await import_lines(runtime, [company(61, "320402")])
            await wait_for(lambda: found(1), timeout=30, interval=0.2)

            client = await open_search_client(engine.url)
            try:
                # the engine "restarts empty": no index, no alias
                await client.indices.delete(index=f"{prefix}*")
                assert await concrete_indices(client, settings.subjects_alias) == []
                state = await ready(url)
                assert (state["search"], state["index"]) == ("unavailable", "missing")

                # the next write finds no index: the indexer rebuilds it, with what it had before
                await import_lines(runtime, [company(62, "320402")])
                await wait_for(lambda: found(2), timeout=60, interval=0.5)
                assert len(await concrete_indices(client, settings.subjects_alias)) == 1
            finally:
                await client.close()
            assert await ready(url) == {"database": "ok", "search": "ok", "cache": "ok", "index": "ok"}
