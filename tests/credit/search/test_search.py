"""Subject search through a real osmem-server over HTTP.

Fixture strategy: one osmem-server process per module (Japanese analysis off, it is not used), and
one index per module under its own random prefix, loaded once with ~50 hand-made subjects built by
`build_document` and read by every ranking test. Tests that change indices (alias management) use
their own random prefix, so they never disturb the shared index or each other (alias management:
`test_index_management.py`).
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass

import pytest
from elasticsearch import AsyncElasticsearch
from stdnum.cn import ric, uscc

from credit.enums import RecordCategory, SubjectKind
from credit.platform.crypto import Vault
from credit.search.client import (
    ensure_alias,
)
from credit.search.document import SubjectSnapshot, build_document
from credit.search.query import (
    Cursor,
    SearchFilter,
    SearchInputError,
    Tier,
    as_float32,
    decode_cursor,
    encode_cursor,
    position_hits,
    search_after_values,
)
from credit.search.service import SearchPage, search_subjects

pytestmark = pytest.mark.integration

LP = SubjectKind.LEGAL_PERSON
NP = SubjectKind.NATURAL_PERSON
GA = SubjectKind.GOVERNMENT_AGENCY
OO = SubjectKind.OTHER_ORGANIZATION
PENALTY = RecordCategory.ADMINISTRATIVE_PENALTY
BLACK = RecordCategory.BLACK_LIST
RED = RecordCategory.RED_LIST
LICENSE = RecordCategory.ADMINISTRATIVE_LICENSE
DEBTOR = RecordCategory.DISHONEST_JUDGMENT_DEBTOR

VAULT = Vault.from_secret("search-test-secret")


def make_uscc(region: str, serial: str) -> str:
    base = f"91{region}{serial}"
    assert len(base) == 17
    code = base + uscc.calc_check_digit(base)
    assert uscc.is_valid(code)
    return code


def make_ric(region: str, birth: str, serial: str) -> str:
    base = f"{region}{birth}{serial}"
    code = base + ric.calc_check_digit(base + "0")
    assert ric.is_valid(code)
    return code


@dataclass(frozen=True)
class Row:
    id: int
    kind: SubjectKind
    code: str
    name: str
    region: str
    former: tuple[str, ...] = ()
    categories: tuple[RecordCategory, ...] = ()
    flags: tuple[str, ...] = ()

    def snapshot(self) -> SubjectSnapshot:
        return SubjectSnapshot(
            id=self.id,
            kind=self.kind,
            code=self.code,
            name=self.name,
            former_names=self.former,
            region_code=self.region,
            revision=1,
            categories=self.categories,
            active_flag_codes=self.flags,
            has_active_punishment=bool(self.flags),
        )


ZHANG_ID = make_ric("320402", "19900101", "123")
OUYANG_ID = make_ric("320102", "19851231", "456")

ROWS: tuple[Row, ...] = (
    Row(1, LP, make_uscc("320402", "MA1XC0001"), "常州星辰智能科技有限公司", "320402",
        former=("常州星辰电子有限公司",), categories=(LICENSE,)),
    Row(2, LP, make_uscc("320402", "MA1XC0002"), "常州星辰新材料股份有限公司", "320402",
        categories=(PENALTY,), flags=("KEY_SUPERVISION",)),
    Row(3, LP, make_uscc("320402", "MA1XD7781"), "常州天宁星光商贸有限公司", "320402"),
    Row(4, LP, make_uscc("320000", "134791243"), "江苏长江实业集团有限公司", "320000", categories=(RED,)),
    Row(5, LP, make_uscc("320102", "MA1NJ0005"), "南京紫金山环保工程有限公司", "320102",
        categories=(BLACK, PENALTY), flags=("PROCUREMENT_BAN", "HIGH_CONSUMPTION")),
    Row(6, LP, make_uscc("320594", "MA1UJ0006"), "苏州工业园区华润建设发展有限公司", "320594"),
    Row(7, LP, make_uscc("500000", "202869131"), "重庆银行股份有限公司", "500000"),
    Row(8, LP, make_uscc("110105", "MA00B1234"), "北京京东世纪贸易有限公司", "110105", categories=(LICENSE,)),
    Row(9, LP, make_uscc("320412", "MA1WJ0009"), "常州市武进区湖塘机械厂", "320412",
        categories=(DEBTOR,), flags=("FLIGHT_BAN",)),
    Row(10, OO, make_uscc("320402", "MD0LL0010"), "常州龙城律师事务所", "320402"),
    Row(11, GA, make_uscc("320400", "014117001"), "常州市生态环境局", "320400"),
    Row(12, GA, make_uscc("320400", "014117002"), "常州市市场监督管理局", "320400"),
    Row(13, LP, make_uscc("320100", "MA1TJ0013"), "台积电(南京)有限公司", "320100"),
    Row(14, LP, make_uscc("130600", "105941834"), "長城汽車股份有限公司", "130600"),
    Row(15, LP, make_uscc("320402", "MA1HR0015"), "常州恒瑞医药科技有限公司", "320402"),
    Row(16, LP, make_uscc("320402", "MA1HD0016"), "常州恒大建材有限公司", "320402",
        categories=(PENALTY,), flags=("MARKET_ENTRY",)),
    Row(17, LP, make_uscc("320411", "MA1HX0017"), "常州华夏幸福物业管理有限公司", "320411"),
    Row(18, LP, make_uscc("320402", "MA1LY0018"), "常州绿源农业发展有限公司", "320402",
        former=("常州绿源种植专业合作社",)),
    Row(19, OO, make_uscc("320402", "MA1HH0019"), "常州红星投资合伙企业(有限合伙)", "320402"),
    Row(20, LP, make_uscc("320402", "MA1ABC020"), "常州ABC电子科技有限公司", "320402"),
    Row(40, NP, ZHANG_ID, "张三丰", "320402", categories=(DEBTOR,), flags=("HIGH_CONSUMPTION",)),
    Row(41, NP, OUYANG_ID, "欧阳娜娜", "320102", former=("欧阳丽娜",)),
    Row(42, NP, make_ric("320402", "19880515", "789"), "李四", "320402"),
    Row(43, NP, make_ric("320411", "20000229", "321"), "张三", "320411"),
)  # fmt: skip

# Filler subjects: many 常州…科技 companies, so that ranking has competition and paging has pages.
_FILLER_WORDS = ("东方", "金坛", "溧阳", "天目", "运河", "青果", "新北", "钟楼", "戚墅", "横山",
                 "奔牛", "孟河", "西太", "湖塘", "牛塘", "雪堰", "前黄", "礼嘉", "邹区", "郑陆",
                 "罗溪", "薛家", "三井", "河海", "龙虎", "春江")  # fmt: skip
FILLER: tuple[Row, ...] = tuple(
    Row(100 + i, LP, make_uscc("320404", f"MA2FL{i:04d}"), f"常州{word}科技有限公司", "320404")
    for i, word in enumerate(_FILLER_WORDS)
)
ALL_ROWS = ROWS + FILLER
BY_ID = {row.id: row for row in ALL_ROWS}


def _raw_cursor(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.fixture(scope="module")
async def alias(client: AsyncElasticsearch) -> str:
    name = f"t{uuid.uuid4().hex[:8]}_subjects"
    await ensure_alias(client, name)
    operations: list[dict[str, object]] = []
    for row in ALL_ROWS:
        operations.append({"index": {"_index": name, "_id": str(row.id), "version": 1, "version_type": "external"}})
        operations.append(build_document(row.snapshot(), VAULT))
    response = await client.bulk(operations=operations, refresh=True)
    assert not response["errors"], response
    return name


async def search(
    client: AsyncElasticsearch,
    alias: str,
    query: str,
    *,
    filter: SearchFilter | None = None,
    first: int = 10,
    after: str | None = None,
    allow_id_lookup: bool = False,
) -> SearchPage:
    return await search_subjects(client, alias, VAULT, query, filter, first, after, allow_id_lookup)


async def top_ids(client: AsyncElasticsearch, alias: str, query: str, *, allow_id_lookup: bool = False) -> list[int]:
    page = await search(client, alias, query, allow_id_lookup=allow_id_lookup)
    return [hit.id for hit in page.hits]


class TestRanking:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            pytest.param(BY_ID[1].code, 1, id="exact-uscc"),
            pytest.param(BY_ID[1].code.lower(), 1, id="exact-uscc-lowercase"),
            pytest.param(BY_ID[5].code[:10], 5, id="uscc-prefix"),
            pytest.param("常州星辰智能科技有限公司", 1, id="exact-name"),
            pytest.param("常州星辰智能科技", 1, id="name-without-suffix"),
            pytest.param("常州星辰智能科技公司", 1, id="name-with-other-suffix"),
            pytest.param("江蘇長江實業集團有限公司", 4, id="traditional-query"),
            pytest.param("长城汽车", 14, id="simplified-query-traditional-name"),
            pytest.param("台積電（南京）", 13, id="traditional-full-width-brackets"),
            pytest.param("changzhouxingchenzhinengkeji", 1, id="full-pinyin"),
            pytest.param("Chang Zhou Xing Chen Zhi Neng", 1, id="spaced-pinyin-prefix"),
            pytest.param("czxcznkj", 1, id="pinyin-initials"),
            pytest.param("njzjshbgc", 5, id="pinyin-initials-2"),
            pytest.param("常州星辰智能科枝有限公司", 1, id="typo"),
            pytest.param("南京紫金山环宝工程", 5, id="typo-without-suffix"),
            pytest.param("changzhouxingchenzhinengkejj", 1, id="pinyin-typo"),
            pytest.param("常州星辰电子有限公司", 1, id="former-name"),
            pytest.param("星辰智能", 1, id="middle-fragment"),
            pytest.param("紫金山环保", 5, id="middle-fragment-2"),
            pytest.param("华润建设", 6, id="middle-fragment-3"),
            pytest.param("重庆银行", 7, id="polyphone-name"),
            pytest.param("chongqingyinhang", 7, id="polyphone-pinyin"),
            pytest.param("湖塘机械", 9, id="factory-fragment"),
            pytest.param("常州市武进区湖塘机械", 9, id="factory-suffix"),
            pytest.param("abc电子", 20, id="latin-in-name"),
            pytest.param("常州红星投资", 19, id="partnership-core"),
            pytest.param("生态环境局", 11, id="agency-fragment"),
        ],
    )
    async def test_right_subject_first(self, client: AsyncElasticsearch, alias: str, query: str, expected: int) -> None:
        ids = await top_ids(client, alias, query)
        assert ids, f"no hits for {query!r}"
        assert ids[0] == expected, f"{query!r}: {[BY_ID[i].name for i in ids[:3]]}"

    async def test_exact_name_beats_longer_names_with_the_same_prefix(
        self, client: AsyncElasticsearch, alias: str
    ) -> None:
        ids = await top_ids(client, alias, "常州星辰")
        assert set(ids[:2]) == {1, 2}

    async def test_highlights_mark_the_matched_characters(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "紫金山")
        assert page.hits[0].id == 5
        assert page.hits[0].highlights == ("南京<em>紫金山</em>环保工程有限公司",)

    async def test_former_name_is_highlighted(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "常州星辰电子")
        assert page.hits[0].id == 1
        assert any("电子" in fragment.replace("<em>", "").replace("</em>", "") for fragment in page.hits[0].highlights)


class TestNaturalPersons:
    async def test_found_by_exact_name_with_masked_result(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "张三丰")
        top = page.hits[0]
        assert top.id == 40
        assert top.source["name"] == "张**"
        assert top.source["code"] == ZHANG_ID[:4] + "*" * 10 + ZHANG_ID[-4:]

    async def test_exact_name_does_not_confuse_namesakes(self, client: AsyncElasticsearch, alias: str) -> None:
        assert (await top_ids(client, alias, "张三"))[0] == 43

    @pytest.mark.parametrize(
        ("query", "expected"),
        [("zhangsanfeng", 40), ("Ōuyáng Nàna", 41), ("ouyang nana", 41), ("欧阳丽娜", 41), ("ouyanglina", 41)],
    )
    async def test_found_by_whole_name_in_pinyin_or_former_name(
        self, client: AsyncElasticsearch, alias: str, query: str, expected: int
    ) -> None:
        assert (await top_ids(client, alias, query))[0] == expected

    @pytest.mark.parametrize(
        "query", ["欧阳娜", "娜", "阳娜", "欧", "丰", "三丰", "张三风", "zsf", "oynn", "zhangsanf", "ouyang", "欧阳na"]
    )
    async def test_no_part_of_a_name_finds_a_person(self, client: AsyncElasticsearch, alias: str, query: str) -> None:
        # The name oracle: with a filter that leaves one person, a hit for one character (or the initials,
        # or a prefix of the pinyin) would say the masked name 欧阳** contains it. No part finds a person.
        for region in ("320102", "320402"):
            persons = SearchFilter(kinds=(NP,), region_code_prefix=region)
            page = await search(client, alias, query, filter=persons)
            assert page.hits == () and page.total == 0

    async def test_every_person_match_scores_the_same(self, client: AsyncElasticsearch, alias: str) -> None:
        # Which form matched (current or former name, hanzi, traditional or pinyin) is not in the score:
        # it cannot confirm the exact characters behind a homophone or a former name.
        scores = set()
        for query in ("欧阳娜娜", "歐陽娜娜", "ouyangnana", "欧阳丽娜", "ouyanglina"):
            page = await search(client, alias, query, filter=SearchFilter(kinds=(NP,)))
            assert [hit.id for hit in page.hits] == [41]
            scores.add(page.hits[0].score)
        assert scores == {Tier.PERSON_NAME}

    async def test_traditional_name_query(self, client: AsyncElasticsearch, alias: str) -> None:
        assert (await top_ids(client, alias, "歐陽娜娜"))[0] == 41

    async def test_index_and_responses_hold_no_clear_personal_data(
        self, client: AsyncElasticsearch, alias: str
    ) -> None:
        persons = [row for row in ROWS if row.kind is NP]
        stored = await client.search(index=alias, query={"term": {"kind": NP.value}}, size=100)
        documents = [json.dumps(hit["_source"], ensure_ascii=False) for hit in stored["hits"]["hits"]]
        assert len(documents) == len(persons)
        pages = [await search(client, alias, row.name) for row in persons]
        responses = [json.dumps([h.source for h in p.hits] + [h.highlights for h in p.hits], ensure_ascii=False)
                     for p in pages]  # fmt: skip
        for row in persons:
            for text in documents + responses:
                assert row.name not in text
                assert all(former not in text for former in row.former)
                assert row.code not in text
                assert row.code[6:14] not in text  # the birth date

    async def test_exact_id_lookup_only_when_allowed(self, client: AsyncElasticsearch, alias: str) -> None:
        allowed = await top_ids(client, alias, ZHANG_ID, allow_id_lookup=True)
        assert allowed[0] == 40
        assert 40 not in await top_ids(client, alias, ZHANG_ID, allow_id_lookup=False)
        assert 40 not in await top_ids(client, alias, ZHANG_ID[:10], allow_id_lookup=True)

    async def test_no_prefix_search_on_person_codes(self, client: AsyncElasticsearch, alias: str) -> None:
        for fragment in (ZHANG_ID[:4], ZHANG_ID[:8], ZHANG_ID[:17]):
            assert 40 not in await top_ids(client, alias, fragment, allow_id_lookup=True)


class TestFilters:
    async def test_kinds(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "常州", filter=SearchFilter(kinds=(GA,)), first=100)
        assert {hit.id for hit in page.hits} == {11, 12}
        assert page.total == 2

    async def test_region_code_prefix(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "有限公司", filter=SearchFilter(region_code_prefix="3201"), first=100)
        assert {hit.id for hit in page.hits} == {5, 13}

    async def test_has_active_punishment(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "常州", filter=SearchFilter(has_active_punishment=True), first=100)
        assert {hit.id for hit in page.hits} == {2, 9, 16}
        assert all(hit.source["has_active_punishment"] for hit in page.hits)

    async def test_categories_any_of(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "公司", filter=SearchFilter(categories=(BLACK, RED)), first=100)
        assert {hit.id for hit in page.hits} == {4, 5}

    async def test_filters_combine(self, client: AsyncElasticsearch, alias: str) -> None:
        both = SearchFilter(kinds=(LP,), region_code_prefix="32", has_active_punishment=True, categories=(PENALTY,))
        page = await search(client, alias, "有限公司", filter=both, first=100)
        assert {hit.id for hit in page.hits} == {2, 5, 16}

    async def test_facets(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "常州", first=5)
        kinds = {bucket.value: bucket.count for bucket in page.facets["kind"]}
        assert sum(kinds.values()) == page.total
        assert kinds["GOVERNMENT_AGENCY"] == 2
        assert {b.value for b in page.facets["province"]} >= {"32"}
        assert {b.value for b in page.facets["has_active_punishment"]} <= {"true", "false"}
        assert "city" in page.facets
        assert "categories" in page.facets

    async def test_facets_can_be_skipped(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search_subjects(client, alias, VAULT, "常州", None, 5, None, False, with_facets=False)
        assert page.facets == {}
        assert page.total > 5


class TestPaging:
    async def test_search_after_pages_have_no_duplicates_or_gaps(self, client: AsyncElasticsearch, alias: str) -> None:
        everything = await search(client, alias, "常州科技", first=100)
        assert everything.total >= 25
        seen: list[int] = []
        after: str | None = None
        while True:
            page = await search(client, alias, "常州科技", first=10, after=after)
            assert page.total == everything.total
            assert len(page.hits) <= 10
            seen.extend(hit.id for hit in page.hits)
            if not page.has_next_page:
                break
            after = page.end_cursor
        assert len(seen) == len(set(seen))
        assert seen == [hit.id for hit in everything.hits]

    async def test_last_page_has_no_next(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, BY_ID[1].code, first=100)
        assert not page.has_next_page


def _raw_hit(score: float, subject_id: int) -> dict[str, object]:
    return {"_id": str(subject_id), "sort": [score, subject_id]}


class TestCursor:
    """Pure checks of the tie-safe cursor (osmem ranks by 64-bit scores and reports 32-bit ones)."""

    def test_round_trip(self) -> None:
        cursor = Cursor(as_float32(12.345678), 42, 3)
        assert decode_cursor(encode_cursor(cursor)) == cursor

    def test_search_after_lets_the_whole_tie_group_through(self) -> None:
        score = as_float32(0.8321907)
        after_score, after_id = search_after_values(Cursor(score, 109, 10))
        assert after_score > score
        assert as_float32(after_score) > score  # Elasticsearch reads it as the next 32-bit float
        assert after_id == 2**63 - 1

    def test_position_hits_skips_delivered_ties(self) -> None:
        score = as_float32(0.8321907)
        exact = 0.83219070411  # what osmem ranks by; it reports `score`
        raw = [_raw_hit(exact, i) for i in range(100, 106)] + [_raw_hit(0.5, 1)]
        positioned = position_hits(raw, Cursor(score, 102, 3))
        assert [c.id for _, c in positioned] == [103, 104, 105, 1]
        assert [c.tie_rank for _, c in positioned] == [4, 5, 6, 1]

    def test_position_hits_without_cursor(self) -> None:
        positioned = position_hits([_raw_hit(2.0, 5), _raw_hit(2.0, 6), _raw_hit(1.0, 7)], None)
        assert [(c.id, c.tie_rank) for _, c in positioned] == [(5, 1), (6, 2), (7, 1)]

    def test_position_hits_drops_higher_scores_and_stops_at_the_cursor_hit(self) -> None:
        raw = [_raw_hit(3.0, 1), _raw_hit(2.0, 5), _raw_hit(2.0, 6), _raw_hit(2.0, 8), _raw_hit(1.0, 2)]
        # The cursor hit (6) is found before its recorded rank: a tie before it left the index.
        positioned = position_hits(raw, Cursor(2.0, 6, 3))
        assert [c.id for _, c in positioned] == [8, 2]


class TestBadInput:
    @pytest.mark.parametrize(
        "query",
        ["", "   ", "\u3000", "a" * 2000, "常州\x00科技", "abc\ndef", "！!?。，、……", "（）《》·"],
    )
    async def test_bad_queries(self, client: AsyncElasticsearch, alias: str, query: str) -> None:
        with pytest.raises(SearchInputError):
            await search(client, alias, query)

    @pytest.mark.parametrize("first", [0, -1, 101, 10_000])
    async def test_bad_page_size(self, client: AsyncElasticsearch, alias: str, first: int) -> None:
        with pytest.raises(SearchInputError):
            await search(client, alias, "常州", first=first)

    @pytest.mark.parametrize(
        "after",
        [
            "",
            "garbage!",
            "bm90LWpzb24",
            _raw_cursor({"v": 1, "s": ["x", 1], "t": 1}),
            _raw_cursor({"v": 1, "s": [1.0], "t": 1}),
            _raw_cursor({"v": 1, "s": [1.0, "7"], "t": 1}),
            _raw_cursor({"v": 1, "s": [1.0, 7], "t": 0}),
            _raw_cursor({"v": 2, "s": [1.0, 7], "t": 1}),
            _raw_cursor({"v": 1, "s": [1.0, 7]}),
            _raw_cursor([1.0, 7]),
            encode_cursor(Cursor(1.0, 7, 1))[:-2],
            "A" * 2000,
        ],
    )
    async def test_bad_cursors(self, client: AsyncElasticsearch, alias: str, after: str) -> None:
        with pytest.raises(SearchInputError):
            await search(client, alias, "常州", after=after)

    async def test_bad_region_prefix(self, client: AsyncElasticsearch, alias: str) -> None:
        with pytest.raises(SearchInputError):
            await search(client, alias, "常州", filter=SearchFilter(region_code_prefix="32*"))

    async def test_long_but_allowed_query_runs(self, client: AsyncElasticsearch, alias: str) -> None:
        page = await search(client, alias, "常州星辰智能科技有限公司" * 16)  # 192 characters
        assert page.hits[0].id == 1
