"""Codes as they really are, end to end: a digits-only agency USCC that python-stdnum's ID-number
check crashes on, and an ID number whose county code is newer than its holder's birth year.
Real app, real PostgreSQL, real osmem-server; the in-process indexer fills the index."""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson
import pytest
from sqlalchemy import func, select

from credit.models import OutboxEntry
from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from credit.subjects.identifiers import ABOLISHED_BEFORE_BIRTH
from tests.conftest import ApiServer, wait_for

pytestmark = pytest.mark.integration

AGENCY = "113307811104157685"
LIYANG_1978 = "320481197812140786"
ABOLISHED = "412723200501010010"  # 商水县's code, abolished in 2000; the holder was born in 2005
SUBJECT = "query($c: String!) {{ subject(code: $c) {{ {} }} }}"

LINES = [
    {"type": "subject", "kind": "GOVERNMENT_AGENCY", "code": AGENCY, "name": "浦江县财政局", "regionCode": "330726"},
    {"type": "subject", "kind": "NATURAL_PERSON", "code": LIYANG_1978, "name": "史美玲", "regionCode": "320481"},
    {"type": "subject", "kind": "NATURAL_PERSON", "code": ABOLISHED, "name": "周建", "regionCode": "411623"},
]


@pytest.fixture
async def loaded(clean_db: Runtime, api_server: ApiServer) -> AsyncIterator[Runtime]:
    summary = await Importer(clean_db).run(orjson.dumps(line) for line in LINES)
    assert summary.rejected == []
    assert summary.created == len(LINES)
    assert summary.warnings == [(3, ABOLISHED_BEFORE_BIRTH)]

    async def drained() -> bool:
        async with clean_db.sessions() as session:
            return (await session.scalar(select(func.count()).select_from(OutboxEntry))) == 0

    await wait_for(drained, timeout=30)
    assert clean_db.search is not None
    await clean_db.search.indices.refresh(index=clean_db.alias)
    yield clean_db


@pytest.mark.usefixtures("loaded")
class TestDigitsOnlyAgency:
    async def test_subject_by_code(self, api_server: ApiServer) -> None:
        body = await api_server.graphql(SUBJECT.format("name kind code"), {"c": AGENCY})
        assert "errors" not in body, body
        assert body["data"]["subject"] == {"name": "浦江县财政局", "kind": "GOVERNMENT_AGENCY", "code": AGENCY}

    async def test_search_by_code(self, api_server: ApiServer) -> None:
        body = await api_server.graphql(
            "query($q: String!) { searchSubjects(query: $q) { edges { node { code name } } } }", {"q": AGENCY}
        )
        assert "errors" not in body, body
        assert body["data"]["searchSubjects"]["edges"][0]["node"] == {"code": AGENCY, "name": "浦江县财政局"}

    async def test_person_codes_stay_closed_to_the_public(self, api_server: ApiServer) -> None:
        body = await api_server.graphql(SUBJECT.format("name"), {"c": LIYANG_1978})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert LIYANG_1978 not in orjson.dumps(body).decode()

    async def test_the_person_is_found_by_name_masked(self, api_server: ApiServer) -> None:
        body = await api_server.graphql(
            "query($q: String!) { searchSubjects(query: $q) { edges { node { name code } } } }", {"q": "史美玲"}
        )
        node = body["data"]["searchSubjects"]["edges"][0]["node"]
        assert node == {"name": "史**", "code": LIYANG_1978[:4] + "*" * 10 + LIYANG_1978[-4:]}
