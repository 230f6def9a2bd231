"""The enumerated keys of a record's content: unknown values are errors, never silent defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from credit.enums import RecordCategory
from credit.rules.vocabulary import (
    DOMAIN_NAMES,
    PENALTY_TYPE_NAMES,
    PenaltyDomain,
    PenaltyType,
    check_content,
    read_domain,
    read_penalty_types,
)

pytestmark = pytest.mark.unit
PENALTY = RecordCategory.ADMINISTRATIVE_PENALTY


def test_every_value_has_a_chinese_name() -> None:
    assert set(DOMAIN_NAMES) == set(PenaltyDomain)
    assert set(PENALTY_TYPE_NAMES) == set(PenaltyType)


@pytest.mark.parametrize("value", ["FOOD", "food", " Fire_Safety ", "OTHER"])
def test_known_domains(value: str) -> None:
    assert read_domain(value).value == value.strip().upper()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"domain": "FOOOD"}, "content.domain: unknown penalty domain; use one of FOOD, DRUG"),
        ({"domain": ""}, "content.domain: unknown penalty domain"),
        ({"domain": 7}, "content.domain must be a string"),
        ({"domain": ["FOOD"]}, "content.domain must be a string"),
        ({"penaltyTypes": "FINE"}, "content.penaltyTypes must be a non-empty list"),
        ({"penaltyTypes": []}, "content.penaltyTypes must be a non-empty list"),
        ({"penaltyTypes": ["FINE", "CANING"]}, "content.penaltyTypes[1]: unknown penalty type; use one of WARNING"),
        ({"penaltyTypes": [1]}, "content.penaltyTypes[0] must be a string"),
        ({"penaltyTypes": ["FINE"] * 20}, "content.penaltyTypes lists more than 14 types"),
    ],
)
def test_unknown_values_are_errors_that_do_not_echo_the_value(content: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as caught:
        check_content(PENALTY, content)
    assert str(caught.value).startswith(message)
    assert "FOOOD" not in str(caught.value) and "CANING" not in str(caught.value)


def test_valid_and_absent_values_pass() -> None:
    check_content(PENALTY, None)
    check_content(PENALTY, {})
    check_content(PENALTY, {"domain": None, "penaltyTypes": None, "fine": 5000})
    check_content(PENALTY, {"domain": "drug", "penaltyTypes": ["fine", "LICENCE_REVOCATION"]})


def test_other_categories_keep_free_content() -> None:
    check_content(RecordCategory.ADMINISTRATIVE_LICENSE, {"domain": "食品经营", "penaltyTypes": "n/a"})


def test_types_keep_order_without_repeats() -> None:
    assert read_penalty_types(["FINE", "warning", "FINE"]) == (PenaltyType.FINE, PenaltyType.WARNING)


def test_the_import_format_documents_every_code() -> None:
    text = (Path(__file__).parents[3] / "docs" / "import-format.md").read_text(encoding="utf-8")
    for domain, name in DOMAIN_NAMES.items():
        assert f"| `{domain.value}` | {name} |" in text
    for kind, name in PENALTY_TYPE_NAMES.items():
        assert f"| `{kind.value}` | {name} |" in text
