"""Reading a subject's credit situation from storage: its records as `RecordFacts`, flags derived.

The API (profiles, checks) and the indexer (documents) both read through here, so a flag shown in a
profile and the `hasActivePunishment` of the index come from the same rows and the same function.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.enums import ObjectionStatus
from credit.models import CreditRecord, Objection
from credit.rules.facts import RecordFacts
from credit.rules.flags import FlagSet, derive_flags


def facts_of(record: CreditRecord, objection_due_on: dt.date | None = None) -> RecordFacts:
    return RecordFacts(
        id=record.id,
        category=record.category,
        status=record.status,
        decided_on=record.decided_on,
        published_on=record.published_on,
        severity=record.severity,
        list_name=record.list_name,
        valid_from=record.valid_from,
        valid_until=record.valid_until,
        content=record.content,
        objection_due_on=objection_due_on,
    )


async def load_facts(session: AsyncSession, subject_ids: Iterable[int]) -> dict[int, list[RecordFacts]]:
    """Every record of the given subjects, with the due date of its pending objection if any."""
    ids = list(set(subject_ids))
    result: dict[int, list[RecordFacts]] = defaultdict(list)
    if not ids:
        return result
    stmt = (
        select(CreditRecord, Objection.due_on)
        .outerjoin(
            Objection,
            and_(Objection.record_id == CreditRecord.id, Objection.status == ObjectionStatus.PENDING),
        )
        .where(CreditRecord.subject_id.in_(ids))
        .order_by(CreditRecord.subject_id, CreditRecord.id)
    )
    for record, due_on in (await session.execute(stmt)).all():
        result[record.subject_id].append(facts_of(record, due_on))
    return result


async def load_flags(session: AsyncSession, subject_ids: Iterable[int], today: dt.date) -> dict[int, FlagSet]:
    facts = await load_facts(session, subject_ids)
    return {sid: derive_flags(facts.get(sid, []), today) for sid in set(subject_ids)}
