"""Statements about subjects and what hangs off them (records, objections), for every reader.

`read_profiles` is the one read of a subject's facts: the API's profile store and the indexer's
document builder both call it, so a profile and a search document are built from the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.enums import ObjectionStatus
from credit.models import CreditRecord, Objection, Subject
from credit.rules.facts import RecordFacts, SubjectFacts


@dataclass
class Profile:
    """A subject's row, its records and their objections: everything its derived state depends on."""

    subject: Subject
    records: list[CreditRecord] = field(default_factory=list)
    objections: dict[int, list[Objection]] = field(default_factory=dict)

    def facts(self) -> list[RecordFacts]:
        """The records as the rules see them, each with its pending objection's due date."""
        due = {
            rid: o.due_on
            for rid, items in self.objections.items()
            for o in items
            if o.status is ObjectionStatus.PENDING
        }
        return [r.facts(due.get(r.id)) for r in self.records]

    def subject_facts(self) -> SubjectFacts:
        """The subject as the rules see it: its kind and registration date."""
        return SubjectFacts(kind=self.subject.kind, registered_on=self.subject.registered_on)


async def subject_by_index(session: AsyncSession, code_index: bytes) -> Subject | None:
    """The subject whose code has this blind index (`Vault.blind_index` of the canonical code)."""
    subject: Subject | None = await session.scalar(select(Subject).where(Subject.code_index == code_index))
    return subject


async def subjects_by_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, Subject]:
    rows = (await session.scalars(select(Subject).where(Subject.id.in_(sorted(set(ids)))))).all()
    return {row.id: row for row in rows}


async def records_by_ids(session: AsyncSession, ids: Iterable[int]) -> dict[int, CreditRecord]:
    rows = (await session.scalars(select(CreditRecord).where(CreditRecord.id.in_(sorted(set(ids)))))).all()
    return {row.id: row for row in rows}


async def objections_by_records(session: AsyncSession, record_ids: Iterable[int]) -> dict[int, list[Objection]]:
    grouped: dict[int, list[Objection]] = defaultdict(list)
    stmt = select(Objection).where(Objection.record_id.in_(sorted(set(record_ids)))).order_by(Objection.id)
    for row in (await session.scalars(stmt)).all():
        grouped[row.record_id].append(row)
    return grouped


async def read_profiles(session: AsyncSession, subject_ids: Sequence[int]) -> dict[int, Profile]:
    """Profiles from PostgreSQL in three statements, whatever the number of subjects and records."""
    ids = sorted(set(subject_ids))
    if not ids:
        return {}
    subjects = (await session.scalars(select(Subject).where(Subject.id.in_(ids)))).all()
    profiles = {s.id: Profile(subject=s) for s in subjects}
    records = (
        await session.scalars(select(CreditRecord).where(CreditRecord.subject_id.in_(ids)).order_by(CreditRecord.id))
    ).all()
    by_id: dict[int, CreditRecord] = {}
    for record in records:
        profiles[record.subject_id].records.append(record)
        by_id[record.id] = record
    if by_id:
        stmt = select(Objection).where(Objection.record_id.in_(list(by_id))).order_by(Objection.id)
        for objection in (await session.scalars(stmt)).all():
            subject_id = by_id[objection.record_id].subject_id
            profiles[subject_id].objections.setdefault(objection.record_id, []).append(objection)
    return profiles
