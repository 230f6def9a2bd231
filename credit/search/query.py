"""The search request for `searchSubjects`: validation, ranking, filters, facets and cursors (pure).

Ranking is two-layered. A `dis_max` over constant-score *tiers* says what kind of match a subject is
(exact code ≫ exact name ≫ exact former name ≫ name prefix ≫ code prefix ≫ pinyin ≫ fuzzy); only its
best tier counts, and tiers are far enough apart that relevance cannot reorder them. Scored
*relevance* clauses (character n-grams, contiguous fragment, pinyin n-grams, hashed person-name grams)
are added on top and order subjects within a tier — or rank on their own when no tier matched.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from credit.crypto import Vault
from credit.enums import RecordCategory, SubjectKind
from credit.identifiers import is_resident_id, normalize_any_code
from credit.search.document import (
    FORMER_FULL_NAME,
    FULL_NAME,
    INITIALS,
    NAME_GRAM,
    PINYIN,
    person_token,
)
from credit.search.names import (
    core_name,
    is_pinyin_like,
    name_grams,
    normalize_name,
    pinyin_query_form,
)

MAX_QUERY_LENGTH: Final = 200
MAX_PAGE_SIZE: Final = 100
CURSOR_VERSION: Final = 1
_MAX_CURSOR_LENGTH: Final = 512
# A code fragment is searched by prefix from this many characters on (fewer match too much).
MIN_CODE_PREFIX: Final = 4
_CODE_FRAGMENT = re.compile(r"[0-9A-Z]{4,18}")
_CODE_SEPARATORS = re.compile(r"[\s\-]+")
_REGION_PREFIX = re.compile(r"\d{1,6}")


class Tier:
    """Constant scores of the match kinds, from the strongest signal down."""

    EXACT_CODE: Final = 100_000.0
    EXACT_NAME: Final = 50_000.0
    EXACT_CORE_NAME: Final = 40_000.0
    EXACT_FORMER_NAME: Final = 20_000.0
    EXACT_FORMER_CORE: Final = 18_000.0
    NAME_PREFIX: Final = 10_000.0
    CODE_PREFIX: Final = 8_000.0
    FORMER_PREFIX: Final = 6_000.0
    PINYIN: Final = 3_000.0
    INITIALS: Final = 2_500.0
    PINYIN_PREFIX: Final = 2_000.0
    INITIALS_PREFIX: Final = 1_500.0
    FUZZY: Final = 500.0


# Relevance boosts (BM25 scores of the n-gram clauses stay well below the gap between two tiers).
_NGRAM_BOOST: Final = 1.0
_FORMER_NGRAM_BOOST: Final = 0.6
_FRAGMENT_BOOST: Final = 2.0
_PINYIN_NGRAM_BOOST: Final = 1.0
_PERSON_GRAM_BOOST: Final = 1.0
# Share of a query's character grams a subject must contain to match by n-grams: lenient enough
# for one or two typos in a name, strict enough to keep a long tail of one-character matches out.
_NGRAM_MINIMUM_SHOULD_MATCH: Final = "2<60%"
_FUZZINESS: Final = {"fuzziness": "AUTO", "prefix_length": 1, "max_expansions": 50}

SOURCE_FIELDS: Final = (
    "id",
    "kind",
    "code",
    "name",
    "former_names",
    "region_code",
    "revision",
    "categories",
    "has_active_punishment",
    "active_flags",
)
HIGHLIGHT_FIELDS: Final = ("name", "former_names")
FACETS: Final = {
    "kind": ("kind", 10),
    "province": ("province", 50),
    "city": ("city", 100),
    "categories": ("categories", 10),
    "has_active_punishment": ("has_active_punishment", 2),
}
SORT: Final = ({"_score": {"order": "desc"}}, {"id": {"order": "asc"}})


class SearchInputError(ValueError):
    """A search request the client must fix (BAD_USER_INPUT); the message is safe to show."""


@dataclass(frozen=True, slots=True)
class SearchFilter:
    """The `SubjectFilter` of the contract; every criterion is optional and they combine with AND."""

    kinds: tuple[SubjectKind, ...] = ()
    region_code_prefix: str | None = None
    has_active_punishment: bool | None = None
    categories: tuple[RecordCategory, ...] = ()  # a subject matches when it has any of them


def validate_query(query: str) -> str:
    """The query, stripped, or SearchInputError for one the engine should never see."""
    if any(unicodedata.category(ch) == "Cc" for ch in query):
        raise SearchInputError("query must not contain control characters")
    text = query.strip()
    if not text:
        raise SearchInputError("query must not be empty")
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchInputError(f"query must be at most {MAX_QUERY_LENGTH} characters")
    if not normalize_name(text):
        raise SearchInputError("query must contain letters or digits")
    return text


def validate_page_size(first: int) -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise SearchInputError(f"first must be between 1 and {MAX_PAGE_SIZE}")
    return first


def encode_cursor(sort_values: Sequence[Any]) -> str:
    """An opaque cursor for the `search_after` values of a hit."""
    payload = json.dumps({"v": CURSOR_VERSION, "s": list(sort_values)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The `search_after` values of a cursor made by `encode_cursor`, or SearchInputError."""
    invalid = SearchInputError("after is not a valid cursor")
    if not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise invalid from None
    if not isinstance(payload, dict) or payload.get("v") != CURSOR_VERSION or set(payload) != {"v", "s"}:
        raise invalid
    values = payload["s"]
    if not (isinstance(values, list) and len(values) == len(SORT)):
        raise invalid
    score, subject_id = values
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise invalid
    if isinstance(subject_id, bool) or not isinstance(subject_id, int):
        raise invalid
    return [score, subject_id]


