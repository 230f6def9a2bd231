"""One clock: the users' day is China's, whatever the server's time zone."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from credit import clock

pytestmark = pytest.mark.unit


def test_half_past_eleven_utc_is_the_next_day_in_china() -> None:
    instant = dt.datetime(2026, 11, 30, 23, 30, tzinfo=dt.UTC)
    assert clock.today(instant) == dt.date(2026, 12, 1)
    assert clock.china_date(instant) == dt.date(2026, 12, 1)


@pytest.mark.parametrize(
    ("instant", "day"),
    [
        (dt.datetime(2026, 11, 30, 15, 59, 59, tzinfo=dt.UTC), dt.date(2026, 11, 30)),
        (dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC), dt.date(2026, 12, 1)),
        (dt.datetime(2026, 12, 1, 7, 2, tzinfo=dt.timezone(dt.timedelta(hours=8))), dt.date(2026, 12, 1)),
        (dt.datetime(2026, 11, 30, 18, 2, tzinfo=dt.timezone(dt.timedelta(hours=-5))), dt.date(2026, 12, 1)),
        (dt.datetime(2026, 11, 30, 23, 30), dt.date(2026, 12, 1)),  # naive: taken as UTC
    ],
)
def test_china_date_of_an_instant(instant: dt.datetime, day: dt.date) -> None:
    assert clock.china_date(instant) == day


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Shanghai", "Pacific/Kiritimati"])
def test_today_ignores_the_server_time_zone(zone: str) -> None:
    # A fresh interpreter with the machine's zone set by TZ: its `date.today()` follows TZ, `clock.today()` not.
    # The expected day is computed independently, from the epoch seconds plus eight hours.
    code = (
        "import time; from credit import clock;"
        "day = clock.today(); print(day.isoformat(), time.strftime('%Y-%m-%d', time.gmtime(time.time() + 8 * 3600)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env={**os.environ, "TZ": zone}, capture_output=True, text=True, check=True
    )
    today, expected = result.stdout.split()
    assert today == expected


def test_now_is_aware_utc() -> None:
    assert clock.now().utcoffset() == dt.timedelta(0)
