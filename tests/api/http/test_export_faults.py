"""Exports under hostile or broken conditions, over real sockets (issue 18, findings 7, 8 and 11):
clients that stop reading are dropped and free their slots, one address holds at most its share,
parameters are refused before the first byte, a stream that fails midway reaches the client as a
broken transfer, and the Atom feed never reflects the Host header."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import text

from api.http.app import create_app
from credit.platform.config import Settings
from credit.platform.runtime import Runtime
from tests.api.http.test_exports import insert_bulk
from tests.conftest import serving, wait_for

pytestmark = pytest.mark.e2e

NDJSON = "/export/disclosures.ndjson"
#: An export's snapshot in pg_stat_activity: its server-side cursor's declaration or its last fetch.
EXPORT_QUERY = "(query ILIKE '%FROM records%' OR query ILIKE 'FETCH%')"


@pytest.fixture
async def bulk_db(clean_db: Runtime) -> Runtime:
    await insert_bulk(clean_db, 20_000)  # about 14 MB of NDJSON: far more than the sockets' buffers
    return clean_db


@pytest.fixture
async def export_server(settings: Settings, bulk_db: Runtime) -> AsyncIterator[str]:
    """The app with two export slots, one per address, a 2 s send timeout, behind a trusted proxy on
    loopback (so that each test client can be its own address with X-Forwarded-For)."""
    limited = settings.model_copy(
        update={
            "export_slots": 2,
            "export_slots_per_client": 1,
            "export_send_timeout_seconds": 2.0,
            "trusted_proxies": "127.0.0.1",
        }
    )
    async with serving(create_app(limited, runtime=bulk_db), log_level="critical") as url:
        yield url


class StalledReader:
    """A client that sends its request, reads the status line and then nothing more."""

    def __init__(self, url: str, path: str, address: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((parts.hostname or "127.0.0.1", parts.port or 80))
        request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nX-Forwarded-For: {address}\r\n\r\n"
        self.sock.sendall(request.encode())
        self.sock.settimeout(10)
        self.status = self.sock.recv(64).split(b"\r\n", 1)[0]

    def rest(self) -> bytes:
        """Everything the server still sends, until it closes the connection."""
        chunks = []
        while chunk := self.sock.recv(1 << 20):
            chunks.append(chunk)
        self.sock.close()
        return b"".join(chunks)


async def status_of(url: str, address: str) -> tuple[int, bytes]:
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.get(url + NDJSON, headers={"X-Forwarded-For": address})
    return response.status_code, response.content


async def test_stalled_readers_are_dropped_and_free_their_slots(export_server: str, bulk_db: Runtime) -> None:
    readers: list[StalledReader] = []
    try:
        await _stalled_readers(export_server, bulk_db, readers)
    finally:
        for reader in readers:
            reader.sock.close()


async def _stalled_readers(export_server: str, bulk_db: Runtime, readers: list[StalledReader]) -> None:
    first = await asyncio.to_thread(StalledReader, export_server, NDJSON, "203.0.113.1")
    readers.append(first)

    async def transactions() -> int:
        async with bulk_db.engine.connect() as conn:
            query = (
                f"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                f" AND state IN ('active', 'idle in transaction') AND {EXPORT_QUERY}"
                " AND pid <> pg_backend_pid()"
            )
            return int((await conn.execute(text(query))).scalar_one())

    assert await transactions() >= 1
    assert first.status == b"HTTP/1.1 200 OK"
    # one address holds at most one export: its second one is refused at once
    assert (await status_of(export_server, "203.0.113.1"))[0] == 429
    second = await asyncio.to_thread(StalledReader, export_server, NDJSON, "203.0.113.2")
    readers.append(second)
    assert second.status == b"HTTP/1.1 200 OK"
    assert (await status_of(export_server, "203.0.113.3"))[0] == 429  # both slots are held

    # within the send timeout both stalled clients are cut off: another client gets the whole feed
    async def admitted() -> bytes | None:
        status, body = await status_of(export_server, "203.0.113.3")
        return body if status == 200 else None

    body = await wait_for(admitted, timeout=15, interval=0.25)
    assert body is not None
    assert body.count(b"\n") == 20_000
    for stalled in (first, second):
        rest = await asyncio.to_thread(stalled.rest)
        assert not rest.endswith(b"0\r\n\r\n")  # no last chunk: the transfer is broken, not complete
    assert await wait_for(lambda: _none(transactions), timeout=5)


async def _none(count: Any) -> bool:
    return bool(await count() == 0)


async def test_a_stream_failing_midway_is_a_broken_transfer(settings: Settings, bulk_db: Runtime) -> None:
    async with (
        serving(create_app(settings, runtime=bulk_db), log_level="critical") as url,
        httpx.AsyncClient(timeout=60) as client,
    ):
        for path in (NDJSON, "/export/disclosures.csv"):
            received = b""
            with pytest.raises(httpx.RemoteProtocolError):
                async with client.stream("GET", url + path) as response:
                    assert response.status_code == 200
                    async for chunk in response.aiter_bytes():
                        if not received:  # the export's snapshot is open: cut its connection
                            async with bulk_db.engine.connect() as conn:
                                await conn.execute(
                                    text(
                                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                        f" WHERE datname = current_database() AND {EXPORT_QUERY}"
                                        " AND pid <> pg_backend_pid()"
                                    )
                                )
                        received += chunk
            assert received, path
            last = received.rstrip(b"\r\n").rsplit(b"\n", 1)[-1]
            assert b"incomplete" in last, (path, last[:200])


@pytest.mark.parametrize(
    "path", [NDJSON, "/export/disclosures.csv", "/export/disclosures.xlsx", "/feeds/disclosures.atom"]
)
async def test_control_characters_are_refused_before_the_first_byte(
    settings: Settings, clean_db: Runtime, path: str
) -> None:
    async with (
        serving(create_app(settings, runtime=clean_db), log_level="critical") as url,
        httpx.AsyncClient(timeout=30) as client,
    ):
        response = await client.get(url + path + "?authority=%00")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "authority" in error["message"]


async def test_the_atom_feed_never_reflects_the_host_header(settings: Settings, clean_db: Runtime) -> None:
    forged = {"Host": "evil.example"}
    async with (
        serving(create_app(settings, runtime=clean_db), log_level="critical") as url,
        httpx.AsyncClient(timeout=30) as client,
    ):
        unset = await client.get(url + "/feeds/disclosures.atom?categories=RED_LIST", headers=forged)
    assert unset.status_code == 200
    assert "evil.example" not in unset.text
    assert "<id>urn:creditgraph:feed:disclosures:categories%3DRED_LIST</id>" in unset.text
    assert 'rel="self"' not in unset.text

    public = settings.model_copy(update={"public_base_url": "https://credit.example.org/"})
    async with (
        serving(create_app(public, runtime=clean_db), log_level="critical") as url,
        httpx.AsyncClient(timeout=30) as client,
    ):
        configured = await client.get(url + "/feeds/disclosures.atom?categories=RED_LIST", headers=forged)
    assert "evil.example" not in configured.text
    expected = "https://credit.example.org/feeds/disclosures.atom?categories=RED_LIST"
    assert f"<id>{expected}</id>" in configured.text and f'href="{expected}"' in configured.text
    assert configured.headers["cache-control"].startswith("public")


async def test_an_export_is_cut_off_at_its_time_cap(settings: Settings, bulk_db: Runtime) -> None:
    """A client that keeps reading, slowly enough never to meet the send timeout, is still cut off at
    EXPORT_MAX_SECONDS with a broken transfer, and its snapshot is closed."""
    capped = settings.model_copy(update={"export_max_seconds": 1.0})
    async with (
        serving(create_app(capped, runtime=bulk_db), log_level="critical") as url,
        httpx.AsyncClient(timeout=60) as client,
    ):
        received = 0
        with pytest.raises(httpx.RemoteProtocolError):
            async with client.stream("GET", url + NDJSON) as response:
                assert response.status_code == 200
                async for chunk in response.aiter_bytes():
                    received += len(chunk)
                    await asyncio.sleep(0.05)
    assert received > 0