def _constant(query: dict[str, Any], score: float) -> dict[str, Any]:
    return {"constant_score": {"filter": query, "boost": score}}


def _term(field: str, value: str, score: float) -> dict[str, Any]:
    return _constant({"term": {field: value}}, score)


def _fuzzy(field: str, value: str) -> dict[str, Any]:
    return _constant({"match": {field: {"query": value, **_FUZZINESS}}}, Tier.FUZZY)


def _code_tiers(text: str, vault: Vault, allow_id_lookup: bool) -> list[dict[str, Any]]:
    compact = _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    tiers: list[dict[str, Any]] = []
    canonical = normalize_any_code(compact)
    if canonical is not None and is_resident_id(canonical):
        if allow_id_lookup:
            tiers.append(_term("id_index", vault.blind_index(canonical).hex(), Tier.EXACT_CODE))
    elif canonical is not None:
        tiers.append(_term("code", canonical, Tier.EXACT_CODE))
    if _CODE_FRAGMENT.fullmatch(compact) and any(ch.isdigit() for ch in compact):
        # Persons' codes are masked and kept out of `code.prefix` at index time; the filter is a
        # second guard so a person can never be found from a fragment of an ID number.
        prefix = {"bool": {"filter": [{"term": {"code.prefix": compact.lower()}}],
                           "must_not": [{"term": {"kind": SubjectKind.NATURAL_PERSON.value}}]}}  # fmt: skip
        tiers.append(_constant(prefix, Tier.CODE_PREFIX))
    return tiers


def _name_tiers(normalized: str, core: str) -> list[dict[str, Any]]:
    return [
        _term("name_norm.exact", normalized, Tier.EXACT_NAME),
        _term("name_core", core, Tier.EXACT_CORE_NAME),
        _term("former_norm.exact", normalized, Tier.EXACT_FORMER_NAME),
        _term("former_core", core, Tier.EXACT_FORMER_CORE),
        _term("name_norm.prefix", normalized, Tier.NAME_PREFIX),
        _term("former_norm.prefix", normalized, Tier.FORMER_PREFIX),
        _fuzzy("name_norm.exact", normalized),
        _fuzzy("name_core", core),
        _fuzzy("former_core", core),
    ]


def _pinyin_tiers(pinyin: str, vault: Vault) -> list[dict[str, Any]]:
    return [
        _term("pinyin", pinyin, Tier.PINYIN),
        _term("initials", pinyin, Tier.INITIALS),
        _term("person_name_tokens", person_token(vault, PINYIN, pinyin), Tier.PINYIN),
        _term("person_name_tokens", person_token(vault, INITIALS, pinyin), Tier.INITIALS),
        _term("pinyin.prefix", pinyin, Tier.PINYIN_PREFIX),
        _term("initials.prefix", pinyin, Tier.INITIALS_PREFIX),
        _fuzzy("pinyin", pinyin),
    ]


