"""What standard GraphQL clients need (api/http/tooling.py): graphql-core's introspection query, the
offline GraphiQL page and its assets, and the SDL at /graphql/schema.graphql (also in production)."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest
from graphql import build_client_schema, get_introspection_query

from api.http.tooling import ASSETS, GRAPHIQL_DIR
from credit.platform.config import Environment, Settings
from tests.conftest import ROOT, ApiServer
from tests.support.threaded import threaded_server

pytestmark = pytest.mark.e2e


class TestIntrospection:
    async def test_graphql_cores_introspection_query_is_answered(self, api_server: ApiServer) -> None:
        body = await api_server.graphql(get_introspection_query(descriptions=True, input_value_deprecation=True))
        assert "errors" not in body, body["errors"]
        schema = build_client_schema(body["data"])
        assert {"node", "regions", "disclosures"} <= set(schema.query_type.fields)  # type: ignore[union-attr]
        assert body["extensions"]["cost"] <= 3000


class TestGraphiQL:
    async def test_a_browser_gets_the_page_with_same_origin_assets(self, api_server: ApiServer) -> None:
        async with httpx.AsyncClient(base_url=api_server.url) as client:
            page = await client.get("/graphql", headers={"accept": "text/html"})
            assert page.status_code == 200 and "graphiql" in page.text
            csp = page.headers["content-security-policy"]
            assert "default-src 'self'" in csp and "connect-src 'self'" in csp
            sources = re.findall(r'(?:src|href)="(/graphiql/[^"]+)"(?:\s+integrity="([^"]+)")?', page.text)
            assert len(sources) >= 7 and not re.search(r'(?:src|href)="(?:https?:)?//', page.text)
            for path, integrity in sources:
                asset = await client.get(path)
                assert asset.status_code == 200, path
                if integrity:  # the vendored file is the one the page's SRI hash names
                    digest = base64.b64encode(hashlib.sha384(asset.content).digest()).decode()
                    assert integrity == f"sha384-{digest}", path
            assert (await client.get("/graphiql/vendor.sh")).status_code == 404
            assert (await client.get("/graphiql/../schema.graphql")).status_code == 404

    def test_every_served_asset_and_licence_is_in_the_package(self) -> None:
        assert all((GRAPHIQL_DIR / path).is_file() for path in ASSETS)
        assert any(path.endswith("react.LICENSE") for path in ASSETS)


class TestSdl:
    async def test_the_sdl_is_the_committed_schema_and_revalidates(self, api_server: ApiServer) -> None:
        async with httpx.AsyncClient(base_url=api_server.url) as client:
            response = await client.get("/graphql/schema.graphql")
            assert response.status_code == 200
            assert response.text == (ROOT / "schema.graphql").read_text(encoding="utf-8")
            assert response.headers["cache-control"].startswith("public")
            again = await client.get("/graphql/schema.graphql", headers={"if-none-match": response.headers["etag"]})
            assert again.status_code == 304 and again.content == b""


def test_production_serves_the_sdl_but_neither_introspection_nor_graphiql(settings: Settings) -> None:
    with threaded_server(settings, environment=Environment.PRODUCTION) as server:
        base = server.url.removesuffix("/graphql")
        sdl = server.http.get(base + "/graphql/schema.graphql")
        assert sdl.status_code == 200 and "type Query" in sdl.text
        introspection = server.http.post(server.url, json={"query": get_introspection_query()})
        assert introspection.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert server.http.get(base + "/graphiql/init.js").status_code == 404
