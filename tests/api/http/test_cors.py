"""CORS (api/http/cors.py): origin patterns, and browser-style preflights and answers from the app."""

from __future__ import annotations

import httpx
import pytest

from api.http.app import create_app
from api.http.cors import _pattern, cors_middleware
from credit.platform.config import Settings
from credit.platform.runtime import Runtime
from tests.conftest import serving

pytestmark = pytest.mark.e2e

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"}


class TestPatterns:
    @pytest.mark.parametrize(
        ("pattern", "origin", "allowed"),
        [
            ("http://localhost:*", "http://localhost:5173", True),
            ("http://localhost:*", "http://localhost", True),
            ("http://localhost:*", "http://localhost.evil.example:5173", False),
            ("http://localhost:*", "https://localhost:5173", False),
            ("https://*.example.cn", "https://www.example.cn", True),
            ("https://*.example.cn", "https://a.b.example.cn", True),
            ("https://*.example.cn", "https://example.cn", False),
            ("https://*.example.cn", "https://evilexample.cn", False),
            ("https://*.example.cn", "https://www.example.cn.evil.example", False),
        ],
    )
    def test_patterns(self, pattern: str, origin: str, allowed: bool) -> None:
        import re

        assert (re.fullmatch(_pattern(pattern), origin) is not None) is allowed

    @pytest.mark.parametrize("bad", ["localhost:3000", "ftp://x.example", "http://*", "http://a*b.example"])
    def test_not_an_origin(self, bad: str) -> None:
        with pytest.raises(ValueError, match="CORS_ALLOW_ORIGINS"):
            cors_middleware([bad])


async def preflight(app_settings: Settings, runtime: Runtime, origin: str, path: str = "/graphql") -> httpx.Response:
    app = create_app(app_settings, runtime=runtime)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
        return await client.options(path, headers={"Origin": origin, **PREFLIGHT})


class TestPreflight:
    async def test_a_configured_origin_is_allowed_and_another_is_not(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        configured = settings.model_copy(update={"cors_allow_origins": "http://site.example, http://localhost:*"})
        allowed = await preflight(configured, runtime, "http://site.example")
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "http://site.example"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in allowed.headers
        refused = await preflight(configured, runtime, "http://other.example")
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        pattern = await preflight(configured, runtime, "http://localhost:5173")
        assert pattern.headers["access-control-allow-origin"] == "http://localhost:5173"

    async def test_no_origin_by_default(self, settings: Settings, runtime: Runtime) -> None:
        response = await preflight(
            settings.model_copy(update={"cors_allow_origins": ""}), runtime, "http://site.example"
        )
        assert response.status_code == 400 and "access-control-allow-origin" not in response.headers

    async def test_a_wildcard_never_allows_credentials(self, settings: Settings, runtime: Runtime) -> None:
        response = await preflight(
            settings.model_copy(update={"cors_allow_origins": "*"}), runtime, "http://any.example"
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers

    async def test_answers_carry_the_origin_and_expose_the_rate_limit(
        self, settings: Settings, runtime: Runtime
    ) -> None:
        configured = settings.model_copy(update={"cors_allow_origins": "http://site.example"})
        async with serving(create_app(configured, runtime=runtime)) as url, httpx.AsyncClient() as client:
            response = await client.post(
                url + "/graphql", json={"query": "{ __typename }"}, headers={"Origin": "http://site.example"}
            )
        assert response.status_code == 200, response.text
        assert response.headers["access-control-allow-origin"] == "http://site.example"
        assert "RateLimit-Remaining" in response.headers["access-control-expose-headers"]
