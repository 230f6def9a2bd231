"""Disclosure periods from the versioned tables (credit/rules/data/disclosure/).

Penalties decided from 2023-05-01 to 2026-03-31 follow 58号令, those decided from 2026-04-01 follow
36号令; periods count from the decision date, the first day is not counted and a period ends on the
corresponding day (民法典第二百零一、二百零二条). All expected dates below are inclusive last days.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from credit.enums import RecordCategory, RecordStatus, Severity
from credit.rules.disclosure import (
    DisclosurePeriod,
    DisclosureTableError,
    add_months,
    default_disclosure_table,
    disclosure_period,
    governing_rule,
    load_disclosure_table,
    parse_disclosure_table,
    penalty_domain,
    penalty_types,
)
from credit.rules.facts import RecordFacts
from credit.rules.vocabulary import PenaltyDomain, PenaltyType

pytestmark = pytest.mark.unit

DECIDED = date(2024, 5, 10)  # under 58号令
DECIDED_36 = date(2026, 5, 10)  # under 36号令
PENALTY = RecordCategory.ADMINISTRATIVE_PENALTY
FIELDS_58 = ["FOOD", "DRUG", "SPECIAL_EQUIPMENT", "WORK_SAFETY", "FIRE_SAFETY"]


def record(category: RecordCategory, **facts: Any) -> RecordFacts:
    facts.setdefault("decided_on", DECIDED)
    return RecordFacts(id=1, category=category, status=RecordStatus.ACTIVE, published_on=facts["decided_on"], **facts)


def period(minimum_until: date | None, until: date | None) -> DisclosurePeriod:
    return DisclosurePeriod(minimum_until=minimum_until, until=until)


POLICY_TABLE = [
    # 58号令: three months to three years for every penalty, whatever its severity.
    *[
        pytest.param(
            record(PENALTY, severity=severity), period(date(2024, 8, 10), date(2027, 5, 10)), id=f"58 {severity}"
        )
        for severity in (Severity.MINOR, Severity.GENERAL, Severity.SERIOUS, None)
    ],
    # 58号令: food, drugs, special equipment, work safety, fire safety: minimum one year, any severity.
    *[
        pytest.param(
            record(PENALTY, severity=severity, content={"domain": domain}),
            period(date(2025, 5, 10), date(2027, 5, 10)),
            id=f"58 {domain.lower()} {severity.value.lower()}",
        )
        for domain in FIELDS_58
        for severity in Severity
    ],
    pytest.param(
        record(PENALTY, severity=Severity.MINOR, content={"domain": "ENVIRONMENT"}),
        period(date(2024, 8, 10), date(2027, 5, 10)),
        id="58 other domain is ordinary",
    ),
    # 36号令 (decided from 2026-04-01): 轻微 at most three months, 一般 three months to a year,
    # 严重 one to three years; no severity reads as 一般; no special fields.
    pytest.param(
        record(PENALTY, decided_on=DECIDED_36, severity=Severity.MINOR), period(None, date(2026, 8, 10)), id="36 minor"
    ),
    pytest.param(
        record(PENALTY, decided_on=DECIDED_36, severity=Severity.GENERAL),
        period(date(2026, 8, 10), date(2027, 5, 10)),
        id="36 general",
    ),
    pytest.param(
        record(PENALTY, decided_on=DECIDED_36), period(date(2026, 8, 10), date(2027, 5, 10)), id="36 no severity"
    ),
    pytest.param(
        record(PENALTY, decided_on=DECIDED_36, severity=Severity.SERIOUS),
        period(date(2027, 5, 10), date(2029, 5, 10)),
        id="36 serious",
    ),
    pytest.param(
        record(PENALTY, decided_on=DECIDED_36, severity=Severity.GENERAL, content={"domain": "FOOD"}),
        period(date(2026, 8, 10), date(2027, 5, 10)),
        id="36 food general",
    ),
    # The version in force on the decision day decides, not the one in force today.
    pytest.param(
        record(PENALTY, decided_on=date(2026, 3, 31), severity=Severity.MINOR),
        period(date(2026, 6, 30), date(2029, 3, 31)),
        id="last day of 58",
    ),
    pytest.param(
        record(PENALTY, decided_on=date(2026, 4, 1), severity=Severity.MINOR),
        period(None, date(2026, 7, 1)),
        id="first day of 36",
    ),
    pytest.param(
        record(PENALTY, decided_on=date(2020, 6, 1), severity=Severity.GENERAL),
        period(date(2020, 9, 1), date(2023, 6, 1)),
        id="before every version: the earliest",
    ),
    # A penalty's own validity may shorten, never lengthen, the maximum.
    pytest.param(
        record(PENALTY, valid_until=date(2026, 1, 31)),
        period(date(2024, 8, 10), date(2026, 1, 31)),
        id="penalty valid_until caps",
    ),
    pytest.param(
        record(PENALTY, valid_until=date(2030, 1, 1)),
        period(date(2024, 8, 10), date(2027, 5, 10)),
        id="penalty valid_until cannot extend",
    ),
    pytest.param(
        record(PENALTY, content={"domain": "FIRE_SAFETY"}, valid_until=date(2024, 12, 31)),
        period(date(2024, 12, 31), date(2024, 12, 31)),
        id="minimum never after the end",
    ),
    # 失信被执行人: no default end (法释〔2017〕7号 第二条 has no term for 第一项): the court's stated term, or
    # until the court deletes the listing.
    pytest.param(record(RecordCategory.DISHONEST_JUDGMENT_DEBTOR), period(None, None), id="judgment debtor default"),
    pytest.param(
        record(RecordCategory.DISHONEST_JUDGMENT_DEBTOR, deleted_on=date(2025, 1, 7)),
        period(None, date(2025, 1, 6)),
        id="judgment debtor deleted by the court",
    ),
    pytest.param(
        record(RecordCategory.DISHONEST_JUDGMENT_DEBTOR, valid_until=date(2029, 5, 10)),
        period(None, date(2029, 5, 10)),
        id="judgment debtor term",
    ),
    # Black list: validity, else three years with one-year minimum, from the listing date.
    pytest.param(record(RecordCategory.BLACK_LIST), period(date(2025, 5, 10), date(2027, 5, 10)), id="black list"),
    pytest.param(
        record(RecordCategory.BLACK_LIST, valid_from=date(2024, 6, 1)),
        period(date(2025, 6, 1), date(2027, 6, 1)),
        id="black list from valid_from",
    ),
    pytest.param(
        record(RecordCategory.BLACK_LIST, valid_until=date(2028, 1, 1)),
        period(date(2025, 5, 10), date(2028, 1, 1)),
        id="black list validity",
    ),
    pytest.param(record(RecordCategory.RED_LIST), period(None, date(2027, 5, 10)), id="red list"),
    pytest.param(
        record(RecordCategory.RED_LIST, valid_until=date(2025, 12, 31)),
        period(None, date(2025, 12, 31)),
        id="red list validity",
    ),
    pytest.param(record(RecordCategory.CREDIT_COMMITMENT), period(None, date(2027, 5, 10)), id="commitment"),
    pytest.param(record(RecordCategory.CREDIT_EVALUATION), period(None, date(2025, 5, 10)), id="evaluation"),
    pytest.param(
        record(RecordCategory.CREDIT_EVALUATION, valid_until=date(2025, 3, 31)),
        period(None, date(2025, 3, 31)),
        id="evaluation validity",
    ),
    # Licences: disclosed while valid; open-ended when no validity is stated.
    pytest.param(record(RecordCategory.ADMINISTRATIVE_LICENSE), period(None, None), id="licence open-ended"),
    pytest.param(
        record(RecordCategory.ADMINISTRATIVE_LICENSE, valid_until=date(2029, 5, 9)),
        period(None, date(2029, 5, 9)),
        id="licence validity",
    ),
]


@pytest.mark.parametrize(("facts", "expected"), POLICY_TABLE)
def test_policy_table(facts: RecordFacts, expected: DisclosurePeriod) -> None:
    assert disclosure_period(facts) == expected


def test_general_penalty_of_march_2024_is_still_disclosed_on_1_december_2026() -> None:
    facts = record(PENALTY, decided_on=date(2024, 3, 1), severity=Severity.GENERAL)
    governing = governing_rule(facts)
    assert governing.version.version == "ndrc-order-58"
    assert governing.period == period(date(2024, 6, 1), date(2027, 3, 1))
    assert not governing.period.ended(date(2026, 12, 1))


def test_month_end_counting() -> None:
    assert disclosure_period(record(PENALTY, decided_on=date(2023, 11, 30))).minimum_until == date(2024, 2, 29)
    assert disclosure_period(record(PENALTY, decided_on=date(2024, 2, 29))) == period(
        date(2024, 5, 29), date(2027, 2, 28)
    )


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 8, 31), 3, date(2024, 11, 30)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
        (date(2024, 5, 10), 36, date(2027, 5, 10)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_domain_and_types_are_read_case_insensitively() -> None:
    assert penalty_domain(record(PENALTY, content={"domain": " food "})) is PenaltyDomain.FOOD
    assert penalty_domain(record(PENALTY, content={"domain": ["FOOD"]})) is None
    assert penalty_domain(record(PENALTY)) is None
    facts = record(PENALTY, content={"penaltyTypes": [" fine", "WARNING", "FINE"]})
    assert penalty_types(facts) == (PenaltyType.FINE, PenaltyType.WARNING)
    assert penalty_types(record(PENALTY, content={"penaltyTypes": "FINE"})) == ()


def test_ended_is_after_the_last_day() -> None:
    last = period(None, date(2025, 5, 10))
    assert not last.ended(date(2025, 5, 10))
    assert last.ended(date(2025, 5, 11))
    assert not period(None, None).ended(date(2999, 1, 1))


def test_every_row_cites_its_source() -> None:
    table = default_disclosure_table()
    assert table is default_disclosure_table()
    assert {rule.category for rule in table.rules} == set(RecordCategory)
    for version in table.versions:
        assert version.title
        for rule in version.periods:
            assert len(rule.source.document) > 3
            assert rule.source.article


# --- several penalty types: the longest ---------------------------------------------------------


def version(name: str, since: str | None, until: str | None, periods: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": name, "title": name, "effective_from": since, "effective_until": until, "periods": periods}


def row(category: str, months: int | None, **conditions: Any) -> dict[str, Any]:
    return {
        "category": category,
        "maximum": {"months": months} if months else None,
        "valid_until": "CAPS",
        "source": {"document": "test", "article": "1"},
        **conditions,
    }


def base_versions() -> list[dict[str, Any]]:
    return [version("base", None, None, [row(category.value, 12) for category in RecordCategory])]


def typed_table() -> list[tuple[str, object]]:
    documents = base_versions()
    documents[0]["periods"][1:2] = [
        row(PENALTY.value, 36, penalty_types=["LICENCE_REVOCATION"]),
        row(PENALTY.value, 24, penalty_types=["FINE", "CONFISCATION_OF_ILLEGAL_GAINS"]),
        row(PENALTY.value, 3, penalty_types=["WARNING"]),
        row(PENALTY.value, 12),
    ]
    assert documents[0]["periods"][1]["category"] == PENALTY.value
    return [(f"v{i}.json", doc) for i, doc in enumerate(documents)]


@pytest.mark.parametrize(
    ("types", "until"),
    [
        ([], date(2025, 5, 10)),
        (["WARNING"], date(2024, 8, 10)),
        (["WARNING", "FINE"], date(2026, 5, 10)),
        (["FINE", "WARNING", "LICENCE_REVOCATION"], date(2027, 5, 10)),
        (["CLOSURE"], date(2025, 5, 10)),
        (["WARNING", "CLOSURE"], date(2025, 5, 10)),
    ],
)
def test_several_penalty_types_take_the_longest(types: list[str], until: date) -> None:
    table = parse_disclosure_table(typed_table())
    content = {"penaltyTypes": types} if types else None
    assert disclosure_period(record(PENALTY, content=content), table).until == until


# --- bad tables -------------------------------------------------------------------------------


class TestBadTable:
    def test_minimal_folder_loads(self, tmp_path: Path) -> None:
        (tmp_path / "base.json").write_text(json.dumps(base_versions()[0]), encoding="utf-8")
        (tmp_path / "notes.txt").write_text("not a table", encoding="utf-8")
        assert disclosure_period(record(PENALTY), load_disclosure_table(tmp_path)) == period(None, date(2025, 5, 10))

    def test_the_packaged_folder_is_the_default(self) -> None:
        assert load_disclosure_table() == default_disclosure_table()

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            (lambda d: d["periods"][6].update(severities=["MINOR"]), ["no catch-all row", "CREDIT_EVALUATION"]),
            (lambda d: d["periods"].append(dict(d["periods"][0])), ["periods[7]", "unreachable", "periods[0]"]),
            (lambda d: d["periods"][1].update(category="GREY"), ["periods[1]", "category", "'GREY'"]),
            (lambda d: d["periods"][0].update(domains=["SPACE"]), ["periods[0]", "domains"]),
            (lambda d: d["periods"][0].update(penalty_types=["FLOGGING"]), ["periods[0]", "penalty_types"]),
            (lambda d: d["periods"][2].update(minimum={"months": 13}), ["periods[2]", "minimum is longer"]),
            (lambda d: d["periods"][3].pop("source"), ["periods[3]", "source", "Field required"]),
            (lambda d: d["periods"][3].update(source={"article": "1"}), ["periods[3]", "source.document"]),
            (lambda d: d["periods"][3].update(valid_until="SOMETIMES"), ["periods[3]", "valid_until"]),
            (lambda d: d["periods"][3].update(maximum={"years": 0}), ["periods[3]", "at least one month"]),
            (lambda d: d.update(periods=[]), ["'periods' must be a non-empty list"]),
            (lambda d: d.update(effective_from="2025-01-01", effective_until="2024-01-01"), ["effectiveUntil"]),
            (lambda d: d.update(version="Bad Name"), ["version"]),
        ],
    )
    def test_error_names_the_entry(self, change: Any, expected: list[str]) -> None:
        document = copy.deepcopy(base_versions()[0])
        change(document)
        with pytest.raises(DisclosureTableError) as caught:
            parse_disclosure_table([("periods.json", document)])
        message = str(caught.value)
        assert message.startswith("periods.json: ")
        for part in expected:
            assert part in message

    def test_overlapping_versions(self) -> None:
        later = version("later", "2024-01-01", None, [row(PENALTY.value, 6)])
        with pytest.raises(DisclosureTableError, match="'base' and 'later' overlap for ADMINISTRATIVE_PENALTY"):
            parse_disclosure_table([("a.json", base_versions()[0]), ("b.json", later)])

    def test_gap_between_versions(self) -> None:
        documents = base_versions()
        documents[0]["periods"] = [p for p in documents[0]["periods"] if p["category"] != PENALTY.value]
        first = version("first", None, "2023-12-31", [row(PENALTY.value, 6)])
        second = version("second", "2024-02-01", None, [row(PENALTY.value, 6)])
        with pytest.raises(DisclosureTableError, match="no version governs ADMINISTRATIVE_PENALTY decisions after"):
            parse_disclosure_table([("a", documents[0]), ("b", first), ("c", second)])

    def test_latest_version_must_be_open_ended(self) -> None:
        documents = base_versions()
        documents[0]["periods"] = [p for p in documents[0]["periods"] if p["category"] != PENALTY.value]
        closed = version("closed", None, "2030-12-31", [row(PENALTY.value, 6)])
        with pytest.raises(DisclosureTableError, match="must be open-ended"):
            parse_disclosure_table([("a", documents[0]), ("b", closed)])

    def test_every_category_needs_a_version(self) -> None:
        documents = base_versions()
        documents[0]["periods"] = [p for p in documents[0]["periods"] if p["category"] != PENALTY.value]
        with pytest.raises(DisclosureTableError, match="no version governs ADMINISTRATIVE_PENALTY"):
            parse_disclosure_table([("a", documents[0])])

    def test_duplicate_version_names(self) -> None:
        with pytest.raises(DisclosureTableError, match=r"already defined in a\.json"):
            parse_disclosure_table([("a.json", base_versions()[0]), ("b.json", base_versions()[0])])

    def test_invalid_json(self, tmp_path: Path) -> None:
        path = tmp_path / "periods.json"
        path.write_text("{", encoding="utf-8")
        with pytest.raises(DisclosureTableError, match="invalid JSON"):
            load_disclosure_table(path)
