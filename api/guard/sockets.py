"""Websocket clients and their caps: sockets per address, subscriptions per socket and per client.

A websocket is cheap to open and a subscription costs the server work for every event it matches,
for as long as it lives; so, in each API process (the counts are per process, like the penalty box):
- at most `ws_max_connections_per_address` open sockets per client address (keyed or not: a socket
  holds a connection slot whoever it belongs to); past it the socket is closed 4429 right after the
  handshake;
- at most `ws_max_subscriptions_per_connection` live subscriptions on one socket, and
  `ws_max_subscriptions_per_client` across the process for one key (or, for anonymous sockets, one
  address): past either the subscription is refused `RATE_LIMITED`, `extensions.limit` naming the cap.

`SocketClient` is the state of one socket (its address, its key and viewer, its subscriptions); it
lives in the websocket's scope (`socket_client`) from the upgrade to the close.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from api.guard.ratelimit import address_bucket, key_bucket
from credit.access.viewer import Viewer
from credit.platform.config import Settings

_CLIENT = "creditgraph.socket_client"


class CapReached(Exception):
    """A socket or subscription past one of the caps; `limit` names the cap (for `extensions.limit`)."""

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.message = message


@dataclass
class SocketClient:
    """One websocket: its client address, the key it presented (None: anonymous) and that key's viewer."""

    address: str
    viewer: Viewer
    token: str | None = None
    subscriptions: int = 0

    @property
    def bucket(self) -> str:
        """Who the process-wide subscription cap counts: the key, or for an anonymous socket the address."""
        return key_bucket(self.viewer.key_id) if self.viewer.key_id is not None else address_bucket(self.address)


def socket_client(conn: HTTPConnection) -> SocketClient | None:
    client = conn.scope.get(_CLIENT)
    return client if isinstance(client, SocketClient) else None


class SocketLimits:
    def __init__(self, settings: Settings) -> None:
        self.max_connections_per_address = settings.ws_max_connections_per_address
        self.max_subscriptions_per_connection = settings.ws_max_subscriptions_per_connection
        self.max_subscriptions_per_client = settings.ws_max_subscriptions_per_client
        self.key_check_seconds = settings.ws_key_check_seconds
        self._connections: Counter[str] = Counter()
        self._subscriptions: Counter[str] = Counter()

    def connections(self, address: str) -> int:
        return self._connections[address]

    @contextlib.contextmanager
    def connection(
        self, conn: HTTPConnection, address: str, viewer: Viewer, token: str | None
    ) -> Iterator[SocketClient]:
        """Hold one of the address's socket slots while the socket is open; CapReached when none is free."""
        if self._connections[address] >= self.max_connections_per_address:
            raise CapReached(
                "connectionsPerAddress",
                f"at most {self.max_connections_per_address} open websockets per client address",
            )
        self._connections[address] += 1
        client = conn.scope[_CLIENT] = SocketClient(address, viewer, token)
        try:
            yield client
        finally:
            self._connections[address] -= 1
            if self._connections[address] <= 0:
                del self._connections[address]

    @contextlib.contextmanager
    def subscription(self, client: SocketClient) -> Iterator[None]:
        """Hold a subscription slot of the socket and of its key (or address) while it runs."""
        if client.subscriptions >= self.max_subscriptions_per_connection:
            raise CapReached(
                "subscriptionsPerConnection",
                f"at most {self.max_subscriptions_per_connection} subscriptions per websocket",
            )
        bucket = client.bucket
        if self._subscriptions[bucket] >= self.max_subscriptions_per_client:
            raise CapReached(
                "subscriptionsPerClient",
                f"at most {self.max_subscriptions_per_client} subscriptions per API key (or per address without one)",
            )
        client.subscriptions += 1
        self._subscriptions[bucket] += 1
        try:
            yield
        finally:
            client.subscriptions -= 1
            self._subscriptions[bucket] -= 1
            if self._subscriptions[bucket] <= 0:
                del self._subscriptions[bucket]
