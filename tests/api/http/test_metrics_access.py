"""`/metrics` in production (issue 18, finding 11): absent without METRICS_KEY, behind the key with it;
open in development for a local Prometheus."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from api.http.app import create_app
from credit.platform.config import Environment, Settings
from credit.platform.runtime import Runtime
from tests.conftest import serving

pytestmark = pytest.mark.e2e


async def scrape(settings: Settings, runtime: Runtime, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        serving(create_app(settings, runtime=runtime), log_level="critical") as url,
        httpx.AsyncClient(timeout=30) as http,
    ):
        return await http.get(f"{url}/metrics", headers=headers)


async def test_metrics_are_not_public_in_production(settings: Settings, runtime: Runtime) -> None:
    production = settings.model_copy(update={"environment": Environment.PRODUCTION})
    assert (await scrape(production, runtime)).status_code == 404
    keyed = production.model_copy(update={"metrics_key": SecretStr("scrape-secret")})
    assert (await scrape(keyed, runtime)).status_code == 401
    assert (await scrape(keyed, runtime, "wrong")).status_code == 401
    allowed = await scrape(keyed, runtime, "scrape-secret")
    assert allowed.status_code == 200 and "creditgraph_outbox_backlog" in allowed.text
    assert (await scrape(settings, runtime)).status_code == 200  # development: open
