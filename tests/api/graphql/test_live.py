"""The live-disclosure hub: change events in, filtered records in public disclosure out, and a
subscriber that does not read cannot hold up the others. Real PostgreSQL, in-process broker."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import orjson
import pytest
from graphql import ExecutionResult

from api.graphql.live import DisclosureHub
from credit.disclosures.feed import FeedFilter
from credit.enums import RecordCategory
from credit.outbox.events import CHANGES, record_ids_of
from credit.platform.broker import MemoryBroker
from credit.platform.runtime import Runtime
from tests.support.feed_data import company, import_lines, mixed_records, record_ids, set_status

pytestmark = pytest.mark.integration


@pytest.fixture
async def hub_db(clean_db: Runtime) -> Runtime:
    subjects = [company(1, "320402"), company(2, "110105")]
    await import_lines(clean_db, subjects)
    await import_lines(clean_db, mixed_records([s["code"] for s in subjects], 40))
    return clean_db


@contextlib.asynccontextmanager
async def running(hub: DisclosureHub) -> AsyncIterator[None]:
    task = asyncio.create_task(hub.run())
    await asyncio.sleep(0.05)  # the reader subscribes to the broker
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def publish(broker: MemoryBroker, ids: list[int]) -> None:
    await broker.publish(CHANGES, orjson.dumps({"subjectId": 1, "recordIds": ids}))


class TestDisclosureHub:
    async def test_delivers_matching_disclosed_records_once_per_event(self, hub_db: Runtime) -> None:
        broker = MemoryBroker()
        hub = DisclosureHub(replace(hub_db, broker=broker))
        ids = await record_ids(hub_db)
        await set_status(hub_db, ids[:2], "REVOKED")
        penalties = FeedFilter.of(categories=[RecordCategory.ADMINISTRATIVE_PENALTY])
        beijing = FeedFilter.of(region_code_prefix="11")
        async with running(hub), hub.subscribe(FeedFilter()) as everyone, hub.subscribe(penalties) as pen:
            async with hub.subscribe(beijing) as bj:
                await publish(broker, ids[:16])  # 12 records of the first subject, 4 of the second
                got = [await asyncio.wait_for(everyone.next(), 2) for _ in range(14)]
                assert sorted(d.record.id for d in got if d) == ids[2:16]  # revoked ones never go out
                await asyncio.sleep(0.05)
                assert pen.pending and all(
                    d.record.category is RecordCategory.ADMINISTRATIVE_PENALTY for d in list(pen._queue)
                )
                assert bj.pending and all(d.subject.region_code == "110105" for d in list(bj._queue))
                assert everyone.pending == 0
            assert hub.subscribers == 2
        assert hub.subscribers == 0

    async def test_streams_end_when_the_hub_stops(self, hub_db: Runtime) -> None:
        hub = DisclosureHub(replace(hub_db, broker=MemoryBroker()))
        task = asyncio.create_task(hub.run())
        async with hub.subscribe(FeedFilter()) as subscriber:
            waiting = asyncio.create_task(subscriber.next())
            await asyncio.sleep(0.05)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            assert await asyncio.wait_for(waiting, 1) is None

    async def test_a_stalled_subscriber_loses_its_oldest_and_stalls_no_one(self, hub_db: Runtime) -> None:
        broker = MemoryBroker()
        hub = DisclosureHub(replace(hub_db, broker=broker), queue_size=5)
        ids = await record_ids(hub_db)
        async with running(hub), hub.subscribe(FeedFilter()) as stalled, hub.subscribe(FeedFilter()) as reader:
            received: list[int] = []

            async def read(count: int) -> None:
                while len(received) < count:
                    delivery = await reader.next()
                    assert delivery is not None
                    received.append(delivery.record.id)

            for record_id in ids:  # one event per record, as fast as they come
                await publish(broker, [record_id])
                await asyncio.sleep(0.005)
                await asyncio.wait_for(read(len(received) + 1), 2)
            assert received == ids
            assert stalled.pending == 5 and stalled.dropped == len(ids) - 5
            kept = [(await stalled.next()).record.id for _ in range(5)]  # type: ignore[union-attr]
            assert kept == ids[-5:]

    async def test_survives_malformed_events_and_unknown_ids(self, hub_db: Runtime) -> None:
        broker = MemoryBroker()
        hub = DisclosureHub(replace(hub_db, broker=broker))
        ids = await record_ids(hub_db)
        async with running(hub), hub.subscribe(FeedFilter()) as subscriber:
            await broker.publish(CHANGES, b"not json")
            await broker.publish(CHANGES, orjson.dumps({"subjectId": 1}))
            await publish(broker, [10**12])
            await publish(broker, [ids[0]])
            delivery = await asyncio.wait_for(subscriber.next(), 2)
            assert delivery is not None and delivery.record.id == ids[0]

    def test_record_ids_of(self) -> None:
        assert record_ids_of(b'{"subjectId": 1, "recordIds": [3, 4]}') == [3, 4]
        assert record_ids_of(b'{"subjectId": 1, "recordIds": [3, "4", true, null]}') == [3]
        assert record_ids_of(b'{"subjectId": 1}') == []
        assert record_ids_of(b"[1, 2]") == []
        assert record_ids_of(b"\xff") == []


class TestSharedRendering:
    """Issue 18, finding 5: an event is rendered once per (role class, operation), not once per subscriber."""

    async def test_subscribers_of_one_role_class_and_operation_share_one_rendering(self, hub_db: Runtime) -> None:
        from types import SimpleNamespace

        from api.graphql.context import Context
        from api.graphql.schema import schema
        from credit.access.viewer import ANONYMOUS, Viewer
        from credit.enums import Role

        hub = DisclosureHub(replace(hub_db, broker=MemoryBroker()))
        request: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(disclosure_hub=hub)), scope={})
        query = "subscription { disclosurePublished { id title subject { name } } }"
        other = "subscription { disclosurePublished { id } }"
        journalist = Viewer(Role.JOURNALIST, key_id=1)
        cases = [(ANONYMOUS, query), (ANONYMOUS, query), (journalist, query), (ANONYMOUS, other)]
        streams = []
        for viewer, document in cases:
            stream = await schema.subscribe(document, context_value=Context(hub_db, viewer, request))
            assert not isinstance(stream, ExecutionResult), stream
            streams.append(stream)
        pending = [asyncio.ensure_future(anext(stream)) for stream in streams]
        await asyncio.sleep(0.05)  # every stream has subscribed
        assert hub.subscribers == 4
        ids = await record_ids(hub_db)
        assert await hub.deliver(ids[:1]) == 1
        results = [await asyncio.wait_for(task, 5) for task in pending]
        assert all(not r.errors for r in results), [r.errors for r in results]
        public, again, journalists, smaller = (r.data for r in results)
        assert public is again  # one rendering, handed to both
        assert journalists is not public and smaller is not public  # another role class, another operation
        assert public == again and public is not None and public["disclosurePublished"]["title"]
        for stream in streams:
            await stream.aclose()


class TestPacer:
    async def test_at_most_per_tick_waiters_go_on_per_turn_of_the_loop_in_order(self) -> None:
        from api.graphql.live import Pacer

        pacer = Pacer(per_tick=2, per_second=1e9)
        done: list[int] = []

        async def wait(n: int) -> None:
            await pacer.turn()
            done.append(n)

        tasks = [asyncio.create_task(wait(n)) for n in range(7)]
        seen = []
        for _ in range(12):
            await asyncio.sleep(0)
            seen.append(len(done))
        await asyncio.gather(*tasks)
        steps = [b - a for a, b in itertools.pairwise([0, *seen])]
        assert max(steps) <= 2 and done == list(range(7))
