"""`disclosurePublished` over graphql-transport-ws with real websocket clients, against the real app
(uvicorn, in-process indexer, Redis pub/sub when a Redis answers): an imported record reaches a
subscriber within a second, masked, filtered; authentication comes from the connection parameters."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
import websockets
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from credit.access.repository import insert_key
from credit.enums import Role
from credit.platform.runtime import Runtime
from tests.conftest import ApiServer
from tests.support.feed_data import (
    AUTHORITIES,
    TODAY,
    company,
    drain_outbox,
    import_lines,
    person,
    record,
    resident_id,
)

pytestmark = pytest.mark.e2e

PUBLISHED = """
subscription($filter: DisclosureFilter) {
  disclosurePublished(filter: $filter) {
    id status title category publishedOn authority
    subject { kind name code regionCode region { province city county } }
  }
}"""

PERSON_NAME = "欧阳明远"
PERSON_ID = resident_id("320402", "19900101", 123)
FULL_ID = re.compile(r"\d{17}[\dX]")


def ws_url(api_server: ApiServer) -> str:
    return api_server.graphql_url.replace("http://", "ws://")


async def journalist_key(runtime: Runtime) -> str:
    async with runtime.sessions.begin() as session:
        _, key = await insert_key(session, Role.JOURNALIST, "e2e-journalist")
    return key


@contextlib.asynccontextmanager
async def subscription(
    api_server: ApiServer, variables: dict[str, Any], init_payload: dict[str, Any] | None = None
) -> AsyncIterator[asyncio.Queue[tuple[float, dict[str, Any]]]]:
    """A gql client subscribed in the background; yields a queue of (arrival time, result)."""
    transport = WebsocketsTransport(
        url=ws_url(api_server),
        init_payload=init_payload or {},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    queue: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
    async with Client(transport=transport) as session:

        async def listen() -> None:
            request = GraphQLRequest(PUBLISHED, variable_values=variables)
            async for result in session.subscribe(request):
                await queue.put((time.monotonic(), result))

        task = asyncio.create_task(listen())
        await asyncio.sleep(0.3)  # the server registers the operation (no ack in the protocol)
        try:
            yield queue
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class TestDisclosurePublished:
    async def test_an_imported_record_arrives_within_a_second_masked_and_filtered(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        someone = person(PERSON_NAME, PERSON_ID, "320402")
        elsewhere = company(21, "110105")
        await import_lines(clean_db, [someone, elsewhere])
        await drain_outbox(clean_db)
        key = await journalist_key(clean_db)

        variables = {"filter": {"regionCodePrefix": "3204", "categories": ["DISHONEST_JUDGMENT_DEBTOR"]}}
        async with subscription(api_server, variables, {"Authorization": f"Bearer {key}"}) as received:
            lines = [
                record("S-1", elsewhere["code"], "DISHONEST_JUDGMENT_DEBTOR", TODAY, AUTHORITIES[2]),  # wrong region
                record("S-2", PERSON_ID, "ADMINISTRATIVE_PENALTY", TODAY, AUTHORITIES[0]),  # wrong category
                record(
                    "S-3",
                    PERSON_ID,
                    "DISHONEST_JUDGMENT_DEBTOR",
                    TODAY,
                    AUTHORITIES[1],
                    title=f"关于将{PERSON_NAME}（{PERSON_ID}）纳入失信被执行人名单的决定",
                ),
            ]
            started = time.monotonic()
            await import_lines(clean_db, lines)
            arrived, result = await asyncio.wait_for(received.get(), 5)
            latency = arrived - started
            print(f"\nsubscription latency (import start → message): {latency * 1000:.0f} ms")
            assert latency < 1.0

            node = result["disclosurePublished"]
            assert node["category"] == "DISHONEST_JUDGMENT_DEBTOR" and node["status"] == "ACTIVE"
            assert node["subject"]["kind"] == "NATURAL_PERSON"
            assert node["subject"]["region"] == {"province": "江苏省", "city": "常州市", "county": "天宁区"}
            assert node["subject"]["name"].startswith("欧阳") and "*" in node["subject"]["name"]
            raw = orjson.dumps(result).decode()
            assert PERSON_NAME not in raw and PERSON_ID not in raw and FULL_ID.search(raw) is None

            # the two records outside the filter never come; the next matching one does
            await import_lines(clean_db, [record("S-4", PERSON_ID, "DISHONEST_JUDGMENT_DEBTOR", TODAY, AUTHORITIES[0])])
            _, result = await asyncio.wait_for(received.get(), 5)
            assert result["disclosurePublished"]["title"] == "公示记录 S-4"
            assert received.empty()

    async def test_anonymous_subscribers_are_public_and_get_withdrawals_never(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        subject = company(22, "320411")
        await import_lines(clean_db, [subject])
        await drain_outbox(clean_db)
        async with subscription(api_server, {}) as received:
            await import_lines(clean_db, [record("P-1", subject["code"], "RED_LIST", TODAY, AUTHORITIES[0])])
            _, result = await asyncio.wait_for(received.get(), 5)
            assert result["disclosurePublished"]["title"] == "公示记录 P-1"
            # a record published with a disclosure period already over is never delivered
            old = TODAY - dt.timedelta(days=5 * 365)
            expired = record("P-2", subject["code"], "ADMINISTRATIVE_PENALTY", old, AUTHORITIES[0])
            await import_lines(clean_db, [expired, record("P-3", subject["code"], "RED_LIST", TODAY, AUTHORITIES[0])])
            _, result = await asyncio.wait_for(received.get(), 5)
            assert result["disclosurePublished"]["title"] == "公示记录 P-3"


async def raw_connect(api_server: ApiServer, payload: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    """A hand-rolled graphql-transport-ws client: returns the server's answer to connection_init."""
    async with websockets.connect(
        ws_url(api_server),
        subprotocols=[websockets.Subprotocol("graphql-transport-ws")],
        additional_headers=headers,
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        try:
            return json.loads(await asyncio.wait_for(ws.recv(), 5))
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None


class TestConnectionAuthentication:
    async def test_a_good_key_in_either_spelling_is_acknowledged(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        key = await journalist_key(clean_db)
        assert (await raw_connect(api_server, {"Authorization": f"Bearer {key}"}))["type"] == "connection_ack"
        assert (await raw_connect(api_server, {"authorization": f"Bearer {key}"}))["type"] == "connection_ack"
        assert (await raw_connect(api_server, {}))["type"] == "connection_ack"  # PUBLIC

    @pytest.mark.parametrize(
        "payload",
        [{"Authorization": "Bearer cg_not_a_real_key"}, {"Authorization": "Basic abc"}, {"authorization": 17}],
    )
    async def test_a_bad_key_closes_the_connection(
        self, clean_db: Runtime, api_server: ApiServer, payload: dict[str, Any]
    ) -> None:
        assert await raw_connect(api_server, payload) == 4403

    async def test_a_bad_key_in_the_upgrade_header_is_refused(self, clean_db: Runtime, api_server: ApiServer) -> None:
        with pytest.raises(websockets.InvalidStatus):
            await raw_connect(api_server, {}, headers={"Authorization": "Bearer cg_not_a_real_key"})


class TestSubscriptionInput:
    async def test_a_bad_filter_is_bad_user_input(self, clean_db: Runtime, api_server: ApiServer) -> None:
        async with websockets.connect(
            ws_url(api_server), subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            variables = {"filter": {"regionCodePrefix": "32x"}}
            await ws.send(
                json.dumps({"id": "1", "type": "subscribe", "payload": {"query": PUBLISHED, "variables": variables}})
            )
            answer = json.loads(await asyncio.wait_for(ws.recv(), 5))
            errors = answer["payload"]["errors"] if answer["type"] == "next" else answer["payload"]
            assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
            assert "regionCodePrefix" in errors[0]["message"]
