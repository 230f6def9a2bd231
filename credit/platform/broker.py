"""Cache, rate-limit counters and pub/sub: Redis in production, an in-process equivalent embedded.

Nothing stored here is precious: losing it costs a cache miss or a missed live event, never data.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

import redis.asyncio as redis


class Broker(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]: ...
    async def set(self, key: str, value: bytes, ttl_seconds: int, *, only_if_absent: bool = False) -> None: ...
    async def raise_to(self, values: Mapping[str, int], ttl_seconds: int) -> None: ...
    async def delete(self, *keys: str) -> None: ...
    async def incr_window(self, key: str, amount: int, window_seconds: int) -> int: ...
    async def publish(self, channel: str, message: bytes) -> None: ...
    def subscribe(self, channel: str) -> AsyncIterator[bytes]: ...
    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


_RAISE_TO = """
local current = redis.call('GET', KEYS[1])
if not current or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 0
"""


class RedisBroker:
    """`namespace` prefixes every key and channel, so that several deployments (or test sessions) can
    share one Redis without reading each other's cache entries or events."""

    def __init__(self, url: str, namespace: str = "") -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._raise_to = self._redis.register_script(_RAISE_TO)
        self._ns = namespace

    def _k(self, key: str) -> str:
        return self._ns + key

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(self._k(key))
        return value if value is None or isinstance(value, bytes) else str(value).encode()

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        values = await self._redis.mget([self._k(k) for k in keys])
        return [v if v is None or isinstance(v, bytes) else str(v).encode() for v in values]

    async def set(self, key: str, value: bytes, ttl_seconds: int, *, only_if_absent: bool = False) -> None:
        await self._redis.set(self._k(key), value, ex=ttl_seconds, nx=only_if_absent)

    async def raise_to(self, values: Mapping[str, int], ttl_seconds: int) -> None:
        """Set each integer key to its value unless it already holds a higher one (atomic per key)."""
        if values:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, value in values.items():
                    await self._raise_to(keys=[self._k(key)], args=[value, ttl_seconds], client=pipe)
                await pipe.execute()

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._redis.delete(*(self._k(k) for k in keys))

    async def incr_window(self, key: str, amount: int, window_seconds: int) -> int:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incrby(self._k(key), amount)
            pipe.expire(self._k(key), window_seconds, nx=True)
            total, _ = await pipe.execute()
        return int(total)

    async def publish(self, channel: str, message: bytes) -> None:
        await self._redis.publish(self._k(channel), message)

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        pubsub = self._redis.pubsub()
        channel = self._k(channel)
        await pubsub.subscribe(channel)
        try:
            async for item in pubsub.listen():
                if item.get("type") == "message":
                    yield bytes(item["data"])
        finally:
            await pubsub.unsubscribe(channel)
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()


class MemoryBroker:
    """In-process equivalent of `RedisBroker` for the embedded default (one process)."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._values: dict[str, tuple[bytes, float]] = {}
        self._counters: dict[str, tuple[int, float]] = {}
        self._subscribers: dict[str, set[asyncio.Queue[bytes]]] = defaultdict(set)
        self._queue_size = queue_size

    async def get(self, key: str) -> bytes | None:
        item = self._values.get(key)
        if item is None:
            return None
        if item[1] < time.monotonic():
            self._values.pop(key, None)
            return None
        return item[0]

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def set(self, key: str, value: bytes, ttl_seconds: int, *, only_if_absent: bool = False) -> None:
        if only_if_absent and await self.get(key) is not None:
            return
        if len(self._values) > 100_000:
            self._evict()
        self._values[key] = (value, time.monotonic() + ttl_seconds)

    async def raise_to(self, values: Mapping[str, int], ttl_seconds: int) -> None:
        for key, value in values.items():
            current = await self.get(key)
            if current is None or int(current) < value:
                await self.set(key, str(value).encode(), ttl_seconds)

    def _evict(self) -> None:
        now = time.monotonic()
        for key in [k for k, (_, exp) in self._values.items() if exp < now] or list(self._values)[:10_000]:
            self._values.pop(key, None)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._values.pop(key, None)

    async def incr_window(self, key: str, amount: int, window_seconds: int) -> int:
        now = time.monotonic()
        if len(self._counters) > 100_000:  # rate-limit keys are per window: drop the finished ones
            self._counters = {k: v for k, v in self._counters.items() if v[1] >= now}
        count, expires = self._counters.get(key, (0, now + window_seconds))
        if expires < now:
            count, expires = 0, now + window_seconds
        count += amount
        self._counters[key] = (count, expires)
        return count

    async def publish(self, channel: str, message: bytes) -> None:
        for queue in list(self._subscribers.get(channel, ())):
            if queue.full():  # a slow subscriber loses its oldest event, never stalls the others
                queue.get_nowait()
            queue.put_nowait(message)

    async def subscribe(self, channel: str) -> AsyncIterator[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(self._queue_size)
        self._subscribers[channel].add(queue)
        try:
            while True:
                yield await queue.get()
        finally:
            self._subscribers[channel].discard(queue)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._values.clear()


@asynccontextmanager
async def open_broker(url: str | None, namespace: str = "") -> AsyncIterator[Broker]:
    broker: Broker = RedisBroker(url, namespace) if url else MemoryBroker()
    try:
        yield broker
    finally:
        await broker.close()
