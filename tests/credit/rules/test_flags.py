"""Flag derivation: examples, and properties over random records, statuses and dates."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.enums import FlagKind, RecordCategory, RecordStatus, Severity
from credit.rules.catalogue import default_catalogue, parse_catalogue
from credit.rules.facts import RecordFacts
from credit.rules.flags import (
    Flag,
    FlagSet,
    derive_flags,
    effective_status,
    in_force,
    in_public_disclosure,
    next_time_boundary,
)

pytestmark = pytest.mark.unit

TODAY = date(2025, 3, 1)
DJD_CODES = [
    "P_EXIT",
    "P_FINANCING",
    "P_FLIGHTS",
    "P_GOV_PROCUREMENT",
    "P_HIGH_CONSUMPTION",
    "P_HIGH_SPEED_RAIL",
    "P_PROPERTY",
]
STORED_STATUSES = [RecordStatus.ACTIVE, RecordStatus.UNDER_OBJECTION, RecordStatus.REVOKED, RecordStatus.REPAIRED]

properties = settings(database=None, deadline=None, max_examples=200)


def record(
    category: RecordCategory, status: RecordStatus = RecordStatus.ACTIVE, record_id: int = 1, **facts: Any
) -> RecordFacts:
    facts.setdefault("decided_on", date(2024, 6, 1))
    facts.setdefault("published_on", facts["decided_on"])
    return RecordFacts(id=record_id, category=category, status=status, **facts)


def judgment_debtor(status: RecordStatus = RecordStatus.ACTIVE, **facts: Any) -> RecordFacts:
    return record(RecordCategory.DISHONEST_JUDGMENT_DEBTOR, status, **facts)


def flag_codes(flags: Sequence[Flag]) -> list[str]:
    return [flag.code for flag in flags]


class TestDeriveFlags:
    def test_active_judgment_debtor_brings_punishments(self) -> None:
        flags = derive_flags([judgment_debtor()], TODAY)
        assert flag_codes(flags.active) == DJD_CODES
        assert flags.held == ()
        assert flags.has_active_punishment
        exit_flag = flags.active[0]
        assert exit_flag == Flag(
            code="P_EXIT",
            kind=FlagKind.PUNISHMENT,
            name="限制出境",
            basis=default_catalogue().measure("P_EXIT").basis,
            agency=default_catalogue().measure("P_EXIT").agency,
            record_id=1,
        )

    def test_objection_holds_punishments(self) -> None:
        flags = derive_flags([judgment_debtor(RecordStatus.UNDER_OBJECTION)], TODAY)
        assert flags.active == ()
        assert flag_codes(flags.held) == DJD_CODES
        assert not flags.has_active_punishment

    def test_objection_keeps_incentives_active(self) -> None:
        red = record(RecordCategory.RED_LIST, RecordStatus.UNDER_OBJECTION)
        flags = derive_flags([red], TODAY)
        assert len(flags.active) == 4
        assert flags.has_active_incentive
        assert flags.held == ()

    def test_revoked_and_repaired_bring_nothing(self) -> None:
        for status in (RecordStatus.REVOKED, RecordStatus.REPAIRED):
            assert derive_flags([judgment_debtor(status)], TODAY) == FlagSet(active=(), held=())
            assert effective_status(judgment_debtor(status), TODAY) is status
            assert not in_public_disclosure(judgment_debtor(status), TODAY)

    def test_expiry_after_valid_until(self) -> None:
        listed = judgment_debtor(valid_until=date(2025, 3, 1))
        assert effective_status(listed, date(2025, 3, 1)) is RecordStatus.ACTIVE
        assert derive_flags([listed], date(2025, 3, 1)).has_active_punishment
        assert effective_status(listed, date(2025, 3, 2)) is RecordStatus.EXPIRED
        assert derive_flags([listed], date(2025, 3, 2)) == FlagSet(active=(), held=())

    def test_a_court_listing_lasts_until_its_term_or_its_deletion(self) -> None:
        listed = judgment_debtor(decided_on=date(2022, 6, 1))  # no term: in force until the court deletes it
        assert effective_status(listed, date(2030, 6, 2)) is RecordStatus.ACTIVE
        termed = dataclasses.replace(listed, valid_until=date(2024, 6, 1))
        assert effective_status(termed, date(2024, 6, 1)) is RecordStatus.ACTIVE
        assert effective_status(termed, date(2024, 6, 2)) is RecordStatus.EXPIRED
        objected = dataclasses.replace(termed, status=RecordStatus.UNDER_OBJECTION)
        assert effective_status(objected, date(2024, 6, 2)) is RecordStatus.EXPIRED
        assert derive_flags([objected], date(2024, 6, 2)).held == ()
        deleted = dataclasses.replace(listed, deleted_on=date(2025, 3, 3))
        assert effective_status(deleted, date(2025, 3, 2)) is RecordStatus.ACTIVE
        assert effective_status(deleted, date(2025, 3, 3)) is RecordStatus.EXPIRED
        assert derive_flags([deleted], date(2025, 3, 3)) == FlagSet(active=(), held=())

    def test_future_valid_from_brings_nothing_yet(self) -> None:
        future = record(RecordCategory.BLACK_LIST, valid_from=date(2025, 4, 1))
        assert in_public_disclosure(future, TODAY)
        assert not in_force(future, TODAY)
        assert derive_flags([future], TODAY) == FlagSet(active=(), held=())
        assert derive_flags([future], date(2025, 4, 1)).has_active_punishment

    def test_order_is_by_record_then_code(self) -> None:
        records = [
            record(RecordCategory.RED_LIST, record_id=9),
            judgment_debtor(record_id=3),
            record(RecordCategory.BLACK_LIST, record_id=5),
        ]
        flags = derive_flags(records, TODAY)
        keys = [(flag.record_id, flag.code) for flag in flags.active]
        assert keys == sorted(keys)
        assert [flag.record_id for flag in flags.active][:7] == [3] * 7
        assert derive_flags(reversed(records), TODAY) == flags

    def test_custom_catalogue(self) -> None:
        catalogue = parse_catalogue(
            {
                "measures": [{"code": "P_X", "name": "x", "kind": "PUNISHMENT", "basis": "b", "agency": "a"}],
                "rules": [
                    {
                        "code": "S_X",
                        "scope": "DISHONESTY",
                        "description": "d",
                        "category": "ADMINISTRATIVE_PENALTY",
                        "measures": ["P_X"],
                    }
                ],
            }
        )
        penalty = record(RecordCategory.ADMINISTRATIVE_PENALTY, severity=Severity.MINOR)
        assert flag_codes(derive_flags([penalty], TODAY, catalogue).active) == ["P_X"]
        assert derive_flags([judgment_debtor()], TODAY, catalogue).active == ()


class TestNextTimeBoundary:
    def test_end_of_list_validity(self) -> None:
        listed = judgment_debtor(valid_until=date(2027, 6, 1))
        assert next_time_boundary([listed], TODAY) == date(2027, 6, 2)

    def test_valid_from_and_objection_due_date(self) -> None:
        future = record(RecordCategory.BLACK_LIST, record_id=2, valid_from=date(2025, 4, 1))
        objected = judgment_debtor(RecordStatus.UNDER_OBJECTION, objection_due_on=date(2025, 3, 21))
        assert next_time_boundary([future], TODAY) == date(2025, 4, 1)
        assert next_time_boundary([future, objected], TODAY) == date(2025, 3, 22)

    def test_nothing_changes_by_itself(self) -> None:
        assert next_time_boundary([], TODAY) is None
        assert next_time_boundary([judgment_debtor(RecordStatus.REVOKED)], TODAY) is None
        assert next_time_boundary([record(RecordCategory.ADMINISTRATIVE_LICENSE)], TODAY) is None
        expired = judgment_debtor(valid_until=date(2025, 1, 1))
        assert next_time_boundary([expired], TODAY) is None


# --- properties ---------------------------------------------------------------------------------

LIST_NAMES = [None, "A级纳税人", "B级纳税人", "AA级", "守信激励对象名单", "严重违法失信名单"]
CONTENTS: list[dict[str, Any] | None] = [None, {"grade": "A"}, {"grade": "C"}, {"domain": "FOOD"}, {"domain": "X"}]


@st.composite
def records_strategy(draw: st.DrawFn, record_id: int) -> RecordFacts:
    decided_on = draw(st.dates(min_value=date(2018, 1, 1), max_value=date(2028, 12, 31)))
    status = draw(st.sampled_from(STORED_STATUSES))
    offset = st.integers(min_value=-60, max_value=2000)
    valid_from = draw(st.none() | offset.map(lambda days: decided_on + timedelta(days=days // 4)))
    valid_until = draw(st.none() | offset.map(lambda days: decided_on + timedelta(days=days)))
    due = None
    if status is RecordStatus.UNDER_OBJECTION:
        due = draw(st.none() | st.integers(0, 1500).map(lambda days: decided_on + timedelta(days=days)))
    return RecordFacts(
        id=record_id,
        category=draw(st.sampled_from(list(RecordCategory))),
        status=status,
        decided_on=decided_on,
        published_on=decided_on + timedelta(days=draw(st.integers(0, 10))),
        severity=draw(st.none() | st.sampled_from(list(Severity))),
        list_name=draw(st.sampled_from(LIST_NAMES)),
        valid_from=valid_from,
        valid_until=valid_until,
        content=draw(st.sampled_from(CONTENTS)),
        objection_due_on=due,
    )


@st.composite
def subjects(draw: st.DrawFn) -> list[RecordFacts]:
    count = draw(st.integers(min_value=0, max_value=8))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    return [draw(records_strategy(record_id)) for record_id in ids]


days = st.dates(min_value=date(2017, 1, 1), max_value=date(2034, 12, 31))


def punishments_of(facts: RecordFacts) -> set[Flag]:
    return {
        Flag.from_measure(measure, facts.id)
        for measure in default_catalogue().measures_for(facts)
        if measure.kind is FlagKind.PUNISHMENT
    }


@properties
@given(subjects(), days)
def test_no_active_punishment_unless_active_and_in_force(records: list[RecordFacts], today: date) -> None:
    by_id = {facts.id: facts for facts in records}
    flags = derive_flags(records, today)
    for flag in flags.active:
        facts = by_id[flag.record_id]
        assert in_force(facts, today)
        if flag.kind is FlagKind.PUNISHMENT:
            assert effective_status(facts, today) is RecordStatus.ACTIVE
    for flag in flags.held:
        assert flag.kind is FlagKind.PUNISHMENT
        assert effective_status(by_id[flag.record_id], today) is RecordStatus.UNDER_OBJECTION
    silent = {
        facts.id
        for facts in records
        if effective_status(facts, today) in {RecordStatus.REVOKED, RecordStatus.REPAIRED, RecordStatus.EXPIRED}
    }
    assert not any(flag.record_id in silent for flag in flags.active + flags.held)
    assert flags.has_active_punishment == any(flag.kind is FlagKind.PUNISHMENT for flag in flags.active)


@properties
@given(subjects(), days)
def test_every_punishment_of_an_objected_record_is_held(records: list[RecordFacts], today: date) -> None:
    flags = derive_flags(records, today)
    for facts in records:
        held = {flag for flag in flags.held if flag.record_id == facts.id}
        objected = effective_status(facts, today) is RecordStatus.UNDER_OBJECTION and in_force(facts, today)
        assert held == (punishments_of(facts) if objected else set())


@properties
@given(subjects(), days, st.data())
def test_rejecting_an_objection_restores_exactly_the_held_flags(
    records: list[RecordFacts], today: date, data: st.DataObject
) -> None:
    if not records:
        return
    index = data.draw(st.integers(0, len(records) - 1))
    objected = list(records)
    objected[index] = dataclasses.replace(records[index], status=RecordStatus.UNDER_OBJECTION)
    restored = list(objected)
    restored[index] = dataclasses.replace(records[index], status=RecordStatus.ACTIVE, objection_due_on=None)
    before = derive_flags(objected, today)
    after = derive_flags(restored, today)
    moved = {flag for flag in before.held if flag.record_id == records[index].id}
    assert set(after.active) == set(before.active) | moved
    assert len(after.active) == len(before.active) + len(moved)
    assert set(after.held) == set(before.held) - moved


@properties
@given(subjects(), days, st.randoms(use_true_random=False))
def test_order_is_deterministic(records: list[RecordFacts], today: date, rng: Any) -> None:
    flags = derive_flags(records, today)
    shuffled = list(records)
    rng.shuffle(shuffled)
    assert derive_flags(shuffled, today) == flags
    for group in (flags.active, flags.held):
        keys = [(flag.record_id, flag.code) for flag in group]
        assert keys == sorted(set(keys))


@properties
@given(subjects(), days, st.data())
def test_nothing_changes_before_the_next_boundary(records: list[RecordFacts], today: date, data: st.DataObject) -> None:
    boundary = next_time_boundary(records, today)
    if boundary is not None:
        assert boundary > today
    horizon = (boundary - today).days - 1 if boundary is not None else 3650
    later = today + timedelta(days=data.draw(st.integers(0, horizon)))
    assert derive_flags(records, later) == derive_flags(records, today)
    assert [effective_status(facts, later) for facts in records] == [
        effective_status(facts, today) for facts in records
    ]
