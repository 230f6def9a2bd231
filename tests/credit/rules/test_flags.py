"""Flag derivation: examples, and properties over random subjects, records, statuses and dates."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.enums import FlagKind, RecordCategory, RecordStatus, Severity, SubjectKind
from credit.rules.catalogue import BodyKind, MeasureReach, default_catalogue
from credit.rules.catalogue_load import parse_catalogue
from credit.rules.facts import RecordFacts, SubjectFacts
from credit.rules.flags import (
    Flag,
    FlagSet,
    WithdrawalNotice,
    derive_flags,
    effective_status,
    in_force,
    in_public_disclosure,
    next_time_boundary,
)

pytestmark = pytest.mark.unit

TODAY = date(2025, 3, 1)
COMPANY = SubjectFacts(SubjectKind.LEGAL_PERSON, registered_on=date(2024, 1, 1))
PERSON = SubjectFacts(SubjectKind.NATURAL_PERSON)
AGENCY = SubjectFacts(SubjectKind.GOVERNMENT_AGENCY, registered_on=date(2024, 1, 1))
DJD_CODES = ["P_FINANCING", "P_FLIGHTS", "P_GOV_PROCUREMENT", "P_HIGH_CONSUMPTION", "P_HIGH_SPEED_RAIL", "P_PROPERTY"]
COURT_CODES = ["P_FLIGHTS", "P_HIGH_CONSUMPTION", "P_HIGH_SPEED_RAIL", "P_PROPERTY"]
JOINT_DJD_CODES = ["P_FINANCING", "P_GOV_PROCUREMENT"]
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
        flags = derive_flags([judgment_debtor()], TODAY, COMPANY)
        assert flag_codes(flags.active) == DJD_CODES
        assert flags.held == ()
        assert flags.has_active_punishment
        measure = default_catalogue().measure("P_FLIGHTS")
        assert flags.active[1] == Flag(
            code="P_FLIGHTS",
            kind=FlagKind.PUNISHMENT,
            name="限制乘坐飞机",
            basis=measure.basis,
            agency=measure.implementing_body,
            record_id=1,
            reach=MeasureReach.RESPONSIBLE_PERSONS,
            since=date(2024, 6, 1),
        )

    def test_a_listing_brings_no_exit_ban(self) -> None:
        assert "P_EXIT" not in flag_codes(derive_flags([judgment_debtor()], TODAY, PERSON).active)

    def test_measures_follow_the_subject_kind(self) -> None:
        person = derive_flags([judgment_debtor()], TODAY, PERSON).active
        assert {flag.reach for flag in person} == {MeasureReach.SUBJECT}
        agency = derive_flags([judgment_debtor()], TODAY, AGENCY).active
        assert flag_codes(agency) == COURT_CODES  # no procurement or financing measures for an agency
        reach = {flag.code: flag.reach for flag in agency}
        assert reach["P_FLIGHTS"] is MeasureReach.RESPONSIBLE_PERSONS
        assert reach["P_HIGH_SPEED_RAIL"] is MeasureReach.RESPONSIBLE_PERSONS
        assert reach["P_HIGH_CONSUMPTION"] is MeasureReach.SUBJECT_AND_RESPONSIBLE_PERSONS

    def test_objection_holds_only_the_joint_measures(self) -> None:
        flags = derive_flags([judgment_debtor(RecordStatus.UNDER_OBJECTION)], TODAY, COMPANY)
        assert flag_codes(flags.held) == JOINT_DJD_CODES
        assert flag_codes(flags.active) == COURT_CODES  # the court's own orders: 复议期间，不停止原决定的执行
        black = derive_flags([record(RecordCategory.BLACK_LIST, RecordStatus.UNDER_OBJECTION)], TODAY, COMPANY)
        assert black.active == ()
        assert not black.has_active_punishment
        assert len(black.held) == 6

    def test_objection_keeps_incentives_active(self) -> None:
        red = record(RecordCategory.RED_LIST, RecordStatus.UNDER_OBJECTION)
        flags = derive_flags([red], TODAY, COMPANY)
        assert len(flags.active) == 4
        assert flags.has_active_incentive
        assert flags.held == ()

    def test_red_and_black_list_give_no_incentive_and_flag_the_red_listing(self) -> None:
        red = record(RecordCategory.RED_LIST, record_id=1)
        black = record(RecordCategory.BLACK_LIST, record_id=2)
        flags = derive_flags([red, black], TODAY, COMPANY)
        assert not flags.has_active_incentive
        assert {flag.kind for flag in flags.active} == {FlagKind.PUNISHMENT}
        assert len(flags.suspended) == 4
        assert {flag.kind for flag in flags.suspended} == {FlagKind.INCENTIVE}
        assert flags.withdrawals == (WithdrawalNotice(1, "W_RED_LIST_WHILE_SERIOUSLY_DISHONEST", (2,)),)

    def test_a_disputed_black_listing_suspends_nothing(self) -> None:
        red = record(RecordCategory.RED_LIST, record_id=1)
        black = record(RecordCategory.BLACK_LIST, RecordStatus.UNDER_OBJECTION, record_id=2)
        flags = derive_flags([red, black], TODAY, COMPANY)
        assert flags.has_active_incentive
        assert flags.suspended == ()
        assert flags.withdrawals == ()

    def test_d_grade_brings_punishments(self) -> None:
        graded = record(RecordCategory.CREDIT_EVALUATION, content={"grade": "D"}, valid_until=date(2025, 12, 31))
        flags = derive_flags([graded], TODAY, COMPANY)
        assert flag_codes(flags.active) == ["P_GOV_PROCUREMENT", "P_KEY_SUPERVISION"]
        assert flags.has_active_punishment

    def test_revoked_and_repaired_bring_nothing(self) -> None:
        for status in (RecordStatus.REVOKED, RecordStatus.REPAIRED):
            assert derive_flags([judgment_debtor(status)], TODAY, COMPANY) == FlagSet(active=(), held=())
            assert effective_status(judgment_debtor(status), TODAY) is status
            assert not in_public_disclosure(judgment_debtor(status), TODAY)

    def test_expiry_after_valid_until(self) -> None:
        listed = judgment_debtor(valid_until=date(2025, 3, 1))
        assert effective_status(listed, date(2025, 3, 1)) is RecordStatus.ACTIVE
        assert derive_flags([listed], date(2025, 3, 1), COMPANY).has_active_punishment
        assert effective_status(listed, date(2025, 3, 2)) is RecordStatus.EXPIRED
        assert derive_flags([listed], date(2025, 3, 2), COMPANY) == FlagSet(active=(), held=())

    def test_a_court_listing_lasts_until_its_term_or_its_deletion(self) -> None:
        listed = judgment_debtor(decided_on=date(2022, 6, 1))  # no term: in force until the court deletes it
        assert effective_status(listed, date(2030, 6, 2)) is RecordStatus.ACTIVE
        assert derive_flags([listed], date(2030, 6, 2), COMPANY).has_active_punishment
        termed = dataclasses.replace(listed, valid_until=date(2024, 6, 1))
        assert effective_status(termed, date(2024, 6, 1)) is RecordStatus.ACTIVE
        assert effective_status(termed, date(2024, 6, 2)) is RecordStatus.EXPIRED
        objected = dataclasses.replace(termed, status=RecordStatus.UNDER_OBJECTION)
        assert effective_status(objected, date(2024, 6, 2)) is RecordStatus.EXPIRED
        assert derive_flags([objected], date(2024, 6, 2), COMPANY).held == ()
        deleted = dataclasses.replace(listed, deleted_on=date(2025, 3, 3))
        assert effective_status(deleted, date(2025, 3, 2)) is RecordStatus.ACTIVE
        assert effective_status(deleted, date(2025, 3, 3)) is RecordStatus.EXPIRED
        assert derive_flags([deleted], date(2025, 3, 3), COMPANY).active == ()

    def test_future_valid_from_brings_nothing_yet(self) -> None:
        future = record(RecordCategory.BLACK_LIST, valid_from=date(2025, 4, 1))
        assert in_public_disclosure(future, TODAY)
        assert not in_force(future, TODAY)
        assert derive_flags([future], TODAY, COMPANY) == FlagSet(active=(), held=())
        assert derive_flags([future], date(2025, 4, 1), COMPANY).has_active_punishment

    def test_order_is_by_record_then_code(self) -> None:
        records = [
            record(RecordCategory.CREDIT_EVALUATION, record_id=9, content={"grade": "D"}),
            judgment_debtor(record_id=3),
            record(RecordCategory.BLACK_LIST, record_id=5),
        ]
        flags = derive_flags(records, TODAY, COMPANY)
        keys = [(flag.record_id or 0, flag.code) for flag in flags.active]
        assert keys == sorted(keys)
        assert [flag.record_id for flag in flags.active][:6] == [3] * 6
        assert derive_flags(reversed(records), TODAY, COMPANY) == flags

    def test_custom_catalogue(self) -> None:
        measure = {
            "code": "P_X",
            "version": "1",
            "name": "x",
            "kind": "PUNISHMENT",
            "trigger": "t",
            "content": "c",
            "basis": "b",
            "implementing_body": "a",
            "body_kind": "ADMINISTRATIVE",
            "evidence": "e",
            "held_during_objection": True,
            "applies_to": {"LEGAL_PERSON": "SUBJECT"},
        }
        rule = {
            "code": "S_X",
            "version": "1",
            "scope": "DISHONESTY",
            "description": "d",
            "designating_body": "b",
            "basis": "b",
            "evidence": "e",
            "category": "ADMINISTRATIVE_PENALTY",
            "measures": ["P_X"],
        }
        catalogue = parse_catalogue({"measures": [measure], "rules": [rule]})
        penalty = record(RecordCategory.ADMINISTRATIVE_PENALTY, severity=Severity.MINOR)
        assert flag_codes(derive_flags([penalty], TODAY, COMPANY, catalogue).active) == ["P_X"]
        assert derive_flags([penalty], TODAY, PERSON, catalogue).active == ()
        assert derive_flags([judgment_debtor()], TODAY, COMPANY, catalogue).active == ()


class TestHistory:
    """三年无不良信用记录 brings 绿色通道 and 容缺受理 (池州市社会信用体系建设规划纲要)."""

    EARNED: ClassVar[list[str]] = ["I_DEFICIENCY_ACCEPTANCE", "I_GREEN_CHANNEL"]

    def history_flags(self, flags: FlagSet) -> list[Flag]:
        return [flag for flag in flags.active if flag.record_id is None]

    def test_three_clean_years_from_registration(self) -> None:
        subject = SubjectFacts(SubjectKind.LEGAL_PERSON, registered_on=date(2020, 3, 15))
        assert self.history_flags(derive_flags([], date(2023, 3, 14), subject)) == []
        earned = self.history_flags(derive_flags([], date(2023, 3, 15), subject))
        assert flag_codes(earned) == self.EARNED
        assert {flag.since for flag in earned} == {date(2023, 3, 15)}
        assert next_time_boundary([], date(2023, 3, 14), subject) == date(2023, 3, 15)

    def test_an_adverse_record_counts_until_its_disclosure_ends(self) -> None:
        subject = SubjectFacts(SubjectKind.LEGAL_PERSON, registered_on=date(2015, 1, 1))
        penalty = record(RecordCategory.ADMINISTRATIVE_PENALTY, decided_on=date(2023, 6, 1))  # 58号令: to 2026-06-01
        assert self.history_flags(derive_flags([penalty], date(2026, 12, 1), subject)) == []
        assert next_time_boundary([penalty], date(2026, 12, 1), subject) == date(2029, 6, 2)
        earned = self.history_flags(derive_flags([penalty], date(2029, 6, 2), subject))
        assert {flag.since for flag in earned} == {date(2029, 6, 2)}

    @pytest.mark.parametrize("status", [RecordStatus.REVOKED, RecordStatus.REPAIRED])
    def test_revoked_and_repaired_records_do_not_count(self, status: RecordStatus) -> None:
        subject = SubjectFacts(SubjectKind.LEGAL_PERSON, registered_on=date(2015, 1, 1))
        penalty = record(RecordCategory.ADMINISTRATIVE_PENALTY, status, decided_on=date(2026, 1, 1))
        assert flag_codes(self.history_flags(derive_flags([penalty], date(2026, 12, 1), subject))) == self.EARNED

    def test_licences_are_not_adverse_and_date_the_history_of_a_person(self) -> None:
        licence = record(RecordCategory.ADMINISTRATIVE_LICENSE, decided_on=date(2022, 1, 10))
        assert self.history_flags(derive_flags([], date(2026, 12, 1), PERSON)) == []  # nothing known of them
        earned = self.history_flags(derive_flags([licence], date(2026, 12, 1), PERSON))
        assert {flag.since for flag in earned} == {date(2025, 1, 10)}

    def test_a_d_grade_is_adverse(self) -> None:
        subject = SubjectFacts(SubjectKind.LEGAL_PERSON, registered_on=date(2015, 1, 1))
        graded = record(RecordCategory.CREDIT_EVALUATION, list_name="纳税信用D级", valid_until=date(2025, 3, 31))
        assert self.history_flags(derive_flags([graded], date(2026, 12, 1), subject)) == []

    def test_no_history_measures_for_an_agency(self) -> None:
        assert self.history_flags(derive_flags([], date(2030, 1, 1), AGENCY)) == []


# --- properties ---------------------------------------------------------------------------------

LIST_NAMES = [None, "A级纳税人", "B级纳税人", "D级纳税人", "AA级", "守信激励对象名单", "严重违法失信名单"]
CONTENTS: list[dict[str, Any] | None] = [None, {"grade": "A"}, {"grade": "D"}, {"domain": "FOOD"}, {"domain": "X"}]


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


kinds = st.builds(
    SubjectFacts,
    st.sampled_from(list(SubjectKind)),
    st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
)
days = st.dates(min_value=date(2017, 1, 1), max_value=date(2034, 12, 31))


@properties
@given(subjects(), kinds, days)
def test_no_active_punishment_unless_active_and_in_force(
    records: list[RecordFacts], subject: SubjectFacts, today: date
) -> None:
    by_id = {facts.id: facts for facts in records}
    flags = derive_flags(records, today, subject)
    for flag in flags.active + flags.held + flags.suspended:
        if flag.record_id is None:
            assert flag.kind is FlagKind.INCENTIVE
            continue
        assert in_force(by_id[flag.record_id], today)
    for flag in flags.held:
        assert flag.kind is FlagKind.PUNISHMENT
        assert flag.record_id is not None
        assert effective_status(by_id[flag.record_id], today) is RecordStatus.UNDER_OBJECTION
    assert flags.has_active_punishment == any(flag.kind is FlagKind.PUNISHMENT for flag in flags.active)


@properties
@given(subjects(), kinds, days)
def test_a_court_measure_is_never_held(records: list[RecordFacts], subject: SubjectFacts, today: date) -> None:
    catalogue = default_catalogue()
    flags = derive_flags(records, today, subject)
    for flag in flags.held:
        measure = catalogue.measure(flag.code, today)
        assert measure.held_during_objection
        assert measure.body_kind is not BodyKind.COURT


@properties
@given(subjects(), kinds, days)
def test_incentives_and_punishments_never_coexist(
    records: list[RecordFacts], subject: SubjectFacts, today: date
) -> None:
    flags = derive_flags(records, today, subject)
    assert not (flags.has_active_incentive and flags.has_active_punishment)
    assert all(flag.kind is FlagKind.INCENTIVE for flag in flags.suspended)
    if flags.suspended:
        assert flags.has_active_punishment


@properties
@given(subjects(), kinds, days)
def test_measures_apply_only_to_the_kinds_they_are_for(
    records: list[RecordFacts], subject: SubjectFacts, today: date
) -> None:
    catalogue = default_catalogue()
    flags = derive_flags(records, today, subject)
    for flag in flags.active + flags.held + flags.suspended:
        assert catalogue.measure(flag.code, today).reach_for(subject.kind) is flag.reach


@properties
@given(subjects(), kinds, days)
def test_withdrawals_name_red_listings_while_a_serious_listing_is_active(
    records: list[RecordFacts], subject: SubjectFacts, today: date
) -> None:
    by_id = {facts.id: facts for facts in records}
    flags = derive_flags(records, today, subject)
    serious = {RecordCategory.BLACK_LIST, RecordCategory.DISHONEST_JUDGMENT_DEBTOR}
    active_serious = {
        f.id
        for f in records
        if f.category in serious and in_force(f, today) and effective_status(f, today) is RecordStatus.ACTIVE
    }
    red_in_force = {f.id for f in records if f.category is RecordCategory.RED_LIST and in_force(f, today)}
    expected = red_in_force if active_serious else set()
    assert {notice.record_id for notice in flags.withdrawals} == expected
    for notice in flags.withdrawals:
        assert set(notice.because) == active_serious
        assert by_id[notice.record_id].category is RecordCategory.RED_LIST


@properties
@given(subjects(), kinds, days, st.data())
def test_rejecting_an_objection_restores_exactly_the_held_flags(
    records: list[RecordFacts], subject: SubjectFacts, today: date, data: st.DataObject
) -> None:
    if not records:
        return
    index = data.draw(st.integers(0, len(records) - 1))
    objected = list(records)
    objected[index] = dataclasses.replace(records[index], status=RecordStatus.UNDER_OBJECTION)
    restored = list(objected)
    restored[index] = dataclasses.replace(records[index], status=RecordStatus.ACTIVE, objection_due_on=None)
    before = derive_flags(objected, today, subject)
    after = derive_flags(restored, today, subject)
    moved = {flag for flag in before.held if flag.record_id == records[index].id}

    def punishments(flags: tuple[Flag, ...]) -> set[Flag]:
        return {flag for flag in flags if flag.kind is FlagKind.PUNISHMENT}

    assert punishments(after.active) == punishments(before.active) | moved
    assert set(after.held) == set(before.held) - moved


@properties
@given(subjects(), kinds, days, st.randoms(use_true_random=False))
def test_order_is_deterministic(records: list[RecordFacts], subject: SubjectFacts, today: date, rng: Any) -> None:
    flags = derive_flags(records, today, subject)
    shuffled = list(records)
    rng.shuffle(shuffled)
    assert derive_flags(shuffled, today, subject) == flags
    for group in (flags.active, flags.held, flags.suspended):
        keys = [(flag.record_id is None, flag.record_id or 0, flag.code) for flag in group]
        assert keys == sorted(set(keys))


@properties
@given(subjects(), kinds, days, st.data())
def test_nothing_changes_before_the_next_boundary(
    records: list[RecordFacts], subject: SubjectFacts, today: date, data: st.DataObject
) -> None:
    boundary = next_time_boundary(records, today, subject)
    if boundary is not None:
        assert boundary > today
    horizon = (boundary - today).days - 1 if boundary is not None else 3650
    later = today + timedelta(days=data.draw(st.integers(0, horizon)))
    assert derive_flags(records, later, subject) == derive_flags(records, today, subject)
    assert [effective_status(facts, later) for facts in records] == [
        effective_status(facts, today) for facts in records
    ]
