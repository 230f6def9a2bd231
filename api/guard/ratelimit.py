"""Rate limits per API key and per client address, counted in query cost (`api.guard.complexity`).

Fixed windows aligned to the clock (`rate_limit_window_seconds`): each request adds its cost to the
counter of its bucket through the broker's `incr_window`, so several API processes share one budget
(Redis); the embedded default counts in process. A keyed request counts against its key only
(`key:<id>`, the key's own `rate_limit` or `rate_limit_cost_per_key`): a bank behind one NAT or a
website's server with its key is never throttled as the anonymous clients of its address. An
anonymous request counts against its address (`addr:<address>`), and failed authentications against
the address's pre-authentication bucket (`auth:<address>`), so a flood of bad keys cannot make
anonymous visitors, or the good keys, of the same address wait. A request that passes a budget is
refused with RATE_LIMITED and the seconds until the window ends (`extensions.retryAfter`,
`Retry-After`). Every charged answer tells the client where it stands (`Usage.headers`: the IETF
draft's `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`).

A bucket that passed its budget also goes into this process's penalty box until its window ends:
its next requests are refused before their body is read, their key is looked up or their document
is parsed, so a client flooding the service costs it almost nothing. Documents refused before
execution (unparsable, too complex, bad `first`) and failed authentications are charged a flat
`rate_limit_rejected_cost`, so a flood of them runs into the penalty box too.

When the broker fails, requests are let through (the limits are a protection, not a ledger) and a
warning is logged at most once a window.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from credit.access.viewer import Viewer
from credit.platform.broker import Broker
from credit.platform.config import Settings

log = logging.getLogger("creditgraph.ratelimit")

_PENALTY_BOX_PRUNE_AT = 10_000


@dataclass(frozen=True)
class Budget:
    """A bucket (`key:12`, `addr:10.0.0.1`) and the cost it may spend in one window."""

    bucket: str
    limit: int


@dataclass(frozen=True)
class Usage:
    """Where a budget stands after a charge: its limit, what is left of it and the seconds until its
    window ends; `retry_after` is set when the charge passed the budget (the request is refused)."""

    limit: int
    remaining: int
    reset: int
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        """The rate-limit fields of draft-ietf-httpapi-ratelimit-headers (`RateLimit-Reset` in seconds)."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def address_bucket(address: str) -> str:
    return f"addr:{address}"


def auth_bucket(address: str) -> str:
    """Failed authentications (and other refusals before the key is known) of requests that carry a key."""
    return f"auth:{address}"


def key_bucket(key_id: int) -> str:
    return f"key:{key_id}"


class RateLimiter:
    def __init__(
        self,
        *,
        window_seconds: int,
        cost_per_key: int,
        cost_per_address: int,
        rejected_cost: int,
        prefix: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.window_seconds = max(1, window_seconds)
        self.cost_per_key = cost_per_key
        self.cost_per_address = cost_per_address
        self.rejected_cost = rejected_cost
        self.prefix = prefix
        self._clock = clock
        self._penalty_box: dict[str, tuple[float, int]] = {}  # bucket → (when its window ends, its limit)
        self._broker_failed_in: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(
            window_seconds=settings.rate_limit_window_seconds,
            cost_per_key=settings.rate_limit_cost_per_key,
            cost_per_address=settings.rate_limit_cost_per_address,
            rejected_cost=settings.rate_limit_rejected_cost,
            prefix=settings.rate_limit_key_prefix,
        )

    def key_limit(self, viewer: Viewer) -> int:
        """The key's budget per window: its own `rate_limit` (cost per minute, scaled to the window)
        or the default `cost_per_key`."""
        if viewer.rate_limit is None:
            return self.cost_per_key
        return max(1, math.ceil(viewer.rate_limit * self.window_seconds / 60))

    def budgets(self, viewer: Viewer, address: str) -> list[Budget]:
        """The budget a request counts against: its key's, or for an anonymous request its address's."""
        if viewer.key_id is not None:
            return [Budget(key_bucket(viewer.key_id), self.key_limit(viewer))]
        return [Budget(address_bucket(address), self.cost_per_address)]

    def pre_auth_budget(self, address: str, keyed: bool) -> Budget:
        """The budget of a request refused before its key is known: the address's, or for requests that
        carry a key the address's pre-authentication bucket."""
        return Budget(auth_bucket(address) if keyed else address_bucket(address), self.cost_per_address)

    def _retry_after(self, until: float, now: float) -> int:
        return max(1, math.ceil(until - now))

    def blocked(self, buckets: Iterable[str]) -> int | None:
        """Seconds until the first of `buckets` leaves the penalty box, None when none is in it."""
        usage = self.penalised(buckets)
        return usage.retry_after if usage is not None else None

    def penalised(self, buckets: Iterable[str]) -> Usage | None:
        """The refusal of the first of `buckets` in the penalty box (nothing left until its window
        ends), None when none is in it."""
        now = self._clock()
        for bucket in buckets:
            entry = self._penalty_box.get(bucket)
            if entry is not None:
                until, limit = entry
                if until > now:
                    retry = self._retry_after(until, now)
                    return Usage(limit=limit, remaining=0, reset=retry, retry_after=retry)
                del self._penalty_box[bucket]
        return None

    async def charge(self, broker: Broker, budgets: list[Budget], cost: int) -> Usage | None:
        """Add `cost` to each budget's counter. The usage of the budget with the least left (its
        `retry_after` set when one is passed); None when nothing was counted (no cost, broker down)."""
        if cost <= 0 or not budgets:
            return None
        now = self._clock()
        window = int(now // self.window_seconds)
        ends = (window + 1) * self.window_seconds
        reset = self._retry_after(ends, now)
        try:
            totals = await asyncio.gather(
                *(
                    broker.incr_window(f"{self.prefix}{b.bucket}:{window}", cost, self.window_seconds + 1)
                    for b in budgets
                )
            )
        except Exception as exc:  # the broker holds nothing precious: let the request through
            if self._broker_failed_in != window:
                self._broker_failed_in = window
                log.warning("rate limits not enforced: broker unavailable (%s)", type(exc).__name__)
            return None
        spent = [(b, int(total)) for b, total in zip(budgets, totals, strict=True)]
        tightest, total = min(spent, key=lambda pair: pair[0].limit - pair[1])
        over = [b for b, t in spent if t > b.limit]
        if not over:
            return Usage(limit=tightest.limit, remaining=tightest.limit - total, reset=reset)
        if len(self._penalty_box) > _PENALTY_BOX_PRUNE_AT:
            self._penalty_box = {k: v for k, v in self._penalty_box.items() if v[0] > now}
        for budget in over:
            self._penalty_box[budget.bucket] = (ends, budget.limit)
        return Usage(limit=tightest.limit, remaining=0, reset=reset, retry_after=reset)

    async def charge_rejected(self, broker: Broker, budgets: list[Budget]) -> Usage | None:
        return await self.charge(broker, budgets, self.rejected_cost)
