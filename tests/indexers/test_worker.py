"""The outbox worker, its failure handling and dead letters, the sweeper, the reindex and /metrics,
against the real PostgreSQL and the engine over HTTP (a database and index prefix of their own)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from credit import clock
from credit.enums import SubjectKind
from credit.models import OutboxEntry, Subject
from credit.outbox.queue import CHANNEL, touch_subjects
from credit.outbox.work import unit_of_work
from credit.platform.config import Settings
from credit.platform.runtime import Runtime
from credit.search.client import make_search_client
from credit.subjects.profiles import ProfileStore, RoleClass, cache_key, encode
from indexers import metrics
from indexers.documents import load_documents, read_documents
from indexers.worker import Indexer
from indexers.writes import EngineUnavailable, write_documents
from tests.conftest import free_port, serving, wait_for
from tests.indexers.conftest import load_demo, pending, revision_of
from tests.support.cli import cli
from tests.support.faults import compare_index

pytestmark = pytest.mark.integration


class TestIndexer:
    async def test_every_change_is_indexed_at_its_revision(self, rt: Runtime) -> None:
        await load_demo(rt)
        await Indexer(rt, sweep_interval=None).drain()
        assert await pending(rt) == []
        assert rt.search is not None
        comparison = await compare_index(rt, rt.search)
        assert comparison.checked == 40
        assert (comparison.missing, comparison.stale, comparison.resurrected) == ([], [], [])

    async def test_a_subjects_later_rows_are_coalesced_into_the_same_write(self, rt: Runtime) -> None:
        await load_demo(rt, 3)
        indexer = Indexer(rt, sweep_interval=None, batch_size=1)
        await indexer.drain()
        for subject_id in (1, 2, 1, 3, 1):
            async with unit_of_work(rt) as work:
                await touch_subjects(work, [subject_id], "test")
        assert await indexer.process_batch() == 3  # subject 1's three rows, one document
        assert sorted(r[0] for r in await pending(rt)) == [2, 3]

    async def test_a_late_stale_write_is_refused(self, rt: Runtime) -> None:
        await load_demo(rt, 5)
        indexer = Indexer(rt, sweep_interval=None)
        await indexer.drain()
        async with rt.sessions() as session:
            old = await load_documents(session, rt.vault, [1], clock.today())
        async with unit_of_work(rt) as work:
            await touch_subjects(work, [1], "test")
        await indexer.drain()
        assert rt.search is not None
        result = await write_documents(rt.search, rt.alias, old.documents)  # the late write
        assert result.stale == {1} and not result.written
        indexed = await rt.search.get(index=rt.alias, id="1")
        assert indexed["_source"]["revision"] == await revision_of(rt, 1) == old.documents[1].revision + 1

    async def test_a_profile_cached_across_a_change_is_never_served_after_it(self, rt: Runtime) -> None:
        """A request reads a profile, a change commits and is indexed, then the request writes its
        (now stale) profile to the cache: the revision the indexer stamped turns it into a miss."""
        await load_demo(rt, 3)
        indexer = Indexer(rt, sweep_interval=None)
        await indexer.drain()
        store = ProfileStore(rt.sessions, rt.broker)
        today = clock.today()
        before = (await store.load([1], RoleClass.PUBLIC, today))[1]
        async with unit_of_work(rt) as work:
            await touch_subjects(work, [1], "test")
        await indexer.drain()
        await rt.broker.set(cache_key(1, RoleClass.PUBLIC), encode(before), 300)  # the late fill
        after = (await store.load([1], RoleClass.PUBLIC, today))[1]
        assert after.subject.revision == before.subject.revision + 1 == await revision_of(rt, 1)

    async def test_the_same_revision_built_on_a_later_day_replaces_the_earlier_one(self, rt: Runtime) -> None:
        """Around midnight two workers may build one revision for two days: the later day must win."""
        await load_demo(rt, 3)
        await Indexer(rt, sweep_interval=None).drain()
        today = clock.today()
        async with rt.sessions() as session:
            earlier = await load_documents(session, rt.vault, [1], today - dt.timedelta(days=1))
            later = await load_documents(session, rt.vault, [1], today + dt.timedelta(days=1))
        assert earlier.documents[1].revision == later.documents[1].revision
        assert rt.search is not None
        assert (await write_documents(rt.search, rt.alias, later.documents)).written == {1}
        assert (await write_documents(rt.search, rt.alias, earlier.documents)).stale == {1}
        indexed = await rt.search.get(index=rt.alias, id="1")
        assert indexed["_version"] == later.documents[1].version

    async def test_a_deleted_subject_is_not_resurrected_by_a_late_write(self, rt: Runtime) -> None:
        await load_demo(rt, 5)
        indexer = Indexer(rt, sweep_interval=None)
        await indexer.drain()
        old = await read_documents(rt, [2])
        async with rt.sessions.begin() as session:
            for table in ("record_events", "objections", "repairs"):
                await session.execute(
                    text(f"DELETE FROM {table} WHERE record_id IN (SELECT id FROM records WHERE subject_id = 2)")
                )
            await session.execute(text("DELETE FROM records WHERE subject_id = 2"))
            await session.execute(text("DELETE FROM subjects WHERE id = 2"))
            # touch_subjects queues existing subjects only; a deleting command queues its subject itself.
            await session.execute(text("INSERT INTO outbox (subject_id, reason) VALUES (2, 'deleted')"))
        await indexer.drain()
        assert rt.search is not None
        assert not (await rt.search.options(ignore_status=404).get(index=rt.alias, id="2"))["found"]
        late = await write_documents(rt.search, rt.alias, old.documents, require_alias=True)
        assert late.stale == {2}
        indexed = await rt.search.options(ignore_status=404).get(index=rt.alias, id="2")
        assert not indexed["found"]
        assert (await compare_index(rt, rt.search, deleted={2})).resurrected == []

    @pytest.mark.parametrize("answer", ["unreachable", "429", "503"])
    async def test_engine_trouble_is_retried_and_never_dead_letters(self, rt: Runtime, answer: str) -> None:
        await load_demo(rt, 3)
        before = await pending(rt)
        server: asyncio.Server | None = None
        port = free_port()
        if answer != "unreachable":

            async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                await reader.readuntil(b"\r\n\r\n")
                body = b'{"error":{"type":"es_rejected_execution_exception","reason":"busy"},"status":%s}' % (
                    answer.encode()
                )
                writer.write(
                    b"HTTP/1.1 %s Busy\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                    b"connection: close\r\n\r\n%s" % (answer.encode(), len(body), body)
                )
                await writer.drain()
                writer.close()

            server = await asyncio.start_server(respond, "127.0.0.1", port)
        broken = make_search_client(f"http://127.0.0.1:{port}", "opensearch")
        try:
            indexer = Indexer(dataclasses.replace(rt, search=broken), sweep_interval=None, max_attempts=1)
            for _ in range(3):
                with pytest.raises(EngineUnavailable):
                    await indexer.process_batch()
            assert indexer.engine_failures == 3
        finally:
            await broken.close()
            if server is not None:
                server.close()
        assert await pending(rt) == before  # released untouched: no attempt counted, nothing dead
        await Indexer(rt, sweep_interval=None).drain()
        assert await pending(rt) == []

    async def test_a_poisoned_row_becomes_a_dead_letter_and_is_replayed(
        self, rt: Runtime, indexer_settings: Settings
    ) -> None:
        await load_demo(rt, 10)
        indexer = Indexer(rt, sweep_interval=None, max_attempts=2)
        await indexer.drain()
        async with unit_of_work(rt) as work:
            session = work.session
            person = await session.scalar(
                select(Subject).where(Subject.kind == SubjectKind.NATURAL_PERSON).order_by(Subject.id).limit(1)
            )
            assert person is not None and person.personal_data is not None
            sid, good = person.id, person.personal_data
            person.personal_data = b"\x00" * len(good)  # undecryptable: its document cannot be built
            await touch_subjects(work, [sid, 1 if sid != 1 else 3], "test")
        await indexer.process_batch()
        rows = await pending(rt)
        assert [(r[0], r[1], r[2]) for r in rows] == [(sid, 1, False)]  # the other subject went through
        async with rt.engine.begin() as conn:
            await conn.execute(text("UPDATE outbox SET available_at = now()"))
        await indexer.process_batch()
        ((subject, attempts, dead, error),) = await pending(rt)
        assert (subject, attempts, dead) == (sid, 2, True) and error
        assert await indexer.process_batch() == 0  # dead letters are left alone

        status = cli(indexer_settings, "outbox")
        assert status.returncode == 0, status.stderr
        assert "dead letters 1" in status.stdout and f"subject {sid}" in status.stdout

        async with rt.sessions.begin() as session:
            await session.execute(select(Subject).where(Subject.id == sid))
            await session.execute(
                Subject.__table__.update().where(Subject.id == sid).values(personal_data=good)  # type: ignore[attr-defined]
            )
        replay = cli(indexer_settings, "outbox", "replay")
        assert replay.returncode == 0 and "replaying 1" in replay.stdout
        await indexer.drain()
        assert await pending(rt) == []
        assert rt.search is not None
        comparison = await compare_index(rt, rt.search)
        assert (comparison.missing, comparison.stale) == ([], [])

    async def test_notify_wakes_the_worker_and_a_dropped_listen_connection_comes_back(self, rt: Runtime) -> None:
        await load_demo(rt, 5)
        stop = asyncio.Event()
        # A long poll interval: only a notification can make the change searchable quickly.
        task = asyncio.create_task(Indexer(rt, poll_interval=30, sweep_interval=None).run(stop))
        assert rt.search is not None
        search = rt.search

        async def listening() -> list[int]:
            async with rt.engine.connect() as conn:
                rows = await conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE query = :q AND datname = current_database()"),
                    {"q": f"LISTEN {CHANNEL}"},
                )
                return [r[0] for r in rows]

        async def change_and_time_it(subject_id: int) -> float:
            async with unit_of_work(rt) as work:
                await touch_subjects(work, [subject_id], "test")
            committed = time.perf_counter()
            revision = await revision_of(rt, subject_id)

            async def visible() -> bool:
                hits = await search.search(index=rt.alias, query={"ids": {"values": [str(subject_id)]}})
                return any(h["_source"]["revision"] == revision for h in hits["hits"]["hits"])

            await wait_for(visible, timeout=5, interval=0.01)
            return time.perf_counter() - committed

        try:
            await wait_for(lambda: _empty(rt), timeout=10)
            first = await listening()
            assert len(first) == 1
            assert await change_and_time_it(1) < 1.0
            async with rt.engine.connect() as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first[0]})
            await wait_for(lambda: _relistening(listening, first[0]), timeout=10)
            assert await change_and_time_it(2) < 1.0
        finally:
            stop.set()
            await task

    async def test_a_lock_queued_behind_the_claim_does_not_hang_the_worker(self, rt: Runtime) -> None:
        """A TRUNCATE or migration holding a table the documents need, and waiting for the outbox the
        claim holds, would wait forever on a worker waiting for it: the worker gives up instead."""
        await load_demo(rt, 5)
        indexer = Indexer(rt, sweep_interval=None)
        async with rt.engine.connect() as other:
            await other.begin()
            await other.execute(text("LOCK TABLE objections IN ACCESS EXCLUSIVE MODE"))
            batch = asyncio.create_task(indexer.process_batch())
            await asyncio.sleep(0.5)  # claimed, and reading documents: waiting for `objections`
            assert not batch.done()
            locking = asyncio.create_task(other.execute(text("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")))
            with pytest.raises(OperationalError, match="lock timeout"):
                await asyncio.wait_for(batch, 10)
            await asyncio.wait_for(locking, 5)  # the claim was released
            await other.rollback()
        await indexer.drain()
        assert await pending(rt) == []

    async def test_refreshes_are_spaced_by_the_refresh_gap(self, rt: Runtime) -> None:
        await load_demo(rt, 5)
        indexer = Indexer(rt, sweep_interval=None, refresh_gap=0.2)
        await indexer.drain()
        before = metrics.REFRESHES._value.get()
        started = time.perf_counter()
        for _ in range(10):
            async with unit_of_work(rt) as work:
                await touch_subjects(work, [1], "test")
            await indexer.process_batch()
        await asyncio.sleep(0.25)  # the last write's deferred refresh
        elapsed = time.perf_counter() - started
        forced = metrics.REFRESHES._value.get() - before
        assert 1 <= forced <= elapsed / 0.2 + 1


class TestMetrics:
    async def test_metrics_endpoint_reports_the_outbox_and_the_indexer(
        self, rt: Runtime, indexer_settings: Settings
    ) -> None:
        from creditgraph.wiring import create_app

        await load_demo(rt, 5)
        await Indexer(rt, sweep_interval=None).drain()
        async with unit_of_work(rt) as work:
            await touch_subjects(work, [1, 2, 3], "test")
        async with rt.engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE outbox SET dead = true, last_error = 'x', created_at = now() - interval '5 s'"
                    " WHERE subject_id = 3"
                )
            )
            await conn.execute(text("UPDATE outbox SET created_at = now() - interval '90 s' WHERE subject_id = 1"))
        async with (
            serving(create_app(indexer_settings, runtime=rt, run_worker=False)) as url,
            httpx.AsyncClient() as http,
        ):
            response = await http.get(f"{url}/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        values = {
            line.split(" ")[0]: float(line.split(" ")[1])
            for line in response.text.splitlines()
            if line and not line.startswith("#")
        }
        assert values["creditgraph_outbox_backlog"] == 2
        assert values["creditgraph_outbox_dead_letters"] == 1
        assert values["creditgraph_outbox_oldest_pending_age_seconds"] >= 90
        assert values["creditgraph_indexer_applied_total"] >= 5
        assert values["creditgraph_indexer_lag_seconds_count"] >= 5
        assert "creditgraph_indexer_lag_seconds_bucket" in response.text


async def _empty(runtime: Runtime) -> bool:
    async with runtime.sessions() as session:
        return (await session.scalar(select(func.count()).select_from(OutboxEntry))) == 0


async def _relistening(listening: Callable[[], Awaitable[list[int]]], old_pid: int) -> bool:
    pids = await listening()
    return bool(pids) and old_pid not in pids
