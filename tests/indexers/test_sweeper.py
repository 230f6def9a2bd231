"""The sweeper: subjects whose records cross a time boundary are re-indexed."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select, text

from credit import clock
from credit.enums import RecordCategory, SubjectKind
from credit.models import Subject
from credit.outbox.work import unit_of_work
from credit.platform.runtime import Runtime
from credit.records.ingest import upsert_records
from credit.records.inputs import RecordInput
from indexers.documents import load_documents
from indexers.sweeper import Sweeper, record_boundaries, sweep_due
from indexers.worker import Indexer
from indexers.writes import write_documents
from tests.indexers.conftest import load_demo, pending, revision_of

pytestmark = pytest.mark.integration


class TestSweeper:
    async def test_boundaries_are_recorded_and_filled_in(self, rt: Runtime) -> None:
        await load_demo(rt, 20)
        await Indexer(rt, sweep_interval=None).drain()
        async with rt.engine.connect() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM subject_time_boundaries"))).scalar_one()
            assert count == 20
            await conn.execute(text("DELETE FROM subject_time_boundaries WHERE subject_id <= 10"))
            await conn.commit()
        await Sweeper(rt).sweep_once()
        async with rt.engine.connect() as conn:
            count = (await conn.execute(text("SELECT count(*) FROM subject_time_boundaries"))).scalar_one()
        assert count == 20

    async def test_a_passed_boundary_is_swept_even_after_downtime(self, rt: Runtime) -> None:
        await load_demo(rt, 10)
        indexer = Indexer(rt, sweep_interval=None)
        await indexer.drain()
        today = clock.today()
        async with rt.engine.begin() as conn:  # as if the worker had been down for a week
            await conn.execute(
                text("UPDATE subject_time_boundaries SET next_boundary = :d WHERE subject_id IN (3, 4)"),
                {"d": today - dt.timedelta(days=7)},
            )
        revisions = {sid: await revision_of(rt, sid) for sid in (3, 4)}
        sweeps = await asyncio.gather(sweep_due(rt, today), sweep_due(rt, today))  # two workers at once
        assert sorted(sweeps) == [0, 2] or sum(sweeps) == 2
        assert sorted(r[0] for r in await pending(rt)) == [3, 4]
        assert {sid: await revision_of(rt, sid) for sid in (3, 4)} == {3: revisions[3] + 1, 4: revisions[4] + 1}
        await indexer.drain()
        async with rt.engine.connect() as conn:
            due = (
                await conn.execute(
                    text("SELECT count(*) FROM subject_time_boundaries WHERE next_boundary <= :d"), {"d": today}
                )
            ).scalar_one()
            revision_rows: dict[int, int] = dict(
                (await conn.execute(text("SELECT subject_id, revision FROM subject_time_boundaries"))).all()
            )
        assert due == 0
        assert revision_rows[3] == revisions[3] + 1

    async def test_an_expired_list_entry_leaves_the_index_when_its_day_comes(self, rt: Runtime) -> None:
        """The document was built on a day the entry was in force; the sweep rebuilds it for today."""
        await load_demo(rt, 5)
        await Indexer(rt, sweep_interval=None).drain()
        today = clock.today()
        async with rt.sessions() as session:
            company = await session.scalar(
                select(Subject).where(Subject.kind == SubjectKind.LEGAL_PERSON).order_by(Subject.id).limit(1)
            )
        assert company is not None
        decided = today - dt.timedelta(days=400)
        entry = RecordInput.model_validate(
            {
                "sourceId": "SWEEP-1",
                "authority": "某市中级人民法院",
                "subjectCode": company.code,
                "category": RecordCategory.DISHONEST_JUDGMENT_DEBTOR.value,
                "title": "失信被执行人",
                "decidedOn": decided.isoformat(),
                "publishedOn": decided.isoformat(),
                "validUntil": (today - dt.timedelta(days=1)).isoformat(),
            },
            strict=False,
        )
        async with unit_of_work(rt) as work:
            await upsert_records(work, [entry], rt.vault, actor="test")
        # Index it as a worker did on a day when the entry was still in force, then forget the row.
        earlier = today - dt.timedelta(days=10)
        async with rt.sessions() as session:
            then = await load_documents(session, rt.vault, [company.id], earlier)
        assert then.documents[company.id].document["has_active_punishment"]
        assert then.documents[company.id].next_boundary == today
        assert rt.search is not None
        await write_documents(rt.search, rt.alias, then.documents)
        async with rt.engine.begin() as conn:
            await record_boundaries(conn, then.documents)
            await conn.execute(text("DELETE FROM outbox"))
        assert await Sweeper(rt).sweep_once() == 1
        await Indexer(rt, sweep_interval=None).drain()
        now = await rt.search.get(index=rt.alias, id=str(company.id))
        assert not now["_source"]["has_active_punishment"]
        assert now["_source"]["revision"] == await revision_of(rt, company.id)
