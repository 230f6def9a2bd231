"""失信被执行人 listings: the longest lawful term (法释〔2017〕7号 第二条)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit.rules.disclosure import add_months
from credit.rules.listings import latest_term_end as max_listing_until

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("decided_on", "until"),
    [
        (date(2024, 6, 1), date(2029, 6, 1)),
        (date(2024, 2, 29), date(2029, 2, 28)),
        (date(2026, 12, 1), date(2031, 12, 1)),
    ],
)
def test_two_years_plus_three(decided_on: date, until: date) -> None:
    assert max_listing_until(decided_on) == until


@settings(database=None, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_the_extension_comes_after_the_two_year_term(decided_on: date) -> None:
    term = add_months(decided_on, 24)
    assert term < max_listing_until(decided_on) <= add_months(term, 36)
    assert (max_listing_until(decided_on) - decided_on).days in range(1825, 1828)
