"""Bounds on the dates a record states (issue 18, finding 10): a date outside them is a typo or a
forgery, never a decision, and a record dated in 2030 would sit on top of the public feed for years.

- **Decision dates** (`decidedOn`, `publishedOn`, `deletedOn`; a subject's `registeredOn`) lie
  between `EARLIEST` and the users' day (China's, `credit.clock`) plus `CLOCK_SKEW`. The floor is
  the founding of the People's Republic, 1949-10-01, rather than 1949-01-01: every record here is
  the act of a PRC authority (行政许可、行政处罚、名单、人民法院), and none can predate the state; the
  rules the tables apply are all decades later anyway, so the floor only catches typos (1900, 0001).
  One day of skew lets a provider whose clock or time zone is a little ahead submit today's decision.
- **Stated validity** (`validFrom`, `validUntil`) is bounded by the disclosure tables: each row may
  give a `longest_term` (`credit/rules/data/disclosure/`), counted from the row's anchor like the
  period itself; `validFrom` is not later than that term after `decidedOn` either. A row without
  one (penalties, whose `validUntil` can only shorten disclosure) is still bounded by
  `LONGEST_ANY_TERM` after the decision, so no date reaches the end of the calendar.
  A 失信被执行人 listing's term is the court's rule (`credit.rules.listings.term_problem`).
"""

from __future__ import annotations

import datetime as dt

from credit.rules.disclosure import Anchor, DisclosureTable, add_months, default_disclosure_table
from credit.rules.facts import RecordFacts

#: The founding of the People's Republic of China: no decision recorded here is older.
EARLIEST = dt.date(1949, 10, 1)
#: How far past the users' day a decision date may be (a provider's clock or zone slightly ahead).
CLOCK_SKEW = dt.timedelta(days=1)
#: The longest validity any record may state when its table row gives none (months): a century.
LONGEST_ANY_TERM = 100 * 12


def decision_date_problem(name: str, value: dt.date, today: dt.date) -> str | None:
    """Why `value`, a decision date called `name`, is out of bounds on `today` (None when it is not)."""
    if value < EARLIEST:
        return f"{name}: before {EARLIEST.isoformat()} (the founding of the People's Republic); check the year"
    latest = today + CLOCK_SKEW
    if value > latest:
        return f"{name}: in the future (later than {latest.isoformat()}, today in China plus one day)"
    return None


def validity_problem(record: RecordFacts, table: DisclosureTable | None = None) -> str | None:
    """Why the record's stated `validFrom`/`validUntil` break the bounds (None when they do not).

    `record.decided_on` must already be within `decision_date_problem`'s bounds."""
    for name, value in (("validFrom", record.valid_from), ("validUntil", record.valid_until)):
        if value is None:
            continue
        if value < EARLIEST:
            return f"{name}: before {EARLIEST.isoformat()} (the founding of the People's Republic); check the year"
        ceiling = add_months(record.decided_on, LONGEST_ANY_TERM)
        if value > ceiling:
            return f"{name}: more than 100 years after decidedOn (no later than {ceiling.isoformat()})"
    if record.valid_from is None and record.valid_until is None:
        return None
    table = default_disclosure_table() if table is None else table
    governing = table.governing(record)
    term = governing.rule.longest_term
    if term is None:
        return None
    source = governing.rule.source.document
    category = record.category.value
    if record.valid_from is not None and record.valid_from > term.last_day_from(record.decided_on):
        latest = term.last_day_from(record.decided_on)
        return f"validFrom: a {category} record's validity starts no later than {latest.isoformat()} ({source})"
    start, anchor = record.decided_on, "decidedOn"
    if governing.rule.anchor is Anchor.VALID_FROM and record.valid_from is not None:
        start, anchor = record.valid_from, "validFrom"
    latest = term.last_day_from(start)
    if record.valid_until is not None and record.valid_until > latest:
        years, months = divmod(term.total_months, 12)
        length = f"{years} years" + (f" {months} months" if months else "")
        return (
            f"validUntil: a {category} record's stated validity is at most {length} after {anchor} "
            f"({source}), so no later than {latest.isoformat()}"
        )
    return None
