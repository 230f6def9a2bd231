"""The published four lists (四张清单) over HTTP: CSV with a BOM and Chinese headers, and JSON, at
stable URLs, generated from the same tables as the `measures` query."""

from __future__ import annotations

import csv
import io

import httpx
import orjson
import pytest

from credit.rules.catalogue import default_catalogue
from credit.rules.lists import DISHONESTY_SCOPE_LIST, INCENTIVE_LIST, PUNISHMENT_LIST, TRUST_SCOPE_LIST
from tests.conftest import ApiServer

pytestmark = pytest.mark.e2e


async def get(api_server: ApiServer, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(api_server.url + path, headers=headers or {})


def rows(response: httpx.Response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_measures_csv(api_server: ApiServer) -> None:
    response = await get(api_server, "/catalogue/measures.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    table = rows(response)
    header, body = table[0], table[1:]
    assert header[:3] == ["清单", "措施编号", "措施名称"]
    for name in (
        "实施事由",
        "措施内容",
        "法律依据",
        "联合奖惩实施单位",
        "证据材料",
        "适用对象",
        "异议核查期间暂停执行",
    ):
        assert name in header
    assert sorted(row[1] for row in body) == sorted(m.code for m in default_catalogue().measures)
    assert {row[0] for row in body} == {INCENTIVE_LIST, PUNISHMENT_LIST}
    basis = header.index("法律依据")
    assert all(row[basis].startswith("《") for row in body)


async def test_scopes_csv(api_server: ApiServer) -> None:
    table = rows(await get(api_server, "/catalogue/scopes.csv"))
    assert "行政单位（认定单位）" in table[0]
    catalogue = default_catalogue()
    assert {row[1] for row in table[1:]} == {r.code for r in catalogue.rules} | {h.code for h in catalogue.history}
    assert {row[0] for row in table[1:]} == {TRUST_SCOPE_LIST, DISHONESTY_SCOPE_LIST}


async def test_json_and_caching(api_server: ApiServer) -> None:
    response = await get(api_server, "/catalogue/measures.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    document = orjson.loads(response.content)
    assert list(document["lists"]) == [TRUST_SCOPE_LIST, DISHONESTY_SCOPE_LIST, INCENTIVE_LIST, PUNISHMENT_LIST]
    measures = document["lists"][INCENTIVE_LIST] + document["lists"][PUNISHMENT_LIST]
    assert len(measures) == len(default_catalogue().measures)
    etag = response.headers["etag"]
    again = await get(api_server, "/catalogue/measures.json", {"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


async def test_a_bad_key_is_refused(api_server: ApiServer) -> None:
    response = await get(api_server, "/catalogue/measures.csv", {"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert orjson.loads(response.content)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await get(api_server, "/catalogue/other.csv")).status_code == 404
