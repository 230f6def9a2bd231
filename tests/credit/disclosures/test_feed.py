"""`disclosures`: the feed of records in public disclosure, against a real PostgreSQL.

Queries run through the real schema in process (no HTTP), with the context the app would build.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import random
from typing import Any

import orjson
import pytest
from sqlalchemy import select, text
from starlette.requests import Request

from api.graphql.context import Context
from api.graphql.schema import schema
from credit.access.viewer import ANONYMOUS
from credit.disclosures.feed import FeedFilter
from credit.disclosures.repository import disclosed
from credit.enums import RecordCategory
from credit.errors import InvalidRequest
from credit.models import CreditRecord
from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from credit.rules.flags import in_public_disclosure
from creditgraph.demo.generator import generate
from tests.support.feed_data import (
    AUTHORITIES,
    TODAY,
    company,
    expected_ids,
    import_lines,
    mixed_records,
    record,
    record_ids,
    set_status,
)

pytestmark = pytest.mark.integration

FEED = """
query($filter: DisclosureFilter, $first: Int, $after: String) {
  disclosures(filter: $filter, first: $first, after: $after) {
    totalCount
    edges {
      cursor
      node {
        databaseId status category authority publishedOn
        subject { regionCode region { province city county name } }
      }
    }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}"""


async def run(runtime: Runtime, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    request = Request({"type": "http", "method": "POST", "headers": [], "client": ("127.0.0.1", 1), "path": "/"})
    context = Context(runtime=runtime, viewer=ANONYMOUS, request=request)
    result = await schema.execute(query, variable_values=variables, context_value=context)
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [{"message": e.message, "extensions": e.extensions} for e in result.errors]
    return body


async def feed(runtime: Runtime, **variables: Any) -> dict[str, Any]:
    body = await run(runtime, FEED, variables)
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["disclosures"]
    return connection


def ids_of(connection: dict[str, Any]) -> list[int]:
    return [int(edge["node"]["databaseId"]) for edge in connection["edges"]]


async def page_all(runtime: Runtime, first: int, filter: dict[str, Any] | None = None) -> list[int]:
    seen: list[int] = []
    after = None
    while True:
        connection = await feed(runtime, filter=filter, first=first, after=after)
        seen.extend(ids_of(connection))
        if not connection["pageInfo"]["hasNextPage"]:
            return seen
        after = connection["pageInfo"]["endCursor"]


@pytest.fixture
async def feed_db(clean_db: Runtime) -> Runtime:
    subjects = [company(1, "320402"), company(2, "320411"), company(3, "110105")]
    await import_lines(clean_db, subjects)
    await import_lines(clean_db, mixed_records([s["code"] for s in subjects], 120))
    return clean_db


class TestDisclosures:
    async def test_newest_first_with_stable_ties(self, feed_db: Runtime) -> None:
        expected = await expected_ids(feed_db)
        assert len(expected) == 120
        assert await page_all(feed_db, first=7) == expected
        first_page = await feed(feed_db, first=7)
        assert first_page["totalCount"] == 120
        assert first_page["pageInfo"]["hasPreviousPage"] is False
        days = [edge["node"]["publishedOn"] for edge in first_page["edges"]]
        assert days == sorted(days, reverse=True) and days[0] == TODAY.isoformat()

    async def test_only_records_in_public_disclosure(self, feed_db: Runtime) -> None:
        ids = await record_ids(feed_db)
        revoked, repaired, objected, expired = ids[0:3], ids[3:5], ids[5:8], ids[8:10]
        await set_status(feed_db, revoked, "REVOKED")
        await set_status(feed_db, repaired, "REPAIRED")
        await set_status(feed_db, objected, "UNDER_OBJECTION")
        async with feed_db.engine.begin() as conn:
            await conn.execute(
                text("UPDATE records SET disclosure_until = CURRENT_DATE - 1 WHERE id = ANY(:ids)"), {"ids": expired}
            )
        connection = await feed(feed_db, first=100)
        assert connection["totalCount"] == 120 - 7
        seen = await page_all(feed_db, first=50)
        assert not set(seen) & set(revoked + repaired + expired)
        statuses = {int(e["node"]["databaseId"]): e["node"]["status"] for e in connection["edges"]}
        later = await feed(feed_db, first=100, after=connection["pageInfo"]["endCursor"])
        statuses |= {int(e["node"]["databaseId"]): e["node"]["status"] for e in later["edges"]}
        assert {statuses[i] for i in objected} == {"UNDER_OBJECTION"}
        assert set(statuses.values()) == {"ACTIVE", "UNDER_OBJECTION"}

    async def test_filters_and_total_count(self, feed_db: Runtime) -> None:
        cases: list[tuple[dict[str, Any], str, dict[str, Any]]] = [
            (
                {"categories": ["ADMINISTRATIVE_PENALTY", "RED_LIST"]},
                "r.category IN ('ADMINISTRATIVE_PENALTY', 'RED_LIST')",
                {},
            ),
            ({"regionCodePrefix": "3204"}, "s.region_code LIKE '3204%'", {}),
            ({"regionCodePrefix": "11"}, "s.region_code LIKE '11%'", {}),
            ({"authority": AUTHORITIES[0]}, "r.authority = :a", {"a": AUTHORITIES[0]}),
            (
                {
                    "publishedFrom": (TODAY - dt.timedelta(days=9)).isoformat(),
                    "publishedTo": (TODAY - dt.timedelta(days=3)).isoformat(),
                },
                "r.published_on BETWEEN CURRENT_DATE - 9 AND CURRENT_DATE - 3",
                {},
            ),
            (
                {
                    "categories": ["DISHONEST_JUDGMENT_DEBTOR"],
                    "regionCodePrefix": "320402",
                    "authority": AUTHORITIES[1],
                },
                "r.category = 'DISHONEST_JUDGMENT_DEBTOR' AND s.region_code LIKE '320402%' AND r.authority = :a",
                {"a": AUTHORITIES[1]},
            ),
            ({"regionCodePrefix": "44"}, "false", {}),
        ]
        for filter, where, params in cases:
            expected = await expected_ids(feed_db, where, params)
            assert await page_all(feed_db, first=7, filter=filter) == expected, filter
            assert (await feed(feed_db, first=1, filter=filter))["totalCount"] == len(expected), filter

    async def test_region_names_come_with_the_subject(self, feed_db: Runtime) -> None:
        connection = await feed(feed_db, first=100, filter={"regionCodePrefix": "11"})
        region = connection["edges"][0]["node"]["subject"]["region"]
        assert region == {"province": "北京市", "city": "北京市", "county": "朝阳区", "name": "北京市朝阳区"}
        connection = await feed(feed_db, first=1, filter={"regionCodePrefix": "320402"})
        region = connection["edges"][0]["node"]["subject"]["region"]
        assert region == {"province": "江苏省", "city": "常州市", "county": "天宁区", "name": "江苏省常州市天宁区"}

    @pytest.mark.parametrize(
        ("variables", "fragment"),
        [
            ({"after": "not-a-cursor"}, "cursor"),
            ({"after": "WyJyZWMiLCAibm90LWEtZGF0ZSIsIDFd"}, "cursor"),  # ["rec", "not-a-date", 1]
            ({"after": "WyJzdWIiLCAxXQ"}, "cursor"),  # another kind of cursor
            ({"filter": {"regionCodePrefix": "32a"}}, "regionCodePrefix"),
            ({"filter": {"publishedFrom": "2024-05-02", "publishedTo": "2024-05-01"}}, "publishedFrom"),
            ({"filter": {"authority": "  "}}, "authority"),
            ({"first": 0}, "first"),
            ({"first": 101}, "first"),
        ],
    )
    async def test_bad_input(self, clean_db: Runtime, variables: dict[str, Any], fragment: str) -> None:
        body = await run(clean_db, FEED, variables)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
        assert fragment in body["errors"][0]["message"]


class TestPagingUnderConcurrentWrites:
    async def test_union_of_pages_is_the_snapshot_plus_only_newer_records(self, feed_db: Runtime) -> None:
        codes = [line["code"] for line in [company(1, "320402"), company(2, "320411"), company(3, "110105")]]
        snapshot = await expected_ids(feed_db)
        async with feed_db.engine.connect() as conn:
            result = await conn.execute(text("SELECT id, published_on FROM records"))
            published = {row.id: row.published_on for row in result}
        rng = random.Random(11)
        inserted: set[int] = set()
        withdrawn: set[int] = set()
        moved_attempts: set[int] = set()
        reader_done = asyncio.Event()
        counter = itertools.count()

        async def writer() -> None:
            while not reader_done.is_set():
                n = next(counter)
                # a new record, published today or back-dated into the part being paged
                day = TODAY - dt.timedelta(days=rng.choice([0, 0, 1, 5, 12, 20, 29]))
                line = record(f"W{n:05d}", rng.choice(codes), "ADMINISTRATIVE_PENALTY", day, AUTHORITIES[0])
                await import_lines(feed_db, [line])
                inserted.update(await record_ids(feed_db, "source_id = :s", {"s": f"W{n:05d}"}))
                # a withdrawal (revocation) of a record of the snapshot
                victim = rng.choice(snapshot)
                await set_status(feed_db, [victim], "REVOKED")
                withdrawn.add(victim)
                # an update that tries to move a record of the snapshot to today: it must stay put
                if n % 3 == 0:
                    target = rng.choice(snapshot)
                    await self._retitle_and_republish(feed_db, target)
                    moved_attempts.add(target)
                await asyncio.sleep(0.003)

        async def reader() -> list[tuple[str, int]]:
            seen: list[tuple[str, int]] = []
            after = None
            try:
                while True:
                    connection = await feed(feed_db, first=7, after=after)
                    seen.extend((e["node"]["publishedOn"], int(e["node"]["databaseId"])) for e in connection["edges"])
                    if not connection["pageInfo"]["hasNextPage"]:
                        return seen
                    after = connection["pageInfo"]["endCursor"]
                    await asyncio.sleep(0.005)
            finally:
                reader_done.set()

        writing = asyncio.create_task(writer())
        seen = await reader()
        await writing

        ids = [record_id for _, record_id in seen]
        assert len(ids) == len(set(ids)), "a record was served twice"
        assert seen == sorted(seen, reverse=True), "pages are not in (publishedOn, id) descending order"
        assert set(ids) <= set(snapshot) | inserted, "a record that is neither in the snapshot nor new"
        assert set(snapshot) - withdrawn <= set(ids), "a record present at the start was skipped"
        assert len(inserted) >= 3 and len(withdrawn) >= 3 and moved_attempts, "the writer did not interleave"
        async with feed_db.sessions() as session:
            rows = (await session.scalars(select(CreditRecord).where(CreditRecord.id.in_(moved_attempts)))).all()
        assert all(row.revision > 1 and row.published_on == published[row.id] for row in rows)

    @staticmethod
    async def _retitle_and_republish(runtime: Runtime, record_id: int) -> None:
        """Re-import a record with a new title and today's publishedOn (a provider's correction)."""
        async with runtime.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT r.source_id, r.authority, r.category, r.decided_on, r.severity, r.valid_from,"
                        " r.valid_until, s.code FROM records r JOIN subjects s ON s.id = r.subject_id WHERE r.id = :id"
                    ),
                    {"id": record_id},
                )
            ).one()
        line: dict[str, Any] = {
            "type": "record",
            "sourceId": row.source_id,
            "authority": row.authority,
            "subjectCode": row.code,
            "category": row.category,
            "title": f"更正 {record_id} {dt.datetime.now().isoformat()}",
            "decidedOn": row.decided_on.isoformat(),
            "publishedOn": TODAY.isoformat(),
        }
        if row.severity:
            line["severity"] = row.severity
        if row.valid_from:
            line["validFrom"] = row.valid_from.isoformat()
        if row.valid_until:
            line["validUntil"] = row.valid_until.isoformat()
        await import_lines(runtime, [line])


class TestUpdatesDoNotMoveRecords:
    async def test_a_new_revision_keeps_the_publication_day(self, clean_db: Runtime) -> None:
        subject = company(7, "320402")
        first = record("U1", subject["code"], "ADMINISTRATIVE_PENALTY", TODAY - dt.timedelta(days=10), AUTHORITIES[0])
        await import_lines(clean_db, [subject, first])
        await import_lines(clean_db, [first | {"title": "更正后的标题", "publishedOn": TODAY.isoformat()}])
        async with clean_db.sessions() as session:
            row = await session.scalar(select(CreditRecord).where(CreditRecord.source_id == "U1"))
        assert row is not None and row.revision == 2 and row.title == "更正后的标题"
        assert row.published_on == TODAY - dt.timedelta(days=10)

    async def test_the_same_line_without_publication_day_is_unchanged_another_day(self, clean_db: Runtime) -> None:
        subject = company(8, "320402")
        line = record("U2", subject["code"], "DISHONEST_JUDGMENT_DEBTOR", TODAY - dt.timedelta(days=3), AUTHORITIES[2])
        del line["publishedOn"]
        await import_lines(clean_db, [subject])
        yesterday = Importer(clean_db, today=TODAY - dt.timedelta(days=1))
        await yesterday.run([orjson.dumps(line)])
        again = Importer(clean_db, today=TODAY)
        summary = await again.run([orjson.dumps(line)])
        assert (summary.unchanged, summary.updated) == (1, 0)


class TestDisclosedPredicate:
    async def test_sql_agrees_with_the_rule_for_every_stored_record(self, clean_db: Runtime) -> None:
        lines = list(itertools.islice(generate(subjects=150, seed=9), 4000))
        await import_lines(clean_db, lines)
        async with clean_db.sessions() as session:
            rows = [(r, sql) for r, sql in (await session.execute(select(CreditRecord, disclosed(TODAY)))).all()]
        assert len(rows) > 100
        mismatches = [r.id for r, sql in rows if bool(sql) != in_public_disclosure(r.facts(), TODAY)]
        assert mismatches == []
        assert {bool(sql) for _, sql in rows} == {True, False}, "the demo data should hold expired records too"


class TestFeedFilter:
    def test_validates_and_normalises(self) -> None:
        f = FeedFilter.of(
            categories=[RecordCategory.RED_LIST, RecordCategory.BLACK_LIST, RecordCategory.RED_LIST],
            region_code_prefix=" 3204 ",
            authority=" 常州市生态环境局 ",
        )
        assert f.categories == (RecordCategory.BLACK_LIST, RecordCategory.RED_LIST)
        assert (f.region_code_prefix, f.authority) == ("3204", "常州市生态环境局")
        for bad in ({"region_code_prefix": "3204567"}, {"region_code_prefix": "32%"}, {"authority": ""}):
            with pytest.raises(InvalidRequest):
                FeedFilter.of(**bad)  # type: ignore[arg-type]
