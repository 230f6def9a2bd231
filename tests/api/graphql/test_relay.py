"""Relay conventions (api/graphql/ids.py, api/graphql/nodes.py): global ids, `node(id:)`, numeric ids
that keep working, and backward paging (`last`/`before`) over the feed and a profile's records."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from credit.access.repository import insert_key
from credit.enums import Role
from credit.platform.runtime import Runtime
from tests.conftest import ApiServer
from tests.support.feed_data import AUTHORITIES, company, expected_ids, import_lines, mixed_records, set_status

pytestmark = pytest.mark.e2e

NODE = """query($id: ID!) { node(id: $id) { __typename id databaseId
  ... on Subject { name kindLabel } ... on CreditRecord { title categoryLabel } } }"""
FEED = """query($first: Int, $after: String, $last: Int, $before: String) {
  disclosures(first: $first, after: $after, last: $last, before: $before) {
    totalCount edges { cursor node { databaseId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


def gid(type_name: str, number: int) -> str:
    return base64.b64encode(f"{type_name}:{number}".encode()).decode()


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]
    return result


def code_of(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


@pytest.fixture
async def relay_db(clean_db: Runtime) -> Runtime:
    subjects = [company(41, "320402"), company(42, "320411")]
    await import_lines(clean_db, subjects)
    await import_lines(clean_db, mixed_records([s["code"] for s in subjects], 45, prefix="N"))
    return clean_db


class TestGlobalIds:
    async def test_ids_are_global_and_node_fetches_them_again(self, relay_db: Runtime, api_server: ApiServer) -> None:
        feed = data(
            await api_server.graphql(
                "{ disclosures(first: 1) { edges { node { id databaseId subject { id databaseId } } } } }"
            )
        )
        record = feed["disclosures"]["edges"][0]["node"]
        assert record["id"] == gid("CreditRecord", int(record["databaseId"]))
        subject = record["subject"]
        assert subject["id"] == gid("Subject", int(subject["databaseId"]))
        node = data(await api_server.graphql(NODE, {"id": subject["id"]}))["node"]
        assert node["__typename"] == "Subject" and node["kindLabel"] == "企业法人"
        node = data(await api_server.graphql(NODE, {"id": record["id"]}))["node"]
        assert node["__typename"] == "CreditRecord" and node["categoryLabel"]

    async def test_subject_takes_its_global_id_or_its_number_but_not_another_types(
        self, relay_db: Runtime, api_server: ApiServer
    ) -> None:
        feed = data(
            await api_server.graphql(
                "{ disclosures(first: 1) { edges { node { databaseId subject { id databaseId name } } } } }"
            )
        )
        record = feed["disclosures"]["edges"][0]["node"]
        subject = record["subject"]
        query = "query($id: ID) { subject(id: $id) { name } }"
        assert data(await api_server.graphql(query, {"id": subject["id"]}))["subject"]["name"] == subject["name"]
        assert (
            data(await api_server.graphql(query, {"id": subject["databaseId"]}))["subject"]["name"] == subject["name"]
        )
        wrong = await api_server.graphql(query, {"id": gid("CreditRecord", int(record["databaseId"]))})
        assert code_of(wrong) == "NOT_FOUND" and "CreditRecord" in wrong["errors"][0]["message"]
        assert data(await api_server.graphql(query, {"id": gid("Subject", 999_999)}))["subject"] is None
        assert code_of(await api_server.graphql(query, {"id": "not an id"})) == "BAD_USER_INPUT"

    async def test_node_hides_what_the_viewer_may_not_see(self, relay_db: Runtime, api_server: ApiServer) -> None:
        [withdrawn, *_] = await expected_ids(relay_db)
        await set_status(relay_db, [withdrawn], "REPAIRED")
        record = gid("CreditRecord", withdrawn)
        assert data(await api_server.graphql(NODE, {"id": record}))["node"] is None  # PUBLIC
        async with relay_db.sessions.begin() as session:
            _, bank = await insert_key(session, Role.FINANCIAL_INSTITUTION, "relay-bank")
        seen = data(await api_server.graphql(NODE, {"id": record}, key=bank))["node"]
        assert seen["databaseId"] == str(withdrawn)
        assert data(await api_server.graphql(NODE, {"id": gid("CreditRepair", 1)}))["node"] is None
        assert data(await api_server.graphql(NODE, {"id": gid("AuditEntry", 1)}))["node"] is None
        assert code_of(await api_server.graphql(NODE, {"id": "12"})) == "BAD_USER_INPUT"


class TestBackwardPaging:
    async def test_the_feed_pages_backwards_to_the_same_records(self, relay_db: Runtime, api_server: ApiServer) -> None:
        expected = [str(i) for i in await expected_ids(relay_db)]
        assert len(expected) == 45
        forwards: list[str] = []
        after = None
        while True:
            page = data(await api_server.graphql(FEED, {"first": 10, "after": after}))["disclosures"]
            forwards += [e["node"]["databaseId"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert forwards == expected
        backwards: list[str] = []
        before = None
        while True:
            page = data(await api_server.graphql(FEED, {"last": 10, "before": before}))["disclosures"]
            backwards = [e["node"]["databaseId"] for e in page["edges"]] + backwards
            assert page["pageInfo"]["hasNextPage"] is (before is not None)
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            before = page["pageInfo"]["startCursor"]
        assert backwards == expected
        both = await api_server.graphql(FEED, {"after": after, "before": before})
        assert code_of(both) == "BAD_USER_INPUT"
        assert code_of(await api_server.graphql(FEED, {"last": 500})) == "BAD_USER_INPUT"

    async def test_profile_records_page_backwards(self, relay_db: Runtime, api_server: ApiServer) -> None:
        code = company(41, "320402")["code"]
        query = """query($code: String!, $last: Int, $before: String) { subject(code: $code) { creditProfile {
          records(last: $last, before: $before, first: 100) { edges { cursor node { databaseId authority } }
            pageInfo { hasPreviousPage hasNextPage startCursor } } } } }"""
        everything = data(await api_server.graphql(query, {"code": code, "last": 100}))
        edges = everything["subject"]["creditProfile"]["records"]["edges"]
        assert {e["node"]["authority"] for e in edges} <= set(AUTHORITIES) and len(edges) > 6
        middle = edges[5]["cursor"]
        page = data(await api_server.graphql(query, {"code": code, "last": 3, "before": middle}))
        records = page["subject"]["creditProfile"]["records"]
        assert [e["node"]["databaseId"] for e in records["edges"]] == [e["node"]["databaseId"] for e in edges[2:5]]
        assert records["pageInfo"]["hasPreviousPage"] is True and records["pageInfo"]["hasNextPage"] is True
