"""Disclosure periods from the policy table (credit/rules/data/disclosure_periods.json).

Penalties count from the decision date (58号令); the first day is not counted and a period ends on
the corresponding day (民法典第二百零一、二百零二条). All expected dates below are inclusive last days.
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
    PenaltyDomain,
    add_months,
    default_disclosure_table,
    disclosure_period,
    load_disclosure_table,
    parse_disclosure_table,
    penalty_domain,
)
from credit.rules.facts import RecordFacts

pytestmark = pytest.mark.unit

DECIDED = date(2024, 5, 10)
PENALTY = RecordCategory.ADMINISTRATIVE_PENALTY


def record(category: RecordCategory, **facts: Any) -> RecordFacts:
    facts.setdefault("decided_on", DECIDED)
    return RecordFacts(id=1, category=category, status=RecordStatus.ACTIVE, published_on=DECIDED, **facts)


def period(minimum_until: date | None, until: date | None) -> DisclosurePeriod:
    return DisclosurePeriod(minimum_until=minimum_until, until=until)


POLICY_TABLE = [
    # Administrative penalties (58号令; MINOR keeps the 527号 one-year tier).
    pytest.param(record(PENALTY, severity=Severity.MINOR), period(date(2024, 8, 10), date(2025, 5, 10)), id="minor"),
    pytest.param(
        record(PENALTY, severity=Severity.GENERAL), period(date(2024, 8, 10), date(2027, 5, 10)), id="general"
    ),
    pytest.param(record(PENALTY), period(date(2024, 8, 10), date(2027, 5, 10)), id="no severity = general"),
    pytest.param(
        record(PENALTY, severity=Severity.SERIOUS), period(date(2025, 5, 10), date(2027, 5, 10)), id="serious"
    ),
    # Food, drugs, special equipment, work safety, fire safety: minimum one year, any severity.
    *[
        pytest.param(
            record(PENALTY, severity=severity, content={"domain": domain.value}),
            period(date(2025, 5, 10), date(2027, 5, 10)),
            id=f"{domain.value.lower()} {severity.value.lower()}",
        )
        for domain in PenaltyDomain
        for severity in Severity
    ],
    pytest.param(
        record(PENALTY, severity=Severity.MINOR, content={"domain": "ENVIRONMENT"}),
        period(date(2024, 8, 10), date(2025, 5, 10)),
        id="other domain is ordinary",
    ),
    # A penalty's own validity may shorten, never lengthen, the statutory maximum.
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
        record(PENALTY, severity=Severity.SERIOUS, valid_until=date(2024, 12, 31)),
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
        id="judgment debtor extended",
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


def test_month_end_counting() -> None:
    assert disclosure_period(record(PENALTY, decided_on=date(2023, 11, 30))).minimum_until == date(2024, 2, 29)
    assert disclosure_period(record(PENALTY, decided_on=date(2024, 2, 29), severity=Severity.MINOR)) == period(
        date(2024, 5, 29), date(2025, 2, 28)
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


def test_domain_is_read_case_insensitively() -> None:
    assert penalty_domain(record(PENALTY, content={"domain": " food "})) is PenaltyDomain.FOOD
    assert penalty_domain(record(PENALTY, content={"domain": "FISHERIES"})) is None
    assert penalty_domain(record(PENALTY, content={"domain": ["FOOD"]})) is None
    assert penalty_domain(record(PENALTY)) is None


def test_ended_is_after_the_last_day() -> None:
    last = period(None, date(2025, 5, 10))
    assert not last.ended(date(2025, 5, 10))
    assert last.ended(date(2025, 5, 11))
    assert not period(None, None).ended(date(2999, 1, 1))


def test_every_entry_has_a_source() -> None:
    table = default_disclosure_table()
    assert table is default_disclosure_table()
    assert {rule.category for rule in table.rules} == set(RecordCategory)
    assert all(len(rule.source) > 10 for rule in table.rules)


def minimal_table() -> dict[str, Any]:
    return {
        "periods": [
            {"category": category.value, "maximum": {"years": 1}, "valid_until": "REPLACES", "source": "test"}
            for category in RecordCategory
        ]
    }


class TestBadTable:
    def test_minimal_table_loads(self, tmp_path: Path) -> None:
        path = tmp_path / "periods.json"
        path.write_text(json.dumps(minimal_table()), encoding="utf-8")
        assert disclosure_period(record(PENALTY), load_disclosure_table(path)) == period(None, date(2025, 5, 10))

    @pytest.mark.parametrize(
        ("change", "expected"),
        [
            (lambda d: d["periods"].pop(), ["no catch-all entry", "CREDIT_EVALUATION"]),
            (lambda d: d["periods"].append(dict(d["periods"][0])), ["periods[7]", "unreachable", "periods[0]"]),
            (lambda d: d["periods"][1].update(category="GREY"), ["periods[1]", "category", "'GREY'"]),
            (lambda d: d["periods"][0].update(domains=["SPACE"]), ["periods[0]", "domains"]),
            (lambda d: d["periods"][2].update(minimum={"years": 2}), ["periods[2]", "minimum is longer"]),
            (lambda d: d["periods"][3].pop("source"), ["periods[3]", "source", "Field required"]),
            (lambda d: d["periods"][3].update(valid_until="SOMETIMES"), ["periods[3]", "valid_until"]),
            (lambda d: d["periods"][3].update(maximum={"years": 0}), ["periods[3]", "at least one month"]),
            (lambda d: d.update(periods=[]), ["'periods' must be a non-empty list"]),
        ],
    )
    def test_error_names_the_entry(self, change: Any, expected: list[str]) -> None:
        document = copy.deepcopy(minimal_table())
        change(document)
        with pytest.raises(DisclosureTableError) as caught:
            parse_disclosure_table(document, "periods.json")
        message = str(caught.value)
        assert message.startswith("periods.json: ")
        for part in expected:
            assert part in message

    def test_invalid_json(self, tmp_path: Path) -> None:
        path = tmp_path / "periods.json"
        path.write_text("{", encoding="utf-8")
        with pytest.raises(DisclosureTableError, match="invalid JSON"):
            load_disclosure_table(path)
