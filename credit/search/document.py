"""The search document of a subject: a pure function of a snapshot read from PostgreSQL.

Natural persons' personal data never reaches the index in the clear: the display name and code are
masked (张*, 3204**********123X), the ID number is indexed only as its keyed blind index
(`id_index`), and the name only as keyed hashes of its characters, bigrams, full form, pinyin and
initials (`person_name_tokens`). See search_config/README.md for the trade-off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from credit.enums import RecordCategory, SubjectKind
from credit.platform.crypto import Vault
from credit.search.name_parts import split_name
from credit.search.names import normalize_name, romanise, romanise_prefix, strip_company_forms
from credit.subjects.masking import mask_id_number, mask_name

#: The version of `build_document`: raise it whenever a document built from the same snapshot would
#: differ, so that an index built by an older builder is noticed (`credit.search.client.index_state`).
DOCUMENT_VERSION = 3  # 2: flags by kind, history, suspensions; trade names. 3: persons by whole name only

# Length of a hashed person-name token, in hex characters (64 bits: no collisions at this scale,
# and shorter than a full HMAC to keep the keyword index small).
PERSON_TOKEN_HEX = 16

# Kinds of person-name token; the kind is hashed with the value so that, e.g., the pinyin "an" and
# a name character never share a hash. Only whole names are tokens: a character, a pair of them or
# the initials would let anyone who sees the masked name (张**) learn it one character at a time by
# searching with a region filter (search_config/README.md, "No name oracle").
FULL_NAME = "full"
FORMER_FULL_NAME = "former"
PINYIN = "pinyin"


@dataclass(frozen=True, slots=True)
class SubjectSnapshot:
    """What the index needs to know about one subject, read from PostgreSQL in one transaction."""

    id: int
    kind: SubjectKind
    code: str  # canonical USCC, or for natural persons the canonical (real) ID number
    name: str  # the real name; for natural persons the builder indexes it only hashed
    former_names: tuple[str, ...]
    region_code: str | None
    revision: int
    categories: tuple[RecordCategory, ...]  # categories with records in public disclosure
    active_flag_codes: tuple[str, ...]
    has_active_punishment: bool


def person_token(vault: Vault, kind: str, value: str) -> str:
    """The keyed hash of one person-name token, as indexed in `person_name_tokens`."""
    return vault.blind_index(f"name:{kind}:{value}").hex()[:PERSON_TOKEN_HEX]


def person_name_tokens(vault: Vault, name: str, former_names: Iterable[str] = ()) -> list[str]:
    """Hashed tokens of a person's whole name and former names: the normalised name, and its pinyin."""
    tokens: dict[str, None] = {}

    def add(kind: str, value: str) -> None:
        if value:
            tokens[person_token(vault, kind, value)] = None

    for position, raw in enumerate((name, *former_names)):
        normalized = normalize_name(raw)
        if not normalized:
            continue
        add(FULL_NAME if position == 0 else FORMER_FULL_NAME, normalized)
        add(PINYIN, romanise(normalized)[0])
    return list(tokens)


def _unique(values: Iterable[str]) -> list[str]:
    return [value for value in dict.fromkeys(values) if value]


def _region_fields(region_code: str | None) -> dict[str, Any]:
    code = (region_code or "").strip()
    return {
        "region_code": code or None,
        "province": code[:2] if len(code) >= 2 else None,
        "city": code[:4] if len(code) >= 4 else None,
    }


def _name_fields(name: str, former_names: tuple[str, ...]) -> dict[str, Any]:
    """Searchable forms of an organisation's names (never used for natural persons).

    Each name is normalised and segmented once; word readings come from a cache (`credit.search.names`)."""
    normalized = normalize_name(name)
    former_pairs = [(f, n) for f in former_names if (n := normalize_name(f))]
    former_norm = _unique(n for _, n in former_pairs)
    cores = {n: strip_company_forms(n) for n in (normalized, *former_norm)}
    # Name, its core, then each former name and its core: a core is a prefix of its name, so its
    # pinyin is read from the name's own segmentation (one romanisation per name).
    romanised: list[tuple[str, str]] = []
    for n in (normalized, *former_norm):
        romanised += [romanise(n), romanise_prefix(n, len(cores[n]))]
    # What people type of it: the trade name (字号), alone and with each further industry word.
    typed = _unique(form for raw in (name, *(f for f, _ in former_pairs)) for form in split_name(raw).typed)
    typed_romanised = [romanise(form) for form in typed]
    return {
        "name": name,
        "former_names": [f for f, _ in former_pairs],
        "trade": typed,
        "trade_pinyin": _unique(pinyin for pinyin, _ in typed_romanised),
        "trade_initials": _unique(initials for _, initials in typed_romanised),
        "name_norm": normalized,
        "name_core": cores[normalized],
        "former_norm": former_norm,
        "former_core": _unique(cores[n] for n in former_norm),
        "pinyin": _unique(pinyin for pinyin, _ in romanised),
        "initials": _unique(initials for _, initials in romanised),
    }


def build_document(snapshot: SubjectSnapshot, vault: Vault) -> dict[str, Any]:
    """The document indexed for the subject (its `_id` is the subject id, its version the revision)."""
    document: dict[str, Any] = {
        "id": snapshot.id,
        "kind": snapshot.kind.value,
        "revision": snapshot.revision,
        **_region_fields(snapshot.region_code),
        "categories": sorted({category.value for category in snapshot.categories}),
        "has_active_punishment": snapshot.has_active_punishment,
        "active_flags": sorted(set(snapshot.active_flag_codes)),
    }
    if snapshot.kind is SubjectKind.NATURAL_PERSON:
        document.update(
            code=mask_id_number(snapshot.code),
            id_index=vault.blind_index(snapshot.code).hex(),
            name=mask_name(snapshot.name),
            former_names=[mask_name(f) for f in snapshot.former_names if f.strip()],
            person_name_tokens=person_name_tokens(vault, snapshot.name, snapshot.former_names),
        )
    else:
        document["code"] = snapshot.code
        document.update(_name_fields(snapshot.name, snapshot.former_names))
    return document
