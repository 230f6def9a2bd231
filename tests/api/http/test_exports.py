"""Exports of the disclosure feed over HTTP (CSV, NDJSON, Atom) against the real app, and the memory
of a 100,000-record export: the server streams it from a server-side cursor in constant memory."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import os
import time
import zipfile
from typing import Any
from xml.etree import ElementTree

import httpx
import orjson
import pytest
from sqlalchemy import text

from credit.access.repository import insert_key
from credit.enums import Role
from credit.platform.runtime import Runtime
from tests.conftest import ApiServer
from tests.support.feed_data import (
    AUTHORITIES,
    TODAY,
    company,
    drain_outbox,
    expected_ids,
    import_lines,
    mixed_records,
    person,
    record,
    resident_id,
)

pytestmark = pytest.mark.e2e

PERSON_NAME = "司马相如"
PERSON_ID = resident_id("320411", "19850505", 77)
ATOM = "{http://www.w3.org/2005/Atom}"
BOM = b"\xef\xbb\xbf"


@pytest.fixture
async def export_db(clean_db: Runtime) -> Runtime:
    subjects = [company(31, "320402"), company(32, "110105"), person(PERSON_NAME, PERSON_ID, "320411")]
    await import_lines(clean_db, subjects)
    lines = mixed_records([s["code"] for s in subjects], 90, prefix="E")
    lines.append(record("E-formula", subjects[0]["code"], "RED_LIST", TODAY, AUTHORITIES[0], title="=HYPERLINK(1)"))
    await import_lines(clean_db, lines)
    async with clean_db.engine.begin() as conn:  # one withdrawn record must not be exported
        await conn.execute(text("UPDATE records SET status = 'REVOKED' WHERE source_id = 'E00000'"))
    return clean_db


async def get(api_server: ApiServer, path: str, params: Any = None, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with httpx.AsyncClient(timeout=60) as client:
        return await client.get(api_server.url + path, params=params, headers=headers)


class TestCsvAndNdjson:
    async def test_csv_holds_the_filtered_feed_newest_first_masked(
        self, export_db: Runtime, api_server: ApiServer
    ) -> None:
        response = await get(api_server, "/export/disclosures.csv", {"headers": "en"})
        assert response.status_code == 200, response.text
        assert not response.content.startswith(BOM)  # for scripts: field names, no byte-order mark
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [int(r["id"]) for r in rows] == await expected_ids(export_db)
        assert len(rows) == 90  # 91 imported, one revoked
        assert PERSON_NAME not in response.text and PERSON_ID not in response.text
        persons = [r for r in rows if r["subjectKind"] == "NATURAL_PERSON"]
        assert persons and all(r["subjectName"] == "司马**" for r in persons)
        assert {r["county"] for r in persons} == {"新北区"} and {r["city"] for r in persons} == {"常州市"}
        assert next(r for r in rows if r["title"].endswith("HYPERLINK(1)"))["title"] == "'=HYPERLINK(1)"

        params = [("categories", "ADMINISTRATIVE_PENALTY,RED_LIST"), ("regionCodePrefix", "常州"), ("headers", "en")]
        response = await get(api_server, "/export/disclosures.csv", params)
        rows = list(csv.DictReader(io.StringIO(response.text)))
        where = "r.category IN ('ADMINISTRATIVE_PENALTY', 'RED_LIST') AND s.region_code LIKE '3204%'"
        assert [int(r["id"]) for r in rows] == await expected_ids(export_db, where) != []

    async def test_ndjson_with_the_same_filters(self, export_db: Runtime, api_server: ApiServer) -> None:
        params = {
            "categories": "DISHONEST_JUDGMENT_DEBTOR",
            "authority": AUTHORITIES[1],
            "publishedFrom": (TODAY - dt.timedelta(days=20)).isoformat(),
            "publishedTo": TODAY.isoformat(),
        }
        response = await get(api_server, "/export/disclosures.ndjson", params)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        objects = [orjson.loads(line) for line in response.content.splitlines()]
        where = (
            "r.category = 'DISHONEST_JUDGMENT_DEBTOR' AND r.authority = :a"
            " AND r.published_on BETWEEN CURRENT_DATE - 20 AND CURRENT_DATE"
        )
        assert [o["id"] for o in objects] == await expected_ids(export_db, where, {"a": AUTHORITIES[1]}) != []
        first = objects[0]
        assert first["status"] == "ACTIVE" and first["publishedOn"] <= TODAY.isoformat()
        assert set(first) >= {"title", "decisionNumber", "subjectName", "subjectCode", "province", "city", "county"}
        assert PERSON_NAME not in response.text and PERSON_ID not in response.text

    async def test_bad_filters_keys_and_keys_that_work(self, export_db: Runtime, api_server: ApiServer) -> None:
        for params in ({"categories": "NOPE"}, {"regionCodePrefix": "32x"}, {"publishedFrom": "yesterday"}):
            response = await get(api_server, "/export/disclosures.csv", params)
            assert response.status_code == 400
            assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        response = await get(api_server, "/export/disclosures.ndjson", key="cg_not_a_real_key")
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        async with export_db.sessions.begin() as session:
            _, key = await insert_key(session, Role.JOURNALIST, "e2e-export")
        response = await get(api_server, "/export/disclosures.ndjson", key=key)
        assert response.status_code == 200 and len(response.content.splitlines()) == 90

    async def test_csv_for_people_starts_with_a_bom_and_chinese_headers(
        self, export_db: Runtime, api_server: ApiServer
    ) -> None:
        response = await get(api_server, "/export/disclosures.csv", {"categories": "RED_LIST"})
        assert response.status_code == 200
        assert response.content.startswith(BOM)
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["记录编号", "类别代码", "类别"] and "主体名称" in rows[0]
        assert {row[2] for row in rows[1:]} == {"红名单"} and len(rows) > 1
        status = rows[0].index("状态")
        assert {row[status] for row in rows[1:]} <= {"公示中", "异议核查中"}
        bad = await get(api_server, "/export/disclosures.csv", {"headers": "fr"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        ambiguous = await get(api_server, "/export/disclosures.csv", {"regionCodePrefix": "鼓楼区"})
        assert ambiguous.status_code == 400 and "320106" in ambiguous.json()["errors"][0]["message"]

    async def test_xlsx_holds_the_same_rows_typed_and_without_formulas(
        self, export_db: Runtime, api_server: ApiServer
    ) -> None:
        response = await get(api_server, "/export/disclosures.xlsx")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert 'filename="disclosures-' in response.headers["content-disposition"]
        rows = xlsx_rows(response.content)
        assert rows[0][:3] == ["记录编号", "类别代码", "类别"]
        assert [int(float(r[0])) for r in rows[1:]] == await expected_ids(export_db)
        assert PERSON_NAME not in str(rows) and PERSON_ID not in str(rows)
        title = rows[0].index("标题")
        assert "=HYPERLINK(1)" in [r[title] for r in rows[1:]]  # text, not a formula
        assert b"<f>" not in zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml")
        english = xlsx_rows((await get(api_server, "/export/disclosures.xlsx", {"headers": "en"})).content)
        assert english[0][:3] == ["id", "category", "categoryLabel"]


def xlsx_rows(content: bytes) -> list[list[str]]:
    """The cells of the first sheet as text, read with the standard library (shared or inline strings)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    book = zipfile.ZipFile(io.BytesIO(content))
    shared: list[str] = []
    if "xl/sharedStrings.xml" in book.namelist():
        root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
        shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in root.findall("m:si", ns)]
    sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in sheet.iter(f"{{{ns['m']}}}row"):
        cells = []
        for cell in row.findall("m:c", ns):
            kind, value = cell.get("t"), cell.find("m:v", ns)
            if kind == "s" and value is not None:
                cells.append(shared[int(value.text or 0)])
            elif kind == "inlineStr":
                cells.append("".join(t.text or "" for t in cell.iter(f"{{{ns['m']}}}t")))
            else:
                cells.append(value.text or "" if value is not None else "")
        rows.append(cells)
    return rows


