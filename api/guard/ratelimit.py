"""Rate limits per API key and per client address, counted in query cost (`api.guard.complexity`).

Fixed windows aligned to the clock (`rate_limit_window_seconds`): each request adds its cost to the
counters of its buckets (`key:<id>` for a keyed request, `addr:<address>` always) through the
broker's `incr_window`, so several API processes share one budget (Redis); the embedded default
counts in process. A request that passes a budget is refused with RATE_LIMITED and the seconds
until the window ends (`extensions.retryAfter`, `Retry-After`).

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


def address_bucket(address: str) -> str:
    return f"addr:{address}"


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
        self._penalty_box: dict[str, float] = {}  # bucket → when its window ends (clock time)
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

    def budgets(self, viewer: Viewer, address: str) -> list[Budget]:
        budgets = [Budget(address_bucket(address), self.cost_per_address)]
        if viewer.key_id is not None:
            budgets.append(Budget(key_bucket(viewer.key_id), self.cost_per_key))
        return budgets

    def _retry_after(self, until: float, now: float) -> int:
        return max(1, math.ceil(until - now))

    def blocked(self, buckets: Iterable[str]) -> int | None:
        """Seconds until the first of `buckets` leaves the penalty box, None when none is in it."""
        now = self._clock()
        for bucket in buckets:
            until = self._penalty_box.get(bucket)
            if until is not None:
                if until > now:
                    return self._retry_after(until, now)
                del self._penalty_box[bucket]
        return None

    async def charge(self, broker: Broker, budgets: list[Budget], cost: int) -> int | None:
        """Add `cost` to each budget's counter; the retry-after seconds when one is passed, else None."""
        if cost <= 0 or not budgets:
            return None
        now = self._clock()
        window = int(now // self.window_seconds)
        ends = (window + 1) * self.window_seconds
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
        over = [b for b, total in zip(budgets, totals, strict=True) if total > b.limit]
        if not over:
            return None
        if len(self._penalty_box) > _PENALTY_BOX_PRUNE_AT:
            self._penalty_box = {k: v for k, v in self._penalty_box.items() if v > now}
        for budget in over:
            self._penalty_box[budget.bucket] = ends
        return self._retry_after(ends, now)

    async def charge_rejected(self, broker: Broker, budgets: list[Budget]) -> int | None:
        return await self.charge(broker, budgets, self.rejected_cost)
