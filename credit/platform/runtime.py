"""The shared clients of a process (database, search engine, broker, vault), opened once.

`open_runtime` resolves every service: a configured URL, or the embedded default under
CREDITGRAPH_HOME. Apps and commands receive the `Runtime` and pass it down; nothing is global.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum

from elasticsearch import AsyncElasticsearch
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from credit.platform.broker import Broker, MemoryBroker, RedisBroker
from credit.platform.config import Settings
from credit.platform.crypto import Vault, vault_from_settings
from credit.platform.db import make_async_engine, session_factory
from credit.platform.embedded import find_search, search_state_file, start_postgres, start_search
from credit.platform.migrate import upgrade
from credit.search.client import open_search_client

log = logging.getLogger("creditgraph")


class SearchMode(StrEnum):
    NONE = "none"  # the command needs no search engine
    CONNECT = "connect"  # use the configured engine or a running embedded one, if any
    OWN = "own"  # as CONNECT, and start an embedded engine when there is none (serve)


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    broker: Broker
    vault: Vault
    search: AsyncElasticsearch | None
    search_url: str | None
    # True when this process started an empty in-memory engine: the index must be rebuilt.
    search_is_new: bool
    embedded_database: bool
    # True when the engine is the embedded one (started here or by a `serve` on the same home): its
    # index is rebuilt from PostgreSQL whenever it is missing or was built by another release.
    search_embedded: bool = False

    @property
    def alias(self) -> str:
        return self.settings.subjects_alias

    async def database_answers(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True


def resolve_database_url(settings: Settings) -> tuple[str, bool]:
    if settings.database_url:
        return settings.database_url, False
    return start_postgres(settings.home / "postgres"), True


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, search: SearchMode = SearchMode.CONNECT, migrate: bool = True, pool_size: int | None = None
) -> AsyncIterator[Runtime]:
    async with AsyncExitStack() as stack:
        url, embedded_db = await asyncio.to_thread(resolve_database_url, settings)
        vault = vault_from_settings(settings)
        if migrate:
            await asyncio.to_thread(upgrade, url, vault)
        engine = make_async_engine(url, pool_size or settings.db_pool_size)
        stack.push_async_callback(engine.dispose)
        broker: Broker = (
            RedisBroker(settings.redis_url, settings.redis_namespace) if settings.redis_url else MemoryBroker()
        )
        stack.push_async_callback(broker.close)
        search_url: str | None = settings.elasticsearch_url
        search_is_new = False
        search_embedded = search_url is None
        if search_url is None and search is not SearchMode.NONE:
            search_url = await asyncio.to_thread(find_search, settings.home)
            if search_url is None and search is SearchMode.OWN:
                embedded = await asyncio.to_thread(start_search, settings.home)
                stack.callback(embedded.close, search_state_file(settings.home))
                search_url, search_is_new = embedded.url, True
        client = None
        if search_url is not None and search is not SearchMode.NONE:
            client = await open_search_client(search_url, settings.search_engine_flavor)
            stack.push_async_callback(client.close)
        yield Runtime(
            settings=settings,
            database_url=url,
            engine=engine,
            sessions=session_factory(engine),
            broker=broker,
            vault=vault,
            search=client,
            search_url=search_url,
            search_is_new=search_is_new,
            embedded_database=embedded_db,
            search_embedded=search_embedded and search_url is not None,
        )
