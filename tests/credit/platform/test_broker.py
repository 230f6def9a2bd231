"""The cache brokers (Redis, and the in-process one of the embedded default) behave alike."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from credit.platform.broker import Broker, MemoryBroker, RedisBroker
from credit.subjects.profiles import stamp_key, stamp_revisions

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
async def broker(request: pytest.FixtureRequest, redis_url: str | None) -> AsyncIterator[Broker]:
    if request.param == "memory":
        yield MemoryBroker()
        return
    if redis_url is None:
        pytest.skip("no Redis answers")
    client = RedisBroker(redis_url)
    try:
        yield client
    finally:
        await client.close()


async def test_raise_to_never_lowers_a_value(broker: Broker) -> None:
    key = f"t{os.getpid()}:raise"
    await broker.delete(key)
    await broker.raise_to({key: 5}, 60)
    await broker.raise_to({key: 3}, 60)  # a late, older report
    assert await broker.get(key) == b"5"
    await broker.raise_to({key: 8}, 60)
    assert await broker.get(key) == b"8"
    await broker.delete(key)


async def test_a_late_worker_never_lowers_the_indexed_revision(broker: Broker) -> None:
    subject_id = 10**12 + os.getpid()  # no real subject: the keys are this test's own
    await stamp_revisions(broker, {subject_id: 7})
    await stamp_revisions(broker, {subject_id: 6})  # built from an older snapshot, reported later
    assert await broker.get(stamp_key(subject_id)) == b"7"
    await broker.delete(stamp_key(subject_id))


async def test_a_namespace_keeps_keys_and_events_apart(redis_url: str | None) -> None:
    if redis_url is None:
        pytest.skip("no Redis answers")
    ours, theirs = RedisBroker(redis_url, f"t{os.getpid()}a:"), RedisBroker(redis_url, f"t{os.getpid()}b:")
    try:
        await ours.set("profile:1:public", b"ours", 60)
        assert await theirs.get("profile:1:public") is None
        waiting = asyncio.ensure_future(anext(aiter(theirs.subscribe("changes"))))
        await asyncio.sleep(0.1)  # subscribed
        await ours.publish("changes", b"not for them")
        await theirs.publish("changes", b"theirs")
        assert await asyncio.wait_for(waiting, 2) == b"theirs"
        waiting.cancel()
        await ours.delete("profile:1:public")
    finally:
        await ours.close()
        await theirs.close()
