"""Working-day arithmetic against the official 2024 schedule (国务院办公厅关于2024年部分节假日安排的通知).

National Day 2024: 1–7 October off; Sunday 29 September and Saturday 12 October are make-up
working days. Spring Festival 2024: 10–17 February off; Sundays 4 and 18 February are working days.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.platform.config import Settings
from credit.rules.calendar import (
    CORRECTION_WORKING_DAYS,
    OBJECTION_REPLY_WORKING_DAYS,
    Deadline,
    add_working_days,
    calendar_covers,
    correction_due_on,
    is_working_day,
    objection_due_on,
    refresh_deadline,
    working_day_deadline,
    working_days_between,
)

pytestmark = pytest.mark.unit

quick = settings(database=None, deadline=None, max_examples=200)

# The working days after Friday 2024-09-27, counted by hand from the official schedule.
NATIONAL_DAY_2024_WORKING_DAYS = [
    date(2024, 9, 29),  # Sunday, make-up working day
    date(2024, 9, 30),
    date(2024, 10, 8),  # 1–7 October off
    date(2024, 10, 9),
    date(2024, 10, 10),
    date(2024, 10, 11),
    date(2024, 10, 12),  # Saturday, make-up working day
    date(2024, 10, 14),
    date(2024, 10, 15),
    date(2024, 10, 16),
    date(2024, 10, 17),
    date(2024, 10, 18),
    date(2024, 10, 21),
    date(2024, 10, 22),
    date(2024, 10, 23),
]


class TestIsWorkingDay:
    @pytest.mark.parametrize("day", [date(2024, 10, d) for d in range(1, 8)])
    def test_national_day_holidays_are_off(self, day: date) -> None:
        assert not is_working_day(day)

    @pytest.mark.parametrize("day", [date(2024, 9, 29), date(2024, 10, 12), date(2024, 2, 4), date(2024, 2, 18)])
    def test_make_up_weekend_days_are_working_days(self, day: date) -> None:
        assert day.weekday() >= 5
        assert is_working_day(day)

    def test_ordinary_weekend_is_off(self) -> None:
        assert not is_working_day(date(2024, 9, 28))
        assert not is_working_day(date(2024, 10, 13))

    def test_spring_festival_is_off(self) -> None:
        assert not any(is_working_day(date(2024, 2, d)) for d in range(10, 18))


class TestAddWorkingDays:
    def test_fifteen_working_days_across_national_day(self) -> None:
        assert add_working_days(date(2024, 9, 27), 15) == date(2024, 10, 23)

    @pytest.mark.parametrize("n", range(1, 16))
    def test_each_step_across_national_day(self, n: int) -> None:
        assert add_working_days(date(2024, 9, 27), n) == NATIONAL_DAY_2024_WORKING_DAYS[n - 1]

    def test_start_on_a_holiday_is_not_counted(self) -> None:
        assert add_working_days(date(2024, 10, 3), 1) == date(2024, 10, 8)

    def test_zero_is_the_start(self) -> None:
        assert add_working_days(date(2024, 10, 3), 0) == date(2024, 10, 3)

    def test_negative_is_refused(self) -> None:
        with pytest.raises(ValueError):
            add_working_days(date(2024, 10, 3), -1)


class TestWorkingDaysBetween:
    def test_across_national_day(self) -> None:
        assert working_days_between(date(2024, 9, 27), date(2024, 10, 23)) == 15
        assert working_days_between(date(2024, 9, 30), date(2024, 10, 7)) == 0

    def test_reversed_is_negative(self) -> None:
        assert working_days_between(date(2024, 10, 23), date(2024, 9, 27)) == -15

    def test_same_day_is_zero(self) -> None:
        assert working_days_between(date(2024, 10, 8), date(2024, 10, 8)) == 0


class TestDeadlines:
    def test_objection_reply_due_in_fifteen_working_days(self) -> None:
        assert objection_due_on(date(2024, 9, 27)) == date(2024, 10, 23)

    def test_correction_due_in_five_working_days_may_fall_on_a_make_up_saturday(self) -> None:
        assert correction_due_on(date(2024, 9, 30)) == date(2024, 10, 12)

    def test_explicit_number_of_days(self) -> None:
        assert objection_due_on(date(2024, 9, 27), 3) == date(2024, 10, 8)
        assert correction_due_on(date(2024, 9, 27), 1) == date(2024, 9, 29)

    def test_defaults_follow_the_settings_defaults(self) -> None:
        defaults = Settings.model_fields
        assert OBJECTION_REPLY_WORKING_DAYS == defaults["objection_reply_working_days"].default == 15
        assert CORRECTION_WORKING_DAYS == defaults["correction_working_days"].default == 5


class TestFallback:
    def test_coverage(self) -> None:
        assert calendar_covers(2024)
        assert not calendar_covers(1999)
        assert not calendar_covers(2200)

    def test_uncovered_year_uses_monday_to_friday(self) -> None:
        # 1999-10-01 (National Day, a Friday) is a working day under the fallback.
        assert is_working_day(date(1999, 10, 1))
        assert not is_working_day(date(1999, 10, 2))
        assert add_working_days(date(1999, 9, 30), 3) == date(1999, 10, 5)
        # 2200-01-01 is a Wednesday: Wed–Fri, then Mon 6 to Fri 10 January.
        assert working_days_between(date(2199, 12, 31), date(2200, 1, 10)) == 8

    @quick
    @given(st.dates(min_value=date(2200, 1, 1), max_value=date(2300, 12, 31)))
    def test_fallback_is_weekdays(self, day: date) -> None:
        assert is_working_day(day) == (day.weekday() < 5)


@quick
@given(st.dates(min_value=date(1995, 1, 1), max_value=date(2035, 12, 31)), st.integers(0, 60))
def test_between_inverts_add(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    if n:
        assert is_working_day(end)
        assert working_days_between(start, end - timedelta(days=1)) == n - 1


# --- provisional deadlines ----------------------------------------------------------------------

# The year after the installed calendar's last one; a deadline running into it is provisional.
FIRST_UNKNOWN = next(year for year in range(2024, 2200) if not calendar_covers(year))


@pytest.fixture
def learned_year(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The calendar package "learns" FIRST_UNKNOWN, as an upgrade after the State Council's notice
    would: here 1 to 7 January off (at least four weekdays). The package's own tables are patched
    (its data, not its code); nothing of ours is replaced."""
    year = FIRST_UNKNOWN
    calendar_covers.cache_clear()
    for day in range(1, 8):
        monkeypatch.setitem(chinese_calendar.constants.holidays, date(year, 1, day), "New Year's Day")
    yield year
    monkeypatch.undo()
    calendar_covers.cache_clear()


