"""Pinyin search with sampled n-grams, through a real osmem-server: fragments, typos and whole names
typed in pinyin still find the right subject first (see `credit.search.query.pinyin_grams`)."""

from __future__ import annotations

import uuid

import pytest
from elasticsearch import AsyncElasticsearch

from credit.enums import SubjectKind
from credit.platform.crypto import Vault
from credit.search.client import ensure_alias
from credit.search.document import SubjectSnapshot, build_document
from credit.search.query import SearchFilter, build_search_body, pinyin_grams
from credit.search.service import search_subjects
from tests.support.factories import uscc

pytestmark = pytest.mark.integration

VAULT = Vault.from_secret("search-pinyin-test")

NAMES = {
    1: "常州星辰智能科技有限公司",
    2: "常州星辰新材料股份有限公司",
    3: "周口宏安人力资源有限公司",
    4: "苏州宏安塑业有限公司",
    5: "衢州市公安局",
    6: "海展供应链管理（黄山）有限公司",
    7: "廊坊市海展供应链管理有限公司",
    8: "阜康市凯鑫家禽养殖专业合作社",
    9: "北京市凯杰康复中心",
    10: "重庆银行股份有限公司",
    11: "芒市凯程水果店",
}
FILLER = ("东方", "金坛", "溧阳", "天目", "运河", "青果", "新北", "钟楼", "戚墅", "横山", "奔牛", "孟河")


def snapshot(subject_id: int, name: str) -> SubjectSnapshot:
    return SubjectSnapshot(
        id=subject_id,
        kind=SubjectKind.LEGAL_PERSON,
        code=uscc(subject_id),
        name=name,
        former_names=(),
        region_code="320402",
        revision=1,
        categories=(),
        active_flag_codes=(),
        has_active_punishment=False,
    )


@pytest.fixture(scope="module")
async def alias(client: AsyncElasticsearch) -> str:
    name = f"t{uuid.uuid4().hex[:8]}_subjects"
    await ensure_alias(client, name)
    rows = dict(NAMES) | {100 + i: f"常州{word}科技有限公司" for i, word in enumerate(FILLER)}
    operations: list[dict[str, object]] = []
    for subject_id, subject_name in rows.items():
        operations.append({"index": {"_index": name, "_id": str(subject_id)}})
        operations.append(build_document(snapshot(subject_id, subject_name), VAULT))
    response = await client.bulk(operations=operations, refresh=True)
    assert not response["errors"], response
    return name


async def top(client: AsyncElasticsearch, alias: str, query: str) -> list[int]:
    page = await search_subjects(client, alias, VAULT, query, with_facets=False)
    return [hit.id for hit in page.hits]


class TestGrams:
    @pytest.mark.parametrize(
        ("query", "grams"),
        [
            ("zw", []),
            ("abc", ["abc"]),
            ("hong", ["hong"]),
            ("hongan", ["hong", "ngan"]),
            ("zhoukouhongan", ["zhou", "ouko", "kouh", "uhon", "onga", "ngan"]),
        ],
    )
    def test_every_other_gram_and_the_last(self, query: str, grams: list[str]) -> None:
        assert pinyin_grams(query) == grams

    def test_every_letter_of_a_short_query_is_covered(self) -> None:
        query = "xingchenzhineng"
        grams = pinyin_grams(query)
        covered = {i for gram in grams for start in [query.find(gram)] for i in range(start, start + len(gram))}
        assert covered == set(range(len(query)))

    def test_long_queries_look_up_at_most_eight_grams(self) -> None:
        grams = pinyin_grams("haizhangongyinglianguanlihuangshan")
        assert len(grams) == 8
        assert grams[0] == "haiz" and grams[-1] == "shan"

    def test_grams_are_term_queries_on_the_ngram_field(self) -> None:
        body = build_search_body(
            "hongan", filter=SearchFilter(), size=10, search_after=None, vault=VAULT, allow_id_lookup=False
        )
        text = str(body["query"])
        assert "{'term': {'pinyin.ngram': 'hong'}}" in text and "{'term': {'pinyin.ngram': 'ngan'}}" in text
        assert "'match': {'pinyin.ngram'" not in text

    def test_chinese_queries_have_no_pinyin_clauses(self) -> None:
        body = build_search_body(
            "宏安人力", filter=SearchFilter(), size=10, search_after=None, vault=VAULT, allow_id_lookup=False
        )
        assert "pinyin.ngram" not in str(body["query"])


class TestPinyinSearch:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("zhoukouhongan", 3),  # pinyin of the core's beginning
            ("hongan", 3),  # a fragment two names share: the shorter name first is fine, both in the top 2
            ("xingchenzhineng", 1),  # fragment from the middle
            ("kangshikaixin", 8),  # fragment across words
            ("haizhangongyinglianguanlihuangshan", 6),  # whole core, long
            ("haizhangongyinglianguanlihuangsan", 6),  # whole core, long, a letter missing
            ("changzhouxingchenzhinengkejj", 1),  # typo
            ("chongqingyinhang", 10),  # polyphone
            ("czxcznkj", 1),  # initials
        ],
    )
    async def test_right_subject_in_the_top_two(
        self, client: AsyncElasticsearch, alias: str, query: str, expected: int
    ) -> None:
        ids = await top(client, alias, query)
        assert expected in ids[:2], f"{query!r}: {[NAMES.get(i, i) for i in ids[:3]]}"

    async def test_fragment_contained_beats_partial_overlap(self, client: AsyncElasticsearch, alias: str) -> None:
        # kaixin is in 阜康市凯鑫 only; 凯杰 and 凯程 share "kai" but not the fragment
        assert (await top(client, alias, "shikaixin"))[0] == 8
