"""The measures catalogue: the packaged four lists, versions, and clear errors for a bad catalogue file."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from credit.enums import FlagKind, RecordCategory, RecordStatus, Severity, SubjectKind
from credit.rules.catalogue import BodyKind, Catalogue, CatalogueError, MeasureReach, default_catalogue
from credit.rules.catalogue_load import load_catalogue, parse_catalogue
from credit.rules.facts import RecordFacts

pytestmark = pytest.mark.unit

ON = date(2026, 12, 1)
DJD_MEASURES = {
    "P_HIGH_CONSUMPTION",
    "P_FLIGHTS",
    "P_HIGH_SPEED_RAIL",
    "P_PROPERTY",
    "P_GOV_PROCUREMENT",
    "P_FINANCING",
}
COURT_ORDERS = {"P_HIGH_CONSUMPTION", "P_FLIGHTS", "P_HIGH_SPEED_RAIL", "P_PROPERTY", "P_EXIT"}
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


def codes(catalogue: Catalogue, facts: RecordFacts, on: date = ON) -> set[str]:
    return {measure.code for measure in catalogue.measures_for(facts, on)}


def measure(code: str, kind: str = "PUNISHMENT", **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "version": "1",
        "name": f"措施{code}",
        "kind": kind,
        "trigger": "事由",
        "content": "内容",
        "basis": "《依据》第一条",
        "implementing_body": "部门",
        "body_kind": "ADMINISTRATIVE",
        "evidence": "文书",
        "held_during_objection": kind == "PUNISHMENT",
        "applies_to": {"LEGAL_PERSON": "SUBJECT", "NATURAL_PERSON": "SUBJECT"},
        **changes,
    }


def rule(code: str, scope: str, category: str, measures: list[str], **changes: Any) -> dict[str, Any]:
    return {
        "code": code,
        "version": "1",
        "scope": scope,
        "description": "范围",
        "designating_body": "认定单位",
        "basis": "《依据》",
        "evidence": "文书",
        "category": category,
        "measures": measures,
        **changes,
    }


def minimal_document() -> dict[str, Any]:
    return {
        "measures": [measure("P_A"), measure("I_A", "INCENTIVE")],
        "rules": [
            rule("S_BLACK", "DISHONESTY", "BLACK_LIST", ["P_A"]),
            rule("T_RED", "TRUST", "RED_LIST", ["I_A"]),
        ],
    }


class TestPackagedCatalogue:
    def test_loads_once(self) -> None:
        assert default_catalogue() is default_catalogue()
        assert load_catalogue() == default_catalogue()

    def test_dishonest_judgment_debtor_restrictions(self) -> None:
        assert codes(default_catalogue(), record(RecordCategory.DISHONEST_JUDGMENT_DEBTOR)) == DJD_MEASURES

    def test_a_listing_alone_brings_no_exit_ban(self) -> None:
        # An exit ban is its own court decision (民事诉讼法; 出境入境管理法第十二条), never a listing's effect.
        catalogue = default_catalogue()
        assert not any("P_EXIT" in r.measures for r in catalogue.rules)
        assert catalogue.measure("P_EXIT").body_kind is BodyKind.COURT

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
        "facts", [{"content": {"grade": "D"}}, {"content": {"grade": "d"}}, {"list_name": "纳税信用D级"}]
    )
    def test_grade_d_brings_key_supervision_and_procurement_limits(self, facts: dict[str, Any]) -> None:
        found = codes(default_catalogue(), record(RecordCategory.CREDIT_EVALUATION, **facts))
        assert found == {"P_KEY_SUPERVISION", "P_GOV_PROCUREMENT"}

    @pytest.mark.parametrize(
        "facts",
        [
            {"list_name": "B级纳税人"},
            {"list_name": "AA级"},
            {"list_name": "非A级纳税人"},
            {"list_name": "非D级纳税人"},
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
        found = [m.code for m in default_catalogue().measures_for(record(RecordCategory.BLACK_LIST), ON)]
        assert found == sorted(set(found))

    def test_every_measure_carries_what_the_four_lists_publish(self) -> None:
        for entry in default_catalogue().measures:
            assert entry.basis.startswith("《")
            for text in (entry.name, entry.trigger, entry.content, entry.implementing_body, entry.evidence):
                assert len(text) >= 2
            assert entry.applies_to
            prefix = "P_" if entry.kind is FlagKind.PUNISHMENT else "I_"
            assert entry.code.startswith(prefix)

    def test_holds_follow_the_implementing_body(self) -> None:
        catalogue = default_catalogue()
        for code in COURT_ORDERS:
            assert catalogue.measure(code).body_kind is BodyKind.COURT
            assert not catalogue.measure(code).held_during_objection
        for entry in catalogue.measures:
            if entry.kind is FlagKind.INCENTIVE:
                assert not entry.held_during_objection
            elif entry.code not in COURT_ORDERS:
                assert entry.held_during_objection, entry.code

    def test_travel_bans_bind_persons_never_an_organisation_as_such(self) -> None:
        catalogue = default_catalogue()
        for code in ("P_FLIGHTS", "P_HIGH_SPEED_RAIL", "P_EXIT"):
            entry = catalogue.measure(code)
            assert entry.reach_for(SubjectKind.NATURAL_PERSON) is MeasureReach.SUBJECT
            for kind in (SubjectKind.LEGAL_PERSON, SubjectKind.OTHER_ORGANIZATION, SubjectKind.GOVERNMENT_AGENCY):
                assert entry.reach_for(kind) is MeasureReach.RESPONSIBLE_PERSONS

    def test_agencies_get_no_market_measures(self) -> None:
        catalogue = default_catalogue()
        for code in ("P_GOV_PROCUREMENT", "P_BIDDING", "P_MARKET_ENTRY", "P_FINANCING", *INCENTIVES):
            assert catalogue.measure(code).reach_for(SubjectKind.GOVERNMENT_AGENCY) is None

    def test_corrected_citations_of_the_consumption_rules(self) -> None:
        # 法释〔2015〕17号 第三条: buying property is item (三), G-trains item (九).
        catalogue = default_catalogue()
        assert "第（三）项" in catalogue.measure("P_PROPERTY").basis
        assert "第（四）项" not in catalogue.measure("P_PROPERTY").basis
        assert "第（九）项" in catalogue.measure("P_HIGH_SPEED_RAIL").basis

    def test_interplay_rules(self) -> None:
        catalogue = default_catalogue()
        assert [(s.suspend, s.while_active) for s in catalogue.suspensions] == [
            (FlagKind.INCENTIVE, FlagKind.PUNISHMENT)
        ]
        (withdrawal,) = catalogue.withdrawals
        assert withdrawal.withdraw.category is RecordCategory.RED_LIST
        (history,) = catalogue.history
        assert history.years == 3
        assert set(history.measures) == {"I_GREEN_CHANNEL", "I_DEFICIENCY_ACCEPTANCE"}

    def test_measure_lookup(self) -> None:
        assert default_catalogue().measure("P_EXIT").name == "限制出境"
        with pytest.raises(KeyError):
            default_catalogue().measure("P_NOPE")


class TestVersions:
    def document(self) -> dict[str, Any]:
        document = minimal_document()
        document["measures"][0].update(version="2020", effective_until="2025-12-31")
        document["measures"].append(measure("P_A", version="2026", effective_from="2026-01-01", name="新措施"))
        document["rules"][0].update(effective_until="2027-06-30")
        return document

    def test_the_version_in_force_applies(self) -> None:
        catalogue = parse_catalogue(self.document())
        black = record(RecordCategory.BLACK_LIST)
        assert [m.name for m in catalogue.measures_for(black, date(2025, 12, 31))] == ["措施P_A"]
        assert [m.name for m in catalogue.measures_for(black, date(2026, 1, 1))] == ["新措施"]
        assert catalogue.measures_for(black, date(2027, 7, 1)) == []
        assert catalogue.measure("P_A").version == "2026"
        assert [m.version for m in catalogue.versions_of("P_A")] == ["2020", "2026"]

    def test_next_change(self) -> None:
        catalogue = parse_catalogue(self.document())
        assert catalogue.next_change_after(date(2025, 6, 1)) == date(2026, 1, 1)
        assert catalogue.next_change_after(date(2026, 1, 1)) == date(2027, 7, 1)
        assert catalogue.next_change_after(date(2027, 7, 1)) is None
        assert default_catalogue().next_change_after(ON) is None

    def test_a_measure_not_in_force_yet_is_not_applied(self) -> None:
        document = minimal_document()
        document["measures"][0].update(effective_from="2030-01-01")
        catalogue = parse_catalogue(document)
        assert codes(catalogue, record(RecordCategory.BLACK_LIST)) == set()
        assert catalogue.in_force("P_A", ON) is None


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
        document.setdefault(key, []).append(entry)

    return change


BAD_DOCUMENTS = [
    pytest.param(_set("rules.0.category", "GREY_LIST"), ["rules[0]", "'S_BLACK'", "category"], id="unknown category"),
    pytest.param(_append("measures", measure("P_A")), ["measures[2]", "'P_A'", "duplicate"], id="duplicate measure"),
    pytest.param(
        _append("measures", measure("P_A", version="2", effective_from="2024-01-01")),
        ["measures[2]", "'P_A'", "overlapping"],
        id="overlapping versions",
    ),
    pytest.param(
        lambda d: d["measures"].extend(
            [
                {**d["measures"].pop(1), "effective_until": "2029-12-31"},
                measure("I_A", "PUNISHMENT", version="2", effective_from="2030-01-01"),
            ]
        ),
        ["measures[2]", "same kind"],
        id="a version of another kind",
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
    pytest.param(_set("measures.0.applies_to", {}), ["measures[0]", "applies_to"], id="applies to nobody"),
    pytest.param(
        _set("measures.0.applies_to", {"ROBOT": "SUBJECT"}), ["measures[0]", "applies_to"], id="unknown subject kind"
    ),
    pytest.param(
        _set("measures.0.body_kind", "COURT"),
        ["measures[0]", "court's measure is not held"],
        id="a held court order",
    ),
    pytest.param(
        _set("measures.1.held_during_objection", True),
        ["measures[1]", "only a punishment measure can be held"],
        id="a held incentive",
    ),
    pytest.param(_set("measures.0.evidence", ""), ["measures[0]", "evidence"], id="no evidence"),
    pytest.param(
        _set("rules.0.list_name_pattern", "(["), ["rules[0]", "'S_BLACK'", "list_name_pattern"], id="bad regex"
    ),
    pytest.param(_set("rules.0.severities", ["FATAL"]), ["rules[0]", "'S_BLACK'", "severities"], id="unknown severity"),
    pytest.param(_set("rules.0.surprise", 1), ["rules[0]", "'S_BLACK'", "surprise"], id="unknown field"),
    pytest.param(_set("rules.1.code", "P_A"), ["rules[1]", "duplicate code"], id="rule code of a measure"),
    pytest.param(_set("rules.0.measures", ["P_A", "P_A"]), ["rules[0]", "twice"], id="measure listed twice"),
    pytest.param(
        _append(
            "history",
            {
                "code": "T_H",
                "version": "1",
                "description": "d",
                "designating_body": "b",
                "basis": "b",
                "evidence": "e",
                "years": 3,
                "adverse": [{"category": "BLACK_LIST"}],
                "measures": ["P_A"],
            },
        ),
        ["history[0]", "history rule cannot bring PUNISHMENT"],
        id="history brings a punishment",
    ),
    pytest.param(
        _append(
            "suspensions",
            {
                "code": "X",
                "version": "1",
                "description": "d",
                "basis": "b",
                "suspend": "INCENTIVE",
                "while_active": "INCENTIVE",
            },
        ),
        ["suspensions[0]", "cannot suspend itself"],
        id="self suspension",
    ),
    pytest.param(
        _append(
            "withdrawals",
            {
                "code": "S_BLACK",
                "version": "1",
                "description": "d",
                "basis": "b",
                "withdraw": {"category": "RED_LIST"},
                "while_in_force": [{"category": "BLACK_LIST"}],
            },
        ),
        ["withdrawals[0]", "duplicate code (used in rules)"],
        id="withdrawal code of a rule",
    ),
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
            ({**minimal_document(), "history": {}}, "'history' must be a list"),
        ],
    )
    def test_bad_shape(self, document: Any, expected: str) -> None:
        with pytest.raises(CatalogueError, match=expected):
            parse_catalogue(document)
