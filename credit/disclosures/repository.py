"""Statements of the disclosure feed (信用信息公示): records in public disclosure, newest first, filtered.

One definition of "in public disclosure" for SQL — stored status ACTIVE or UNDER_OBJECTION and
`disclosure_until` (the last day, inclusive) not before today, or no end — equal to
`credit.rules.flags.in_public_disclosure` for every stored row, because ingestion stores the rules'
`disclosure_period(...).until` in `disclosure_until`. GraphQL (`disclosures`), the exports and the
live subscription all read through here.

Ordering and paging. The feed is ordered by `(published_on DESC, id DESC)`, served by the index
`ix_records_feed (published_on, id)` scanned backwards, and paged by keyset: a cursor holds the
`(published_on, id)` of the last row seen and the next page is `(published_on, id) < cursor`.
This stays correct while others write:

- inserts: a new record has a larger id than every row seen so far; with today's (or any)
  publication date it sorts either before the reader's position (never shown to this reader, no
  duplicate) or after it (shown once, in order);
- updates: `published_on` is the date of first publication and never changes (`credit.records.ingest`
  keeps the stored value on a new revision), and ids never change, so an update cannot move a row
  across the reader's position — no record present when paging began is skipped or repeated;
- withdrawals (revoked, repaired, expired): the row leaves the feed; it is not shown on a later
  page, and nothing else moves.

`totalCount` is the count now, not at the first page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncGenerator, Sequence
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, tuple_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from credit.disclosures.feed import DISCLOSED_STATUSES, FeedFilter, FeedPosition
from credit.models import CreditRecord, Subject


def filter_clauses(feed_filter: FeedFilter) -> list[ColumnElement[bool]]:
    """SQL conditions on `records` (and `subjects`, which the statement must join)."""
    where: list[ColumnElement[bool]] = []
    if feed_filter.categories:
        where.append(CreditRecord.category.in_(feed_filter.categories))
    if feed_filter.region_code_prefix:
        where.append(Subject.region_code.startswith(feed_filter.region_code_prefix, autoescape=True))
    if feed_filter.authority is not None:
        where.append(CreditRecord.authority == feed_filter.authority)
    if feed_filter.published_from is not None:
        where.append(CreditRecord.published_on >= feed_filter.published_from)
    if feed_filter.published_to is not None:
        where.append(CreditRecord.published_on <= feed_filter.published_to)
    return where


def disclosed(today: dt.date) -> ColumnElement[bool]:
    """Records in public disclosure on `today` (SQL form of `in_public_disclosure`)."""
    return and_(
        CreditRecord.status.in_(DISCLOSED_STATUSES),
        or_(CreditRecord.disclosure_until.is_(None), CreditRecord.disclosure_until >= today),
    )


def _where(feed_filter: FeedFilter, today: dt.date) -> list[ColumnElement[bool]]:
    return [disclosed(today), *filter_clauses(feed_filter)]


def _needs_subjects(feed_filter: FeedFilter) -> bool:
    return feed_filter.region_code_prefix is not None


_Row = TypeVarTuple("_Row")


def _newest_first(stmt: Select[*_Row], after: FeedPosition | None) -> Select[*_Row]:
    if after is not None:
        # A row comparison, which PostgreSQL matches to the (published_on, id) index.
        stmt = stmt.where(tuple_(CreditRecord.published_on, CreditRecord.id) < tuple_(after.published_on, after.id))
    return stmt.order_by(CreditRecord.published_on.desc(), CreditRecord.id.desc())


def page_statement(
    feed_filter: FeedFilter, today: dt.date, after: FeedPosition | None, limit: int
) -> Select[CreditRecord]:
    stmt = select(CreditRecord).where(*_where(feed_filter, today))
    if _needs_subjects(feed_filter):
        stmt = stmt.join(Subject, Subject.id == CreditRecord.subject_id)
    return _newest_first(stmt, after).limit(limit)


def page_before_statement(
    feed_filter: FeedFilter, today: dt.date, before: FeedPosition | None, limit: int
) -> Select[CreditRecord]:
    """The `limit` rows just before `before` in feed order (from the oldest end when None), oldest
    first: the same index scanned forwards, the same keyset argument read the other way."""
    stmt = select(CreditRecord).where(*_where(feed_filter, today))
    if _needs_subjects(feed_filter):
        stmt = stmt.join(Subject, Subject.id == CreditRecord.subject_id)
    if before is not None:
        stmt = stmt.where(tuple_(CreditRecord.published_on, CreditRecord.id) > tuple_(before.published_on, before.id))
    return stmt.order_by(CreditRecord.published_on.asc(), CreditRecord.id.asc()).limit(limit)


async def feed_page(
    session: AsyncSession, feed_filter: FeedFilter, today: dt.date, after: FeedPosition | None, limit: int
) -> list[CreditRecord]:
    """Up to `limit` records after `after`, newest first (ask for one more than a page to learn
    whether another page follows)."""
    return list((await session.scalars(page_statement(feed_filter, today, after, limit))).all())


async def feed_page_before(
    session: AsyncSession, feed_filter: FeedFilter, today: dt.date, before: FeedPosition | None, limit: int
) -> list[CreditRecord]:
    """Up to `limit` records just before `before`, in feed order (newest first)."""
    rows = list((await session.scalars(page_before_statement(feed_filter, today, before, limit))).all())
    rows.reverse()
    return rows


async def feed_count(session: AsyncSession, feed_filter: FeedFilter, today: dt.date) -> int:
    stmt = select(func.count()).select_from(CreditRecord).where(*_where(feed_filter, today))
    if _needs_subjects(feed_filter):
        stmt = stmt.join(Subject, Subject.id == CreditRecord.subject_id)
    return int(await session.scalar(stmt) or 0)


async def load_disclosed(
    session: AsyncSession, record_ids: Sequence[int], today: dt.date
) -> list[tuple[CreditRecord, Subject]]:
    """The given records that are in public disclosure now, with their subjects, newest first."""
    if not record_ids:
        return []
    stmt = (
        select(CreditRecord, Subject)
        .join(Subject, Subject.id == CreditRecord.subject_id)
        .where(CreditRecord.id.in_(sorted(set(record_ids))), disclosed(today))
    )
    rows = (await session.execute(_newest_first(stmt, None))).all()
    return [(record, subject) for record, subject in rows]


# Columns of an export row: flat, personal data as stored (masked for natural persons), and what
# cleaning the texts needs (the service cleans every row before it leaves: `credit.disclosures.service`).
EXPORT_COLUMNS = (
    CreditRecord.id,
    CreditRecord.category,
    CreditRecord.status,
    CreditRecord.title,
    CreditRecord.decision_number,
    CreditRecord.authority,
    CreditRecord.decided_on,
    CreditRecord.published_on,
    CreditRecord.disclosure_until,
    CreditRecord.severity,
    CreditRecord.list_name,
    CreditRecord.valid_from,
    CreditRecord.valid_until,
    CreditRecord.updated_at,
    Subject.id.label("subject_id"),
    Subject.kind.label("subject_kind"),
    Subject.name.label("subject_name"),
    Subject.code.label("subject_code"),
    Subject.region_code.label("region_code"),
    Subject.legal_representative.label("subject_legal_representative"),
    Subject.personal_data.label("subject_personal_data"),
    Subject.code_index.label("subject_code_index"),
    Subject.content_hash.label("subject_content_hash"),
)


def export_statement(feed_filter: FeedFilter, today: dt.date, limit: int | None = None) -> Select[*tuple[Any, ...]]:
    stmt = (
        select(*EXPORT_COLUMNS).join(Subject, Subject.id == CreditRecord.subject_id).where(*_where(feed_filter, today))
    )
    stmt = _newest_first(stmt, None)
    return stmt.limit(limit) if limit is not None else stmt


async def stream_feed(
    engine: AsyncEngine, feed_filter: FeedFilter, today: dt.date, *, limit: int | None = None, batch: int = 1000
) -> AsyncGenerator[Sequence[Any], None]:
    """The filtered feed as batches of flat rows (`EXPORT_COLUMNS`) from a server-side cursor.

    Memory stays bounded by `batch` whatever the size of the feed; the rows come from one snapshot
    (one transaction), so an export is consistent even while records change.
    """
    async with engine.connect() as conn:
        result = await conn.stream(export_statement(feed_filter, today, limit).execution_options(yield_per=batch))
        try:
            async for partition in result.partitions():
                yield partition
        finally:
            # An export stopped early (a client gone, a time cap) closes its server-side cursor here;
            # left to the garbage collector, psycopg's cursor would warn in whatever code runs next.
            # On a connection that is already broken the close fails too: that is not the error to report.
            with contextlib.suppress(DBAPIError, OSError):
                await result.close()
