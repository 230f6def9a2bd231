"""Working days (工作日) in mainland China, for objection and correction deadlines.

Statutory holidays and make-up working days (调休上班) come from `chinese_calendar`, which carries
the State Council's yearly schedule. For a year it does not cover (it raises NotImplementedError:
years before its data starts, and years whose schedule is not yet published or not yet in the
installed version), this module falls back to Monday–Friday; `calendar_covers(year)` tells which
applies. Upgrading `chinese-calendar` after the State Council publishes a new year's schedule
(usually in November) extends the coverage.

A deadline that runs into a year the calendar does not cover is *provisional* (`Deadline`): it may
move once the year's holidays are known, and the API says so (`Objection.dueOnProvisional`). It is
recomputed whenever it is shown (`refresh_deadline`), so it becomes final, and moves if the
holidays move it, as soon as the installed calendar learns the year (after an upgrade and restart).

Counting: `add_working_days(start, n)` is the n-th working day after `start`, `start` itself not
counted (an objection filed on a Friday evening or on a holiday starts counting on the next working
day), and `working_days_between(a, b)` counts the working days in (a, b], so that
`working_days_between(a, add_working_days(a, n)) == n`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

_ONE_DAY = timedelta(days=1)

#: The deadlines in working days (the settings' defaults): an objection is answered in writing within 15
#: working days, a record found wrong is corrected within 5.
OBJECTION_REPLY_WORKING_DAYS = 15
CORRECTION_WORKING_DAYS = 5
#: A credit repair application is answered within 10 working days (国办发〔2025〕22号 四、明确信用修复办理期限).
REPAIR_DECISION_WORKING_DAYS = 10


@functools.cache
def calendar_covers(year: int) -> bool:
    """Whether `chinese_calendar` has the official holiday schedule for `year`."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date, known_until: int | None = None) -> bool:
    """Whether `day` is a working day: official schedule when covered, else Monday to Friday.

    `known_until`: treat years after it as not covered (what an older calendar answered).
    """
    if calendar_covers(day.year) and (known_until is None or day.year <= known_until):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def add_working_days(start: date, n: int, known_until: int | None = None) -> date:
    """The date `n` working days after `start` (`start` not counted); `start` itself when n == 0."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    remaining = n
    while remaining:
        day += _ONE_DAY
        if is_working_day(day, known_until):
            remaining -= 1
    return day


@dataclass(frozen=True, slots=True)
class Deadline:
    """A working-day deadline: its last day, and whether it ran into a year the calendar does not
    cover (the Monday–Friday fallback counted holidays as working days there)."""

    due_on: date
    provisional: bool


def covers_span(start: date, end: date) -> bool:
    """Whether the calendar covers every year from `start` to `end`."""
    return all(calendar_covers(year) for year in range(start.year, end.year + 1))


def working_day_deadline(start: date, n: int) -> Deadline:
    """The deadline `n` working days after `start`, provisional when a year it spans is not covered."""
    due_on = add_working_days(start, n)
    return Deadline(due_on=due_on, provisional=not covers_span(start, due_on))


def refresh_deadline(start: date, stored: date, n: int) -> Deadline:
    """A stored deadline (`n` working days after `start`) as the installed calendar computes it now.

    It moves only if it was computed before the calendar knew a year it spans: it is recomputed when
    the stored date is what an older calendar (one that knew the years up to some year Y) gave for
    the same `n`. A stored date that no calendar gives for `n` (the configured number of days has
    changed since) is kept as it is.
    """
    current = working_day_deadline(start, n)
    if current.due_on == stored:
        return current
    for known_until in range(start.year - 1, stored.year):
        if add_working_days(start, n, known_until) == stored:
            return current
    return Deadline(due_on=stored, provisional=not covers_span(start, stored))


def working_days_between(a: date, b: date) -> int:
    """The number of working days in (a, b]; negative (minus those in (b, a]) when b < a."""
    if b < a:
        return -working_days_between(b, a)
    count = 0
    day = a
    while day < b:
        day += _ONE_DAY
        if is_working_day(day):
            count += 1
    return count


def objection_due_on(filed_on: date, days: int = OBJECTION_REPLY_WORKING_DAYS) -> date:
    """The reply due date of an objection (异议) filed on `filed_on`: `days` working days later.

    Pass `settings.objection_reply_working_days` to follow the configured value.
    """
    return add_working_days(filed_on, days)


def correction_due_on(resolved_on: date, days: int = CORRECTION_WORKING_DAYS) -> date:
    """The date by which a correction decided on `resolved_on` must be pushed.

    Pass `settings.correction_working_days` to follow the configured value.
    """
    return add_working_days(resolved_on, days)
