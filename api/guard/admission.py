"""Admission: the one path every HTTP route that serves data takes before it does any work.

In this order, each step cheaper than the work it saves:
1. the address's penalty box (`api.guard.ratelimit`): 429 RATE_LIMITED with `Retry-After`, held back up
   to `rate_limit_delay_seconds`, so that a client ignoring Retry-After cannot make the server spin;
2. authentication: no header is PUBLIC, `Authorization: Bearer <key>` the key's viewer; a bad key is
   401 UNAUTHENTICATED (never downgraded to PUBLIC) and charged the limiter's flat refusal cost;
3. the key's penalty box;
4. for routes with a fixed price (exports, feeds), the charge against the key's and the address's
   budgets. GraphQL operations are charged their measured cost later (`api.guard.query`).

A refusal is raised as `Refused` carrying the status, the contract's code, the message and headers;
each route renders it in its own media type.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from starlette.requests import HTTPConnection

from api.guard.ratelimit import RateLimiter, address_bucket, key_bucket
from api.http.auth import AuthError, bearer_token, viewer_for_key
from credit.access.viewer import ANONYMOUS, Viewer
from credit.platform.config import Settings
from credit.platform.runtime import Runtime


@dataclass
class Refused(Exception):
    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: int | None = None


def rate_limited(retry_after: int) -> Refused:
    return Refused(
        429,
        "RATE_LIMITED",
        f"rate limit reached; retry in {retry_after} s",
        {"Retry-After": str(retry_after)},
        retry_after,
    )


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client is not None else "unknown"


class Admission:
    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self.delay = settings.rate_limit_delay_seconds
        self.max_delayed = settings.rate_limit_max_delayed
        self._delayed = 0

    async def _penalised(self, retry_after: int) -> Refused:
        """The refusal of a client in the penalty box, held back up to `delay` (never past its
        Retry-After): a client that asks again at once gets one answer a second per connection instead
        of thousands, as nginx's limit_req delays excess requests. At most `max_delayed` are held."""
        if self._delayed < self.max_delayed and self.delay > 0:
            self._delayed += 1
            try:
                await asyncio.sleep(min(self.delay, retry_after))
            finally:
                self._delayed -= 1
        return rate_limited(retry_after)

    async def check_address(self, conn: HTTPConnection) -> None:
        """Step 1: Refused while the address is in the penalty box."""
        retry = self.limiter.blocked([address_bucket(client_address(conn))])
        if retry is not None:
            raise await self._penalised(retry)

    async def charge_refused(self, conn: HTTPConnection, viewer: Viewer = ANONYMOUS) -> None:
        """Charge the flat cost of a refused request (bad key, batch) to its address (and key)."""
        runtime: Runtime | None = getattr(conn.app.state, "runtime", None)
        if runtime is not None:
            budgets = self.limiter.budgets(viewer, client_address(conn))
            await self.limiter.charge_rejected(runtime.broker, budgets)

    async def viewer(self, conn: HTTPConnection) -> Viewer:
        """Steps 2 and 3: the viewer of the request's key."""
        try:
            viewer = await viewer_for_key(conn.app.state.runtime, bearer_token(conn))
        except AuthError as exc:
            await self.charge_refused(conn)
            raise Refused(401, "UNAUTHENTICATED", exc.message) from None
        if viewer.key_id is not None:
            retry = self.limiter.blocked([key_bucket(viewer.key_id)])
            if retry is not None:
                raise await self._penalised(retry)
        return viewer

    async def charge(self, conn: HTTPConnection, viewer: Viewer, cost: int) -> None:
        """Step 4: charge a fixed price; Refused when a budget is spent."""
        runtime: Runtime = conn.app.state.runtime
        budgets = self.limiter.budgets(viewer, client_address(conn))
        retry = self.limiter.blocked([b.bucket for b in budgets]) or await self.limiter.charge(
            runtime.broker, budgets, cost
        )
        if retry is not None:
            raise rate_limited(retry)

    async def admit(self, conn: HTTPConnection, cost: int = 0) -> Viewer:
        """Steps 1 to 4 for a route with a fixed price."""
        await self.check_address(conn)
        viewer = await self.viewer(conn)
        if cost:
            await self.charge(conn, viewer, cost)
        return viewer
