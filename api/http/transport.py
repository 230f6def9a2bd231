"""The HTTP side of the GraphQL endpoint: what is refused before GraphQL sees a request, the request
timeout, and GraphQL over HTTP conformance (docs/graphql-http.md).

Before GraphQL (in this order, each cheaper than the next step it saves):
- an address or key in the rate limiter's penalty box: 429 RATE_LIMITED with `Retry-After`, held
  back up to a second so that a client ignoring Retry-After cannot make the server spin;
- a body over `max_request_bytes` (413) or a query string over it (414): QUERY_TOO_COMPLEX;
- a JSON array body (a batch): 400 BAD_REQUEST; batching is off, one operation per request.

Around GraphQL: `request_timeout_seconds` (503 TIMEOUT), strawberry's HTTP errors (wrong method,
content type, unparsable JSON, missing query) as 4xx JSON errors instead of exceptions, and
`application/graphql-response+json` for clients that ask for it: a request error (nothing executed)
then has no `data` entry and status 400, as the GraphQL over HTTP specification says.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from api.guard.ratelimit import RateLimiter, address_bucket, key_bucket
from credit.access.keys import ANONYMOUS, Viewer
from credit.platform.config import Settings

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"
_ACCEPTED = {GRAPHQL_RESPONSE: GRAPHQL_RESPONSE, JSON: JSON, "application/*": JSON, "*/*": JSON}


def preferred_media_type(accept: str | None) -> str:
    """The response media type for an Accept header: the acceptable one with the highest q (the
    first listed on a tie); application/json when none is acceptable or there is no header."""
    best, best_q = JSON, 0.0
    for part in (accept or "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        chosen = _ACCEPTED.get(media.lower())
        if chosen is None:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:  # strictly: the first listed wins a tie
            best, best_q = chosen, q
    return best


def error_response(
    status: int, code: str, message: str, media_type: str = JSON, headers: dict[str, str] | None = None
) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=media_type)


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _is_request_error(body: Any) -> bool:
    """A GraphQL response of an operation that did not run: errors, no data, none with a path."""
    if not isinstance(body, dict) or body.get("data") is not None or not body.get("errors"):
        return False
    return all(isinstance(e, dict) and "path" not in e for e in body["errors"])


def conform(response: Response, media_type: str) -> Response:
    """The response in the negotiated media type (application/graphql-response+json rules)."""
    if media_type != GRAPHQL_RESPONSE or isinstance(response, StreamingResponse):
        return response
    try:
        body = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return response
    status = response.status_code
    if _is_request_error(body):
        body.pop("data", None)
        status = status if status >= 400 else 400
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type=GRAPHQL_RESPONSE)


class HttpGuard:
    def __init__(self, settings: Settings, limiter: RateLimiter) -> None:
        self.limiter = limiter
        self.max_bytes = settings.max_request_bytes
        self.timeout = settings.request_timeout_seconds
        self.delay = settings.rate_limit_delay_seconds
        self.max_delayed = settings.rate_limit_max_delayed
        self._delayed = 0

    async def _penalised(self, retry_after: int, media_type: str) -> Response:
        """The 429 of a client in the penalty box, held back up to `rate_limit_delay_seconds` (never
        past its Retry-After): a client that ignores Retry-After and asks again at once gets one
        answer a second per connection instead of thousands, as nginx's limit_req delays excess
        requests. At most `rate_limit_max_delayed` answers are held; beyond that they go at once."""
        if self._delayed < self.max_delayed and self.delay > 0:
            self._delayed += 1
            try:
                await asyncio.sleep(min(self.delay, retry_after))
            finally:
                self._delayed -= 1
        return self._rate_limited(retry_after, media_type)

    def _rate_limited(self, retry_after: int, media_type: str) -> Response:
        body = {
            "errors": [
                {
                    "message": f"rate limit reached; retry in {retry_after} s",
                    "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
                }
            ]
        }
        headers = {"Retry-After": str(retry_after)}
        return Response(orjson.dumps(body), status_code=429, headers=headers, media_type=media_type)

    async def charge_refused(self, request: Request, viewer: Viewer = ANONYMOUS) -> None:
        """Charge the flat cost of a refused request (bad key, batch) to its address."""
        runtime = getattr(request.app.state, "runtime", None)
        if runtime is not None:
            budgets = self.limiter.budgets(viewer, client_address(request))
            await self.limiter.charge_rejected(runtime.broker, budgets)

    async def admit(self, request: Request) -> Response | None:
        """A response refusing the request before authentication and GraphQL, or None to go on."""
        media_type = preferred_media_type(request.headers.get("accept"))
        retry = self.limiter.blocked([address_bucket(client_address(request))])
        if retry is not None:
            return await self._penalised(retry, media_type)
        if request.method == "GET":
            if len(request.scope.get("query_string", b"")) > self.max_bytes:
                return error_response(414, "QUERY_TOO_COMPLEX", "the query string is too long", media_type)
            return None
        body = await self._read_body(request)
        if body is None:
            limit = f"the request body is larger than {self.max_bytes} bytes"
            return error_response(413, "QUERY_TOO_COMPLEX", limit, media_type)
        if body.lstrip()[:1] == b"[":
            await self.charge_refused(request)
            message = "batched requests are not supported: send one operation per request"
            return error_response(400, "BAD_REQUEST", message, media_type)
        return None

    async def admit_viewer(self, request: Request, viewer: Viewer) -> Response | None:
        """A 429 for a key in the penalty box, or None."""
        if viewer.key_id is None:
            return None
        retry = self.limiter.blocked([key_bucket(viewer.key_id)])
        if retry is None:
            return None
        return await self._penalised(retry, preferred_media_type(request.headers.get("accept")))

    async def _read_body(self, request: Request) -> bytes | None:
        """The body, read at most `max_bytes` far (None beyond); kept for strawberry to read again."""
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            return None
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
        body = b"".join(chunks)
        request._body = body  # Starlette's body cache: `request.body()` returns it from now on
        return body

    async def run(self, request: Request, call: Callable[[], Awaitable[Response]]) -> Response:
        """Run the GraphQL view within the timeout; HTTP errors as JSON; the negotiated media type."""
        media_type = preferred_media_type(request.headers.get("accept"))
        deadline = asyncio.timeout(self.timeout)
        try:
            async with deadline:
                response = await call()
        except TimeoutError:
            if not deadline.expired():
                raise
            message = f"the request did not complete within {self.timeout:g} s"
            return error_response(503, "TIMEOUT", message, media_type, headers={"Retry-After": "1"})
        except HTTPException as exc:
            return error_response(exc.status_code, "BAD_REQUEST", exc.reason, media_type)
        return conform(response, media_type)