class TestProvisionalDeadlines:
    def test_a_deadline_inside_covered_years_is_final(self) -> None:
        deadline = working_day_deadline(date(2024, 9, 27), 15)
        assert deadline == Deadline(date(2024, 10, 23), provisional=False)

    def test_a_deadline_into_an_unknown_year_is_provisional(self) -> None:
        start = date(FIRST_UNKNOWN - 1, 12, 20)
        deadline = working_day_deadline(start, 15)
        assert deadline.due_on.year == FIRST_UNKNOWN
        assert deadline.provisional
        assert working_day_deadline(date(FIRST_UNKNOWN - 1, 12, 1), 1) == Deadline(
            add_working_days(date(FIRST_UNKNOWN - 1, 12, 1), 1), provisional=False
        )

    def test_it_is_recomputed_once_the_calendar_learns_the_year(self, learned_year: int) -> None:
        start = date(learned_year - 1, 12, 20)
        # What was stored before the upgrade: New Year's Day counted as a working day.
        stored = add_working_days(start, 15, known_until=learned_year - 1)
        assert calendar_covers(learned_year)
        assert not any(is_working_day(date(learned_year, 1, d)) for d in range(1, 8))
        refreshed = refresh_deadline(start, stored, 15)
        assert not refreshed.provisional
        # The weekdays of 1–7 January are off now: the deadline moves later by as many working days.
        weekdays_off = sum(1 for d in range(1, 8) if date(learned_year, 1, d).weekday() < 5)
        assert refreshed.due_on > stored
        assert refreshed.due_on == add_working_days(stored, weekdays_off)
        assert working_days_between(start, refreshed.due_on) == 15
        assert refreshed == working_day_deadline(start, 15)

    def test_before_the_upgrade_the_stored_deadline_stands(self) -> None:
        start = date(FIRST_UNKNOWN - 1, 12, 20)
        stored = add_working_days(start, 15)
        assert refresh_deadline(start, stored, 15) == Deadline(stored, provisional=True)

    def test_a_deadline_of_another_length_is_kept(self, learned_year: int) -> None:
        start = date(learned_year - 1, 12, 20)
        stored = add_working_days(start, 10, known_until=learned_year - 1)  # configured 10 days back then
        assert refresh_deadline(start, stored, 15) == Deadline(stored, provisional=False)
