"""The measures catalogue: the packaged four lists, and clear errors for a bad catalogue file."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from credit.enums import FlagKind, RecordCategory, RecordStatus, Severity
from credit.rules.catalogue import (
    Catalogue,
    CatalogueError,
    default_catalogue,
    load_catalogue,
    parse_catalogue,
)
from credit.rules.facts import RecordFacts

pytestmark = pytest.mark.unit

DJD_MEASURES = {"P_HIGH_CONSUMPTION", "P_EXIT", "P_FLIGHTS", "P_HIGH_SPEED_RAIL", "P_PROPERTY"}
BLACK_LIST_MEASURES = {
    "P_GOV_PROCUREMENT",
    "P_BIDDING",
    "P_MARKET_ENTRY",
    "P_HONOURS",
    "P_KEY_SUPERVISION",
    "P_FINANCING",
}
INCENTIVES = {"I_GREEN_CHANNEL", "I_DEFICIENCY_ACCEPTANCE", "I_FEWER_INSPECTIONS", "I_SUPPORT_FUNDS"}


def record(category: RecordCategory, **facts: Any) -> RecordFacts:
    return RecordFacts(
        id=1,
        category=category,
        status=RecordStatus.ACTIVE,
        decided_on=date(2024, 6, 1),
        published_on=date(2024, 6, 3),
        **facts,
    )


def codes(catalogue: Catalogue, facts: RecordFacts) -> set[str]:
    return {measure.code for measure in catalogue.measures_for(facts)}


def minimal_document() -> dict[str, Any]:
    return {
        "measures": [
            {"code": "P_A", "name": "惩戒甲", "kind": "PUNISHMENT", "basis": "《依据》", "agency": "部门"},
            {"code": "I_A", "name": "激励甲", "kind": "INCENTIVE", "basis": "《依据》", "agency": "部门"},
        ],
        "rules": [
            {
                "code": "S_BLACK",
                "scope": "DISHONESTY",
                "description": "黑名单",
                "category": "BLACK_LIST",
                "measures": ["P_A"],
            },
            {"code": "T_RED", "scope": "TRUST", "description": "红名单", "category": "RED_LIST", "measures": ["I_A"]},
        ],
    }


class TestPackagedCatalogue:
    def test_loads_once(self) -> None:
        assert default_catalogue() is default_catalogue()
        assert load_catalogue() == default_catalogue()

    def test_dishonest_judgment_debtor_restrictions(self) -> None:
        found = codes(default_catalogue(), record(RecordCategory.DISHONEST_JUDGMENT_DEBTOR))
        assert found >= DJD_MEASURES
        assert all(code.startswith("P_") for code in found)

    def test_black_list_measures(self) -> None:
        assert codes(default_catalogue(), record(RecordCategory.BLACK_LIST)) == BLACK_LIST_MEASURES

    def test_red_list_incentives(self) -> None:
        assert codes(default_catalogue(), record(RecordCategory.RED_LIST)) == INCENTIVES

    @pytest.mark.parametrize("list_name", ["A级纳税人", "2023年度纳税信用A级纳税人", "Ａ级纳税人"])
    def test_grade_a_by_list_name(self, list_name: str) -> None:
        facts = record(RecordCategory.CREDIT_EVALUATION, list_name=list_name)
        assert codes(default_catalogue(), facts) == INCENTIVES

    @pytest.mark.parametrize("grade", ["A", "a", " A "])
    def test_grade_a_by_content(self, grade: str) -> None:
        facts = record(RecordCategory.CREDIT_EVALUATION, content={"grade": grade})
        assert codes(default_catalogue(), facts) == INCENTIVES

    @pytest.mark.parametrize(
        "facts",
        [
            {"list_name": "B级纳税人"},
            {"list_name": "AA级"},
            {"list_name": "非A级纳税人"},
            {"content": {"grade": "B"}},
            {"content": {"grade": "AAA"}},
            {},
        ],
    )
    def test_other_grades_bring_nothing(self, facts: dict[str, Any]) -> None:
        assert codes(default_catalogue(), record(RecordCategory.CREDIT_EVALUATION, **facts)) == set()

    def test_serious_penalty_brings_key_supervision(self) -> None:
        serious = record(RecordCategory.ADMINISTRATIVE_PENALTY, severity=Severity.SERIOUS)
        assert codes(default_catalogue(), serious) == {"P_KEY_SUPERVISION"}
        for severity in (Severity.MINOR, Severity.GENERAL, None):
            facts = record(RecordCategory.ADMINISTRATIVE_PENALTY, severity=severity)
            assert codes(default_catalogue(), facts) == set()

    @pytest.mark.parametrize("category", [RecordCategory.ADMINISTRATIVE_LICENSE, RecordCategory.CREDIT_COMMITMENT])
    def test_categories_without_measures(self, category: RecordCategory) -> None:
        assert codes(default_catalogue(), record(category)) == set()

    def test_measures_are_ordered_and_unique(self) -> None:
        found = [m.code for m in default_catalogue().measures_for(record(RecordCategory.BLACK_LIST))]
        assert found == sorted(set(found))

    def test_every_measure_has_basis_agency_and_a_kind_matching_its_code(self) -> None:
        for measure in default_catalogue().measures:
            assert measure.basis.startswith("《")
            assert measure.agency
            assert measure.name
            prefix = "P_" if measure.kind is FlagKind.PUNISHMENT else "I_"
            assert measure.code.startswith(prefix)

    def test_measure_lookup(self) -> None:
        assert default_catalogue().measure("P_EXIT").name == "限制出境"
        with pytest.raises(KeyError):
            default_catalogue().measure("P_NOPE")


class TestCustomCatalogue:
    def test_minimal_document(self, tmp_path: Path) -> None:
        path = tmp_path / "measures.json"
        path.write_text(json.dumps(minimal_document(), ensure_ascii=False), encoding="utf-8")
        catalogue = load_catalogue(path)
        assert codes(catalogue, record(RecordCategory.BLACK_LIST)) == {"P_A"}
        assert codes(catalogue, record(RecordCategory.DISHONEST_JUDGMENT_DEBTOR)) == set()

    def test_conditions_are_combined(self) -> None:
        document = minimal_document()
        document["rules"][0].update(severities=["SERIOUS"], list_name_pattern="^严重")
        catalogue = parse_catalogue(document)
        match = record(RecordCategory.BLACK_LIST, severity=Severity.SERIOUS, list_name="严重失信主体名单")
        assert codes(catalogue, match) == {"P_A"}
        assert codes(catalogue, record(RecordCategory.BLACK_LIST, severity=Severity.SERIOUS)) == set()
        assert codes(catalogue, record(RecordCategory.BLACK_LIST, list_name="严重失信主体名单")) == set()


def _set(path: str, value: Any) -> Any:
    def change(document: dict[str, Any]) -> None:
        key, index, field = path.split(".")
        document[key][int(index)][field] = value

    return change


def _append(key: str, entry: dict[str, Any]) -> Any:
    def change(document: dict[str, Any]) -> None:
        document[key].append(entry)

    return change


BAD_DOCUMENTS = [
    pytest.param(_set("rules.0.category", "GREY_LIST"), ["rules[0]", "'S_BLACK'", "category"], id="unknown category"),
    pytest.param(
        _append("measures", {"code": "P_A", "name": "重复", "kind": "PUNISHMENT", "basis": "《b》", "agency": "a"}),
        ["measures[2]", "'P_A'", "duplicate"],
        id="duplicate measure code",
    ),
    pytest.param(
        _set("rules.1.measures", ["I_A", "I_NOPE"]),
        ["rules[1]", "'T_RED'", "unknown measure 'I_NOPE'"],
        id="unknown measure",
    ),
    pytest.param(
        _set("rules.1.measures", ["P_A"]),
        ["rules[1]", "'T_RED'", "TRUST rule cannot bring PUNISHMENT measure 'P_A'"],
        id="incentive rule with punishment measure",
    ),
    pytest.param(_set("measures.1.kind", "REWARD"), ["measures[1]", "'I_A'", "kind"], id="unknown kind"),
    pytest.param(_set("measures.0.basis", ""), ["measures[0]", "'P_A'", "basis"], id="empty basis"),
    pytest.param(_set("measures.0.code", "p-a"), ["measures[0]", "'p-a'", "code"], id="malformed code"),
    pytest.param(
        _set("rules.0.list_name_pattern", "(["), ["rules[0]", "'S_BLACK'", "list_name_pattern"], id="bad regex"
    ),
    pytest.param(_set("rules.0.severities", ["FATAL"]), ["rules[0]", "'S_BLACK'", "severities"], id="unknown severity"),
    pytest.param(_set("rules.0.surprise", 1), ["rules[0]", "'S_BLACK'", "surprise"], id="unknown field"),
    pytest.param(_set("rules.1.code", "S_BLACK"), ["rules[1]", "'S_BLACK'", "duplicate"], id="duplicate rule code"),
    pytest.param(_set("rules.0.measures", ["P_A", "P_A"]), ["rules[0]", "twice"], id="measure listed twice"),
]


class TestBadCatalogue:
    @pytest.mark.parametrize(("change", "expected"), BAD_DOCUMENTS)
    def test_error_names_the_entry(self, tmp_path: Path, change: Any, expected: list[str]) -> None:
        document = copy.deepcopy(minimal_document())
        change(document)
        path = tmp_path / "measures.json"
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        with pytest.raises(CatalogueError) as caught:
            load_catalogue(path)
        message = str(caught.value)
        assert str(path) in message
        for part in expected:
            assert part in message

    def test_invalid_json(self, tmp_path: Path) -> None:
        path = tmp_path / "measures.json"
        path.write_text('{"measures": [\n', encoding="utf-8")
        with pytest.raises(CatalogueError, match="invalid JSON at line 2"):
            load_catalogue(path)

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(CatalogueError, match="cannot read"):
            load_catalogue(tmp_path / "absent.json")

    @pytest.mark.parametrize(
        ("document", "expected"),
        [
            ([], "must be a JSON object"),
            ({"rules": []}, "'measures' must be a non-empty list"),
            ({**minimal_document(), "extra": 1}, "unknown top-level keys"),
        ],
    )
    def test_bad_shape(self, document: Any, expected: str) -> None:
        with pytest.raises(CatalogueError, match=expected):
            parse_catalogue(document)
