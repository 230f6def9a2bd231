"""The service's clock: instants in UTC, and the users' day, which is China's (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt

#: The users' time zone (Asia/Shanghai, no daylight saving time).
CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """The users' day."""
    return dt.date.today()
