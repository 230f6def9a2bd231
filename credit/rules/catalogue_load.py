"""Loading and validating the measures catalogue (`credit/rules/data/measures.json`).

File format (one JSON object; keys starting with "_" are comments and are ignored)::

    {"measures": [{"code": "P_HIGH_CONSUMPTION", "version": "2026-12", "effective_from": null,
                   "effective_until": null, "name": "…", "kind": "PUNISHMENT",
                   "trigger": "…",          # 实施事由
                   "content": "…",          # 措施内容
                   "basis": "《…》第…条",    # 法律依据
                   "implementing_body": "…", "body_kind": "COURT" | "ADMINISTRATIVE" | "FINANCIAL",
                   "evidence": "…",         # 证据材料
                   "held_during_objection": false,
                   "applies_to": {"NATURAL_PERSON": "SUBJECT",
                                  "LEGAL_PERSON": "SUBJECT_AND_RESPONSIBLE_PERSONS", …}}, …],
     "rules": [{"code": "S_DISHONEST_JUDGMENT_DEBTOR", "version": "…", "scope": "DISHONESTY",
                "description": "…", "designating_body": "…", "basis": "…", "evidence": "…",
                "category": "DISHONEST_JUDGMENT_DEBTOR",
                "severities": ["SERIOUS"] | null,        # record.severity must be one of them
                "list_name_pattern": "regex" | null,     # re.search on record.list_name
                "grades": ["A"] | null,                  # record.content["grade"] (case-insensitive)
                "measures": ["P_HIGH_CONSUMPTION", …]}, …],
     "history": [{"code": "T_…", "version": "…", "description": "…", "designating_body": "…",
                  "basis": "…", "evidence": "…", "years": 3,
                  "adverse": [{"category": "ADMINISTRATIVE_PENALTY"}, …], "measures": ["I_…"]}],
     "suspensions": [{"code": "X_…", "version": "…", "description": "…", "basis": "…",
                      "suspend": "INCENTIVE", "while_active": "PUNISHMENT"}],
     "withdrawals": [{"code": "W_…", "version": "…", "description": "…", "basis": "…",
                      "withdraw": {"category": "RED_LIST"},
                      "while_in_force": [{"category": "BLACK_LIST"}, …]}]}

A rule matches when the category matches and every condition it sets holds; a record brings the
union of the measures of the rules it matches. A measure code may have several versions (same kind,
effective periods that do not overlap); so may a rule. A TRUST rule brings only INCENTIVE measures,
a DISHONESTY rule only PUNISHMENT ones, a history rule only INCENTIVE ones.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from credit.enums import FlagKind
from credit.rules.catalogue import (
    SCOPE_KIND,
    Catalogue,
    CatalogueError,
    HistoryRule,
    Measure,
    ScopeRule,
    Suspension,
    VersionedEntry,
    Withdrawal,
)
from credit.rules.loading import validation_summary, without_comments
from credit.rules.versions import overlapping

_KEYS = ("measures", "rules", "history", "suspensions", "withdrawals")
_Model = TypeVar("_Model", bound=BaseModel)


def _describe(kind: str, index: int, entry: object) -> str:
    code = entry.get("code") if isinstance(entry, dict) else None
    return f"{kind}[{index}] (code {code!r})" if code is not None else f"{kind}[{index}]"


def _entries(document: Mapping[str, Any], key: str, source: str, *, required: bool) -> Sequence[Any]:
    entries = document.get(key, None if required else [])
    if not isinstance(entries, list) or (required and not entries):
        raise CatalogueError(
            f"{source}: {key!r} must be a non-empty list" if required else f"{source}: {key!r} must be a list"
        )
    return entries


def _models(model: type[_Model], document: Mapping[str, Any], key: str, source: str) -> list[tuple[str, _Model]]:
    parsed: list[tuple[str, _Model]] = []
    for index, entry in enumerate(_entries(document, key, source, required=key in ("measures", "rules"))):
        where = _describe(key, index, entry)
        try:
            parsed.append((where, model.model_validate(without_comments(entry))))
        except ValidationError as exc:
            raise CatalogueError(f"{source}: {where}: {validation_summary(exc)}") from None
    return parsed


def _check_versions(items: Sequence[tuple[str, Any]], source: str, what: str) -> None:
    """Versions of one code: unique version names, effective periods that do not overlap."""
    by_code: dict[str, list[tuple[str, VersionedEntry]]] = {}
    for where, item in items:
        by_code.setdefault(item.code, []).append((where, item))
    for versions in by_code.values():
        names = [item.version for _, item in versions]
        if len(set(names)) != len(names):
            raise CatalogueError(f"{source}: {versions[-1][0]}: duplicate {what} code and version")
        clash = overlapping([item for _, item in versions])
        if clash is not None:
            raise CatalogueError(
                f"{source}: {versions[clash[1]][0]}: duplicate {what} code with an effective period overlapping "
                f"{versions[clash[0]][0]}"
            )


def _check_measures_of(
    where: str, source: str, codes: Sequence[str], kinds: Mapping[str, FlagKind], kind: FlagKind, label: str
) -> None:
    if len(set(codes)) != len(codes):
        raise CatalogueError(f"{source}: {where}: lists a measure twice")
    for code in codes:
        if code not in kinds:
            raise CatalogueError(f"{source}: {where}: references unknown measure {code!r}")
        if kinds[code] is not kind:
            raise CatalogueError(f"{source}: {where}: a {label} cannot bring {kinds[code].value} measure {code!r}")


def parse_catalogue(document: object, source: str = "<catalogue>") -> Catalogue:
    """Validate an already decoded catalogue document; raise CatalogueError naming the bad entry."""
    if not isinstance(document, dict):
        raise CatalogueError(f"{source}: the catalogue must be a JSON object")
    unknown = sorted(key for key in document if not key.startswith("_") and key not in _KEYS)
    if unknown:
        raise CatalogueError(f"{source}: unknown top-level keys {unknown}")

    measures = _models(Measure, document, "measures", source)
    _check_versions(measures, source, "measure")
    kinds: dict[str, FlagKind] = {}
    for where, measure in measures:
        if kinds.setdefault(measure.code, measure.kind) is not measure.kind:
            raise CatalogueError(f"{source}: {where}: every version of a measure must be of the same kind")

    rules = _models(ScopeRule, document, "rules", source)
    _check_versions(rules, source, "rule")
    for where, rule in rules:
        if rule.code in kinds:
            raise CatalogueError(f"{source}: {where}: duplicate code (a measure has it)")
        _check_measures_of(where, source, rule.measures, kinds, SCOPE_KIND[rule.scope], f"{rule.scope} rule")

    history = _models(HistoryRule, document, "history", source)
    _check_versions(history, source, "history rule")
    for where, item in history:
        _check_measures_of(where, source, item.measures, kinds, FlagKind.INCENTIVE, "history rule")

    suspensions = _models(Suspension, document, "suspensions", source)
    _check_versions(suspensions, source, "suspension")
    withdrawals = _models(Withdrawal, document, "withdrawals", source)
    _check_versions(withdrawals, source, "withdrawal")

    seen: dict[str, str] = {}
    groups: list[Sequence[tuple[str, ScopeRule | HistoryRule | Suspension | Withdrawal]]] = [
        rules,
        history,
        suspensions,
        withdrawals,
    ]
    for group in groups:
        for place, entry in group:
            owner = seen.setdefault(entry.code, place.split("[")[0])
            if owner != place.split("[")[0]:
                raise CatalogueError(f"{source}: {place}: duplicate code (used in {owner})")
    return Catalogue(
        measures=tuple(m for _, m in measures),
        rules=tuple(r for _, r in rules),
        history=tuple(h for _, h in history),
        suspensions=tuple(s for _, s in suspensions),
        withdrawals=tuple(w for _, w in withdrawals),
    )


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
def packaged_catalogue() -> Catalogue:
    """The packaged catalogue, loaded once per process."""
    return load_catalogue()
