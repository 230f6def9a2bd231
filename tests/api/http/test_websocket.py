"""Websockets held to what HTTP requests go through (issue 18, findings 3, 5 and 6), over real
graphql-transport-ws sockets to the real app (uvicorn, in-process indexer, PostgreSQL, Redis):
the key checked again at every operation and while subscriptions run, the penalty box and refusal
charges at `connection_init`, costs with the operation's variable defaults, and the socket and
subscription caps. Each app here is its own, with the settings under test."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets
from sqlalchemy import update

from credit.access.repository import insert_key
from credit.access.service import revoke_key
from credit.enums import Role
from credit.models import ApiKey
from credit.platform.config import Settings
from credit.platform.runtime import Runtime
from tests.api.graphql.test_credit_check import CHECK, PERSON, setup
from tests.conftest import serving
from tests.support.feed_data import AUTHORITIES, TODAY, company, import_lines, record

pytestmark = pytest.mark.e2e

PUBLISHED = "subscription { disclosurePublished { id title } }"
ARGS = {"code": PERSON["code"], "purpose": "LOAN_APPROVAL", "ref": "AUTH-WS-1"}


@contextlib.asynccontextmanager
async def app_url(settings: Settings, runtime: Runtime, **changes: Any) -> AsyncIterator[str]:
    from creditgraph.wiring import create_app

    async with serving(create_app(settings.model_copy(update=changes), runtime=runtime, run_worker=True)) as url:
        yield url.replace("http://", "ws://") + "/graphql"


class Socket:
    """A hand-rolled graphql-transport-ws client."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self.ids = 0

    async def init(self, payload: dict[str, Any]) -> dict[str, Any] | int:
        """The answer to connection_init: the message, or the close code."""
        await self.ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        return await self.receive()

    async def receive(self, timeout: float = 5) -> dict[str, Any] | int:
        try:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            return message
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else -1

    async def subscribe(self, query: str, variables: dict[str, Any] | None = None) -> str:
        self.ids += 1
        payload = {"query": query, "variables": variables or {}}
        await self.ws.send(json.dumps({"id": str(self.ids), "type": "subscribe", "payload": payload}))
        return str(self.ids)

    async def ask(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any] | int:
        """One operation: its first answer (next or error), or the close code."""
        operation_id = await self.subscribe(query, variables)
        while True:
            message = await self.receive()
            if isinstance(message, int) or (message.get("id") == operation_id and message["type"] != "complete"):
                return message


@contextlib.asynccontextmanager
async def socket(url: str, payload: dict[str, Any] | None = None) -> AsyncIterator[Socket]:
    async with websockets.connect(url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]) as ws:
        client = Socket(ws)
        if payload is not None:
            ack = await client.init(payload)
            assert isinstance(ack, dict) and ack["type"] == "connection_ack", ack
        yield client


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def set_key(runtime: Runtime, key: str, **values: Any) -> None:
    async with runtime.sessions.begin() as session:
        await session.execute(update(ApiKey).where(ApiKey.prefix == key[:10]).values(**values))


class TestKeyCheckedAtEveryOperation:
    async def test_a_revoked_key_gets_no_more_credit_checks_on_an_open_socket(
        self, clean_db: Runtime, settings: Settings
    ) -> None:
        keys = await setup(clean_db)
        async with app_url(settings, clean_db) as url, socket(url, bearer(keys["FINANCIAL_INSTITUTION"])) as ws:
            answer = await ws.ask(CHECK, ARGS)
            assert isinstance(answer, dict) and answer["type"] == "next", answer
            assert answer["payload"]["data"]["creditCheck"]["personalData"]["idNumber"] == PERSON["code"]
            assert await revoke_key(clean_db, keys["FINANCIAL_INSTITUTION"][:10]) == 1
            assert await ws.ask(CHECK, ARGS) == 4403  # closed, nothing answered

    @pytest.mark.parametrize(
        "change",
        [
            {"expires_at": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)},  # expired
            {"role": Role.PUBLIC},  # its role changed
        ],
    )
    async def test_an_expired_or_changed_key_closes_the_socket(
        self, clean_db: Runtime, settings: Settings, change: dict[str, Any]
    ) -> None:
        keys = await setup(clean_db)
        async with app_url(settings, clean_db) as url, socket(url, bearer(keys["FINANCIAL_INSTITUTION"])) as ws:
            assert isinstance(await ws.ask(CHECK, ARGS), dict)
            await set_key(clean_db, keys["FINANCIAL_INSTITUTION"], **change)
            assert await ws.ask(CHECK, ARGS) == 4403

    async def test_a_revoked_subject_key_stops_receiving_events(self, clean_db: Runtime, settings: Settings) -> None:
        keys = await setup(clean_db)
        subject = company(31, "320402")
        await import_lines(clean_db, [subject])
        async with app_url(settings, clean_db, ws_key_check_seconds=0.3) as url:
            async with socket(url, bearer(keys["SUBJECT"])) as ws:
                await ws.subscribe(PUBLISHED)
                await asyncio.sleep(0.3)
                await import_lines(clean_db, [record("W-1", subject["code"], "RED_LIST", TODAY, AUTHORITIES[0])])
                event = await ws.receive()
                assert isinstance(event, dict) and event["payload"]["data"]["disclosurePublished"]["title"]
                await revoke_key(clean_db, keys["SUBJECT"][:10])
                # closed within the check interval, whether or not the client sends anything
                assert await ws.receive(timeout=3) == 4403
            async with socket(url) as anonymous:  # the server still serves everyone else
                ack = await anonymous.init(bearer(keys["SUBJECT"]))
                assert ack == 4403


