"""`searchSubjects` over HTTP: facet aggregations are asked of the engine only when the client selects
`facets` (directly, through fragments, not when a directive leaves them out), and results do not
depend on it. Real app, real PostgreSQL, real osmem-server; the in-process indexer fills the index.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from credit.models import OutboxEntry
from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from credit.search.service import search_subjects
from tests.conftest import ApiServer, wait_for
from tests.support.factories import uscc

pytestmark = pytest.mark.integration

COMPANIES = ("常州星辰智能科技有限公司", "常州星辰新材料股份有限公司", "南京紫金山环保工程有限公司")
PERSON_ID = "320402199001011239"

EDGES = "totalCount edges { cursor score highlights node { id kind name code } } pageInfo { hasNextPage }"
FACETS = "facets { name buckets { value count } }"


def search(selection: str, *, fragments: str = "", variables: str = "") -> str:
    return f"""query($q: String!{variables}) {{ searchSubjects(query: $q, first: 5) {{ {selection} }} }} {fragments}"""


@pytest.fixture
async def loaded(clean_db: Runtime, api_server: ApiServer) -> AsyncIterator[Runtime]:
    lines = [
        {"type": "subject", "kind": "LEGAL_PERSON", "code": uscc(n), "name": name, "regionCode": "320402"}
        for n, name in enumerate(COMPANIES, start=1)
    ]
    lines.append(
        {"type": "subject", "kind": "NATURAL_PERSON", "code": PERSON_ID, "name": "张三丰", "regionCode": "320402"}
    )
    summary = await Importer(clean_db).run(orjson.dumps(line) for line in lines)
    assert summary.rejected == []

    async def drained() -> bool:
        async with clean_db.sessions() as session:
            return (await session.scalar(select(func.count()).select_from(OutboxEntry))) == 0

    await wait_for(drained, timeout=30)
    assert clean_db.search is not None
    await clean_db.search.indices.refresh(index=clean_db.alias)
    yield clean_db


@pytest.fixture
def facet_requests(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The `with_facets` of every search the resolver runs (the real search still runs)."""
    seen: list[bool] = []

    async def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs["with_facets"])
        return await search_subjects(*args, **kwargs)

    monkeypatch.setattr("credit.search.service.search_subjects", spy)  # the name the service calls
    return seen


async def run(api_server: ApiServer, query: str, **variables: object) -> dict[str, Any]:
    body = await api_server.graphql(query, {"q": "常州星辰", **variables})
    assert body["_status"] == 200 and "errors" not in body, body
    result: dict[str, Any] = body["data"]["searchSubjects"]
    return result


@pytest.mark.usefixtures("loaded")
class TestFacetsOnlyWhenSelected:
    async def test_not_selected_not_asked(self, api_server: ApiServer, facet_requests: list[bool]) -> None:
        result = await run(api_server, search(EDGES))
        assert facet_requests == [False]
        assert [edge["node"]["name"] for edge in result["edges"]][:2] == list(COMPANIES[:2])

    async def test_selected_are_computed(self, api_server: ApiServer, facet_requests: list[bool]) -> None:
        result = await run(api_server, search(f"{EDGES} {FACETS}"))
        assert facet_requests == [True]
        facets = {facet["name"]: {b["value"]: b["count"] for b in facet["buckets"]} for facet in result["facets"]}
        assert facets["kind"] == {"LEGAL_PERSON": result["totalCount"]}
        assert facets["city"] == {"3204": result["totalCount"]}

    async def test_facets_alone(self, api_server: ApiServer, facet_requests: list[bool]) -> None:
        result = await run(api_server, search(FACETS))
        assert facet_requests == [True]
        assert {facet["name"] for facet in result["facets"]} >= {"kind", "province", "city", "categories"}

    @pytest.mark.parametrize(
        ("selection", "fragments"),
        [
            pytest.param("...F", f"fragment F on SubjectSearchConnection {{ {FACETS} }}", id="named-fragment"),
            pytest.param(f"... on SubjectSearchConnection {{ {FACETS} }}", "", id="inline-fragment"),
            pytest.param(
                "...Outer",
                f"fragment Outer on SubjectSearchConnection {{ ... {{ {FACETS} }} }}",
                id="nested-fragments",
            ),
        ],
    )
    async def test_selected_through_fragments(
        self, api_server: ApiServer, facet_requests: list[bool], selection: str, fragments: str
    ) -> None:
        result = await run(api_server, search(f"totalCount {selection}", fragments=fragments))
        assert facet_requests == [True]
        assert result["facets"]

    @pytest.mark.parametrize(
        ("directive", "value", "asked"),
        [("skip", True, False), ("skip", False, True), ("include", False, False), ("include", True, True)],
    )
    async def test_directives(
        self, api_server: ApiServer, facet_requests: list[bool], directive: str, value: bool, asked: bool
    ) -> None:
        query = search(
            f"totalCount {FACETS.replace('facets', f'facets @{directive}(if: $flag)')}", variables=", $flag: Boolean!"
        )
        result = await run(api_server, query, flag=value)
        assert facet_requests == [asked]
        assert ("facets" in result) is asked

    async def test_directive_on_a_fragment(self, api_server: ApiServer, facet_requests: list[bool]) -> None:
        await run(api_server, search(f"totalCount ... @skip(if: true) {{ {FACETS} }}"))
        assert facet_requests == [False]

    async def test_facets_do_not_change_the_results(self, api_server: ApiServer) -> None:
        without = await run(api_server, search(EDGES))
        with_facets = await run(api_server, search(f"{EDGES} {FACETS}"))
        assert with_facets["edges"] == without["edges"]
        assert with_facets["totalCount"] == without["totalCount"]

    async def test_a_person_found_by_name_comes_back_masked(self, api_server: ApiServer) -> None:
        body = await api_server.graphql(search(EDGES), {"q": "张三丰"})
        node = body["data"]["searchSubjects"]["edges"][0]["node"]
        assert node["name"] == "张**"
        assert node["code"] == PERSON_ID[:4] + "*" * 10 + PERSON_ID[-4:]


