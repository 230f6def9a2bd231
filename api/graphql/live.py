"""Live disclosures for `disclosurePublished`: one hub per API process.

The indexer publishes `{"subjectId": …, "recordIds": […]}` on the broker channel
`creditgraph:changes` after it has indexed a change (Redis pub/sub in production, so every API
process receives every event whichever worker indexed it). The hub listens once per process, reads
the changed records that are in public disclosure from PostgreSQL once per batch of events — not
once per subscriber — and offers each to the subscribers whose filter it matches. Each record is
rendered once per role class and operation, not once per subscriber (api/graphql/rendering.py), and
the subscribers take their turns through a `Pacer`, a few per turn of the event loop
(`ws_fanout_per_tick`) and at most `ws_fanout_per_second`, so that a fan-out to thousands of
subscriptions does not stall the requests served beside it.

A record is delivered whenever a change to it is indexed while it is in public disclosure: its
first publication, and later revisions or status changes (an objection filed: UNDER_OBJECTION).
Clients that only want new records keep the ids they have seen. Records that left disclosure
(revoked, repaired, expired) are never delivered.

Back-pressure: the hub never waits for a subscriber. Each subscriber has a bounded queue
(`queue_size`); when a client does not keep up its oldest undelivered records are dropped (counted
in `Subscriber.dropped`), so a slow or stalled websocket cannot hold up the hub or the others. The
events waiting for the hub itself are bounded the same way (`backlog`), and many waiting events are
read from the database together.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from credit import clock
from credit.disclosures import service
from credit.disclosures.feed import FeedFilter
from credit.models import CreditRecord, Subject
from credit.outbox.events import CHANGES, record_ids_of
from credit.platform.runtime import Runtime

log = logging.getLogger("creditgraph.live")


@dataclass(frozen=True, slots=True)
class Delivery:
    """A record in public disclosure on `today`, with its subject, as read after a change."""

    record: CreditRecord
    subject: Subject
    today: dt.date
    #: Its renderings by (role class, operation), shared by the subscribers (api/graphql/rendering.py).
    renderings: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)


class Pacer:
    """Lets waiters go on first come first served, at most `per_tick` per turn of the event loop and
    `per_second` a second.

    A fan-out to thousands of subscribers otherwise wakes them all in one turn, and every request
    waiting on the database or the network waits behind all of them; paced, a request waits at most
    behind `per_tick` messages at each of its own turns, and the fan-out takes at most the share of
    the process that `per_second` messages cost."""

    def __init__(self, per_tick: int, per_second: float) -> None:
        self.per_tick = max(1, per_tick)
        self.per_second = max(1.0, per_second)
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._scheduled = False
        self._allowance = float(self.per_tick)
        self._last = 0.0

    async def turn(self) -> None:
        future = asyncio.get_running_loop().create_future()
        self._waiting.append(future)
        self._schedule(0.0)
        await future

    def _schedule(self, delay: float) -> None:
        if not self._scheduled:
            self._scheduled = True
            loop = asyncio.get_running_loop()
            loop.call_later(delay, self._release) if delay > 0 else loop.call_soon(self._release)

    def _release(self) -> None:
        self._scheduled = False
        now = asyncio.get_running_loop().time()
        self._allowance = min(float(self.per_tick), self._allowance + (now - self._last) * self.per_second)
        self._last = now
        while self._waiting and self._allowance >= 1:
            future = self._waiting.popleft()
            if not future.done():  # a cancelled waiter takes no turn
                future.set_result(None)
                self._allowance -= 1
        if self._waiting:
            self._schedule((1 - self._allowance) / self.per_second if self._allowance < 1 else 0.0)


class Subscriber:
    """One `disclosurePublished` operation: its filter and its bounded queue (drop-oldest)."""

    def __init__(self, feed_filter: FeedFilter, queue_size: int, pacer: Pacer | None = None) -> None:
        self.filter = feed_filter
        self._pacer = pacer
        self.dropped = 0
        self._queue: deque[Delivery] = deque(maxlen=queue_size)
        self._ready = asyncio.Event()
        self._closed = False

    def offer(self, delivery: Delivery) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1  # the deque drops the oldest
        self._queue.append(delivery)
        self._ready.set()

    def close(self) -> None:
        self._closed = True
        self._ready.set()

    @property
    def pending(self) -> int:
        return len(self._queue)

    async def next(self) -> Delivery | None:
        """The oldest queued record, waiting for one and then for its turn; None once the hub has closed."""
        while not self._queue:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        if self._pacer is not None:
            await self._pacer.turn()  # the queue only grows meanwhile (drop-oldest keeps it non-empty)
        return self._queue.popleft()


class DisclosureHub:
    def __init__(
        self,
        runtime: Runtime,
        *,
        channel: str = CHANGES,
        queue_size: int = 100,
        backlog: int = 10_000,
        fanout_per_tick: int = 2,
        fanout_per_second: float = 1000.0,
        clock: Callable[[], dt.date] = clock.today,
    ) -> None:
        self._runtime = runtime
        self._broker = runtime.broker
        self._channel = channel
        self._queue_size = queue_size
        self._clock = clock
        self._subscribers: set[Subscriber] = set()
        self._events: deque[bytes] = deque(maxlen=backlog)
        self._wake = asyncio.Event()
        self._pacer = Pacer(fanout_per_tick, fanout_per_second)
        self.delivered = 0

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @contextlib.asynccontextmanager
    async def subscribe(self, feed_filter: FeedFilter) -> AsyncIterator[Subscriber]:
        subscriber = Subscriber(feed_filter, self._queue_size, self._pacer)
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    async def run(self) -> None:
        """Listen and deliver until cancelled; then every subscriber's stream ends."""
        reader = asyncio.create_task(self._read(), name="disclosure-hub-reader")
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                await self._deliver_pending()
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            for subscriber in list(self._subscribers):
                subscriber.close()

    async def _read(self) -> None:
        delay = 0.5
        while True:
            messages = self._broker.subscribe(self._channel)
            try:
                async for message in messages:
                    delay = 0.5
                    self._events.append(message)  # bounded: the oldest events go first
                    self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker holds nothing precious: reconnect and go on
                log.warning("change events unavailable (%s); retrying in %.1f s", type(exc).__name__, delay)
            finally:
                aclose = getattr(messages, "aclose", None)
                if aclose is not None:
                    with contextlib.suppress(Exception):
                        await aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)

    async def _deliver_pending(self) -> None:
        ids: list[int] = []
        while self._events:
            ids.extend(record_ids_of(self._events.popleft()))
        if not ids or not self._subscribers:
            return
        try:
            await self.deliver(ids)
        except Exception as exc:  # a database hiccup costs these live events, never the hub
            log.warning("could not load changed records (%s)", type(exc).__name__)

    async def deliver(self, record_ids: list[int]) -> int:
        """Read the records that are in public disclosure and offer them; returns how many were read.

        Subscribers with equal filters are matched once per record, and the loop gets a turn after
        each record's offers: a batch of 500 records for 2,000 subscribers is a million offers, which
        must not run in one go while requests wait."""
        today = self._clock()
        loaded = await service.disclosed_records(self._runtime, record_ids, today)  # by id: publication order
        by_filter: dict[FeedFilter, list[Subscriber]] = {}
        for subscriber in self._subscribers:
            by_filter.setdefault(subscriber.filter, []).append(subscriber)
        for record, subject in loaded:
            delivery = Delivery(record, subject, today)
            for feed_filter, subscribers in by_filter.items():
                if feed_filter.matches(record, subject):
                    for subscriber in subscribers:
                        subscriber.offer(delivery)
                    self.delivered += len(subscribers)
            await asyncio.sleep(0)
        return len(loaded)