class TestChargedLikeHttp:
    async def test_bad_keys_in_connection_init_are_charged_into_the_penalty_box(
        self, clean_db: Runtime, settings: Settings
    ) -> None:
        # Two refused keys (250 each) spend the 500 of the address's pre-authentication bucket.
        budget = {"rate_limit_cost_per_address": 500, "rate_limit_delay_seconds": 0}
        async with app_url(settings, clean_db, **budget, rate_limit_key_prefix=f"wsb{uuid.uuid4().hex}:") as url:
            codes = []
            for _ in range(4):
                async with socket(url) as ws:
                    codes.append(await ws.init(bearer("cg_not_a_real_key")))
            assert codes[:2] == [4403, 4403]
            assert codes[-1] == 4429  # in the penalty box: refused before the key is looked up

    async def test_a_websocket_operation_is_costed_with_its_variable_defaults(
        self, clean_db: Runtime, settings: Settings
    ) -> None:
        defaulted = 'query($n: Int = 100) { searchSubjects(query: "王", first: $n) { edges { node { id } } } }'
        explicit = '{ searchSubjects(query: "王", first: 100) { edges { node { id } } } }'
        async with app_url(settings, clean_db) as url, socket(url, {}) as ws:
            costs = []
            for query in (defaulted, explicit):
                answer = await ws.ask(query)
                assert isinstance(answer, dict), answer
                costs.append(answer["payload"]["extensions"]["cost"])
            assert costs[0] == costs[1]

    async def test_a_key_in_the_penalty_box_gets_rate_limited_over_the_socket(
        self, clean_db: Runtime, settings: Settings
    ) -> None:
        async with clean_db.sessions.begin() as session:
            _, key = await insert_key(session, Role.JOURNALIST, "ws-budget", rate_limit=30)
        prefix = f"wsk{uuid.uuid4().hex}:"
        async with (
            app_url(settings, clean_db, rate_limit_delay_seconds=0, rate_limit_key_prefix=prefix) as url,
            socket(url, bearer(key)) as ws,
        ):
            query = '{ searchSubjects(query: "王", first: 5) { edges { node { id } } } }'
            first = await ws.ask(query)
            assert isinstance(first, dict) and first["type"] == "next", first
            for _ in range(3):  # the second passes the budget; the others meet the penalty box
                answer = await ws.ask(query)
                assert isinstance(answer, dict) and answer["type"] == "error", answer
                extensions = answer["payload"][0]["extensions"]
                assert extensions["code"] == "RATE_LIMITED" and extensions["retryAfter"] > 0


class TestCaps:
    async def test_sockets_per_address_and_subscriptions_per_socket_and_per_client(
        self, clean_db: Runtime, settings: Settings
    ) -> None:
        caps = {
            "ws_max_connections_per_address": 2,
            "ws_max_subscriptions_per_connection": 2,
            "ws_max_subscriptions_per_client": 3,
        }
        async with app_url(settings, clean_db, **caps) as url:
            async with socket(url, {}) as one, socket(url, {}) as two:
                async with socket(url) as third:
                    assert await third.receive() == 4429  # closed at once, with the reason
                for _ in range(2):
                    await one.subscribe(PUBLISHED)
                    await asyncio.sleep(0.3)  # the subscription takes its slot
                refused = await one.ask(PUBLISHED)
                assert isinstance(refused, dict), refused
                errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
                assert errors[0]["extensions"] == {"code": "RATE_LIMITED", "limit": "subscriptionsPerConnection"}
                await two.subscribe(PUBLISHED)  # the address's third
                await asyncio.sleep(0.3)
                refused = await two.ask(PUBLISHED)
                assert isinstance(refused, dict), refused
                errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
                assert errors[0]["extensions"] == {"code": "RATE_LIMITED", "limit": "subscriptionsPerClient"}
            await asyncio.sleep(0.3)
            async with socket(url, {}), socket(url, {}):  # the slots come back when sockets close
                pass
