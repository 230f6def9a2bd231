"""Search by trade name (字号) as people type it, highlights and labelled facets, against a real
osmem-server over HTTP.

Fixture strategy as in test_search.py: one osmem-server per module and one index under a random
prefix, loaded once with hand-made subjects built by `build_document`.
"""

from __future__ import annotations

import uuid

import pytest
from elasticsearch import AsyncElasticsearch

from credit.enums import RecordCategory, SubjectKind
from credit.platform.crypto import Vault
from credit.search.client import ensure_alias
from credit.search.document import SubjectSnapshot, build_document
from credit.search.query import SearchFilter, SearchInputError
from credit.search.service import SearchPage, search_subjects
from tests.support.factories import uscc

pytestmark = pytest.mark.integration

VAULT = Vault.from_secret("trade-search-test-secret")
LP, GA = SubjectKind.LEGAL_PERSON, SubjectKind.GOVERNMENT_AGENCY
PENALTY = RecordCategory.ADMINISTRATIVE_PENALTY

# (id, name, region, kind, categories)
SUBJECTS: tuple[tuple[int, str, str, SubjectKind, tuple[RecordCategory, ...]], ...] = (
    (1, "常州星辰智能科技有限公司", "320402", LP, (PENALTY,)),
    (2, "深圳市华为技术有限公司", "440307", LP, ()),
    (3, "苏州新创智能科技有限公司", "320505", LP, ()),  # xczn too, but not 星辰
    (4, "常州XC科技有限公司", "320411", LP, ()),  # its trade name is literally xc
    (5, "无锡祥成电子有限公司", "320214", LP, ()),  # initials xc
    (6, "星辰信息技术（南京）有限公司", "320106", LP, ()),
    (7, "南京市鼓楼区市场监督管理局", "320106", GA, ()),
    (8, "福州市鼓楼区市场监督管理局", "350102", GA, ()),
    (9, "北京星辰世纪贸易有限公司", "110105", LP, ()),
    (10, "杭州宏伟纺织有限公司", "330106", LP, ()),  # initials hw
)


def snapshot(
    subject_id: int, name: str, region: str, kind: SubjectKind, categories: tuple[RecordCategory, ...]
) -> SubjectSnapshot:
    return SubjectSnapshot(
        id=subject_id,
        kind=kind,
        code=uscc(subject_id, region),
        name=name,
        former_names=(),
        region_code=region,
        revision=1,
        categories=categories,
        active_flag_codes=("KEY_SUPERVISION",) if categories else (),
        has_active_punishment=bool(categories),
    )


@pytest.fixture(scope="module")
async def alias(client: AsyncElasticsearch) -> str:
    name = f"t{uuid.uuid4().hex[:8]}_subjects"
    await ensure_alias(client, name)
    operations: list[dict[str, object]] = []
    for row in SUBJECTS:
        operations.append({"index": {"_index": name, "_id": str(row[0]), "version": 1, "version_type": "external"}})
        operations.append(build_document(snapshot(*row), VAULT))
    response = await client.bulk(operations=operations, refresh=True)
    assert not response["errors"], response
    return name


async def search(
    client: AsyncElasticsearch, alias: str, query: str, filter: SearchFilter | None = None, first: int = 10
) -> SearchPage:
    return await search_subjects(client, alias, VAULT, query, filter, first)


