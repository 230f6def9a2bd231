"""Properties of the versioned tables: periods never exceed their maximum, and a newer version (of the
disclosure tables or of the catalogue) never changes what was decided before it took effect."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.enums import RecordCategory, RecordStatus, Severity, SubjectKind
from credit.rules.catalogue_load import parse_catalogue
from credit.rules.disclosure import (
    DisclosureTable,
    add_months,
    default_disclosure_table,
    governing_rule,
    parse_disclosure_table,
)
from credit.rules.facts import RecordFacts, SubjectFacts
from credit.rules.flags import derive_flags
from credit.rules.vocabulary import PenaltyDomain, PenaltyType

pytestmark = pytest.mark.unit

properties = settings(database=None, deadline=None, max_examples=200)
THREE_YEARS = 36


def packaged_documents() -> list[tuple[str, dict[str, Any]]]:
    folder = resources.files("credit.rules").joinpath("data", "disclosure")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".json")), key=lambda f: f.name)
    return [(f.name, json.loads(f.read_text("utf-8"))) for f in files]


def packaged_catalogue_document() -> dict[str, Any]:
    text = resources.files("credit.rules").joinpath("data", "measures.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


@st.composite
def penalty_content(draw: st.DrawFn) -> dict[str, Any] | None:
    content: dict[str, Any] = {}
    if draw(st.booleans()):
        content["domain"] = draw(st.sampled_from(list(PenaltyDomain))).value
    if draw(st.booleans()):
        content["penaltyTypes"] = draw(st.lists(st.sampled_from(list(PenaltyType)), min_size=1, max_size=4))
    return content or None


@st.composite
def records(draw: st.DrawFn) -> RecordFacts:
    decided_on = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)))
    category = draw(st.sampled_from(list(RecordCategory)))
    penalty = category is RecordCategory.ADMINISTRATIVE_PENALTY
    offset = st.integers(min_value=-30, max_value=4000).map(lambda days: decided_on + timedelta(days=days))
    return RecordFacts(
        id=1,
        category=category,
        status=RecordStatus.ACTIVE,
        decided_on=decided_on,
        published_on=decided_on,
        severity=draw(st.none() | st.sampled_from(list(Severity))) if penalty else None,
        valid_from=draw(st.none() | offset),
        valid_until=draw(st.none() | offset),
        content=draw(penalty_content()) if penalty else None,
    )


@properties
@given(records())
def test_periods_never_exceed_their_maximum(facts: RecordFacts) -> None:
    governing = governing_rule(facts)
    rule, period = governing.rule, governing.period
    start = facts.valid_from if rule.anchor.value == "VALID_FROM" and facts.valid_from else facts.decided_on
    if rule.maximum is not None and period.until is not None and rule.valid_until.value == "CAPS":
        assert period.until <= rule.maximum.last_day_from(start)
    if period.minimum_until is not None and period.until is not None:
        assert period.minimum_until <= period.until
    if facts.valid_until is not None:  # never disclosed past its own validity
        assert period.until is not None
        assert period.until <= facts.valid_until
    if facts.category is RecordCategory.ADMINISTRATIVE_PENALTY:
        # No version discloses a penalty longer than three years (58号令, 36号令).
        assert period.until is not None
        assert period.until <= add_months(facts.decided_on, THREE_YEARS)
    if facts.category is RecordCategory.DISHONEST_JUDGMENT_DEBTOR:
        assert period.until == facts.valid_until  # no default end (法释〔2017〕7号)
    # The version in force on the decision day governs (the earliest one, for older decisions).
    earliest = default_disclosure_table().version_for(facts.category, date.min)
    assert governing.version.effective.covers(facts.decided_on) or governing.version is earliest


def with_new_version(
    since: date, categories: list[RecordCategory], months: int, minimum: int | None
) -> tuple[DisclosureTable, DisclosureTable]:
    """The packaged tables, and the same with a new version from `since` for `categories`."""
    documents = packaged_documents()
    before = parse_disclosure_table(documents)
    changed = copy.deepcopy(documents)
    for _, document in changed:
        if document["effective_until"] is None and any(p["category"] in categories for p in document["periods"]):
            if document["effective_from"] is not None and date.fromisoformat(document["effective_from"]) >= since:
                raise AssertionError("the strategy draws `since` after every version's start")
            document["effective_until"] = (since - timedelta(days=1)).isoformat()
            # A version that also governs other categories stays in force for them: split it.
            kept = [p for p in document["periods"] if p["category"] not in categories]
            if kept:
                rest = copy.deepcopy(document)
                rest.update(version=document["version"] + "-rest", effective_until=None, periods=kept)
                changed.append(("rest.json", rest))
                document["periods"] = [p for p in document["periods"] if p["category"] in categories]
    rows = [
        {
            "category": category.value,
            "maximum": {"months": months},
            "minimum": {"months": minimum} if minimum is not None and minimum <= months else None,
            "valid_until": "CAPS",
            "source": {"document": "test version", "article": "1"},
        }
        for category in categories
    ]
    new = {"version": "new", "title": "new", "effective_from": since.isoformat(), "effective_until": None}
    changed.append(("new.json", {**new, "periods": rows}))
    return before, parse_disclosure_table(changed)


@properties
@given(
    st.dates(min_value=date(2026, 4, 2), max_value=date(2040, 1, 1)),
    st.lists(st.sampled_from(list(RecordCategory)), min_size=1, max_size=3, unique=True),
    st.integers(1, 120),
    st.none() | st.integers(1, 120),
    records(),
)
def test_a_new_version_never_changes_a_decision_made_before_it(
    since: date, categories: list[RecordCategory], months: int, minimum: int | None, facts: RecordFacts
) -> None:
    before, after = with_new_version(since, categories, months, minimum)
    if facts.decided_on < since:
        assert after.period_for(facts) == before.period_for(facts)
    elif facts.category in categories:
        assert after.governing(facts).version.version == "new"


@properties
@given(
    st.dates(min_value=date(2026, 12, 2), max_value=date(2040, 1, 1)),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2042, 1, 1)),
    st.sampled_from(list(SubjectKind)),
)
def test_a_new_catalogue_version_changes_nothing_before_it_takes_effect(
    since: date, today: date, kind: SubjectKind
) -> None:
    document = packaged_catalogue_document()
    changed = copy.deepcopy(document)
    old = next(m for m in changed["measures"] if m["code"] == "P_KEY_SUPERVISION")
    old["effective_until"] = (since - timedelta(days=1)).isoformat()
    changed["measures"].append(
        {
            **old,
            "version": "new",
            "effective_from": since.isoformat(),
            "effective_until": None,
            "name": "新版重点监管",
            "applies_to": {"NATURAL_PERSON": "SUBJECT"},
        }
    )
    listed = RecordFacts(
        id=1,
        category=RecordCategory.BLACK_LIST,
        status=RecordStatus.ACTIVE,
        decided_on=date(2024, 1, 1),
        published_on=date(2024, 1, 1),
        valid_until=date(2045, 1, 1),
    )
    subject = SubjectFacts(kind, registered_on=date(2010, 1, 1))
    before = derive_flags([listed], today, subject, parse_catalogue(document))
    after = derive_flags([listed], today, subject, parse_catalogue(changed))
    if today < since:
        assert after == before
    else:
        names = {flag.name for flag in after.active + after.held if flag.code == "P_KEY_SUPERVISION"}
        assert names <= {"新版重点监管"}
