"""Search documents: the cached, segment-once romanisation gives what pypinyin's `lazy_pinyin` gives,
documents carry every name form once, and the mapping has every field the queries use (and no
sub-field that none uses).

Pure functions, no services: the document builder runs for every subject of a full reindex, so
these guard both its speed-ups and its output.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from pypinyin import Style, lazy_pinyin

from credit.enums import SubjectKind
from credit.platform.crypto import Vault
from credit.search.client import load_index_config
from credit.search.document import FULL_NAME, PINYIN, SubjectSnapshot, build_document, person_token
from credit.search.names import (
    _segments,
    normalize_name,
    pinyin_full,
    pinyin_initials,
    romanise,
    romanise_prefix,
    strip_company_forms,
)
from credit.search.query import SearchFilter, build_search_body
from creditgraph.demo.generator import generate

pytestmark = pytest.mark.integration

VAULT = Vault.from_secret("search-documents-test")


def reference(normalized: str) -> tuple[str, str]:
    """What the builder computed before: pypinyin `lazy_pinyin`, one call per form and style."""
    return (
        "".join(lazy_pinyin(normalized)).lower(),
        "".join(lazy_pinyin(normalized, style=Style.FIRST_LETTER)).lower(),
    )


TRICKY = [
    "重庆银行股份有限公司",  # polyphone read in its phrase
    "长江实业集团有限公司",
    "abc电子科技123有限公司",  # latin and digits pass through
    "青岛数字100食品有限公司",
    "常州市武进区湖塘机械厂",
    "欧阳娜娜",
    "㐀㐁科技",  # characters pypinyin may not know
    "〇一二三",
    "乾县太极家具有限公司",
    "x",
    "123",
]


def demo_names(count: int) -> list[str]:
    names: list[str] = []
    for line in itertools.islice(generate(count, seed=3), count):
        names.append(line["name"])
        names.extend(line.get("formerNames") or ())
    return names


class TestRomanise:
    @pytest.mark.parametrize("name", TRICKY)
    def test_same_as_lazy_pinyin(self, name: str) -> None:
        normalized = normalize_name(name)
        assert romanise(normalized) == reference(normalized)
        assert (pinyin_full(name), pinyin_initials(name)) == reference(normalized)

    def test_same_as_lazy_pinyin_on_demo_names(self) -> None:
        for name in demo_names(1500):
            normalized = normalize_name(name)
            assert romanise(normalized) == reference(normalized), name

    def test_core_read_in_the_context_of_the_name(self) -> None:
        # 重庆 is read chóng in the phrase; a core that ends on a word boundary reuses those words.
        assert romanise_prefix("重庆银行", 2) == ("chongqing", "cq")

    def test_core_ending_inside_a_word_is_romanised_on_its_own(self) -> None:
        words = _segments("重庆银行")
        assert "银行" in words  # so a prefix of 3 characters ends inside a word
        assert romanise_prefix("重庆银行", 3) == romanise("重庆银")

    def test_cores_of_demo_names_on_word_boundaries_match_lazy_pinyin(self) -> None:
        """A core that ends where a word of its name ends is read as pypinyin reads the core alone,
        except where the whole name gives a phrase reading the core alone cannot (counted: rare)."""
        differ = 0
        names = demo_names(1500)
        for name in names:
            normalized = normalize_name(name)
            core = strip_company_forms(normalized)
            if romanise_prefix(normalized, len(core)) != reference(core):
                differ += 1
        assert differ <= len(names) // 200


class TestDocument:
    def snapshot(self, kind: SubjectKind, name: str, former: tuple[str, ...] = (), code: str = "") -> SubjectSnapshot:
        return SubjectSnapshot(
            id=1,
            kind=kind,
            code=code or "91320402MA1XC0001X",
            name=name,
            former_names=former,
            region_code="320402",
            revision=1,
            categories=(),
            active_flag_codes=(),
            has_active_punishment=False,
        )

    def test_every_form_of_every_name_once(self) -> None:
        document = build_document(
            self.snapshot(
                SubjectKind.LEGAL_PERSON,
                "常州星辰智能科技有限公司",
                ("常州星辰电子有限公司", "常州星辰电子有限公司", "（）", "常州星辰智能科技有限公司"),
            ),
            VAULT,
        )
        assert document["name_norm"] == "常州星辰智能科技有限公司"
        assert document["name_core"] == "常州星辰智能科技"
        assert document["former_names"] == ["常州星辰电子有限公司", "常州星辰电子有限公司", "常州星辰智能科技有限公司"]
        assert document["former_norm"] == ["常州星辰电子有限公司", "常州星辰智能科技有限公司"]
        assert document["former_core"] == ["常州星辰电子", "常州星辰智能科技"]
        assert document["pinyin"] == [
            "changzhouxingchenzhinengkejiyouxiangongsi",
            "changzhouxingchenzhinengkeji",
            "changzhouxingchendianziyouxiangongsi",
            "changzhouxingchendianzi",
        ]
        assert document["initials"] == ["czxcznkjyxgs", "czxcznkj", "czxcdzyxgs", "czxcdz"]

    def test_traditional_name(self) -> None:
        document = build_document(self.snapshot(SubjectKind.LEGAL_PERSON, "長城汽車股份有限公司"), VAULT)
        assert document["name_core"] == "长城汽车"
        assert document["pinyin"] == ["changchengqichegufenyouxiangongsi", "changchengqiche"]

    def test_person_tokens_hash_the_romanised_name(self) -> None:
        document = build_document(
            self.snapshot(SubjectKind.NATURAL_PERSON, "歐陽娜娜", code="320402199001011239"), VAULT
        )
        tokens = set(document["person_name_tokens"])
        # The whole name and its pinyin, nothing smaller (no characters, pairs or initials to probe).
        assert tokens == {person_token(VAULT, FULL_NAME, "欧阳娜娜"), person_token(VAULT, PINYIN, "ouyangnana")}
        assert "pinyin" not in document and "娜" not in document["name"]

    def test_demo_documents_match_the_reference_builder(self) -> None:
        """Name fields as computed before the speed-up, for 1,000 demo subjects (all kinds)."""
        for number, line in enumerate(itertools.islice(generate(1000, seed=11), 1000), start=1):
            kind = SubjectKind(line["kind"])
            if kind is SubjectKind.NATURAL_PERSON:
                continue
            former = tuple(line.get("formerNames") or ())
            document = build_document(self.snapshot(kind, line["name"], former, line["code"]), VAULT)
            forms = [line["name"], *(f for f in former if normalize_name(f))]
            expected_pinyin: dict[str, None] = {}
            expected_initials: dict[str, None] = {}
            for form in forms:
                for text in (normalize_name(form), strip_company_forms(normalize_name(form))):
                    full, initials = reference(normalize_name(text))
                    expected_pinyin[full] = None
                    expected_initials[initials] = None
            assert document["pinyin"] == list(expected_pinyin), (number, line["name"])
            assert document["initials"] == list(expected_initials), (number, line["name"])


def mapped_fields(properties: dict[str, Any]) -> set[str]:
    fields: set[str] = set()
    for name, spec in properties.items():
        fields.add(name)
        fields.update(f"{name}.{sub}" for sub in spec.get("fields", {}))
    return fields


_FIELD_QUERIES = {"term", "terms", "match", "match_phrase", "prefix"}
_NOT_FIELDS = {"field", "size", "order", "boost"}  # keys of a terms aggregation, or query options


def referenced_fields(body: Any, parent: str | None = None) -> set[str]:
    """Field names in a search body: keys of field queries, `field` values, `fields` lists and maps."""
    found: set[str] = set()
    if isinstance(body, dict):
        for key, value in body.items():
            if (parent in _FIELD_QUERIES or parent == "fields") and key not in _NOT_FIELDS:
                found.add(key)
            if key == "field" and isinstance(value, str):
                found.add(value)
            if key == "fields" and isinstance(value, list):
                found.update(value)
            found |= referenced_fields(value, key)
    elif isinstance(body, list):
        for item in body:
            found |= referenced_fields(item, parent)
    return found


class TestMapping:
    QUERIES = (
        "常州星辰智能科技有限公司",
        "星辰",
        "changzhouxingchen",
        "czxc",
        "星辰zn",
        "91320402MA1X",
        "320402199001011239",
    )

    def test_every_field_a_query_uses_is_mapped(self) -> None:
        fields = mapped_fields(load_index_config()["mappings"]["properties"])
        for query in self.QUERIES:
            body = build_search_body(
                query, filter=SearchFilter(), size=10, search_after=None, vault=VAULT, allow_id_lookup=True
            )
            assert referenced_fields(body) <= fields, query

    def test_no_fragment_phrase_field_for_former_names(self) -> None:
        """`former_norm.chars` was indexed for every former name and used by no query."""
        properties = load_index_config()["mappings"]["properties"]
        assert "chars" not in properties["former_norm"]["fields"]
        assert "chars" in properties["name_norm"]["fields"]
