"""HTTP caching of public GET answers (api/http/caching.py) and automatic persisted queries
(api/http/persisted.py), against the served app."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import orjson
import pytest

from credit.access.repository import insert_key
from credit.enums import Role
from credit.platform.runtime import Runtime
from tests.conftest import ApiServer

pytestmark = pytest.mark.e2e

FEED = "query Feed($n: Int) { disclosures(first: $n) { totalCount edges { node { id categoryLabel } } } }"


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def persisted(document: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha(document)}}


async def get(api_server: ApiServer, params: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    encoded = {k: v if isinstance(v, str) else orjson.dumps(v).decode() for k, v in params.items()}
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(api_server.graphql_url, params=encoded, headers=headers or {})


async def journalist_key(runtime: Runtime) -> str:
    async with runtime.sessions.begin() as session:
        return (await insert_key(session, Role.JOURNALIST, "cache-test"))[1]


class TestPublicAnswers:
    async def test_a_public_get_is_cacheable_and_revalidates_with_304(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        first = await get(api_server, {"query": FEED, "variables": {"n": 5}})
        assert first.status_code == 200 and "errors" not in first.json(), first.text
        assert first.headers["cache-control"] == "public, max-age=30"
        etag = first.headers["etag"]
        assert etag.startswith('W/"') and "Authorization" in first.headers["vary"]
        again = await get(api_server, {"query": FEED, "variables": {"n": 5}}, {"if-none-match": etag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
        assert "ratelimit-remaining" in again.headers

    async def test_keyed_requests_and_errors_are_never_stored(self, clean_db: Runtime, api_server: ApiServer) -> None:
        key = await journalist_key(clean_db)
        keyed = await get(api_server, {"query": FEED}, {"Authorization": f"Bearer {key}"})
        assert keyed.status_code == 200 and keyed.headers["cache-control"] == "private, no-store"
        assert "etag" not in keyed.headers
        failed = await get(api_server, {"query": "{ disclosures(first: 0) { totalCount } }"})
        assert failed.headers["cache-control"] == "no-store" and "etag" not in failed.headers
        async with httpx.AsyncClient() as client:
            posted = await client.post(api_server.graphql_url, json={"query": FEED})
        assert "etag" not in posted.headers and "public" not in posted.headers.get("cache-control", "")


class TestPersistedQueries:
    async def test_the_apq_round_trip_over_get(self, clean_db: Runtime, api_server: ApiServer) -> None:
        document = FEED + " # apq-get"
        unknown = await get(api_server, {"extensions": persisted(document), "variables": {"n": 3}})
        assert unknown.status_code == 200
        [error] = unknown.json()["errors"]
        assert error == {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
        assert unknown.headers["cache-control"].startswith("private")
        registered = await get(
            api_server, {"query": document, "extensions": persisted(document), "variables": {"n": 3}}
        )
        assert registered.status_code == 200 and "errors" not in registered.json(), registered.text
        by_hash = await get(api_server, {"extensions": persisted(document), "variables": {"n": 3}})
        assert by_hash.json() == registered.json()
        assert by_hash.headers["cache-control"].startswith("public") and "etag" in by_hash.headers

    async def test_the_apq_round_trip_over_post(self, clean_db: Runtime, api_server: ApiServer) -> None:
        document = FEED + " # apq-post"
        async with httpx.AsyncClient() as client:
            body = {"extensions": persisted(document), "variables": {"n": 2}}
            miss = await client.post(api_server.graphql_url, json=body)
            assert miss.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
            hit = await client.post(api_server.graphql_url, json={**body, "query": document})
            assert "errors" not in hit.json()
            again = await client.post(api_server.graphql_url, json=body)
            assert again.json()["data"] == hit.json()["data"]

    async def test_a_hash_must_be_the_documents(self, clean_db: Runtime, api_server: ApiServer) -> None:
        wrong = await get(api_server, {"query": FEED, "extensions": persisted(FEED + " ")})
        assert wrong.status_code == 400
        assert wrong.json()["errors"][0] == {
            "message": "provided sha does not match query",
            "extensions": {"code": "BAD_REQUEST"},
        }
        garbage = await get(api_server, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "nope"}}})
        assert garbage.status_code == 400 and garbage.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"

    async def test_a_persisted_get_is_not_a_browser_visit(self, api_server: ApiServer) -> None:
        response = await get(api_server, {"extensions": persisted("{ __typename } # x")}, {"accept": "*/*"})
        assert response.headers["content-type"].startswith("application/json")
