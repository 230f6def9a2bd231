"""Statements for the credit office's views of measures.

`withdrawal_candidates` narrows the search for red listings to withdraw with SQL on the stored
disclosure end (`disclosure_until`, which ingestion sets from the rules) and the stored status; the
rules (`credit.rules.flags.derive_flags`) then decide on each candidate's whole profile.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from credit.enums import RecordCategory, RecordStatus
from credit.models import CreditRecord

_IN_FORCE_STATUSES = (RecordStatus.ACTIVE, RecordStatus.UNDER_OBJECTION)


def _in_force(record: type[CreditRecord], statuses: Collection[RecordStatus], today: dt.date) -> ColumnElement[bool]:
    return and_(
        record.status.in_(list(statuses)),
        or_(record.disclosure_until.is_(None), record.disclosure_until >= today),
        or_(record.valid_from.is_(None), record.valid_from <= today),
    )


async def withdrawal_candidates(
    session: AsyncSession,
    withdraw: RecordCategory,
    because: Collection[RecordCategory],
    today: dt.date,
    after: int,
    limit: int,
) -> Sequence[tuple[int, int]]:
    """(record id, subject id) of in-force `withdraw` records whose subject has an ACTIVE in-force
    record of a `because` category, by record id after `after`."""
    trigger = aliased(CreditRecord)
    stmt = (
        select(CreditRecord.id, CreditRecord.subject_id)
        .where(
            CreditRecord.category == withdraw,
            _in_force(CreditRecord, _IN_FORCE_STATUSES, today),
            CreditRecord.id > after,
            exists().where(
                trigger.subject_id == CreditRecord.subject_id,
                trigger.category.in_(list(because)),
                _in_force(trigger, (RecordStatus.ACTIVE,), today),
            ),
        )
        .order_by(CreditRecord.id)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]
