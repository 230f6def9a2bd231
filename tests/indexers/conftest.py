"""Fixtures of the indexer tests: a database and an index prefix of their own per module (the worker
under test must be the only one consuming its outbox), emptied before each test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import orjson
import pytest
from osmem_server import OsmemServer
from sqlalchemy import select, text

from credit.models import Subject
from credit.platform.config import Settings
from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from creditgraph.demo.generator import generate
from tests.support.faults import dedicated_database, own_runtime, reset, settings_for


@pytest.fixture(scope="module")
def indexer_settings(
    admin_database_url: str, search_server: OsmemServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    with dedicated_database(admin_database_url, f"creditgraph_i{os.getpid()}") as url:
        yield settings_for(url, search_server.url, tmp_path_factory.mktemp("indexer"), f"i{os.getpid()}_")


@pytest.fixture(scope="module")
async def module_runtime(indexer_settings: Settings) -> AsyncIterator[Runtime]:
    async with own_runtime(indexer_settings) as runtime:
        yield runtime


@pytest.fixture
async def rt(module_runtime: Runtime) -> Runtime:
    await reset(module_runtime)
    return module_runtime


async def load_demo(runtime: Runtime, subjects: int = 40) -> list[dict[str, object]]:
    lines = list(generate(subjects=subjects, seed=21))
    summary = await Importer(runtime).run(orjson.dumps(line) for line in lines)
    assert summary.rejected == []
    return lines


async def pending(runtime: Runtime) -> list[tuple[int, int, bool, str | None]]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(text("SELECT subject_id, attempts, dead, last_error FROM outbox ORDER BY id"))
        return [tuple(r) for r in rows.all()]


async def revision_of(runtime: Runtime, subject_id: int) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(Subject.revision).where(Subject.id == subject_id)) or 0)
