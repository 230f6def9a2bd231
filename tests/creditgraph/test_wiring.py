"""The index knows the release that built it (its mapping's `_meta`): at start an outdated embedded
index is rebuilt from PostgreSQL, an outdated index of an external engine keeps serving and `/ready`
says so. Real PostgreSQL and engine, on a database and an index prefix of their own."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import orjson
import pytest
from osmem_server import OsmemServer

from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from credit.search.client import IndexState, concrete_indices, index_state, load_index_config
from creditgraph.demo.generator import generate
from creditgraph.wiring import create_app, prepare_index
from tests.conftest import serving
from tests.support.faults import dedicated_database, own_runtime, settings_for

pytestmark = pytest.mark.integration


@pytest.fixture
async def rt(
    admin_database_url: str, search_server: OsmemServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Runtime]:
    prefix = f"w{os.getpid()}_"
    with dedicated_database(admin_database_url, f"creditgraph_w{os.getpid()}") as url:
        settings = settings_for(url, search_server.url, tmp_path_factory.mktemp("wiring"), prefix)
        async with own_runtime(settings) as runtime:
            assert runtime.search is not None
            summary = await Importer(runtime).run(orjson.dumps(line) for line in generate(30, seed=5))
            assert summary.rejected == []
            yield runtime
            await runtime.search.options(ignore_status=404).indices.delete(index=f"{runtime.alias}_*")


async def old_release_index(runtime: Runtime) -> str:
    """An index behind the alias as an earlier release built it: same mappings, another `_meta`."""
    assert runtime.search is not None
    config = load_index_config()
    config["mappings"]["_meta"] = {"creditgraph_index_version": "an-earlier-release"}
    index = f"{runtime.alias}_v0"
    await runtime.search.indices.create(index=index, settings=config["settings"], mappings=config["mappings"])
    await runtime.search.indices.update_aliases(actions=[{"add": {"index": index, "alias": runtime.alias}}])
    return index


class TestIndexState:
    async def test_missing_current_and_outdated(self, rt: Runtime) -> None:
        assert rt.search is not None
        assert await index_state(rt.search, rt.alias) is IndexState.MISSING
        await old_release_index(rt)
        assert await index_state(rt.search, rt.alias) is IndexState.OUTDATED
        await prepare_index(replace(rt, search_embedded=True))
        assert await index_state(rt.search, rt.alias) is IndexState.OK


class TestPrepareIndex:
    async def test_an_outdated_embedded_index_is_rebuilt_with_every_subject(self, rt: Runtime) -> None:
        assert rt.search is not None
        old = await old_release_index(rt)
        await prepare_index(replace(rt, search_embedded=True))
        assert await concrete_indices(rt.search, rt.alias) != [old]
        await rt.search.indices.refresh(index=rt.alias)
        assert (await rt.search.count(index=rt.alias))["count"] == 30

    async def test_an_outdated_external_index_keeps_serving_and_ready_says_so(self, rt: Runtime) -> None:
        assert rt.search is not None
        old = await old_release_index(rt)
        app = create_app(rt.settings, runtime=replace(rt, search_embedded=False), run_worker=False)
        async with serving(app) as url, httpx.AsyncClient() as http:
            body = (await http.get(f"{url}/ready")).json()
        assert await concrete_indices(rt.search, rt.alias) == [old]
        assert body == {"database": "ok", "search": "ok", "cache": "ok", "index": "outdated"}
