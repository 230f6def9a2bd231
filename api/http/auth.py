"""Bearer API keys → viewer. No header means PUBLIC; a bad key is refused, never downgraded."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import HTTPConnection

from credit.access.service import authenticate
from credit.access.viewer import ANONYMOUS, Viewer
from credit.platform.runtime import Runtime


class AuthError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def bearer_token(conn: HTTPConnection) -> str | None:
    header = conn.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization must be 'Bearer <API key>'")
    return token.strip()


async def viewer_for_key(runtime: Runtime, token: str | None) -> Viewer:
    if token is None:
        return ANONYMOUS
    viewer = await authenticate(runtime, token)
    if viewer is None:
        raise AuthError("unknown, revoked or expired API key")
    return viewer


def connection_token(params: Mapping[str, object] | None) -> str | None:
    """The API key in a websocket `connection_init` payload: `{"Authorization": "Bearer <key>"}`
    (or `authorization`); None when there is none. A malformed value is refused, never ignored."""
    if not params:
        return None
    value = params.get("Authorization", params.get("authorization"))
    if value is None:
        return None
    if not isinstance(value, str):
        raise AuthError("Authorization must be 'Bearer <API key>'")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("Authorization must be 'Bearer <API key>'")
    return token.strip()
