"""The vocabularies of the demo data generator (creditgraph.demo.generator).

The words, text tables and small weights are data, in vocabulary.toml next to this module (package
data); it is loaded once, on import, and each vocabulary is exposed parsed. A text table is a
multi-line string: one entry a line, whitespace-separated fields in the order of the comment above
the table in the data file; ``-`` is an empty field, ``《*`` stands for ``《中华人民共和国``. A
``key: word word …`` table gives each word with its key; a word list is whitespace-separated.

Also here: the names taken from Faker's zh_CN providers (surnames, given names, trade-name prefixes,
city names for streets), the lists composed from both, and ``place``, the names of a county-level
division. Nothing here is random.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

from faker.providers.address.zh_CN import Provider as _FakerAddress
from faker.providers.company.zh_CN import Provider as _FakerCompany
from faker.providers.person.zh_CN import Provider as _FakerPerson

from credit.enums import RecordCategory, SubjectKind
from credit.subjects.regions import MUNICIPALITIES, region_names, short_name

__all__ = [
    "AGENCIES",
    "ASSOCIATIONS",
    "BLACK_LISTS",
    "BUREAUS",
    "CATEGORY_TAGS",
    "CATEGORY_WEIGHTS",
    "CAUSES",
    "CN_NUMBERS",
    "COMMITMENTS",
    "COUNT_WEIGHTS",
    "CROPS",
    "DOMAINS",
    "ENV_GRADES",
    "FACTS",
    "FORMS",
    "FORM_WEIGHTS",
    "FUND_INDUSTRIES",
    "GIVEN_NAMES",
    "GIVEN_NAMES_1",
    "INDUSTRIES",
    "LICENSES",
    "LISTS",
    "NONE_P",
    "OLD_FORMS",
    "OTHER_AGENCIES",
    "PERSON_DOMAINS",
    "PRIVATE_INSTITUTIONS",
    "PROVINCE_ABBR",
    "PROVINCE_WEIGHT",
    "PUBLIC_INSTITUTIONS",
    "RED_LISTS",
    "ROADS",
    "ROAD_SUFFIXES",
    "SECTORS",
    "SHOPS",
    "STREETS",
    "SURNAMES",
    "SURNAME_WEIGHTS",
    "TRADES",
    "TRADE_HEAD",
    "TRADE_TAIL",
    "Place",
    "place",
]


def _rows(text: str) -> list[list[str]]:
    """Parse a text table: one row a line, whitespace-separated fields, ``-`` for empty."""
    rows = [line.replace("《*", "《中华人民共和国").split() for line in text.strip().splitlines()]
    return [["" if field == "-" else field for field in row] for row in rows if row]


def _words(text: str) -> list[str]:
    return text.split()


def _by_key(text: str) -> list[tuple[str, str]]:
    """``key: word word …`` lines → [(word, key), …]"""
    return [(word, row[0].rstrip(":")) for row in _rows(text) for word in row[1:]]


def _facts(text: str) -> dict[str, list[tuple[str, str]]]:
    """``domain fact basis`` rows → {domain: [(fact, basis), …]}"""
    facts: dict[str, list[tuple[str, str]]] = {}
    for domain, fact, basis in _rows(text):
        facts.setdefault(domain, []).append((fact, basis))
    return facts


def _sectors(text: str) -> dict[str, tuple[list[str], list[str]]]:
    """``sector licence … | domain …`` rows (a sector may take several) → {sector: ([licence, …], [domain, …])}"""
    sectors: dict[str, tuple[list[str], list[str]]] = {}
    for row in _rows(text):
        bar = row.index("|")
        licences, domains = sectors.setdefault(row[0], ([], []))
        licences += row[1:bar]
        domains += row[bar + 1 :]
    return sectors


_DATA: dict[str, Any] = tomllib.loads(files("creditgraph.demo").joinpath("vocabulary.toml").read_text("utf-8"))

PROVINCE_ABBR: dict[str, str] = dict(zip(_words(_DATA["province_codes"]), _DATA["province_abbr"], strict=True))
# demo weight of each province (others 1), spread evenly over its counties
PROVINCE_WEIGHT: dict[str, int] = _DATA["province_weight"]
TRADE_HEAD: str = _DATA["trade_head"]
TRADE_TAIL: str = _DATA["trade_tail"]
# (industry, sector): the sector decides which licences and penalties a subject attracts
INDUSTRIES = _by_key(_DATA["industries"])
FORMS: list[str] = list(_DATA["forms"])
FORM_WEIGHTS: list[int] = list(_DATA["forms"].values())
FUND_INDUSTRIES = _words(_DATA["fund_industries"])
SHOPS = _by_key(_DATA["shops"])
CROPS = _words(_DATA["crops"])
OLD_FORMS: dict[str, str] = _DATA["old_forms"]
ROADS = _words(_DATA["roads"])
ROAD_SUFFIXES = _words(_DATA["road_suffixes"])
ASSOCIATIONS = _words(_DATA["associations"])
PRIVATE_INSTITUTIONS = _by_key(_DATA["private_institutions"])
PUBLIC_INSTITUTIONS = _by_key(_DATA["public_institutions"])
CAUSES = _words(_DATA["causes"])
CN_NUMBERS: str = _DATA["cn_numbers"]
# key → [city/county suffix, provincial suffix, penalty doc, licence doc, sourceId tag]
BUREAUS = {row[0]: row[1:] for row in _rows(_DATA["bureaus"])}
OTHER_AGENCIES = _words(_DATA["other_agencies"])
# licence → (bureau, level, certificate prefix, years valid (0: open-ended))
LICENSES = {row[0]: (row[1], row[2], row[3], int(row[4])) for row in _rows(_DATA["licenses"])}
# penalty domain → (bureau, level)
DOMAINS = {row[0]: (row[1], row[2]) for row in _rows(_DATA["domains"])}
# domain → [(fact, basis), …]; PERSON_* domains are for natural persons
FACTS = _facts(_DATA["facts"])
PERSON_DOMAINS = [key for key in FACTS if key.startswith("PERSON_")]
# sector → ([licence, …], [penalty domain, …])
SECTORS = _sectors(_DATA["sectors"])
# list name → (bureau, level, document abbreviation, years valid, basis); a black list has a basis
LISTS = {row[0]: (row[1], row[2], row[3], int(row[4]), row[5]) for row in _rows(_DATA["lists"])}
RED_LISTS = [name for name, spec in LISTS.items() if not spec[4]]
BLACK_LISTS = [name for name, spec in LISTS.items() if spec[4]]
# [commitment type, bureau, level]
COMMITMENTS = _rows(_DATA["commitments"])
ENV_GRADES: dict[str, str] = _DATA["env_grades"]
CATEGORY_TAGS = {category: str(_DATA["category_tags"][category.name]) for category in RecordCategory}
# per kind: category weights (in RecordCategory order), P(no records), weights of 1, 2, 3 … records
_KINDS: dict[SubjectKind, dict[str, Any]] = {SubjectKind[kind]: spec for kind, spec in _DATA["kinds"].items()}
CATEGORY_WEIGHTS: dict[SubjectKind, list[int]] = {kind: spec["categories"] for kind, spec in _KINDS.items()}
NONE_P: dict[SubjectKind, float] = {kind: spec["none"] for kind, spec in _KINDS.items()}
COUNT_WEIGHTS: dict[SubjectKind, list[int]] = {kind: spec["counts"] for kind, spec in _KINDS.items()}

# names drawn from Faker's zh_CN providers, and names composed from the tables above
SURNAMES = list(_FakerPerson.last_names)
SURNAME_WEIGHTS = list(_FakerPerson.last_names.values())
GIVEN_NAMES = (_FakerPerson.first_names_female, _FakerPerson.first_names_male)  # indexed by int(male)
GIVEN_NAMES_1 = tuple([g for g in pool if len(g) == 1] for pool in GIVEN_NAMES)  # the one-character ones
# trade names (字号): a head and a different tail character, or one of Faker's two- or three-character prefixes
TRADES = [a + b for a in TRADE_HEAD for b in TRADE_TAIL if a != b]
TRADES += [p for p in _FakerCompany.company_prefixes if 2 <= len(p) <= 3 and all("一" <= c <= "鿿" for c in p)]
STREETS = [r + s for r in [*ROADS, *_FakerAddress.cities] for s in ROAD_SUFFIXES]
# what a government-agency subject may be: any bureau but telecom, or another agency
AGENCIES = [*(b for b in BUREAUS if b != "telecom"), *OTHER_AGENCIES]


@dataclass(frozen=True, slots=True)
class Place:
    """The names of a county-level division, as subjects and authorities there are named."""

    code: str
    province: str
    abbr: str  # province abbreviation (苏)
    prov_short: str
    city: str  # prefecture; the municipality itself; the county for units directly under a province
    city_short: str
    county: str | None
    county_short: str | None
    municipal: bool
    prefecture: bool  # a prefecture (or municipality) sits above the county

    @property
    def full(self) -> str:  # 江苏省常州市天宁区 / 北京市朝阳区
        return "".join(dict.fromkeys(x for x in (self.province, self.city, self.county) if x))

    @property
    def local(self) -> str:
        """How local bodies are named: districts with their city (常州市天宁区, 北京市朝阳区), counties
        and county-level cities on their own (沛县, 洪湖市), else the prefecture (东莞市)."""
        if self.county and not self.county.endswith("区"):
            return self.county
        return "".join(dict.fromkeys(x for x in (self.city, self.county) if x))


@cache
def place(code: str) -> Place:
    """The names of the county-level division ``code``."""
    names = region_names(code)
    assert names is not None, code
    city = names.city or names.county or names.province
    county = names.county
    return Place(
        code,
        names.province,
        PROVINCE_ABBR[code[:2]],
        short_name(names.province),
        city,
        short_name(city),
        county,
        short_name(county) if county else None,
        code[:2] in MUNICIPALITIES,
        names.city is not None,
    )
