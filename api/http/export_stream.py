"""How an export is sent: its slot, its first byte, its pace and how it ends when it cannot finish.

Invariants:
- slots: at most `total` exports stream at once per process and `per_client` per client address;
  a slot is taken when the response is sent and given back whatever way it ends, so a response that
  is never sent holds none. A request over either limit gets 429 with a short `Retry-After`.
- nothing is sent before the stream produced its first item (`Ready`), which the caller yields once
  the database answered the query: a database that cannot be reached is a 503 SERVICE_UNAVAILABLE
  with `Retry-After`, never a 200 with only a header line.
- a client that takes no bytes for `send_timeout` seconds, an export that runs longer than
  `max_seconds`, and a stream that fails midway all end the same way: the stream and its database
  transaction are closed and the connection is cut (`StreamAborted` reaches the server, which closes
  the socket without the chunked encoding's last chunk), so the client sees a broken transfer and
  never a short file that looks complete. A text export that fails midway first gets one last line
  saying it is incomplete (`failure_line`), for clients that keep whatever they received.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from typing import Final

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from credit.platform.db import DATABASE_RETRY_AFTER, database_unavailable

log = logging.getLogger("creditgraph.exports")

#: What an export's stream yields first, once its query answered: the response may start.
READY: Final = b""


class StreamAborted(Exception):
    """An export cut off on purpose (slow client, time cap, failure midway); the server closes the
    connection. Logged once by `exports` as a warning, not as a crash of the application."""


class QuietAborts(logging.Filter):
    """Drops uvicorn's "Exception in ASGI application" traceback for a `StreamAborted`: the export
    already logged why it cut the connection, and the abort is how it tells the client."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, StreamAborted)


def install_quiet_aborts() -> None:
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, QuietAborts) for f in logger.filters):
        logger.addFilter(QuietAborts())


class ExportSlots:
    """Streams running now, in all and per client address (one process, one event loop: no lock)."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total = total
        self.per_client = per_client
        self.running: Counter[str] = Counter()

    def take(self, address: str) -> bool:
        if self.running.total() >= self.total or self.running[address] >= self.per_client:
            return False
        self.running[address] += 1
        return True

    def give(self, address: str) -> None:
        self.running[address] -= 1
        if self.running[address] <= 0:
            del self.running[address]


def _json(status: int, code: str, message: str, retry_after: int) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code, "retryAfter": retry_after}}]}
    headers = {"Retry-After": str(retry_after)}
    return Response(orjson.dumps(body), status_code=status, headers=headers, media_type="application/json")


class ExportResponse(Response):
    """A streamed export under the invariants of the module; `open_stream` makes its chunks."""

    def __init__(
        self,
        open_stream: Callable[[], AsyncGenerator[bytes, None]],
        *,
        slots: ExportSlots,
        address: str,
        send_timeout: float,
        max_seconds: float,
        media_type: str,
        headers: dict[str, str],
        failure_line: bytes | None = None,
    ) -> None:
        super().__init__(media_type=media_type, headers=headers)
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]  # streamed: chunked
        self.failure_line = failure_line
        self.open_stream = open_stream
        self.slots = slots
        self.address = address
        self.send_timeout = send_timeout
        self.max_seconds = max_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.slots.take(self.address):
            message = "too many exports are running; retry shortly"
            await _json(429, "RATE_LIMITED", message, 5)(scope, receive, send)
            return
        try:
            await self._stream(scope, receive, send)
        finally:
            self.slots.give(self.address)

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        deadline = asyncio.timeout(self.max_seconds)
        try:
            async with deadline, aclosing(self.open_stream()) as chunks:
                try:
                    first = await anext(chunks)
                except Exception as exc:
                    if not database_unavailable(exc):
                        raise
                    log.warning("export refused: database unavailable (%s)", type(exc).__name__)
                    message = "the database is unavailable; retry later"
                    await _json(503, "SERVICE_UNAVAILABLE", message, DATABASE_RETRY_AFTER)(scope, receive, send)
                    return
                await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
                started = True
                if first:
                    await self._send(send, first)
                async for chunk in chunks:
                    if chunk:
                        await self._send(send, chunk)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except StreamAborted:
            raise
        except TimeoutError:
            if not deadline.expired():
                raise
            log.warning("export cut off after %g s (EXPORT_MAX_SECONDS)", self.max_seconds)
            raise StreamAborted("export time cap") from None
        except (OSError, asyncio.CancelledError):
            raise  # the client went away: nothing to tell it
        except Exception as exc:
            if not started:
                raise
            log.warning("export failed midway (%s); connection cut", type(exc).__name__)
            if self.failure_line is not None:
                # A last line saying so, for a client that saves the body whatever the transfer's end.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1.0):
                        await send({"type": "http.response.body", "body": self.failure_line, "more_body": True})
            raise StreamAborted("export failed midway") from None

    async def _send(self, send: Send, chunk: bytes) -> None:
        try:
            async with asyncio.timeout(self.send_timeout):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except TimeoutError:
            log.warning("export client took nothing for %g s (EXPORT_SEND_TIMEOUT_SECONDS)", self.send_timeout)
            raise StreamAborted("slow reader") from None
