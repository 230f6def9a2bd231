"""End to end over HTTP: import demo data, let the in-process indexer catch up, query GraphQL."""

from __future__ import annotations

import itertools
import re
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from credit.access.repository import insert_key
from credit.enums import Role
from credit.models import OutboxEntry, Subject
from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from creditgraph.demo.generator import generate
from tests.conftest import ApiServer, wait_for

pytestmark = pytest.mark.e2e

SEARCH = """
query($q: String!, $filter: SubjectFilter) {
  searchSubjects(query: $q, filter: $filter, first: 5) {
    totalCount
    edges { score highlights node { id kind name code formerNames creditProfile { activeFlags { code kind } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

SUBJECT = """
query($code: String!) {
  subject(code: $code) {
    name code kind legalRepresentative
    creditProfile { activeFlags { code } records { totalCount edges { node { title status authority } } } }
  }
}"""

FULL_ID = re.compile(r"\d{17}[\dX]")


async def load_demo(runtime: Runtime, subjects: int = 300) -> list[dict[str, Any]]:
    lines = list(itertools.islice(generate(subjects=subjects, seed=5), 10_000))
    summary = await Importer(runtime).run(orjson.dumps(line) for line in lines)
    assert summary.rejected == []

    async def drained() -> bool:
        async with runtime.sessions() as session:
            return (await session.scalar(select(func.count()).select_from(OutboxEntry))) == 0

    await wait_for(drained, timeout=30)
    assert runtime.search is not None
    await runtime.search.indices.refresh(index=runtime.alias)
    return lines


class TestGraphQLOverHttp:
    async def test_search_and_profile(self, clean_db: Runtime, api_server: ApiServer) -> None:
        lines = await load_demo(clean_db)
        company = next(line for line in lines if line["type"] == "subject" and line["kind"] == "LEGAL_PERSON")
        body = await api_server.graphql(SEARCH, {"q": company["name"]})
        assert body["_status"] == 200, body
        edges = body["data"]["searchSubjects"]["edges"]
        assert edges[0]["node"]["code"] == company["code"]

        body = await api_server.graphql(SUBJECT, {"code": company["code"]})
        subject = body["data"]["subject"]
        assert subject["name"] == company["name"]
        expected = sum(1 for line in lines if line["type"] == "record" and line["subjectCode"] == company["code"])
        assert subject["creditProfile"]["records"]["totalCount"] <= expected

    async def test_natural_persons_are_masked_for_public(self, clean_db: Runtime, api_server: ApiServer) -> None:
        lines = await load_demo(clean_db)
        person = next(line for line in lines if line["type"] == "subject" and line["kind"] == "NATURAL_PERSON")
        body = await api_server.graphql(SEARCH, {"q": person["name"], "filter": {"kinds": ["NATURAL_PERSON"]}})
        raw = orjson.dumps(body).decode()
        assert person["name"] not in raw
        assert FULL_ID.search(raw) is None
        names = [e["node"]["name"] for e in body["data"]["searchSubjects"]["edges"]]
        assert names and all("*" in n for n in names)

        body = await api_server.graphql(SUBJECT, {"code": person["code"]})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    async def test_entitled_role_looks_a_person_up_by_id(self, clean_db: Runtime, api_server: ApiServer) -> None:
        lines = await load_demo(clean_db)
        person = next(line for line in lines if line["type"] == "subject" and line["kind"] == "NATURAL_PERSON")
        async with clean_db.sessions.begin() as session:
            _, key = await insert_key(session, Role.REGULATOR, "e2e")
        body = await api_server.graphql(SUBJECT, {"code": person["code"]}, key=key)
        subject = body["data"]["subject"]
        assert subject["kind"] == "NATURAL_PERSON"
        assert subject["code"] != person["code"] and subject["code"].endswith(str(person["code"])[-4:])

    async def test_bad_input_and_bad_keys(self, clean_db: Runtime, api_server: ApiServer) -> None:
        body = await api_server.graphql(SUBJECT, {"code": "not-a-code"})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        body = await api_server.graphql(SEARCH, {"q": "   "})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        body = await api_server.graphql('{ searchSubjects(query: "x", first: 1000) { totalCount } }')
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        body = await api_server.graphql(SEARCH, {"q": "公司"}, key="cg_not_a_real_key")
        assert body["_status"] == 401
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    async def test_subject_count_matches_import(self, clean_db: Runtime, api_server: ApiServer) -> None:
        lines = await load_demo(clean_db, subjects=120)
        async with clean_db.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(Subject))
        assert count == sum(1 for line in lines if line["type"] == "subject")
        assert clean_db.search is not None
        indexed = await clean_db.search.count(index=clean_db.alias)
        assert indexed["count"] == count
