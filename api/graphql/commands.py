"""After a credit command commits: forget the cached profiles of the subjects it changed.

Profiles are cached per subject (`credit.subjects.profile_cache`) and the indexer drops them once it has
indexed a change. Without more, the caller of a mutation could read its own subject's profile from
the cache for the indexer's lag (the objection filed, the flags still active). So each mutation,
after its transaction commits, stamps the subjects' new revisions and deletes their entries, the
same step the indexer takes (`mark_indexed`): an entry filled from a read before the commit carries
an older revision and is treated as a miss. The cache holds nothing precious, so a failing broker is
logged and the mutation still succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Context
from credit.models import CreditRecord, Subject
from credit.subjects.profile_cache import mark_indexed

log = logging.getLogger("creditgraph.api")


async def revisions_of_records(session: AsyncSession, record_ids: Iterable[int]) -> dict[int, int]:
    """{subject id: revision} of the subjects of these records, as the caller's transaction sees them."""
    ids = sorted(set(record_ids))
    if not ids:
        return {}
    stmt = (
        select(Subject.id, Subject.revision)
        .join(CreditRecord, CreditRecord.subject_id == Subject.id)
        .where(CreditRecord.id.in_(ids))
    )
    return {sid: revision for sid, revision in (await session.execute(stmt)).all()}


async def subjects_of_sources(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """{(authority, sourceId): subject id} of the records that exist, as the caller's transaction sees them."""
    pairs = sorted(set(keys))
    if not pairs:
        return {}
    stmt = select(CreditRecord.authority, CreditRecord.source_id, CreditRecord.subject_id).where(
        tuple_(CreditRecord.authority, CreditRecord.source_id).in_(pairs)
    )
    return {(authority, source_id): sid for authority, source_id, sid in (await session.execute(stmt)).all()}


async def revisions_of_subjects(session: AsyncSession, subject_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(subject_ids))
    if not ids:
        return {}
    stmt = select(Subject.id, Subject.revision).where(Subject.id.in_(ids))
    return {sid: revision for sid, revision in (await session.execute(stmt)).all()}


async def forget_profiles(context: Context, revisions: dict[int, int]) -> None:
    """Call after the commit: cached profiles older than these revisions are no longer served."""
    if not revisions:
        return
    try:
        await mark_indexed(context.runtime.broker, revisions)
    except Exception as exc:  # the indexer will drop them too; the change itself is committed
        log.warning("profile cache invalidation failed: %s", type(exc).__name__)
