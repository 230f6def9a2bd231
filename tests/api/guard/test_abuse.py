"""Abuse corpus over HTTP: documents built to hurt the service are refused with the right code and
no 5xx, before the database or the search engine sees a query; rate limits count cost, not
requests; production hides the schema; a request has a time limit.

The servers run in their own threads (tests/e2e/threaded.py) so that blocking clients and
hypothesis can drive them, and so that every SQL statement and search request they count comes
from the documents sent here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit.access.repository import insert_key
from credit.enums import Role
from credit.platform.config import Environment, Settings
from credit.platform.runtime import Runtime
from tests.support.threaded import ThreadedServer, threaded_server

pytestmark = pytest.mark.e2e

# Pieces of GraphQL for the fuzzer to put together.
TOKENS = ["{", "}", "(", ")", "[", "]", ":", "...", "$x", "@skip", "query", "fragment", "on", "subject"]
TOKENS += ["searchSubjects", "first:", "100000", '"常州"', "id", "a:", "!", "=", "#", "__typename", "creditProfile"]
REFUSED = {"QUERY_TOO_COMPLEX", "BAD_USER_INPUT", "BAD_REQUEST", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"}
SEARCH = 'searchSubjects(query: "常州科技") { totalCount edges { node { id name } } }'


def nested(levels: int) -> str:
    body = "id"
    for _ in range(levels):
        body = f"creditProfile {{ activeFlags {{ record {{ subject {{ {body} }} }} }} }}"
    return f'{{ subject(code: "91320402MA1MXXXX0X") {{ {body} }} }}'


def fragment_bomb(levels: int = 30) -> str:
    fragments = ["fragment F0 on Query { __typename }"]
    fragments += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels)]
    return f"{{ ...F{levels - 1} }} " + " ".join(fragments)


COMPANY = '"91320402MA1MXXXX0X"'
HEAVY_SEARCH = (
    'searchSubjects(query: "x", first: 100) { edges { node { creditProfile { activeFlags { record { id } } } } } }'
)
OPERATIONS = " ".join(f"query Q{i} {{ {SEARCH} }}" for i in range(100))
BIG_FIRST = f"{{ subject(code: {COMPANY}) {{ creditProfile {{ records(first: 100000) {{ totalCount }} }} }} }}"
VARIABLE_FIRST = 'query($n: Int) { searchSubjects(query: "x", first: $n) { totalCount } }'
CYCLE = "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"


def aliases(count: int, field: str) -> dict[str, str]:
    return {"query": "{ " + " ".join(f"a{i}: {field}" for i in range(count)) + " }"}


# (name, JSON body, expected HTTP status, expected extensions.code)
CORPUS: list[tuple[str, Any, int, str]] = [
    ("deep nesting", {"query": nested(5)}, 200, "QUERY_TOO_COMPLEX"),
    ("nesting past the parser", {"query": "{" + "a{" * 400 + "b" + "}" * 401}, 200, "QUERY_TOO_COMPLEX"),
    ("1,000 aliases", aliases(1000, SEARCH), 200, "QUERY_TOO_COMPLEX"),
    ("100 aliases", aliases(100, "__typename"), 200, "QUERY_TOO_COMPLEX"),
    ("huge token count", {"query": "{ " + "__typename " * 20_000 + "}"}, 200, "QUERY_TOO_COMPLEX"),
    ("huge body", {"query": "{ __typename }", "variables": {"x": "x" * 2_000_000}}, 413, "QUERY_TOO_COMPLEX"),
    ("huge name", {"query": "{ " + "a" * 90_000 + " }"}, 200, "GRAPHQL_VALIDATION_FAILED"),
    ("document past max_query_length", {"query": "{ " + "a" * 200_000 + " }"}, 200, "QUERY_TOO_COMPLEX"),
    (
        "huge string",
        {"query": '{ searchSubjects(query: "' + "常" * 90_000 + '") { totalCount } }'},
        200,
        "BAD_USER_INPUT",
    ),
    ("600 fields", {"query": "{ subject(id: 1) { " + "id " * 600 + "} }"}, 200, "QUERY_TOO_COMPLEX"),
    ("fragment bomb", {"query": fragment_bomb()}, 200, "QUERY_TOO_COMPLEX"),
    ("cost", aliases(3, HEAVY_SEARCH), 200, "QUERY_TOO_COMPLEX"),
    ("100-operation batch", [{"query": "{ " + SEARCH + " }"}] * 100, 400, "BAD_REQUEST"),
    ("100 operations in a document", {"query": OPERATIONS, "operationName": "Q1"}, 200, "QUERY_TOO_COMPLEX"),
    ("first: 100000", {"query": '{ searchSubjects(query: "x", first: 100000) { totalCount } }'}, 200, "BAD_USER_INPUT"),
    ("nested first: 100000", {"query": BIG_FIRST}, 200, "BAD_USER_INPUT"),
    ("first in a variable", {"query": VARIABLE_FIRST, "variables": {"n": 100000}}, 200, "BAD_USER_INPUT"),
    ("first: 0", {"query": '{ searchSubjects(query: "x", first: 0) { totalCount } }'}, 200, "BAD_USER_INPUT"),
    ("cyclic fragments", {"query": CYCLE}, 200, "GRAPHQL_VALIDATION_FAILED"),
    ("syntax error", {"query": "{ subject(code: ) { id }"}, 200, "GRAPHQL_PARSE_FAILED"),
    ("unknown field", {"query": "{ subjects { id } }"}, 200, "GRAPHQL_VALIDATION_FAILED"),
    ("not a document", {"query": 42}, 400, "BAD_REQUEST"),
]


def post(server: ThreadedServer, body: Any, key: str | None = None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return server.http.post(server.url, content=orjson.dumps(body), headers=headers)


def error_codes(response: httpx.Response) -> set[str]:
    body = response.json()
    return {error.get("extensions", {}).get("code") for error in body.get("errors", [])}


def refused_without_activity(server: ThreadedServer, body: Any, key: str | None = None) -> httpx.Response:
    before = server.activity()
    response = post(server, body, key)
    assert server.activity() == before, (server.statements[before[0] :], server.search_requests[before[1] :])
    return response


def new_key(server: ThreadedServer, role: Role = Role.JOURNALIST) -> str:
    async def create() -> str:
        runtime: Runtime | None = server.runtime
        assert runtime is not None
        async with runtime.sessions.begin() as session:
            return (await insert_key(session, role, f"abuse-{uuid.uuid4().hex[:6]}"))[1]

    return server.call(create())


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[ThreadedServer]:
    with threaded_server(settings, rate_limit_key_prefix=f"abuse:{uuid.uuid4().hex}:") as running:
        yield running


class TestAbuseCorpus:
    @pytest.mark.parametrize(("name", "body", "status", "code"), CORPUS, ids=[c[0] for c in CORPUS])
    def test_refused_with_its_code_before_any_query(
        self, server: ThreadedServer, name: str, body: Any, status: int, code: str
    ) -> None:
        response = refused_without_activity(server, body)
        assert response.status_code == status, response.text[:300]
        assert code in error_codes(response), response.text[:300]
        assert "Traceback" not in response.text and 'File "' not in response.text

    def test_keyed_requests_reach_only_the_key_table(self, server: ThreadedServer) -> None:
        key = new_key(server)
        before = server.activity()
        response = post(server, {"query": nested(5)}, key)
        assert "QUERY_TOO_COMPLEX" in error_codes(response)
        assert all("api_keys" in statement for statement in server.statements[before[0] :])
        assert server.activity()[1] == before[1]

    def test_a_legitimate_query_does_reach_the_engine(self, server: ThreadedServer) -> None:
        before = server.activity()
        response = post(server, {"query": "{ " + SEARCH + " }"})
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        assert server.activity()[1] > before[1]

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        document=st.one_of(st.text(max_size=300), st.lists(st.sampled_from(TOKENS), max_size=80).map(" ".join)),
        variables=st.none()
        | st.dictionaries(st.text(max_size=5), st.integers(-(2**53), 2**53) | st.text(max_size=5), max_size=3),
    )
    def test_fuzzed_documents_never_fail_the_server(
        self, server: ThreadedServer, document: str, variables: dict[str, Any] | None
    ) -> None:
        before = server.activity()
        response = post(server, {"query": document, "variables": variables})
        assert response.status_code < 500, response.text[:300]
        body = response.json()
        assert all(error.get("extensions", {}).get("code") for error in body.get("errors", [])), body
        if body.get("data") is None and error_codes(response) <= REFUSED:
            assert server.activity() == before


@pytest.fixture(scope="module")
def limited(settings: Settings) -> Iterator[ThreadedServer]:
    with threaded_server(
        settings,
        rate_limit_key_prefix=f"limits:{uuid.uuid4().hex}:",
        rate_limit_window_seconds=3600,
        rate_limit_cost_per_key=300,
        rate_limit_cost_per_address=2000,
        rate_limit_rejected_cost=50,
        rate_limit_delay_seconds=0.3,
    ) as running:
        yield running


def assert_rate_limited(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text[:300]
    retry = int(response.headers["retry-after"])
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED" and error["extensions"]["retryAfter"] == retry
    assert 0 < retry <= 3600
    return retry


class TestRateLimits:
    def test_counted_in_cost_per_key_and_per_address(self, limited: ThreadedServer) -> None:
        # One request of 25 aliased searches costs more than the key's budget of 300: refused at once.
        heavy = {"query": "{ " + " ".join(f"a{i}: {SEARCH}" for i in range(25)) + " }"}
        assert_rate_limited(post(limited, heavy, new_key(limited)))

        # A light search costs 30 (the search 10, edges and nodes 10 each): the key runs dry after ten.
        key = new_key(limited)
        light = {"query": "{ " + SEARCH + " }"}
        statuses = [post(limited, light, key).status_code for _ in range(10)]
        assert statuses == [200] * 10
        assert_rate_limited(post(limited, light, key))
        # In the penalty box: refused before its document is parsed, and the answer is held back.
        before = limited.activity()
        started = time.monotonic()
        assert_rate_limited(post(limited, {"query": "{ __typename }"}, key))
        assert time.monotonic() - started >= 0.3
        assert limited.activity()[1] == before[1]
        assert all("api_keys" in s for s in limited.statements[before[0] :])
        # Another key from the same address still works.
        assert post(limited, light, new_key(limited)).status_code == 200

        # Refused documents are charged too: a flood of them spends the address's budget (2000) ...
        statuses = []
        while len(statuses) < 60 and 429 not in statuses:
            statuses.append(post(limited, {"query": nested(5)}).status_code)
        assert statuses[-1] == 429 and set(statuses[:-1]) == {200} and len(statuses) > 5
        # ... and then every anonymous request from the address is refused before the database is asked,
        before = limited.activity()
        assert_rate_limited(post(limited, light))
        assert limited.activity() == before
        # while a key from the same address counts against its own budget only.
        fresh = new_key(limited)
        response = post(limited, light, fresh)
        assert response.status_code == 200, response.text
        assert response.headers["ratelimit-limit"] == "300" and response.headers["ratelimit-remaining"] == "270"
        assert response.json()["extensions"]["cost"] == 30

    def test_a_flood_of_bad_keys_stops_before_the_key_table(self, limited: ThreadedServer) -> None:
        peer = {"X-Forwarded-For": "198.51.100.7"}  # ignored: no trusted proxies configured
        statuses: list[int] = []
        while len(statuses) < 60 and 429 not in statuses:
            statuses.append(post(limited, {"query": "{ __typename }"}, key=f"cg_bad{len(statuses)}").status_code)
        assert statuses[-1] == 429 and set(statuses[:-1]) == {401}
        before = limited.activity()
        response = limited.http.post(
            limited.url, json={"query": "{ __typename }"}, headers={"Authorization": "Bearer cg_other", **peer}
        )
        assert_rate_limited(response)
        assert limited.activity() == before


def keyed_get(server: ThreadedServer, key: str | None, headers: dict[str, str] | None = None) -> httpx.Response:
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    return server.http.post(server.url, json={"query": "{ " + SEARCH + " }"}, headers={**auth, **(headers or {})})


class TestBudgetsBehindOneAddress:
    def test_two_keys_behind_one_address_each_reach_their_own_budget(self, settings: Settings) -> None:
        with threaded_server(
            settings,
            rate_limit_key_prefix=f"nat:{uuid.uuid4().hex}:",
            rate_limit_window_seconds=3600,
            rate_limit_cost_per_key=90,
            rate_limit_cost_per_address=60,
            rate_limit_delay_seconds=0,
        ) as server:
            first, second = new_key(server), new_key(server, Role.FINANCIAL_INSTITUTION)
            for key in (first, second):  # 3 searches of 30 each: 90 per key, 180 from one address
                remaining = [keyed_get(server, key).headers["ratelimit-remaining"] for _ in range(3)]
                assert remaining == ["60", "30", "0"]
                assert_rate_limited(keyed_get(server, key))
            # anonymous visitors of the address kept their own 60
            response = keyed_get(server, None)
            assert response.status_code == 200 and response.headers["ratelimit-remaining"] == "30"

    def test_forwarded_addresses_only_behind_a_trusted_proxy(self, settings: Settings) -> None:
        options: dict[str, Any] = {
            "rate_limit_key_prefix": f"xff:{uuid.uuid4().hex}:",
            "rate_limit_window_seconds": 3600,
            "rate_limit_cost_per_address": 60,
            "rate_limit_delay_seconds": 0,
        }
        with threaded_server(settings, trusted_proxies="127.0.0.0/8, 10.0.0.0/8", **options) as server:
            for client in ("203.0.113.1", "203.0.113.2"):
                # the client's own claim (left) is not believed; the hop the proxies added is
                hops = {"X-Forwarded-For": f"192.0.2.99, {client}, 10.1.2.3"}
                assert [keyed_get(server, None, hops).status_code for _ in range(2)] == [200, 200]
                assert_rate_limited(keyed_get(server, None, hops))
        with threaded_server(settings, **options) as server:  # no trusted proxy: the header is ignored
            statuses = [keyed_get(server, None, {"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(3)]
            assert statuses == [200, 200, 429]


def test_production_hides_the_schema(settings: Settings) -> None:
    with threaded_server(settings, environment=Environment.PRODUCTION) as server:
        introspection = post(server, {"query": "{ __schema { types { name } } }"})
        assert "GRAPHQL_VALIDATION_FAILED" in error_codes(introspection)
        typo = post(server, {"query": '{ subjecs(code: "x") { id } }'}).json()
        assert "Did you mean" not in orjson.dumps(typo).decode()
        enum = post(
            server, {"query": '{ searchSubjects(query: "x", filter: {kinds: [NATURAL_PERSO]}) { totalCount } }'}
        )
        assert "Did you mean" not in enum.text
        with httpx.Client() as client:
            page = client.get(server.url, headers={"accept": "text/html"})
        assert page.status_code >= 400 and "graphiql" not in page.text.lower()


def test_a_request_has_a_time_limit(settings: Settings) -> None:
    with threaded_server(settings, request_timeout_seconds=0.0001) as server:
        response = post(server, {"query": "{ " + SEARCH + " }"})
        assert response.status_code == 503 and "TIMEOUT" in error_codes(response)
        assert response.headers["retry-after"] == "1"
