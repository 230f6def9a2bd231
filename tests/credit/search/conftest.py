"""Fixtures of the search tests that talk to a real osmem-server over HTTP.

One engine per test module (module scope), and one client on it; each module loads its own index
under a random alias prefix, so modules never see each other's documents.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from elasticsearch import AsyncElasticsearch
from osmem_server import OsmemServer

from credit.platform.embedded import running_engine
from credit.search.client import make_search_client


@pytest.fixture(scope="module")
def engine() -> Iterator[OsmemServer]:
    with running_engine() as server:
        yield server


@pytest.fixture(scope="module")
async def client(engine: OsmemServer) -> AsyncIterator[AsyncElasticsearch]:
    es = make_search_client(engine.url, "auto")
    yield es
    await es.close()
