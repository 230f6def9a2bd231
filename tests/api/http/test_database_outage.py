"""The API while PostgreSQL cannot be reached (issue 18, finding 9): GraphQL, keyed requests and the
exports answer 503 SERVICE_UNAVAILABLE with `Retry-After`, never a 200 that reads as an empty feed.

The fault is injected on purpose: the app's runtime points at a closed port (the shared server keeps
running for every other test); the app's own pool is the only thing that cannot connect."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from api.http.app import create_app
from credit.platform.config import Settings
from credit.platform.runtime import SearchMode, open_runtime
from tests.conftest import free_port, serving

pytestmark = pytest.mark.e2e

PROFILE = '{ subject(code: "91110000600037341L") { name } }'


@pytest.fixture
async def no_database(settings: Settings) -> AsyncIterator[str]:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    down = settings.model_copy(update={"database_url": closed, "redis_url": None})
    async with (
        open_runtime(down, search=SearchMode.NONE, migrate=False) as runtime,
        serving(create_app(down, runtime=runtime), log_level="critical") as url,
    ):
        yield url


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.status_code, response.text[:300])
    assert int(response.headers["retry-after"]) > 0
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
    assert "127.0.0.1" not in error["message"] and "Traceback" not in response.text


async def test_every_route_answers_503_with_retry_after(no_database: str) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        assert_unavailable(await http.post(f"{no_database}/graphql", json={"query": PROFILE}))
        assert_unavailable(await http.get(f"{no_database}/graphql", params={"query": PROFILE}))
        keyed = {"Authorization": "Bearer cg_somekey"}  # the key's lookup needs PostgreSQL
        assert_unavailable(await http.post(f"{no_database}/graphql", json={"query": PROFILE}, headers=keyed))
        for path in ("/export/disclosures.csv", "/export/disclosures.ndjson", "/feeds/disclosures.atom"):
            assert_unavailable(await http.get(no_database + path))
            assert_unavailable(await http.get(no_database + path, headers=keyed))
        ready = await http.get(f"{no_database}/ready")
    assert ready.status_code == 503 and ready.json()["database"] == "unavailable"
