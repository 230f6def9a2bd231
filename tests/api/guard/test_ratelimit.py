"""Rate limits in query cost, per key and per address (api/guard/ratelimit.py), on the in-process broker."""

from __future__ import annotations

from typing import Any

import pytest

from api.guard.ratelimit import Budget, RateLimiter, Usage, address_bucket, auth_bucket, key_bucket
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

    def test_keyed_requests_count_against_the_key_only(self) -> None:
        viewer = Viewer(Role.JOURNALIST, key_id=7, name="paper")
        assert limiter(Clock(0)).budgets(viewer, "10.0.0.1") == [Budget("key:7", 1000)]

    def test_a_key_with_its_own_rate_limit_per_minute(self) -> None:
        viewer = Viewer(Role.FINANCIAL_INSTITUTION, key_id=8, name="bank", rate_limit=90_000)
        assert limiter(Clock(0)).budgets(viewer, "10.0.0.1") == [Budget("key:8", 90_000)]
        # a window of two minutes holds two minutes' worth
        assert limiter(Clock(0), window_seconds=120).budgets(viewer, "10.0.0.1") == [Budget("key:8", 180_000)]

    def test_refusals_before_authentication(self) -> None:
        rl = limiter(Clock(0))
        assert rl.pre_auth_budget("10.0.0.1", keyed=False) == Budget(address_bucket("10.0.0.1"), 500)
        assert rl.pre_auth_budget("10.0.0.1", keyed=True) == Budget(auth_bucket("10.0.0.1"), 500)


class TestCharge:
    async def test_cost_not_requests(self) -> None:
        clock = Clock(120.0)
        rl, broker = limiter(clock), MemoryBroker()
        budgets = rl.budgets(ANONYMOUS, "10.0.0.1")
        assert await rl.charge(broker, budgets, 300) == Usage(limit=500, remaining=200, reset=60)
        clock.now = 130.2
        assert await rl.charge(broker, budgets, 200) == Usage(limit=500, remaining=0, reset=50)  # exactly the budget
        clock.now = 135.5
        # seconds left in the window [120, 180), rounded up
        assert await rl.charge(broker, budgets, 1) == Usage(limit=500, remaining=0, reset=45, retry_after=45)

    async def test_headers(self) -> None:
        assert Usage(limit=500, remaining=20, reset=7).headers() == {
            "RateLimit-Limit": "500",
            "RateLimit-Remaining": "20",
            "RateLimit-Reset": "7",
        }
        assert Usage(limit=500, remaining=0, reset=7, retry_after=7).headers()["Retry-After"] == "7"

    async def test_penalty_box_until_the_window_ends(self) -> None:
        clock = Clock(600.0)
        rl, broker = limiter(clock), MemoryBroker()
        budgets = rl.budgets(ANONYMOUS, "10.0.0.2")
        assert rl.blocked([address_bucket("10.0.0.2")]) is None
        await rl.charge(broker, budgets, 501)
        clock.now = 630.2
        assert rl.blocked([address_bucket("10.0.0.2")]) == 30
        assert rl.penalised([address_bucket("10.0.0.2")]) == Usage(limit=500, remaining=0, reset=30, retry_after=30)
        assert rl.blocked([address_bucket("10.0.0.3")]) is None
        clock.now = 660.0  # the next window
        assert rl.blocked([address_bucket("10.0.0.2")]) is None
        assert await rl.charge(broker, budgets, 100) == Usage(limit=500, remaining=400, reset=60)

    async def test_a_spent_key_does_not_block_its_address_for_others(self) -> None:
        clock = Clock(0.0)
        rl, broker = limiter(clock, cost_per_address=10_000), MemoryBroker()
        viewer = Viewer(Role.JOURNALIST, key_id=3, name="paper")
        usage = await rl.charge(broker, rl.budgets(viewer, "10.0.0.4"), 1001)
        assert usage is not None and usage.retry_after is not None
        assert rl.blocked([key_bucket(3)]) is not None
        assert rl.blocked([address_bucket("10.0.0.4")]) is None

    async def test_two_keys_behind_one_address_each_spend_their_own_budget(self) -> None:
        rl, broker = limiter(Clock(0.0)), MemoryBroker()
        keys = [Viewer(Role.FINANCIAL_INSTITUTION, key_id=i, name=f"bank{i}") for i in (1, 2)]
        for viewer in keys:  # each key its whole 1000, though the address's budget is 500
            left = [await rl.charge(broker, rl.budgets(viewer, "10.0.0.9"), 100) for _ in range(10)]
            assert [u.remaining if u is not None and u.retry_after is None else None for u in left][-2:] == [100, 0]
        assert rl.blocked([address_bucket("10.0.0.9")]) is None
        usage = await rl.charge(broker, rl.budgets(ANONYMOUS, "10.0.0.9"), 500)
        assert usage is not None and usage.retry_after is None  # anonymous visitors kept their 500

    async def test_rejected_documents_cost_the_flat_rate(self) -> None:
        rl, broker = limiter(Clock(0.0)), MemoryBroker()
        budgets = rl.budgets(ANONYMOUS, "10.0.0.5")
        for _ in range(10):
            usage = await rl.charge_rejected(broker, budgets)  # 10 × 50 = 500
            assert usage is not None and usage.retry_after is None
        usage = await rl.charge_rejected(broker, budgets)
        assert usage is not None and usage.retry_after is not None

    async def test_a_failing_broker_lets_requests_through(self) -> None:
        class Down(MemoryBroker):
            async def incr_window(self, key: str, amount: int, window_seconds: int) -> int:
                raise ConnectionError("down")

        rl = limiter(Clock(0.0))
        assert await rl.charge(Down(), rl.budgets(ANONYMOUS, "10.0.0.6"), 10**6) is None
