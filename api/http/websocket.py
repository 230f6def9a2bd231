"""The websocket side of the GraphQL view.

`GraphQLApp.encode_json` returns bytes (orjson) for HTTP; strawberry's ASGI adapter sends bytes as
binary frames, which graphql-transport-ws clients refuse ("Binary data received"): the protocol's
messages are text frames. This adapter sends the same JSON as text.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected


class TextFrameWebSocketAdapter(ASGIWebSocketAdapter):
    async def send_json(self, message: Mapping[str, object]) -> None:
        encoded = self.view.encode_json(message)
        try:
            await self.ws.send_text(encoded.decode() if isinstance(encoded, bytes) else encoded)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc
