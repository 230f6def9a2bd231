"""The full reindex with its alias swap."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from credit import clock
from credit.platform.runtime import Runtime
from credit.search.client import concrete_indices
from indexers.documents import TOMBSTONE_VERSION, VERSION_DAY_BITS, SubjectDocument
from indexers.reindex import _delete_vanished, reindex
from indexers.worker import Indexer
from indexers.writes import write_documents
from tests.indexers.conftest import load_demo
from tests.support.faults import compare_index

pytestmark = pytest.mark.integration


class TestReindex:
    async def test_reindex_swaps_the_alias_and_removes_old_and_orphaned_indices(self, rt: Runtime) -> None:
        await load_demo(rt, 30)
        await Indexer(rt, sweep_interval=None).drain()
        assert rt.search is not None
        (old,) = await concrete_indices(rt.search, rt.alias)
        await rt.search.indices.create(index=f"{rt.alias}_v5")  # left by a reindex that died
        summary = await reindex(rt)
        assert summary.subjects == 30 and summary.queued == 0
        assert await concrete_indices(rt.search, rt.alias) == [summary.index]
        remaining = (await rt.search.indices.get(index=f"{rt.alias}_*")).body
        assert sorted(remaining) == [summary.index] and old != summary.index
        comparison = await compare_index(rt, rt.search)
        assert (comparison.missing, comparison.stale, comparison.resurrected) == ([], [], [])

    async def test_subjects_that_vanished_during_the_load_are_deleted(self, rt: Runtime) -> None:
        await load_demo(rt, 5)
        await Indexer(rt, sweep_interval=None).drain()
        assert rt.search is not None
        async with rt.engine.begin() as conn:
            await conn.execute(text("DELETE FROM subject_time_boundaries WHERE subject_id = 5"))
            for table in ("record_events", "objections", "repairs"):
                await conn.execute(
                    text(f"DELETE FROM {table} WHERE record_id IN (SELECT id FROM records WHERE subject_id = 5)")
                )
            await conn.execute(text("DELETE FROM records WHERE subject_id = 5"))
            await conn.execute(text("DELETE FROM subjects WHERE id = 5"))
        assert await _delete_vanished(rt, rt.search, rt.alias, [1, 2, 5]) == 1
        gone = await rt.search.options(ignore_status=404).get(index=rt.alias, id="5")
        assert not gone["found"]
        tombstone = await write_documents(
            rt.search,
            rt.alias,
            {5: SubjectDocument((TOMBSTONE_VERSION >> VERSION_DAY_BITS) - 1, {"id": 5}, None, clock.today())},
        )
        assert tombstone.stale == {5}
