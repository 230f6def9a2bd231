"""Index management through a real osmem-server over HTTP: flavour detection, versioned indices
behind an alias, the alias swap, and external versioning.

Each test uses its own random alias prefix on one engine per module, so tests never disturb each
other; the documents are `test_search`'s hand-made subjects.
"""

from __future__ import annotations

import uuid

import pytest
from elasticsearch import AsyncElasticsearch, ConflictError
from osmem_server import OsmemServer

from credit.search.client import (
    concrete_indices,
    create_versioned_index,
    detect_flavor,
    ensure_alias,
    make_search_client,
    open_search_client,
    swap_alias,
)
from credit.search.document import build_document
from tests.credit.search.test_search import ROWS, VAULT, search

pytestmark = pytest.mark.integration


class TestIndexManagement:
    async def test_detect_flavor(self, engine: OsmemServer) -> None:
        assert await detect_flavor(engine.url) == "opensearch"
        es = await open_search_client(engine.url)
        try:
            assert (await es.info())["version"]["distribution"] == "opensearch"
        finally:
            await es.close()

    async def test_forced_flavor(self, engine: OsmemServer) -> None:
        es = make_search_client(engine.url, "opensearch")
        try:
            assert (await es.cluster.health())["status"] in {"green", "yellow"}
        finally:
            await es.close()
        with pytest.raises(ValueError):
            make_search_client(engine.url, "solr")

    async def test_ensure_and_swap_alias(self, client: AsyncElasticsearch) -> None:
        alias = f"t{uuid.uuid4().hex[:8]}_subjects"
        first = await ensure_alias(client, alias)
        assert first == f"{alias}_v1"
        assert await ensure_alias(client, alias) == first
        await client.index(index=alias, id="1", document=build_document(ROWS[0].snapshot(), VAULT), refresh=True)

        second = await create_versioned_index(client, alias, "v2")
        await client.index(index=second, id="2", document=build_document(ROWS[1].snapshot(), VAULT), refresh=True)
        await swap_alias(client, alias, second)
        assert await concrete_indices(client, alias) == [second]
        assert not (await client.indices.exists(index=first)).body
        assert [hit.id for hit in (await search(client, alias, "常州星辰")).hits] == [2]

    async def test_ensure_alias_adopts_an_index_left_without_alias(self, client: AsyncElasticsearch) -> None:
        alias = f"t{uuid.uuid4().hex[:8]}_subjects"
        orphan = await create_versioned_index(client, alias, "v1")
        assert await ensure_alias(client, alias) == orphan
        assert await concrete_indices(client, alias) == [orphan]

    async def test_external_versioning_ignores_older_revisions(self, client: AsyncElasticsearch) -> None:
        alias = f"t{uuid.uuid4().hex[:8]}_subjects"
        index = await ensure_alias(client, alias)
        newer = build_document(ROWS[0].snapshot(), VAULT) | {"revision": 5}
        await client.index(index=index, id="1", document=newer, version=5, version_type="external")
        with pytest.raises(ConflictError):
            await client.index(index=index, id="1", document=newer, version=4, version_type="external")