class TestTradeName:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("xczn", 1),
            ("xcznkj", 1),
            ("hwjs", 2),
            ("huaweijishu", 2),
            ("xingchenzhineng", 1),
            ("星辰智能", 1),
            ("星辰zn", 1),
            ("xingchen智能", 1),
            ("星辰zhineng", 1),
            ("xc智能科技", 1),
            ("xingchenzn", 1),
            ("华为", 2),
        ],
    )
    async def test_right_subject_first(self, client: AsyncElasticsearch, alias: str, query: str, expected: int) -> None:
        page = await search(client, alias, query)
        assert [hit.id for hit in page.hits][:1] == [expected], [hit.source["name"] for hit in page.hits[:3]]

    async def test_hanzi_of_mixed_input_breaks_the_tie_of_initials(
        self, client: AsyncElasticsearch, alias: str
    ) -> None:
        ids = [hit.id for hit in (await search(client, alias, "星辰zn")).hits]
        assert ids.index(1) < ids.index(3)

    async def test_exact_trade_name_outranks_initials(self, client: AsyncElasticsearch, alias: str) -> None:
        ids = [hit.id for hit in (await search(client, alias, "xc")).hits]
        assert ids[0] == 4  # 常州XC科技: the trade name itself
        assert {1, 5} <= set(ids)  # 星辰, 祥成: the initials

    async def test_pinyin_of_the_trade_name_finds_every_company_with_it(
        self, client: AsyncElasticsearch, alias: str
    ) -> None:
        ids = [hit.id for hit in (await search(client, alias, "xingchen")).hits]
        assert set(ids[:3]) == {1, 6, 9}


class TestHighlights:
    @pytest.mark.parametrize(
        ("query", "fragment"),
        [
            ("xczn", "常州<em>星辰智能</em>科技有限公司"),
            ("星辰zn", "常州<em>星辰智能</em>科技有限公司"),
            ("xingchen", "常州<em>星辰</em>智能科技有限公司"),
            ("常州星辰智能科技", "<em>常州星辰智能科技</em>有限公司"),
        ],
    )
    async def test_marks_the_matched_characters(
        self, client: AsyncElasticsearch, alias: str, query: str, fragment: str
    ) -> None:
        page = await search(client, alias, query)
        hit = next(hit for hit in page.hits if hit.id == 1)
        assert hit.highlights == (fragment,)


class TestFacets:
    async def test_labels_order_and_bounds(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "有限公司")
        kinds = page.facets["kind"]
        assert [(b.value, b.label) for b in kinds] == [("LEGAL_PERSON", "企业法人")]
        provinces = {b.value: b.label for b in page.facets["province"]}
        assert provinces["32"] == "江苏省" and provinces["11"] == "北京市"
        cities = {b.value: b.label for b in page.facets["city"]}
        assert cities["3204"] == "常州市" and cities["1101"] == "北京市"
        counts = [(-b.count, b.value) for b in page.facets["city"]]
        assert counts == sorted(counts)
        assert [(b.value, b.label) for b in page.facets["categories"]] == [("ADMINISTRATIVE_PENALTY", "行政处罚")]
        assert {(b.value, b.label) for b in page.facets["has_active_punishment"]} == {("true", "是"), ("false", "否")}
        assert all(len(page.facets[name]) <= limit for name, limit in (("city", 20), ("province", 34), ("kind", 4)))


class TestRegionFilterByName:
    @pytest.mark.parametrize("region", ["常州", "常州市", "3204", "江苏省常州市"])
    async def test_city(self, client: AsyncElasticsearch, alias: str, region: str) -> None:
        page = await search(client, alias, "科技", SearchFilter(region_code_prefix=region))
        assert {hit.id for hit in page.hits} == {1, 4}

    async def test_province_by_short_name(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "有限公司", SearchFilter(region_code_prefix="江苏"))
        assert {hit.id for hit in page.hits} == {1, 3, 4, 5, 6}

    async def test_ambiguous_name_lists_the_candidates(self, client: AsyncElasticsearch, alias: str) -> None:
        with pytest.raises(SearchInputError, match="320106") as raised:
            await search(client, alias, "市场监督管理局", SearchFilter(region_code_prefix="鼓楼区"))
        assert "350102" in str(raised.value)

    @pytest.mark.parametrize("region", ["火星", "32*", "1234567"])
    async def test_unknown(self, client: AsyncElasticsearch, alias: str, region: str) -> None:
        with pytest.raises(SearchInputError):
            await search(client, alias, "常州", SearchFilter(region_code_prefix=region))
