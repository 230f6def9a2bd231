"""The search request for `searchSubjects`: validation, ranking, filters, facets and cursors (pure).

Ranking is two-layered. A `dis_max` over constant-score *tiers* says what kind of match a subject is
(exact code ≫ exact name ≫ exact former name ≫ exact name or former name without its company-form
suffix ≫ exact trade name (字号) as typed ≫ name prefix ≫ code prefix ≫ former-name prefix ≫ pinyin ≫
initials ≫ fuzzy, each pinyin and initials tier just above its trade-name counterpart); only its best
tier counts, and tiers are far enough apart that relevance cannot reorder them. Scored
*relevance* clauses (character n-grams, contiguous fragment, pinyin n-grams) are added on top and
order organisations within a tier — or rank on their own when no tier matched.

A natural person matches one tier only, `Tier.PERSON_NAME`, and only by a whole name (current or
former, hanzi in either script, or pinyin), through keyed hashes: no fragment, initials or typo finds
a person, and every person hit scores the same, so neither a hit nor its score or rank can confirm a
masked name character by character (an entitled role may also find a person by ID number).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from credit.enums import RecordCategory, SubjectKind
from credit.errors import InvalidRequest
from credit.platform.crypto import Vault
from credit.search.document import FORMER_FULL_NAME, FULL_NAME, PINYIN, person_token
from credit.search.facets import aggregations
from credit.search.name_parts import TypedForms, typed_forms
from credit.search.names import (
    core_name,
    is_pinyin_like,
    normalize_name,
    pinyin_query_form,
)
from credit.subjects.identifiers import is_resident_id, is_uscc, normalize_any_code
from credit.subjects.regions import RegionNotFound, region_prefix

MAX_QUERY_LENGTH: Final = 200
MAX_PAGE_SIZE: Final = 100
CURSOR_VERSION: Final = 1
_MAX_CURSOR_LENGTH: Final = 512
# Elasticsearch's default index.max_result_window: the most hits one request may fetch.
MAX_RESULT_WINDOW: Final = 10_000
MAX_SUBJECT_ID: Final = 2**63 - 1
# A code fragment is searched by prefix from this many characters on (fewer match too much).
MIN_CODE_PREFIX: Final = 4
_CODE_FRAGMENT = re.compile(rf"[0-9A-Z]{{{MIN_CODE_PREFIX},18}}")
_CODE_SEPARATORS = re.compile(r"[\s\-]+")


class Tier:
    """Constant scores of the match kinds, from the strongest signal down."""

    EXACT_CODE: Final = 100_000.0
    EXACT_NAME: Final = 50_000.0
    # A natural person is found only by a whole name (current or former, in hanzi or in pinyin), and
    # every such match scores the same: neither the score nor the rank says which form matched, so
    # the masked name (张**) cannot be confirmed one character or one reading at a time.
    PERSON_NAME: Final = 50_000.0
    # The exact full former name beats a current name that only shares its core: someone typing
    # 郑州凌云农业发展有限公司 means the company once registered under that name, not
    # 郑州凌云农业发展股份有限公司.
    EXACT_FORMER_NAME: Final = 45_000.0
    EXACT_CORE_NAME: Final = 40_000.0
    EXACT_FORMER_CORE: Final = 35_000.0
    # The trade name (字号), alone or with its first industry words, as typed: 星辰, 星辰智能 (an exact
    # match of what people type outranks a prefix of the name and every pinyin or initials match).
    EXACT_TRADE: Final = 12_000.0
    NAME_PREFIX: Final = 10_000.0
    CODE_PREFIX: Final = 8_000.0
    FORMER_PREFIX: Final = 6_000.0
    PINYIN: Final = 3_000.0
    TRADE_PINYIN: Final = 2_800.0
    INITIALS: Final = 2_500.0
    TRADE_INITIALS: Final = 2_400.0
    PINYIN_PREFIX: Final = 2_000.0
    TRADE_PINYIN_PREFIX: Final = 1_800.0
    INITIALS_PREFIX: Final = 1_500.0
    TRADE_INITIALS_PREFIX: Final = 1_400.0
    FUZZY_NAME: Final = 600.0
    FUZZY_CORE: Final = 500.0
    FUZZY_FORMER: Final = 400.0


# Relevance boosts (BM25 scores of the n-gram clauses stay well below the gap between two tiers).
_NGRAM_BOOST: Final = 1.0
_FORMER_NGRAM_BOOST: Final = 0.6
_FRAGMENT_BOOST: Final = 2.0
_PINYIN_NGRAM_BOOST: Final = 1.0
_PINYIN_FRAGMENT_BOOST: Final = 2.0
# Pinyin n-grams are matched with every other 4-letter gram of the query (and its last one), at
# most 8 of them: the sampled grams still cover every letter of a short query, so a fragment or a
# typo is found as before, and the engine reads a few postings lists instead of one for every 3-
# and 4-letter gram (on osmem-server with 100,000 subjects a 34-letter pinyin query went from 5-9 s
# to well under a second).
_PINYIN_GRAM: Final = 4
_PINYIN_GRAM_STRIDE: Final = 2
_PINYIN_MIN_GRAM: Final = 3  # the shortest gram `pinyin_ngram` indexes
_PINYIN_MAX_GRAMS: Final = 8
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
SORT: Final = ({"_score": {"order": "desc"}}, {"id": {"order": "asc"}})


class SearchInputError(InvalidRequest):
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


@dataclass(frozen=True, slots=True)
class Cursor:
    """The position just after one hit: its score, its id, and its rank among the hits of equal score.

    Scores are compared as the 32-bit floats engines report. Elasticsearch scores are 32-bit floats,
    so `search_after: [score, id]` would resume exactly; osmem-server ranks by 64-bit scores and
    reports them rounded, so a reported score cannot find its ties again. `search_after_values`
    therefore resumes at the first hit of the cursor's score on every engine, and `position_hits`
    skips the `tie_rank` hits of that score already delivered. Over-fetching stays within one group
    of equally scored hits, bounded by `MAX_RESULT_WINDOW`.
    """

    score: float
    id: int
    tie_rank: int  # 1 for the first hit of its score, 2 for the second …


def as_float32(value: float) -> float:
    """The value rounded to the nearest 32-bit float (the precision engines report scores in)."""
    rounded: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return rounded


def _next_float32(value: float) -> float:
    bits: int = struct.unpack("<I", struct.pack("<f", value))[0]
    following: float = struct.unpack("<f", struct.pack("<I", bits + 1))[0]
    return following


def encode_cursor(cursor: Cursor) -> str:
    """An opaque, versioned cursor (base64url of JSON) for the position after a hit."""
    payload = {"v": CURSOR_VERSION, "s": [cursor.score, cursor.id], "t": cursor.tie_rank}
    text = json.dumps(payload, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def decode_cursor(cursor: str) -> Cursor:
    """The position encoded by `encode_cursor`, or SearchInputError for anything else."""
    invalid = SearchInputError("after is not a valid cursor")
    if not cursor or len(cursor) > _MAX_CURSOR_LENGTH:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise invalid from None
    if not isinstance(payload, dict) or set(payload) != {"v", "s", "t"} or payload["v"] != CURSOR_VERSION:
        raise invalid
    values, tie_rank = payload["s"], payload["t"]
    if not (isinstance(values, list) and len(values) == len(SORT)):
        raise invalid
    score, subject_id = values
    if not (_is_number(score) and score >= 0 and isinstance(subject_id, int) and _is_number(subject_id)):
        raise invalid
    if not (isinstance(tie_rank, int) and _is_number(tie_rank) and tie_rank >= 1):
        raise invalid
    return Cursor(as_float32(float(score)), subject_id, tie_rank)


def search_after_values(cursor: Cursor) -> list[Any]:
    """`search_after` that resumes at the first hit scoring `cursor.score` (on every engine).

    The score sent is just above the midpoint between the cursor's score and the next 32-bit float:
    Elasticsearch reads it as that next float, osmem-server compares it as a 64-bit value; either way
    every hit of the cursor's score (and none above it) comes after it, and the id sentinel lets no
    hit of the next score through.
    """
    midpoint = (cursor.score + _next_float32(cursor.score)) / 2
    return [math.nextafter(midpoint, math.inf), MAX_SUBJECT_ID]


def position_hits(raw_hits: Sequence[dict[str, Any]], cursor: Cursor | None) -> list[tuple[dict[str, Any], Cursor]]:
    """The hits after `cursor` (see `Cursor`), each with its own cursor."""
    remaining = list(raw_hits)
    group_score, group_count = (cursor.score, 0) if cursor else (math.nan, 0)
    if cursor is not None:
        remaining = [hit for hit in remaining if as_float32(float(hit["sort"][0])) <= cursor.score]
        while (
            remaining and group_count < cursor.tie_rank and as_float32(float(remaining[0]["sort"][0])) == cursor.score
        ):
            group_count += 1
            if remaining.pop(0)["sort"][1] == cursor.id:
                break
    positioned: list[tuple[dict[str, Any], Cursor]] = []
    for hit in remaining:
        score, subject_id = as_float32(float(hit["sort"][0])), int(hit["sort"][1])
        group_score, group_count = (score, group_count + 1) if score == group_score else (score, 1)
        positioned.append((hit, Cursor(score, subject_id, group_count)))
    return positioned


def _constant(query: dict[str, Any], score: float) -> dict[str, Any]:
    return {"constant_score": {"filter": query, "boost": score}}


def _term(field: str, value: str, score: float) -> dict[str, Any]:
    return _constant({"term": {field: value}}, score)


def _fuzzy(field: str, value: str, score: float) -> dict[str, Any]:
    return _constant({"match": {field: {"query": value, **_FUZZINESS}}}, score)


def _code_tiers(text: str, vault: Vault, allow_id_lookup: bool) -> list[dict[str, Any]]:
    compact = _CODE_SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    tiers: list[dict[str, Any]] = []
    canonical = normalize_any_code(compact)
    # A code may be valid both ways (all digits, both check characters matching): look up both.
    if canonical is not None and allow_id_lookup and is_resident_id(canonical):
        tiers.append(_term("id_index", vault.blind_index(canonical).hex(), Tier.EXACT_CODE))
    if canonical is not None and is_uscc(canonical):
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
        _term("trade", core, Tier.EXACT_TRADE),
        _term("name_core", core, Tier.EXACT_CORE_NAME),
        _term("former_norm.exact", normalized, Tier.EXACT_FORMER_NAME),
        _term("former_core", core, Tier.EXACT_FORMER_CORE),
        _term("name_norm.prefix", normalized, Tier.NAME_PREFIX),
        _term("former_norm.prefix", normalized, Tier.FORMER_PREFIX),
        _fuzzy("name_norm.exact", normalized, Tier.FUZZY_NAME),
        _fuzzy("name_core", core, Tier.FUZZY_CORE),
        _fuzzy("former_core", core, Tier.FUZZY_FORMER),
    ]


def _pinyin_tiers(pinyin: str) -> list[dict[str, Any]]:
    return [
        *_full_pinyin_tiers(pinyin),
        *_initials_tiers(pinyin),
        _fuzzy("pinyin", pinyin, Tier.FUZZY_NAME),
    ]


def _full_pinyin_tiers(pinyin: str) -> list[dict[str, Any]]:
    return [
        _term("pinyin", pinyin, Tier.PINYIN),
        _term("trade_pinyin", pinyin, Tier.TRADE_PINYIN),
        _term("pinyin.prefix", pinyin, Tier.PINYIN_PREFIX),
        _term("trade_pinyin.prefix", pinyin, Tier.TRADE_PINYIN_PREFIX),
    ]


def _initials_tiers(initials: str) -> list[dict[str, Any]]:
    return [
        _term("initials", initials, Tier.INITIALS),
        _term("trade_initials", initials, Tier.TRADE_INITIALS),
        _term("initials.prefix", initials, Tier.INITIALS_PREFIX),
        _term("trade_initials.prefix", initials, Tier.TRADE_INITIALS_PREFIX),
    ]


def _typed_tiers(typed: TypedForms) -> list[dict[str, Any]]:
    """Mixed input folded to the indexed forms (星辰zn → initials xczn; xingchen智能 → pinyin
    xingchenzhineng and initials xczn)."""
    tiers: list[dict[str, Any]] = []
    if typed.pinyin:
        tiers += _full_pinyin_tiers(typed.pinyin)
    if typed.initials:
        tiers += _initials_tiers(typed.initials)
    return tiers


def _person_tier(normalized: str, pinyin: str | None, vault: Vault) -> dict[str, Any]:
    """One constant-score clause for a natural person's whole name: the normalised query as a current or
    former name, and the query's pinyin (typed as pinyin, or mixed input folded to it) as the name's."""
    tokens = [person_token(vault, FULL_NAME, normalized), person_token(vault, FORMER_FULL_NAME, normalized)]
    if pinyin:
        tokens.append(person_token(vault, PINYIN, pinyin))
    return _constant({"terms": {"person_name_tokens": tokens}}, Tier.PERSON_NAME)


def _relevance(core: str, pinyin: str | None, typed: TypedForms) -> list[dict[str, Any]]:
    # Organisations' n-grams are matched with the query's core: the grams of 有限公司 and the like are
    # in almost every name, so they would only slow the query down and blur the ranking.
    ngram = {"query": core, "minimum_should_match": _NGRAM_MINIMUM_SHOULD_MATCH}
    clauses: list[dict[str, Any]] = [
        {"match": {"name_norm": {**ngram, "boost": _NGRAM_BOOST}}},
        {"match": {"former_norm": {**ngram, "boost": _FORMER_NGRAM_BOOST}}},
        {"match_phrase": {"name_norm.chars": {"query": core, "boost": _FRAGMENT_BOOST}}},
    ]
    if pinyin is not None:
        clauses += _pinyin_relevance(pinyin)
    elif typed.pinyin is not None:  # mixed input: the pinyin it folds to ranks like a pinyin query
        clauses += _pinyin_relevance(typed.pinyin)
    for run in typed.hanzi:  # the hanzi of mixed input: 星辰 in 星辰zn ranks 星辰智能 above 新创智能
        clauses.append({"match_phrase": {"name_norm.chars": {"query": run, "boost": _FRAGMENT_BOOST}}})
    return clauses


def pinyin_grams(pinyin: str) -> list[str]:
    """The grams of a pinyin query looked up in `pinyin.ngram`: every other 4-letter gram and the
    last one (zhoukouhongan → zhou ouko kouh uhon onga ngan), at most 8 spread evenly; a 3-letter
    query is its own gram, a shorter one has none."""
    if len(pinyin) < _PINYIN_GRAM:
        return [pinyin] if len(pinyin) >= _PINYIN_MIN_GRAM else []
    last = len(pinyin) - _PINYIN_GRAM
    starts = [*range(0, last + 1, _PINYIN_GRAM_STRIDE), last]
    if len(starts) > _PINYIN_MAX_GRAMS:  # a long query (a whole name): grams spread evenly over it
        starts = [round(i * last / (_PINYIN_MAX_GRAMS - 1)) for i in range(_PINYIN_MAX_GRAMS)]
    return list(dict.fromkeys(pinyin[start : start + _PINYIN_GRAM] for start in starts))


def _pinyin_relevance(pinyin: str) -> list[dict[str, Any]]:
    """Pinyin n-gram clauses: enough of the grams (a typo, a fragment, a word-order slip), and, boosted,
    all of them (the query is, almost surely, contained in the pinyin: a fragment such as `xingchen`).

    `term` queries on the analysed sub-field, because the grams are already in their indexed form."""
    grams = [{"term": {"pinyin.ngram": gram}} for gram in pinyin_grams(pinyin)]
    if not grams:
        return []
    clauses: list[dict[str, Any]] = [
        {"bool": {"should": grams, "minimum_should_match": _NGRAM_MINIMUM_SHOULD_MATCH, "boost": _PINYIN_NGRAM_BOOST}}
    ]
    if len(grams) > 1:
        clauses.append({"bool": {"must": grams, "boost": _PINYIN_FRAGMENT_BOOST}})
    return clauses


def _filters(search_filter: SearchFilter) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = []
    if search_filter.kinds:
        filters.append({"terms": {"kind": sorted({kind.value for kind in search_filter.kinds})}})
    if search_filter.region_code_prefix is not None:
        try:  # digits, or a name of one current division (常州 → 3204); an ambiguous name lists codes
            region = region_prefix(search_filter.region_code_prefix)
        except RegionNotFound as exc:
            raise SearchInputError(f"regionCodePrefix: {exc}") from None
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
    facets: bool = True,
) -> dict[str, Any]:
    """The `_search` body for a subject search (the same body a benchmark may send directly).

    `facets=False` leaves the aggregations out, for callers that do not show them (they cost a pass
    over every hit)."""
    text = validate_query(query)
    normalized = normalize_name(text)
    core = core_name(text) or normalized
    pinyin = pinyin_query_form(text) if is_pinyin_like(text) else None

    tiers = _code_tiers(text, vault, allow_id_lookup) + _name_tiers(normalized, core)
    typed = typed_forms(normalized)
    tiers.append(_person_tier(normalized, pinyin or typed.pinyin, vault))
    if pinyin is not None:
        tiers += _pinyin_tiers(pinyin)
    tiers += _typed_tiers(typed)

    relevance = _relevance(core, pinyin, typed)
    should = [{"dis_max": {"queries": tiers, "tie_breaker": 0.0}}, *relevance]
    body: dict[str, Any] = {
        "query": {"bool": {"should": should, "minimum_should_match": 1, "filter": _filters(filter)}},
        "size": size,
        "sort": list(SORT),
        "track_total_hits": True,
        "_source": {"includes": list(SOURCE_FIELDS)},
    }
    if facets:
        body["aggs"] = aggregations()
    if search_after is not None:
        body["search_after"] = list(search_after)
    return body
