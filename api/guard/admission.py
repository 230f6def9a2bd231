"""Admission: the one path every HTTP route that serves data takes before it does any work.

In this order, each step cheaper than the work it saves:
1. the client's penalty box (`api.guard.ratelimit`): for a request without a key its address's, for a
   request with one the address's pre-authentication bucket (failed keys); 429 RATE_LIMITED with
   `Retry-After`, held back up to `rate_limit_delay_seconds`, so that a client ignoring Retry-After
   cannot make the server spin;
2. authentication: no header is PUBLIC, `Authorization: Bearer <key>` the key's viewer; a bad key is
   401 UNAUTHENTICATED (never downgraded to PUBLIC) and charged the limiter's flat refusal cost;
3. the key's penalty box;
4. for routes with a fixed price (exports, feeds), the charge against the request's budget (the key's,
   or for an anonymous request the address's). GraphQL operations are charged their measured cost
   later (`api.guard.query`), through `Admission.budgets`.

The client's address is the connection's peer, or, when the peer is one of the configured reverse
proxies (`TRUSTED_PROXIES`), the first address of `X-Forwarded-For` read from the right that is not
one of them (`client_address`): a client cannot choose its own address by sending the header, and
behind a proxy clients do not share the proxy's budget. `creditgraph serve` runs uvicorn with its own
proxy-header handling off, so this is the only place that reads the header.

A refusal is raised as `Refused` carrying the status, the contract's code, the message and headers;
each route renders it in its own media type.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from starlette.requests import HTTPConnection

from api.guard.ratelimit import Budget, RateLimiter, Usage, key_bucket
from api.http.auth import AuthError, bearer_token, viewer_for_key
from credit.access.viewer import Viewer
from credit.platform.config import Settings
from credit.platform.runtime import Runtime

Network = IPv4Network | IPv6Network
_ADDRESS = "creditgraph.client_address"
_USAGE = "creditgraph.rate_usage"


@dataclass
class Refused(Exception):
    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: int | None = None


def rate_limited(retry_after: int, usage: Usage | None = None) -> Refused:
    headers = usage.headers() if usage is not None else {}
    headers["Retry-After"] = str(retry_after)
    return Refused(429, "RATE_LIMITED", f"rate limit reached; retry in {retry_after} s", headers, retry_after)


def _parse(value: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address: IPv4Address | IPv6Address | None, proxies: Sequence[Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_address(conn: HTTPConnection, proxies: Sequence[Network] = ()) -> str:
    """The client's address: the peer's, or behind trusted proxies the rightmost untrusted hop of
    `X-Forwarded-For` (every hop right of it was added by a proxy we trust; what is left of it the
    client may have written). A hop that is not an address ends the walk at the last trusted one."""
    peer = conn.client.host if conn.client is not None else "unknown"
    if not proxies or not _trusted(_parse(peer), proxies):
        return peer
    hops = [hop for header in conn.headers.getlist("x-forwarded-for") for hop in header.split(",") if hop.strip()]
    address = peer
    for hop in reversed(hops):
        parsed = _parse(hop)
        if parsed is None:
            break
        address = str(parsed)
        if not _trusted(parsed, proxies):
            break
    return address


def usage_headers(conn: HTTPConnection) -> dict[str, str]:
    """The RateLimit-* headers of the request's last charge (none when nothing was counted)."""
    usage = conn.scope.get(_USAGE)
    return usage.headers() if isinstance(usage, Usage) else {}


class Admission:
    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self.proxies = settings.trusted_proxy_networks
        self.delay = settings.rate_limit_delay_seconds
        self.max_delayed = settings.rate_limit_max_delayed
        self._delayed = 0

    def address(self, conn: HTTPConnection) -> str:
        """The client's address (`client_address`), worked out once per request."""
        address = conn.scope.get(_ADDRESS)
        if not isinstance(address, str):
            address = conn.scope[_ADDRESS] = client_address(conn, self.proxies)
        return address

    def budgets(self, conn: HTTPConnection, viewer: Viewer) -> list[Budget]:
        """What a request of `viewer` counts against: its key, or for an anonymous request its address."""
        return self.limiter.budgets(viewer, self.address(conn))

    def pre_auth_budget(self, conn: HTTPConnection) -> Budget:
        """The bucket of requests refused before their key is known (the address's, or its `auth:`)."""
        return self.limiter.pre_auth_budget(self.address(conn), keyed="authorization" in conn.headers)

    async def penalised(self, usage: Usage) -> Refused:
        """The refusal of a client in the penalty box, held back up to `delay` (never past its
        Retry-After): a client that asks again at once gets one answer a second per connection instead
        of thousands, as nginx's limit_req delays excess requests. At most `max_delayed` are held."""
        retry_after = usage.retry_after or 1
        if self._delayed < self.max_delayed and self.delay > 0:
            self._delayed += 1
            try:
                await asyncio.sleep(min(self.delay, retry_after))
            finally:
                self._delayed -= 1
        return rate_limited(retry_after, usage)

    async def check_address(self, conn: HTTPConnection) -> None:
        """Step 1: Refused while the client's pre-authentication bucket is in the penalty box."""
        usage = self.limiter.penalised([self.pre_auth_budget(conn).bucket])
        if usage is not None:
            raise await self.penalised(usage)

    async def charge_refused(self, conn: HTTPConnection, viewer: Viewer | None = None) -> None:
        """Charge the flat cost of a refused request (bad key, batch): to the key when it is known, else
        to the client's pre-authentication bucket."""
        runtime: Runtime | None = getattr(conn.app.state, "runtime", None)
        if runtime is not None:
            budgets = self.budgets(conn, viewer) if viewer is not None else [self.pre_auth_budget(conn)]
            await self.limiter.charge_rejected(runtime.broker, budgets)

    async def viewer(self, conn: HTTPConnection) -> Viewer:
        """Steps 2 and 3: the viewer of the request's key."""
        try:
            viewer = await viewer_for_key(conn.app.state.runtime, bearer_token(conn))
        except AuthError as exc:
            await self.charge_refused(conn)
            raise Refused(401, "UNAUTHENTICATED", exc.message) from None
        if viewer.key_id is not None:
            usage = self.limiter.penalised([key_bucket(viewer.key_id)])
            if usage is not None:
                raise await self.penalised(usage)
        return viewer

    def record(self, conn: HTTPConnection, usage: Usage | None) -> None:
        """Keep the usage of a charge for the response's RateLimit-* headers (`usage_headers`)."""
        if usage is not None:
            conn.scope[_USAGE] = usage

    async def charge(self, conn: HTTPConnection, viewer: Viewer, cost: int) -> Usage | None:
        """Step 4: charge a fixed price; Refused when the budget is spent."""
        runtime: Runtime = conn.app.state.runtime
        budgets = self.budgets(conn, viewer)
        usage = self.limiter.penalised([b.bucket for b in budgets]) or await self.limiter.charge(
            runtime.broker, budgets, cost
        )
        self.record(conn, usage)
        if usage is not None and usage.retry_after is not None:
            raise rate_limited(usage.retry_after, usage)
        return usage

    async def admit(self, conn: HTTPConnection, cost: int = 0) -> Viewer:
        """Steps 1 to 4 for a route with a fixed price."""
        await self.check_address(conn)
        viewer = await self.viewer(conn)
        if cost:
            await self.charge(conn, viewer, cost)
        return viewer
