"""The measures catalogue: which records bring which incentive or punishment measures.

The policy documents publish this as the "four lists" (四张清单): the typical-trust scope (守信范围
清单), the serious-dishonesty scope (严重失信范围清单), the incentive measures (激励措施清单) and the
punishment measures (惩戒措施清单). Here the two measure lists are `measures` (each with its legal
basis and implementing agency) and the two scope lists are `rules` with `scope` TRUST or
DISHONESTY; a rule matches records and names the measures they bring. The catalogue is data
(`credit/rules/data/measures.json`); this module validates it and answers `measures_for(record)`.

File format (one JSON object; keys starting with "_" are comments and are ignored)::

    {"measures": [{"code": "P_HIGH_CONSUMPTION", "name": "…", "kind": "PUNISHMENT",
                   "basis": "《…》", "agency": "…"}, …],
     "rules": [{"code": "S_DJD", "scope": "DISHONESTY", "description": "…",
                "category": "DISHONEST_JUDGMENT_DEBTOR",
                "severities": ["SERIOUS"] | null,        # record.severity must be one of them
                "list_name_pattern": "regex" | null,     # re.search on record.list_name
                "grades": ["A"] | null,                  # record.content["grade"] (case-insensitive)
                "measures": ["P_HIGH_CONSUMPTION", …]}, …]}

A rule matches when the category matches and every condition it sets holds; a record brings the
union of the measures of all rules it matches.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from credit.enums import FlagKind, RecordCategory, Severity
from credit.rules.facts import RecordFacts

_CODE = r"^[A-Z][A-Z0-9_]*$"
_SCOPE_KIND: Mapping[str, FlagKind] = {"TRUST": FlagKind.INCENTIVE, "DISHONESTY": FlagKind.PUNISHMENT}


class CatalogueError(ValueError):
    """The catalogue file is unreadable or inconsistent; the message names the offending entry."""


class Measure(BaseModel):
    """An incentive (激励) or punishment (惩戒) measure, with its legal basis and implementing agency."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=_CODE)
    name: str = Field(min_length=1)
    kind: FlagKind
    basis: str = Field(min_length=1)
    agency: str = Field(min_length=1)


