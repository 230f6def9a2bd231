"""The service's clock: instants in UTC, and the users' day, which is China's (Asia/Shanghai).

Every derived date (a record's default `publishedOn`, the day flags and disclosure are computed for,
objection deadlines, exports) is China's calendar day, whatever the server's time zone: a container
running in UTC at 23:30 on 30 November is already at 07:30 on 1 December in Beijing. Call `today()`,
never `date.today()`, which answers the server's zone.

China Standard Time has been UTC+8 without daylight saving since 1991, so the day is computed with a
fixed offset rather than a time-zone database that slim containers may lack (`zoneinfo` raises when
neither the system nor the `tzdata` package provides Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt

#: China Standard Time (Asia/Shanghai): UTC+8, no daylight saving since 1991.
CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def china_date(instant: dt.datetime) -> dt.date:
    """The day in China at `instant` (an aware datetime; a naive one is taken as UTC)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    return instant.astimezone(CHINA).date()


def today(instant: dt.datetime | None = None) -> dt.date:
    """The users' day: China's date now (or at `instant`)."""
    return china_date(now() if instant is None else instant)
