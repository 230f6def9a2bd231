"""The websocket side of the GraphQL view (graphql-transport-ws only).

`GraphQLApp.encode_json` returns bytes (orjson) for HTTP; strawberry's ASGI adapter sends bytes as
binary frames, which graphql-transport-ws clients refuse ("Binary data received"): the protocol's
messages are text frames. `TextFrameWebSocketAdapter` sends the same JSON as text, and encodes the
data of a subscription event once for all the subscribers it is shared with (api/graphql/live.py
renders an event once per role class and operation): each `next` message is then that text with
its own id around it.

`GuardedTransportWSHandler` holds a socket to what an HTTP request goes through, at every message
rather than once at the upgrade:
- a `subscribe` first checks the socket's key again (`authenticate`: revoked, expired, or its role,
  subject or authorities changed): the socket is closed 4403 and its operations stopped; then the
  penalty box of its budget (the key's, or the address's): an `error` message RATE_LIMITED with
  `retryAfter`, held back like an HTTP 429. Its cost is charged by the query guard as over HTTP.
- while subscriptions run, the key is checked again every `ws_key_check_seconds`, so a revoked key
  stops receiving events within that interval even if it never sends another message;
- a `connection_init` in the penalty box closes the socket 4429; a bad key in it is charged as a
  refused request and closes the socket 4403 (`GraphQLApp.on_ws_connect`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage, Message

from api.graphql.context import Context
from api.graphql.errors import RateLimited
from api.guard.admission import Admission
from api.guard.sockets import SocketClient, socket_client
from credit.access.service import authenticate

log = logging.getLogger("creditgraph.websocket")

#: graphql-transport-ws close codes: the key is no longer valid; the client is in the penalty box.
FORBIDDEN = 4403
TOO_MANY = 4429
_SHARED_CACHE = 256
#: The encoded data of shared subscription events, by the identity of the data they encode (the
#: entry keeps the data alive, so an identity is never reused while it is here).
_SHARED: dict[int, tuple[object, bytes]] = {}


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        text = _shared_next(message, _SHARED)
        if text is None:
            encoded = self.view.encode_json(message)
            text = encoded.decode() if isinstance(encoded, bytes) else encoded
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


def _shared_next(message: Mapping[str, object], cache: dict[int, tuple[object, bytes]]) -> str | None:
    """A `next` message built around its data's one encoding (shared by every subscriber the event
    was rendered for); None for any other message."""
    payload = message.get("payload")
    if message.get("type") != "next" or not isinstance(payload, dict) or set(payload) - {"data", "extensions"}:
        return None
    data = payload.get("data")
    if not isinstance(data, dict):
        return None
    entry = cache.get(id(data))
    if entry is None or entry[0] is not data:
        if len(cache) >= _SHARED_CACHE:
            cache.pop(next(iter(cache)))
        entry = cache[id(data)] = (data, orjson.dumps(data))
    head = orjson.dumps({"id": message.get("id"), "type": "next"})[:-1]
    extensions = payload.get("extensions")
    tail = b',"extensions":' + orjson.dumps(extensions) if extensions else b""
    return (head + b',"payload":{"data":' + entry[1] + tail + b"}}").decode()


class GuardedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with the key checked at every operation and at an interval (see above)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watcher: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def _ws(self) -> WebSocket:
        request = self.context.request
        assert isinstance(request, WebSocket)
        return request

    @property
    def _admission(self) -> Admission:
        admission = self._ws.app.state.admission
        assert isinstance(admission, Admission)
        return admission

    async def handle_message(self, message: Message) -> None:
        if self._closed:
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "connection_init" and not await self._admitted_init(message):
            return
        if kind == "subscribe" and self.connection_acknowledged and not await self._admitted_operation(message):
            return
        await super().handle_message(message)
        if kind == "connection_init" and self.connection_acknowledged and self._watcher is None:
            client = socket_client(self._ws)
            if client is not None and client.token is not None:
                self._watcher = asyncio.create_task(self._watch(client), name="websocket-key-check")

    async def shutdown(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await super().shutdown()

    async def _admitted_init(self, message: Message) -> bool:
        """The penalty box before `connection_init` is looked at (the address's, or with a key in the
        payload the address's pre-authentication bucket, as over HTTP): closed 4429 while in it."""
        payload = message.get("payload") if isinstance(message, dict) else None
        keyed = isinstance(payload, dict) and ("Authorization" in payload or "authorization" in payload)
        address = self._admission.address(self._ws)
        budget = self._admission.limiter.pre_auth_budget(address, keyed=keyed or "authorization" in self._ws.headers)
        usage = self._admission.limiter.penalised([budget.bucket])
        if usage is None:
            return True
        refused = await self._admission.penalised(usage)
        await self._close(TOO_MANY, refused.message)
        return False

    async def _admitted_operation(self, message: Message) -> bool:
        """The key still valid (else the socket is closed) and the budget not in the penalty box (else an
        `error` message for this operation)."""
        client = socket_client(self._ws)
        if client is not None and client.token is not None and not await self._key_holds(client):
            return False
        viewer = self.context.viewer
        usage = self._admission.limiter.penalised([b.bucket for b in self._admission.budgets(self._ws, viewer)])
        if usage is None:
            return True
        refused = await self._admission.penalised(usage)
        error = RateLimited(refused.message, retryAfter=refused.retry_after).formatted
        operation_id = message.get("id") if isinstance(message, dict) else None
        await self.send_message(ErrorMessage(id=str(operation_id), type="error", payload=[error]))
        return False

    async def _key_holds(self, client: SocketClient) -> bool:
        """Check the socket's key again; False (and the socket closed 4403) when it no longer holds."""
        assert client.token is not None
        try:
            viewer = await authenticate(self.context.runtime, client.token)
        except Exception as exc:  # the database is down: the next check decides; HTTP answers the same way
            log.warning("websocket key check failed (%s)", type(exc).__name__)
            return True
        if viewer is None:
            await self._close(FORBIDDEN, "the API key was revoked or has expired")
            return False
        before = client.viewer
        if (viewer.role, viewer.subject_id, viewer.authorities) != (before.role, before.subject_id, before.authorities):
            await self._close(FORBIDDEN, "the API key's role changed: connect again")
            return False
        client.viewer = self.context.viewer = viewer  # e.g. a new rate limit
        return True

    async def _watch(self, client: SocketClient) -> None:
        interval = self._ws.app.state.sockets.key_check_seconds
        while not self._closed:
            await asyncio.sleep(interval)
            if self.operations and not await self._key_holds(client):
                return

    async def _close(self, code: int, reason: str) -> None:
        """Stop every operation (no event leaves after this), then close the socket."""
        self._closed = True
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        with contextlib.suppress(Exception):
            await self.websocket.close(code=code, reason=reason[:120])