class ScopeRule(BaseModel):
    """An entry of a scope list: which records bring which measures."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=_CODE)
    scope: Literal["TRUST", "DISHONESTY"]
    description: str = Field(min_length=1)
    category: RecordCategory
    severities: frozenset[Severity] | None = None
    list_name_pattern: re.Pattern[str] | None = None
    grades: frozenset[str] | None = None
    measures: tuple[str, ...] = Field(min_length=1)

    @field_validator("grades")
    @classmethod
    def _normalise_grades(cls, value: frozenset[str] | None) -> frozenset[str] | None:
        if value is None:
            return None
        grades = frozenset(grade.strip().upper() for grade in value)
        if not grades or "" in grades:
            raise ValueError("grades must be non-empty strings")
        return grades

    @field_validator("severities")
    @classmethod
    def _non_empty_severities(cls, value: frozenset[Severity] | None) -> frozenset[Severity] | None:
        if value is not None and not value:
            raise ValueError("severities must be null or a non-empty list")
        return value

    def matches(self, record: RecordFacts) -> bool:
        if record.category is not self.category:
            return False
        if self.severities is not None and record.severity not in self.severities:
            return False
        if self.list_name_pattern is not None and (
            record.list_name is None or self.list_name_pattern.search(record.list_name) is None
        ):
            return False
        return self.grades is None or record.content_text("grade") in self.grades


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The validated catalogue. Build it with `load_catalogue`, or use `default_catalogue()`."""

    measures: tuple[Measure, ...]
    rules: tuple[ScopeRule, ...]
    _by_code: Mapping[str, Measure] = field(init=False, repr=False, compare=False)
    _by_category: Mapping[RecordCategory, tuple[ScopeRule, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_category: dict[RecordCategory, list[ScopeRule]] = {}
        for rule in self.rules:
            by_category.setdefault(rule.category, []).append(rule)
        object.__setattr__(self, "_by_code", {measure.code: measure for measure in self.measures})
        object.__setattr__(self, "_by_category", {k: tuple(v) for k, v in by_category.items()})

    def measure(self, code: str) -> Measure:
        """The measure with this code; KeyError when the catalogue has none."""
        return self._by_code[code]

    def rules_for(self, record: RecordFacts) -> list[ScopeRule]:
        """The scope rules the record matches, in catalogue order."""
        return [rule for rule in self._by_category.get(record.category, ()) if rule.matches(record)]

    def measures_for(self, record: RecordFacts) -> list[Measure]:
        """The measures the record brings when in force, each once, ordered by code.

        This ignores the record's status and dates; `credit.rules.flags` decides whether they apply.
        """
        codes = {code for rule in self.rules_for(record) for code in rule.measures}
        return [self._by_code[code] for code in sorted(codes)]


def _describe(kind: str, index: int, entry: object) -> str:
    code = entry.get("code") if isinstance(entry, dict) else None
    return f"{kind}[{index}] (code {code!r})" if code is not None else f"{kind}[{index}]"


def validation_summary(exc: ValidationError) -> str:
    """A one-line summary of a pydantic error: each failing field, the problem and the value."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        text = f"{where}: {error['msg']}" if where else str(error["msg"])
        value = error.get("input")
        if isinstance(value, (str, int, float)) and error["type"] != "missing":
            text += f" (got {value!r})"
        parts.append(text)
    return "; ".join(parts)


def _entries(document: Mapping[str, Any], key: str, source: str) -> Sequence[Any]:
    entries = document.get(key)
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{source}: {key!r} must be a non-empty list")
    return entries


def parse_catalogue(document: object, source: str = "<catalogue>") -> Catalogue:
    """Validate an already decoded catalogue document; raise CatalogueError naming the bad entry."""
    if not isinstance(document, dict):
        raise CatalogueError(f"{source}: the catalogue must be a JSON object")
    unknown = sorted(key for key in document if not key.startswith("_") and key not in {"measures", "rules"})
    if unknown:
        raise CatalogueError(f"{source}: unknown top-level keys {unknown}")

    measures: list[Measure] = []
    seen_measures: set[str] = set()
    for index, entry in enumerate(_entries(document, "measures", source)):
        where = _describe("measures", index, entry)
        try:
            measure = Measure.model_validate(entry)
        except ValidationError as exc:
            raise CatalogueError(f"{source}: {where}: {validation_summary(exc)}") from None
        if measure.code in seen_measures:
            raise CatalogueError(f"{source}: {where}: duplicate measure code")
        seen_measures.add(measure.code)
        measures.append(measure)
    kinds = {measure.code: measure.kind for measure in measures}

    rules: list[ScopeRule] = []
    seen_rules: set[str] = set()
    for index, entry in enumerate(_entries(document, "rules", source)):
        where = _describe("rules", index, entry)
        try:
            rule = ScopeRule.model_validate(entry)
        except ValidationError as exc:
            raise CatalogueError(f"{source}: {where}: {validation_summary(exc)}") from None
        if rule.code in seen_rules or rule.code in seen_measures:
            raise CatalogueError(f"{source}: {where}: duplicate code")
        seen_rules.add(rule.code)
        if len(set(rule.measures)) != len(rule.measures):
            raise CatalogueError(f"{source}: {where}: lists a measure twice")
        for code in rule.measures:
            if code not in kinds:
                raise CatalogueError(f"{source}: {where}: references unknown measure {code!r}")
            if kinds[code] is not _SCOPE_KIND[rule.scope]:
                raise CatalogueError(
                    f"{source}: {where}: a {rule.scope} rule cannot bring {kinds[code].value} measure {code!r}"
                )
        rules.append(rule)
    return Catalogue(measures=tuple(measures), rules=tuple(rules))


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Load and validate a catalogue file; by default the packaged `credit/rules/data/measures.json`."""
    try:
        if path is None:
            source = "credit/rules/data/measures.json"
            text = resources.files("credit.rules").joinpath("data", "measures.json").read_text(encoding="utf-8")
        else:
            source = str(path)
            text = path.read_text(encoding="utf-8")
        document = json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"{source}: cannot read the catalogue: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise CatalogueError(f"{source}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    return parse_catalogue(document, source)


@functools.cache
def default_catalogue() -> Catalogue:
    """The packaged catalogue, loaded once per process."""
    return load_catalogue()