def _person_tiers(normalized: str, vault: Vault) -> list[dict[str, Any]]:
    return [
        _term("person_name_tokens", person_token(vault, FULL_NAME, normalized), Tier.EXACT_NAME),
        _term("person_name_tokens", person_token(vault, FORMER_FULL_NAME, normalized), Tier.EXACT_FORMER_NAME),
    ]


def _relevance(normalized: str, pinyin: str | None, vault: Vault) -> list[dict[str, Any]]:
    ngram = {"query": normalized, "minimum_should_match": _NGRAM_MINIMUM_SHOULD_MATCH}
    clauses: list[dict[str, Any]] = [
        {"match": {"name_norm": {**ngram, "boost": _NGRAM_BOOST}}},
        {"match": {"former_norm": {**ngram, "boost": _FORMER_NGRAM_BOOST}}},
        {"match_phrase": {"name_norm.chars": {"query": normalized, "boost": _FRAGMENT_BOOST}}},
        {
            "bool": {
                "should": [{"term": {"person_name_tokens": person_token(vault, NAME_GRAM, gram)}}
                           for gram in name_grams(normalized)],
                "minimum_should_match": _NGRAM_MINIMUM_SHOULD_MATCH,
                "boost": _PERSON_GRAM_BOOST,
            }
        },
    ]  # fmt: skip
    if pinyin is not None:
        clauses.append({"match": {"pinyin.ngram": {**ngram, "query": pinyin, "boost": _PINYIN_NGRAM_BOOST}}})
    return clauses


def _filters(search_filter: SearchFilter) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    if search_filter.kinds:
        filters.append({"terms": {"kind": sorted({kind.value for kind in search_filter.kinds})}})
    if search_filter.region_code_prefix is not None:
        region = search_filter.region_code_prefix.strip()
        if not _REGION_PREFIX.fullmatch(region):
            raise SearchInputError("regionCodePrefix must be 1 to 6 digits")
        filters.append({"prefix": {"region_code": region}})
    if search_filter.has_active_punishment is not None:
        filters.append({"term": {"has_active_punishment": search_filter.has_active_punishment}})
    if search_filter.categories:
        values = sorted({category.value for category in search_filter.categories})
        filters.append({"terms": {"categories": values}})
    return filters


def build_search_body(
    query: str,
    *,
    filter: SearchFilter,
    size: int,
    search_after: list[Any] | None,
    vault: Vault,
    allow_id_lookup: bool,
) -> dict[str, Any]:
    """The `_search` body for a subject search (the same body a benchmark may send directly)."""
    text = validate_query(query)
    normalized = normalize_name(text)
    core = core_name(text) or normalized
    pinyin = pinyin_query_form(text) if is_pinyin_like(text) else None

    tiers = _code_tiers(text, vault, allow_id_lookup) + _name_tiers(normalized, core)
    tiers += _person_tiers(normalized, vault)
    if pinyin is not None:
        tiers += _pinyin_tiers(pinyin, vault)

    should = [{"dis_max": {"queries": tiers, "tie_breaker": 0.0}}, *_relevance(normalized, pinyin, vault)]
    body: dict[str, Any] = {
        "query": {"bool": {"should": should, "minimum_should_match": 1, "filter": _filters(filter)}},
        "size": size,
        "sort": list(SORT),
        "track_total_hits": True,
        "_source": {"includes": list(SOURCE_FIELDS)},
        "highlight": {
            "pre_tags": ["<em>"],
            "post_tags": ["</em>"],
            "fields": {field: {"number_of_fragments": 0} for field in HIGHLIGHT_FIELDS},
            "highlight_query": {"multi_match": {"query": normalized, "fields": list(HIGHLIGHT_FIELDS)}},
        },
        "aggs": {name: {"terms": {"field": field, "size": n}} for name, (field, n) in FACETS.items()},
    }
    if search_after is not None:
        body["search_after"] = list(search_after)
    return body