class TestAtom:
    async def test_newest_fifty_per_filter_with_etag(self, export_db: Runtime, api_server: ApiServer) -> None:
        response = await get(api_server, "/feeds/disclosures.atom", {"regionCodePrefix": "32"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/atom+xml")
        feed = ElementTree.fromstring(response.content)
        entries = feed.findall(f"{ATOM}entry")
        expected = await expected_ids(export_db, "s.region_code LIKE '32%'")
        assert len(expected) > 50
        assert [int(e.findtext(f"{ATOM}id", "").rsplit(":", 1)[1]) for e in entries] == expected[:50]
        assert "江苏省" in (feed.findtext(f"{ATOM}title") or "")
        for entry in entries:
            assert entry.findtext(f"{ATOM}updated") and entry.findtext(f"{ATOM}published")
            assert entry.find(f"{ATOM}author/{ATOM}name") is not None
        assert PERSON_NAME not in response.text and PERSON_ID not in response.text
        assert "司马**" in response.text

        etag = response.headers["etag"]
        async with httpx.AsyncClient(timeout=30) as client:
            again = await client.get(
                api_server.url + "/feeds/disclosures.atom",
                params={"regionCodePrefix": "32"},
                headers={"If-None-Match": etag},
            )
        assert again.status_code == 304

        async with export_db.engine.begin() as conn:  # a withdrawal changes the feed and its ETag
            await conn.execute(
                text("UPDATE records SET status = 'REVOKED', updated_at = now() WHERE id = :id"), {"id": expected[0]}
            )
        changed = await get(api_server, "/feeds/disclosures.atom", {"regionCodePrefix": "32"})
        assert changed.headers["etag"] != etag
        assert f"urn:creditgraph:record:{expected[0]}<" not in changed.text


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def insert_bulk(runtime: Runtime, count: int) -> None:
    """`count` disclosed penalties over 300 days, written with one set-based statement."""
    subjects = [company(40 + i, region) for i, region in enumerate(("320402", "320411", "110105"))]
    await import_lines(runtime, subjects)
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO records (subject_id, authority, source_id, category, title, decision_number, decided_on,"
                " published_on, severity, disclosure_until, content_hash)"
                " SELECT (SELECT array_agg(id ORDER BY id) FROM subjects)[1 + g % 3], :authority, 'BULK-' || g,"
                " 'ADMINISTRATIVE_PENALTY', '关于违反大气污染防治法规定的行政处罚决定书 第' || g || '号',"
                " '常环罚〔2025〕' || g || '号', CURRENT_DATE - 2 - (g % 300), CURRENT_DATE - (g % 300), 'GENERAL',"
                " CURRENT_DATE + 700, decode(md5(g::text), 'hex')"
                " FROM generate_series(1, :count) AS g"
            ),
            {"authority": AUTHORITIES[0], "count": count},
        )
        await conn.execute(text("ANALYZE records"))


async def measure_export(api_server: ApiServer, params: dict[str, str]) -> dict[str, float]:
    """Stream an export, discarding it; the growth of the process's resident memory meanwhile (the
    server runs in this process: uvicorn in the test session's event loop). RSS, not tracemalloc: it
    also counts what the driver buffers in C (a client-side cursor would hold the whole result there),
    and it costs nothing, where tracing every allocation slows the export sevenfold."""
    baseline = _rss()
    peak_rss = baseline
    sampling = True

    async def sample() -> None:
        nonlocal peak_rss
        while sampling:
            peak_rss = max(peak_rss, _rss())
            await asyncio.sleep(0.01)

    sampler = asyncio.create_task(sample())
    started = time.monotonic()
    size = lines = 0
    try:
        async with (
            httpx.AsyncClient(timeout=120) as client,
            client.stream("GET", api_server.url + "/export/disclosures.csv", params=params) as response,
        ):
            assert response.status_code == 200
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                lines += chunk.count(b"\n")
    finally:
        sampling = False
        await sampler
    return {
        "rows": lines - 1,
        "bytes": size,
        "seconds": time.monotonic() - started,
        "rss_growth": peak_rss - baseline,
    }


class TestExportMemory:
    async def test_a_hundred_thousand_records_stream_in_constant_memory(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        started = time.monotonic()
        await insert_bulk(clean_db, 100_000)
        inserted = time.monotonic() - started
        await drain_outbox(clean_db)  # the in-process indexer is idle while we measure
        await measure_export(api_server, {"publishedFrom": TODAY.isoformat()})  # warm-up: first-use caches
        small = await measure_export(api_server, {"publishedFrom": (TODAY - dt.timedelta(days=29)).isoformat()})
        large = await measure_export(api_server, {})
        mb = 1024 * 1024
        print(
            f"\ninsert 100k: {inserted:.1f} s"
            f"\nexport {small['rows']:.0f} rows: {small['bytes'] / mb:.1f} MB in {small['seconds']:.1f} s,"
            f" RSS growth {small['rss_growth'] / mb:.1f} MB"
            f"\nexport {large['rows']:.0f} rows: {large['bytes'] / mb:.1f} MB in {large['seconds']:.1f} s,"
            f" RSS growth {large['rss_growth'] / mb:.1f} MB"
        )
        assert small["rows"] == sum(1 for g in range(1, 100_001) if g % 300 < 30) and large["rows"] == 100_000
        # Ten times the rows, about the same memory: bounded by the batch, not by the export (holding
        # 100,000 rows would take well over the 30 MB of CSV they make).
        assert large["rss_growth"] < small["rss_growth"] + 8 * mb
        assert large["rss_growth"] < large["bytes"] / 3