REGION_SEARCH = """query($q: String!, $r: String) {
  searchSubjects(query: $q, filter: {regionCodePrefix: $r}) { totalCount facets { name buckets { value label count } } }
}"""


@pytest.mark.usefixtures("loaded")
class TestFacetLabelsAndRegionNames:
    async def test_buckets_carry_labels(self, api_server: ApiServer) -> None:
        body = await api_server.graphql(REGION_SEARCH, {"q": "常州星辰", "r": None})
        facets = {f["name"]: f["buckets"] for f in body["data"]["searchSubjects"]["facets"]}
        assert facets["kind"] == [{"value": "LEGAL_PERSON", "label": "企业法人", "count": 2}]
        assert facets["city"] == [{"value": "3204", "label": "常州市", "count": 2}]
        assert facets["province"][0]["label"] == "江苏省"
        assert {b["label"] for b in facets["has_active_punishment"]} == {"否"}

    @pytest.mark.parametrize(("region", "total"), [("常州", 2), ("天宁区", 2), ("江苏省常州市", 2), ("南京", 0)])
    async def test_region_by_name(self, api_server: ApiServer, region: str, total: int) -> None:
        body = await api_server.graphql(REGION_SEARCH, {"q": "常州星辰", "r": region})
        assert "errors" not in body, body
        assert body["data"]["searchSubjects"]["totalCount"] == total

    async def test_ambiguous_region_is_bad_user_input(self, api_server: ApiServer) -> None:
        body = await api_server.graphql(REGION_SEARCH, {"q": "常州星辰", "r": "鼓楼区"})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "320106" in body["errors"][0]["message"]


ORACLE = """query($q: String!) {
  searchSubjects(query: $q, filter: {kinds: [NATURAL_PERSON], regionCodePrefix: "320402"}) {
    totalCount edges { score cursor highlights node { name } }
  }
}"""


@pytest.mark.usefixtures("loaded")
class TestNoNameOracle:
    async def test_a_masked_name_cannot_be_read_one_character_at_a_time(self, api_server: ApiServer) -> None:
        # The attack: with a filter that leaves one person (张**), search one character, or the name
        # with one character guessed, and read the hits and scores. Nothing short of the whole name
        # finds the person, and the whole name in hanzi or pinyin scores the same.
        for probe in ("三", "丰", "张三", "三丰", "张丰", "张三风", "zsf", "zhangsan", "张*"):
            body = await api_server.graphql(ORACLE, {"q": probe})
            assert body["_status"] == 200 and "errors" not in body, body
            assert body["data"]["searchSubjects"]["totalCount"] == 0, probe
        scores = set()
        for whole in ("张三丰", "張三豐", "zhangsanfeng", "Zhāng Sānfēng"):
            body = await api_server.graphql(ORACLE, {"q": whole})
            (edge,) = body["data"]["searchSubjects"]["edges"]
            assert edge["node"]["name"] == "张**" and "三" not in "".join(edge["highlights"])
            scores.add(edge["score"])
        assert len(scores) == 1
