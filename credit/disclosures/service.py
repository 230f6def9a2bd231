"""The disclosure feed's entry points: a page (GraphQL `disclosures`), the newest entries (Atom),
the whole feed as a stream (exports) and the changed records that are disclosed (live events)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any

from credit.disclosures import repository
from credit.disclosures.feed import FeedFilter, FeedPosition
from credit.models import CreditRecord, Subject
from credit.platform.runtime import Runtime

_CHUNK = 1000  # record ids per read of changed records


@dataclass(frozen=True, slots=True)
class FeedPage:
    records: list[CreditRecord]
    total: int
    has_next_page: bool
    has_previous_page: bool = False


async def feed_page(
    runtime: Runtime, feed_filter: FeedFilter, today: dt.date, after: FeedPosition | None, first: int
) -> FeedPage:
    """`first` records after `after`, newest first, and how many the filtered feed holds now."""
    async with runtime.sessions() as session:
        rows = await repository.feed_page(session, feed_filter, today, after, first + 1)
        total = await repository.feed_count(session, feed_filter, today)
    return FeedPage(
        records=rows[:first], total=total, has_next_page=len(rows) > first, has_previous_page=after is not None
    )


async def feed_page_before(
    runtime: Runtime, feed_filter: FeedFilter, today: dt.date, before: FeedPosition | None, last: int
) -> FeedPage:
    """The `last` records just before `before` (the oldest `last` when None), newest first: Relay's
    backward paging. A previous page follows when more records are newer than these; a next page
    when `before` was given (its record, or those after it)."""
    async with runtime.sessions() as session:
        rows = await repository.feed_page_before(session, feed_filter, today, before, last + 1)
        total = await repository.feed_count(session, feed_filter, today)
    return FeedPage(
        records=rows[-last:] if rows else [],
        total=total,
        has_next_page=before is not None,
        has_previous_page=len(rows) > last,
    )


async def newest(runtime: Runtime, feed_filter: FeedFilter, today: dt.date, limit: int) -> Sequence[Any]:
    """The newest `limit` rows of the filtered feed as flat export rows (`repository.EXPORT_COLUMNS`)."""
    async with runtime.engine.connect() as conn:
        return (await conn.execute(repository.export_statement(feed_filter, today, limit))).all()


def stream(
    runtime: Runtime, feed_filter: FeedFilter, today: dt.date, *, batch: int = 1000
) -> AsyncGenerator[Sequence[Any], None]:
    """The whole filtered feed in batches of flat export rows, from one snapshot, in constant memory."""
    return repository.stream_feed(runtime.engine, feed_filter, today, batch=batch)


async def disclosed_records(
    runtime: Runtime, record_ids: Sequence[int], today: dt.date
) -> list[tuple[CreditRecord, Subject]]:
    """Those of the records that are in public disclosure now, with their subjects, by id."""
    unique = sorted(set(record_ids))
    loaded: list[tuple[CreditRecord, Subject]] = []
    async with runtime.sessions() as session:
        for start in range(0, len(unique), _CHUNK):
            loaded.extend(await repository.load_disclosed(session, unique[start : start + _CHUNK], today))
    loaded.sort(key=lambda pair: pair[0].id)
    return loaded
