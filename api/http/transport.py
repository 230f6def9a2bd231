"""The HTTP side of the GraphQL endpoint: what is refused before GraphQL sees a request, the request
timeout, and GraphQL over HTTP conformance (docs/graphql-http.md).

Before GraphQL, after the address's penalty box (`api.guard.admission`):
- a body over `max_request_bytes` (413) or a query string over it (414): QUERY_TOO_COMPLEX;
- a JSON array body (a batch): 400 BAD_REQUEST; batching is off, one operation per request;
- a JSON body that is not an object (`null`, `42`, a string): 400 BAD_REQUEST;
then authentication and the key's penalty box (`api.guard.admission` again).

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

from api.guard.admission import Refused
from api.http.persisted import NOT_FOUND, NOT_FOUND_HEADERS, PersistedQueryError
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


class GraphQLTransport:
    """The GraphQL endpoint's own checks (body size, batches) and its timeout and conformance."""

    def __init__(self, settings: Settings) -> None:
        self.max_bytes = settings.max_request_bytes
        self.timeout = settings.request_timeout_seconds

    async def check_body(self, request: Request) -> Refused | None:
        """A refusal for an oversized query string or body, or a batch; None to go on. A batch is
        charged like any refused request by the caller (`Admission.charge_refused`)."""
        if request.method == "GET":
            if len(request.scope.get("query_string", b"")) > self.max_bytes:
                return Refused(414, "QUERY_TOO_COMPLEX", "the query string is too long")
            return None
        body = await self._read_body(request)
        if body is None:
            return Refused(413, "QUERY_TOO_COMPLEX", f"the request body is larger than {self.max_bytes} bytes")
        start = body.lstrip()[:1]
        if start == b"[":
            message = "batched requests are not supported: send one operation per request"
            return Refused(400, "BAD_REQUEST", message)
        if start != b"{" and "json" in request.headers.get("content-type", "").lower():
            return Refused(400, "BAD_REQUEST", "the request body must be a JSON object (one operation)")
        return None

    async def _read_body(self, request: Request) -> bytes | None:
        """The body, read at most `max_bytes` far (None beyond); kept for strawberry to read again."""
        length = request.headers.get("content-length", "")
        if length.isascii() and length.isdigit() and (len(length) > 18 or int(length) > self.max_bytes):
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
        except PersistedQueryError as exc:
            headers = NOT_FOUND_HEADERS if exc.code == NOT_FOUND else None
            return error_response(exc.status, exc.code, exc.message, media_type, headers=dict(headers or {}))
        except Refused as refused:  # registering a persisted query past the budget
            return refusal_response(refused, media_type)
        return conform(response, media_type)


def refusal_response(refused: Refused, media_type: str = JSON) -> Response:
    """A refusal of admission as a GraphQL-style error body."""
    extensions: dict[str, Any] = {"code": refused.code}
    if refused.retry_after is not None:
        extensions["retryAfter"] = refused.retry_after
    body = {"errors": [{"message": refused.message, "extensions": extensions}]}
    return Response(orjson.dumps(body), status_code=refused.status, headers=refused.headers, media_type=media_type)
