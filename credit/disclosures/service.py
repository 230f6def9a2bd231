"""The disclosure feed's entry points: a page (GraphQL `disclosures`), the newest entries (Atom),
the whole feed as a stream (exports) and the changed records that are disclosed (live events).

The flat rows of the exports and of Atom leave only as `FeedRow`, their texts cleaned of personal
data by the subject's redactor (`credit.privacy`), the same for every reader: these feeds are public
and shared caches may keep them."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from credit.disclosures import repository
from credit.disclosures.feed import FeedFilter, FeedPosition
from credit.enums import RecordCategory, RecordStatus, Severity, SubjectKind
from credit.models import CreditRecord, Subject
from credit.platform.crypto import Vault
from credit.platform.runtime import Runtime
from credit.privacy.redactor import redactor_for

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


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A record of the public feed as exported: flat, its texts cleaned."""

    id: int
    category: RecordCategory
    status: RecordStatus
    title: str
    decision_number: str | None
    authority: str
    decided_on: dt.date
    published_on: dt.date
    disclosure_until: dt.date | None
    severity: Severity | None
    list_name: str | None
    valid_from: dt.date | None
    valid_until: dt.date | None
    updated_at: dt.datetime
    subject_id: int
    subject_kind: SubjectKind
    subject_name: str
    subject_code: str
    region_code: str | None


def feed_row(vault: Vault, row: Any) -> FeedRow:
    """An export row (`repository.EXPORT_COLUMNS`) with its texts cleaned by its subject's redactor."""
    clean = redactor_for(
        vault,
        kind=row.subject_kind,
        code=row.subject_code,
        legal_representative=row.subject_legal_representative,
        personal_data=row.subject_personal_data,
        code_index=row.subject_code_index,
        content_hash=row.subject_content_hash,
    )
    # A natural person's name and code are stored masked; an organisation's go through the redactor.
    person = row.subject_kind is SubjectKind.NATURAL_PERSON
    return FeedRow(
        id=row.id,
        category=row.category,
        status=row.status,
        title=clean(row.title),
        decision_number=clean.optional(row.decision_number),
        authority=clean(row.authority),
        decided_on=row.decided_on,
        published_on=row.published_on,
        disclosure_until=row.disclosure_until,
        severity=row.severity,
        list_name=clean.optional(row.list_name),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        updated_at=row.updated_at,
        subject_id=row.subject_id,
        subject_kind=row.subject_kind,
        subject_name=row.subject_name if person else clean(row.subject_name),
        subject_code=row.subject_code,
        region_code=row.region_code,
    )


async def newest(runtime: Runtime, feed_filter: FeedFilter, today: dt.date, limit: int) -> list[FeedRow]:
    """The newest `limit` records of the filtered feed as cleaned flat rows."""
    async with runtime.engine.connect() as conn:
        rows = (await conn.execute(repository.export_statement(feed_filter, today, limit))).all()
    return [feed_row(runtime.vault, row) for row in rows]


async def stream(
    runtime: Runtime, feed_filter: FeedFilter, today: dt.date, *, batch: int = 1000
) -> AsyncGenerator[list[FeedRow], None]:
    """The whole filtered feed in batches of cleaned flat rows, from one snapshot, in constant memory."""
    vault = runtime.vault
    # Closed explicitly, so that the snapshot's connection is returned as soon as the export stops.
    async with aclosing(repository.stream_feed(runtime.engine, feed_filter, today, batch=batch)) as batches:
        async for rows in batches:
            yield [feed_row(vault, row) for row in rows]


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
