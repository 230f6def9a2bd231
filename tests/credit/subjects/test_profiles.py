"""Profiles: a fixed number of SQL statements whatever the number of records, a warm cache that
costs none, and never a stale profile after the indexer applied a change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
import pytest
from sqlalchemy import event, func, select, update

from credit import clock
from credit.enums import RecordStatus
from credit.models import CreditRecord, OutboxEntry, Subject
from credit.outbox.queue import touch_subjects
from credit.outbox.work import unit_of_work
from credit.platform.broker import MemoryBroker
from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from credit.subjects.profiles import ProfileStore, RoleClass, cache_key, encode, stamp_revisions
from tests.conftest import ApiServer, wait_for

pytestmark = pytest.mark.integration

COMPANY = "91110000600037341L"
OTHER = "91320402MA1MAB2T04"

PROFILE = """query($code: String!) { subject(code: $code) { name creditProfile {
  activeFlags { code } heldFlags { code }
  records(first: 100) { totalCount edges { node { title status objections { status } } } } } } }"""


def subject_line(code: str, name: str) -> bytes:
    return orjson.dumps({"type": "subject", "kind": "LEGAL_PERSON", "code": code, "name": name})


def record_lines(code: str, count: int) -> list[bytes]:
    return [
        orjson.dumps(
            {
                "type": "record",
                "sourceId": f"{code}-{n}",
                "authority": "常州市中级人民法院",
                "subjectCode": code,
                "category": "DISHONEST_JUDGMENT_DEBTOR",
                "title": f"失信被执行人 {n}",
                "decidedOn": (clock.today() - dt.timedelta(days=30 + n)).isoformat(),
            }
        )
        for n in range(count)
    ]


@contextmanager
def counting(runtime: Runtime) -> Iterator[list[str]]:
    """Statements against the profile tables (the indexer's outbox polling is left out)."""
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        lowered = statement.lower()
        if "outbox" not in lowered and any(t in lowered for t in ("subjects", "records", "objections")):
            seen.append(statement)

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", record)


async def load(runtime: Runtime, lines: list[bytes]) -> None:
    summary = await Importer(runtime).run(lines)
    assert summary.rejected == []

    async def drained() -> bool:  # the in-process indexer reads subjects and records too
        async with runtime.sessions() as session:
            return not (await session.scalar(select(func.count()).select_from(OutboxEntry)))

    await wait_for(drained, timeout=30)


class TestProfileStatements:
    async def test_cost_does_not_grow_with_records(self, clean_db: Runtime, api_server: ApiServer) -> None:
        await load(
            clean_db,
            [
                subject_line(COMPANY, "常州天宁环保科技有限公司"),
                subject_line(OTHER, "常州钟楼物流有限公司"),
                *record_lines(COMPANY, 1),
                *record_lines(OTHER, 40),
            ],
        )
        await clean_db.broker.delete(*(f"profile:{i}:{rc}" for i in (1, 2) for rc in ("public", "entitled", "rev")))
        costs = []
        for code, expected in ((COMPANY, 1), (OTHER, 40)):
            with counting(clean_db) as statements:
                body = await api_server.graphql(PROFILE, {"code": code})
            assert body["data"]["subject"]["creditProfile"]["records"]["totalCount"] == expected
            costs.append(len(statements))
        assert costs[0] == costs[1], (costs, statements)

    async def test_warm_cache_reads_no_profile_rows(self, clean_db: Runtime, api_server: ApiServer) -> None:
        await load(clean_db, [subject_line(COMPANY, "常州天宁环保科技有限公司"), *record_lines(COMPANY, 5)])
        await api_server.graphql(PROFILE, {"code": COMPANY})
        with counting(clean_db) as statements:
            body = await api_server.graphql(PROFILE, {"code": COMPANY})
        assert len(body["data"]["subject"]["creditProfile"]["activeFlags"]) > 0
        assert not [s for s in statements if "records" in s.lower()], statements


class TestProfileStore:
    async def test_the_serving_indexer_turns_a_late_stale_fill_into_a_miss(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        """With the session's broker (Redis when one answers): the API's own indexer stamps the
        revision it applied, so a profile read before the change and cached after it is not served."""
        await load(clean_db, [subject_line(COMPANY, "常州天宁环保科技有限公司"), *record_lines(COMPANY, 2)])
        store = ProfileStore(clean_db.sessions, clean_db.broker)
        today = clock.today()
        async with clean_db.sessions() as session:
            subject = await session.scalar(select(Subject))
        assert subject is not None
        before = (await store.load([subject.id], RoleClass.PUBLIC, today))[subject.id]
        async with unit_of_work(clean_db) as work:
            await touch_subjects(work, [subject.id], "test")
        await load(clean_db, [])  # waits until the API's indexer has applied the change
        await clean_db.broker.set(cache_key(subject.id, RoleClass.PUBLIC), encode(before), 300)
        after = (await store.load([subject.id], RoleClass.PUBLIC, today))[subject.id]
        assert after.subject.revision == before.subject.revision + 1

    async def test_entry_older_than_the_indexed_revision_is_a_miss(self, clean_db: Runtime) -> None:
        await load(clean_db, [subject_line(COMPANY, "常州天宁环保科技有限公司"), *record_lines(COMPANY, 2)])
        broker = MemoryBroker()
        store = ProfileStore(clean_db.sessions, broker)
        today = clock.today()
        async with clean_db.sessions() as session:
            subject = await session.scalar(select(Subject))
        assert subject is not None
        # A request reads the profile and is about to write it to the cache …
        first = (await store.load([subject.id], RoleClass.PUBLIC, today))[subject.id]
        assert len(first.records) == 2
        # … while a change commits and the indexer marks its new revision.
        async with clean_db.sessions.begin() as session:
            await session.execute(update(CreditRecord).values(status=RecordStatus.REVOKED).where(CreditRecord.id == 1))
            await session.execute(update(Subject).values(revision=Subject.revision + 1))
        await stamp_revisions(broker, {subject.id: subject.revision + 1})
        # The stale entry the request wrote must not be served.
        await broker.set(cache_key(subject.id, RoleClass.PUBLIC), encode(first), 300)
        second = (await store.load([subject.id], RoleClass.PUBLIC, today))[subject.id]
        assert [r.id for r in second.records] == [2]

    async def test_a_failing_cache_falls_back_to_postgres(self, clean_db: Runtime) -> None:
        class BrokenBroker(MemoryBroker):
            """A fault injected on purpose: the cache server is unreachable."""

            async def get_many(self, keys: object) -> list[bytes | None]:
                raise ConnectionError("cache down")

            async def set(self, *args: object, **kwargs: object) -> None:
                raise ConnectionError("cache down")

        await load(clean_db, [subject_line(COMPANY, "常州天宁环保科技有限公司"), *record_lines(COMPANY, 3)])
        store = ProfileStore(clean_db.sessions, BrokenBroker())
        profiles = await store.load([1], RoleClass.PUBLIC, clock.today())
        assert len(profiles[1].records) == 3


def company_code(n: int) -> str:
    from stdnum.cn import uscc

    body = f"91320402MA{n:07d}"
    return body + uscc.calc_check_digit(body)


SEARCH_FLAGS = """query($first: Int!) { searchSubjects(query: "常州天宁", first: $first) {
  edges { node { name creditProfile { activeFlags { code } } } } } }"""


async def test_a_page_of_100_costs_what_a_page_of_1_costs(clean_db: Runtime, api_server: ApiServer) -> None:
    lines = [subject_line(company_code(n), f"常州天宁第{n}号贸易有限公司") for n in range(120)]
    lines += [line for n in range(0, 120, 3) for line in record_lines(company_code(n), 2)]
    await load(clean_db, lines)
    assert clean_db.search is not None
    await clean_db.search.indices.refresh(index=clean_db.alias)
    costs = {}
    for first in (1, 100):
        with counting(clean_db) as statements:
            body = await api_server.graphql(SEARCH_FLAGS, {"first": first})
        assert len(body["data"]["searchSubjects"]["edges"]) == first
        costs[first] = len(statements)
    assert costs[1] == costs[100], costs


def nested(levels: int) -> dict[str, object]:
    content: dict[str, object] = {"leaf": 1}
    for _ in range(levels - 1):
        content = {"a": content}
    return content


class TestDeepContent:
    """Issue 18, finding 11: a record whose content nests a few hundred levels (stored before the
    import bounded `content`) must not break its subject's profile cache. orjson refuses more than
    255 levels, so with 300 the entry was never written and every read went to PostgreSQL."""

    async def test_a_deeply_nested_content_is_cached_and_served(self, clean_db: Runtime, api_server: ApiServer) -> None:
        await load(clean_db, [subject_line(COMPANY, "常州天宁环保科技有限公司"), *record_lines(COMPANY, 2)])
        async with clean_db.sessions.begin() as session:
            await session.execute(update(CreditRecord).values(content=nested(300)).where(CreditRecord.id == 1))
        broker = MemoryBroker()
        store = ProfileStore(clean_db.sessions, broker)
        today = clock.today()
        first = (await store.load([1], RoleClass.ENTITLED, today))[1]
        assert len(first.records) == 2
        blob = (await broker.get_many([cache_key(1, RoleClass.ENTITLED)]))[0]
        assert blob is not None, "the profile was not cached"
        with counting(clean_db) as statements:
            second = (await store.load([1], RoleClass.ENTITLED, today))[1]
        assert statements == []  # served from the cache
        deep = next(r for r in second.records if r.id == 1)
        assert deep.content == nested(300)
