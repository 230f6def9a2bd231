"""Rate limits in query cost, per key and per address (api/guard/ratelimit.py), on the in-process broker."""

from __future__ import annotations

from typing import Any

import pytest

from api.guard.ratelimit import Budget, RateLimiter, address_bucket, key_bucket
from credit.access.viewer import ANONYMOUS, Viewer
from credit.enums import Role
from credit.platform.broker import MemoryBroker

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **overrides: Any) -> RateLimiter:
    options: dict[str, Any] = {
        "window_seconds": 60,
        "cost_per_key": 1000,
        "cost_per_address": 500,
        "rejected_cost": 50,
        "prefix": "test:rl:",
    }
    return RateLimiter(**(options | overrides), clock=clock)


class TestBudgets:
    def test_anonymous_requests_are_counted_per_address(self) -> None:
        assert limiter(Clock(0)).budgets(ANONYMOUS, "10.0.0.1") == [Budget("addr:10.0.0.1", 500)]

    def test_keyed_requests_per_key_and_address(self) -> None:
        viewer = Viewer(Role.JOURNALIST, key_id=7, name="paper")
        assert limiter(Clock(0)).budgets(viewer, "10.0.0.1") == [Budget("addr:10.0.0.1", 500), Budget("key:7", 1000)]


class TestCharge:
    async def test_cost_not_requests(self) -> None:
        clock = Clock(120.0)
        rl, broker = limiter(clock), MemoryBroker()
        budgets = rl.budgets(ANONYMOUS, "10.0.0.1")
        assert await rl.charge(broker, budgets, 300) is None
        assert await rl.charge(broker, budgets, 200) is None  # exactly the budget
        clock.now = 135.5
        assert await rl.charge(broker, budgets, 1) == 45  # seconds left in the window [120, 180), rounded up

    async def test_penalty_box_until_the_window_ends(self) -> None:
        clock = Clock(600.0)
        rl, broker = limiter(clock), MemoryBroker()
        budgets = rl.budgets(ANONYMOUS, "10.0.0.2")
        assert rl.blocked([address_bucket("10.0.0.2")]) is None
        await rl.charge(broker, budgets, 501)
        clock.now = 630.2
        assert rl.blocked([address_bucket("10.0.0.2")]) == 30
        assert rl.blocked([address_bucket("10.0.0.3")]) is None
        clock.now = 660.0  # the next window
        assert rl.blocked([address_bucket("10.0.0.2")]) is None
        assert await rl.charge(broker, budgets, 100) is None

    async def test_a_spent_key_does_not_block_its_address_for_others(self) -> None:
        clock = Clock(0.0)
        rl, broker = limiter(clock, cost_per_address=10_000), MemoryBroker()
        viewer = Viewer(Role.JOURNALIST, key_id=3, name="paper")
        assert await rl.charge(broker, rl.budgets(viewer, "10.0.0.4"), 1001) is not None
        assert rl.blocked([key_bucket(3)]) is not None
        assert rl.blocked([address_bucket("10.0.0.4")]) is None

    async def test_rejected_documents_cost_the_flat_rate(self) -> None:
        rl, broker = limiter(Clock(0.0)), MemoryBroker()
        budgets = rl.budgets(ANONYMOUS, "10.0.0.5")
        for _ in range(10):
            assert await rl.charge_rejected(broker, budgets) is None  # 10 × 50 = 500
        assert await rl.charge_rejected(broker, budgets) is not None

    async def test_a_failing_broker_lets_requests_through(self) -> None:
        class Down(MemoryBroker):
            async def incr_window(self, key: str, amount: int, window_seconds: int) -> int:
                raise ConnectionError("down")

        rl = limiter(Clock(0.0))
        assert await rl.charge(Down(), rl.budgets(ANONYMOUS, "10.0.0.6"), 10**6) is None
