"""Every way a reader gets the disclosure data out of the served app: GraphQL over HTTP, the exports
(CSV, NDJSON, xlsx), Atom, and `disclosurePublished` over graphql-transport-ws; for tests that scan
what a role can read."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from tests.api.http.test_exports import xlsx_rows
from tests.conftest import ApiServer

EXPORTS = ("/export/disclosures.csv", "/export/disclosures.ndjson", "/feeds/disclosures.atom")


async def fetch(api_server: ApiServer, path: str, key: str | None = None, params: Any = None) -> str:
    """The body of a GET as text (an xlsx as its cells, tab-separated)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(timeout=60) as client:
        response = await client.get(api_server.url + path, headers=headers, params=params)
    assert response.status_code == 200, (path, response.status_code, response.text[:200])
    if path.endswith(".xlsx"):
        return "\n".join("\t".join(row) for row in xlsx_rows(response.content))
    return response.text


async def exported(api_server: ApiServer, key: str | None = None) -> dict[str, str]:
    """Every export and feed of the whole disclosure feed, by path."""
    paths = (*EXPORTS, "/export/disclosures.xlsx")
    bodies = await asyncio.gather(*(fetch(api_server, path, key) for path in paths))
    return dict(zip(paths, bodies, strict=True))


@contextlib.asynccontextmanager
async def subscribed(
    api_server: ApiServer, query: str, key: str | None = None
) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """A gql client subscribed in the background (with `key` in connection_init, or anonymous)."""
    transport = WebsocketsTransport(
        url=api_server.graphql_url.replace("http://", "ws://"),
        init_payload={"Authorization": f"Bearer {key}"} if key else {},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    async with Client(transport=transport) as session:

        async def listen() -> None:
            async for result in session.subscribe(GraphQLRequest(query)):
                await queue.put(result)

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.3)  # the server registers the operation (no ack in the protocol)
        try:
            yield queue
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def received(queue: asyncio.Queue[dict[str, Any]], count: int = 1, timeout: float = 5) -> list[dict[str, Any]]:
    """At least `count` deliveries (waiting up to `timeout` for them), and whatever else has arrived."""
    results = [await asyncio.wait_for(queue.get(), timeout) for _ in range(count)]
    await asyncio.sleep(0.2)
    while not queue.empty():
        results.append(queue.get_nowait())
    return results
