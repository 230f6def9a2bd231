"""Working days (工作日) in mainland China, for objection and correction deadlines.

Statutory holidays and make-up working days (调休上班) come from `chinese_calendar`, which carries
the State Council's yearly schedule. For a year it does not cover (it raises NotImplementedError:
years before its data starts, and years whose schedule is not yet published or not yet in the
installed version), this module falls back to Monday–Friday; `calendar_covers(year)` tells which
applies, so callers can flag deadlines computed by the fallback. Upgrading `chinese-calendar` after
the State Council publishes a new year's schedule (usually in November) extends the coverage.

Counting: `add_working_days(start, n)` is the n-th working day after `start`, `start` itself not
counted (an objection filed on a Friday evening or on a holiday starts counting on the next working
day), and `working_days_between(a, b)` counts the working days in (a, b], so that
`working_days_between(a, add_working_days(a, n)) == n`.
"""

from __future__ import annotations

import functools
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


def is_working_day(day: date) -> bool:
    """Whether `day` is a working day: official schedule when covered, else Monday to Friday."""
    if calendar_covers(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The date `n` working days after `start` (`start` not counted); `start` itself when n == 0."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    remaining = n
    while remaining:
        day += _ONE_DAY
        if is_working_day(day):
            remaining -= 1
    return day


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
