"""归集: loading subjects and records from data providers, shared by `creditgraph import` and
`upsertRecords`. One call handles a batch in the caller's transaction; re-submitting identical
content changes nothing; a changed record gets a new revision; every change queues its subject.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from credit.crypto import Vault
from credit.enums import RecordStatus, SubjectKind
from credit.inputs import RecordInput, SubjectInput
from credit.masking import mask_address, mask_id_number, mask_name
from credit.models import CreditRecord, OutboxEntry, RecordEvent, Subject
from credit.outbox import touch_subjects
from credit.rules.disclosure import disclosure_period
from credit.rules.facts import RecordFacts


class Change(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass
class Outcome:
    """What happened to each item of a batch, in input order: a Change, or an error message."""

    results: list[Change | str] = field(default_factory=list)

    def count(self, change: Change) -> int:
        return sum(1 for r in self.results if r is change)

    @property
    def errors(self) -> list[tuple[int, str]]:
        return [(i, r) for i, r in enumerate(self.results) if not isinstance(r, Change)]


def _digest(payload: dict[str, Any]) -> bytes:
    return hashlib.blake2b(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


def subject_row(item: SubjectInput, vault: Vault) -> dict[str, Any]:
    """The stored form of a subject: personal data encrypted, clear columns masked for persons."""
    digest = _digest(item.model_dump(mode="json", exclude={"type"}))
    index = vault.blind_index(item.code)
    base: dict[str, Any] = {
        "kind": item.kind,
        "code_index": index,
        "former_names": list(item.former_names),
        "region_code": item.region_code,
        "registered_on": item.registered_on,
        "content_hash": digest,
    }
    if item.kind is SubjectKind.NATURAL_PERSON:
        secret = {"name": item.name, "code": item.code, "phone": item.phone, "address": item.address}
        return base | {
            "code": mask_id_number(item.code),
            "name": mask_name(item.name),
            "legal_representative": None,
            "address": mask_address(item.address) if item.address else None,
            "personal_data": vault.encrypt(secret, context=index),
        }
    secret = {"legalRepresentative": item.legal_representative}
    return base | {
        "code": item.code,
        "name": item.name,
        "legal_representative": mask_name(item.legal_representative) if item.legal_representative else None,
        "address": item.address,
        "personal_data": vault.encrypt(secret, context=index),
    }


async def upsert_subjects(session: AsyncSession, items: Sequence[SubjectInput], vault: Vault) -> Outcome:
    """Insert or update subjects by their code; each item's code must be unique within the batch."""
    if not items:
        return Outcome()
    rows = [subject_row(item, vault) for item in items]
    base = insert(Subject).values(rows)
    excluded = base.excluded
    stmt = base.on_conflict_do_update(
        index_elements=[Subject.code_index],
        set_={
            **{c: excluded[c] for c in rows[0] if c != "code_index"},
            "revision": Subject.revision + 1,
            "updated_at": dt.datetime.now(dt.UTC),
        },
        where=Subject.content_hash != excluded.content_hash,
    ).returning(Subject.id, Subject.code_index, Subject.revision)
    changed = {index: (sid, rev) for sid, index, rev in (await session.execute(stmt)).all()}
    if changed:
        await session.execute(
            insert(OutboxEntry), [{"subject_id": sid, "reason": "subject"} for sid, _ in changed.values()]
        )
    outcome = Outcome()
    for row in rows:
        hit = changed.get(row["code_index"])
        outcome.results.append(Change.UNCHANGED if hit is None else Change.CREATED if hit[1] == 1 else Change.UPDATED)
    return outcome


def _facts(item: RecordInput, published_on: dt.date) -> RecordFacts:
    return RecordFacts(
        id=0,
        category=item.category,
        status=RecordStatus.ACTIVE,
        decided_on=item.decided_on,
        published_on=published_on,
        severity=item.severity,
        list_name=item.list_name,
        valid_from=item.valid_from,
        valid_until=item.valid_until,
        content=item.content,
    )


async def upsert_records(
    session: AsyncSession,
    items: Sequence[RecordInput],
    vault: Vault,
    *,
    actor: str,
    actor_key_id: int | None = None,
    today: dt.date | None = None,
) -> Outcome:
    """Insert or update records by (authority, sourceId); (authority, sourceId) unique within the batch."""
    outcome = Outcome(results=[Change.UNCHANGED] * len(items))
    if not items:
        return outcome
    today = today or dt.date.today()
    indexes = {vault.blind_index(item.subject_code) for item in items}
    subject_ids = dict(
        (await session.execute(select(Subject.code_index, Subject.id).where(Subject.code_index.in_(indexes)))).all()
    )
    existing = {
        (a, s): sid
        for a, s, sid in (
            await session.execute(
                select(CreditRecord.authority, CreditRecord.source_id, CreditRecord.subject_id).where(
                    CreditRecord.source_id.in_({i.source_id for i in items})
                )
            )
        ).all()
    }
    rows: list[dict[str, Any]] = []
    positions: dict[tuple[str, str], int] = {}
    for pos, item in enumerate(items):
        subject_id = subject_ids.get(vault.blind_index(item.subject_code))
        if subject_id is None:
            outcome.results[pos] = "unknown subject: no subject with this subjectCode was imported"
            continue
        published_on = item.published_on or today
        payload = item.model_dump(mode="json", exclude={"type"}) | {"publishedOn": published_on.isoformat()}
        rows.append(
            {
                "subject_id": subject_id,
                "authority": item.authority,
                "source_id": item.source_id,
                "category": item.category,
                "title": item.title,
                "decision_number": item.decision_number,
                "decided_on": item.decided_on,
                "published_on": published_on,
                "severity": item.severity,
                "list_name": item.list_name,
                "valid_from": item.valid_from,
                "valid_until": item.valid_until,
                "content": item.content,
                "disclosure_until": disclosure_period(_facts(item, published_on)).until,
                "content_hash": _digest(payload),
            }
        )
        positions[(item.authority, item.source_id)] = pos
    if not rows:
        return outcome
    base = insert(CreditRecord).values(rows)
    excluded = base.excluded
    stmt = base.on_conflict_do_update(
        constraint="uq_records_authority_source",
        set_={
            **{c: excluded[c] for c in rows[0] if c not in ("authority", "source_id")},
            "revision": CreditRecord.revision + 1,
            "updated_at": dt.datetime.now(dt.UTC),
        },
        where=CreditRecord.content_hash != excluded.content_hash,
    ).returning(
        CreditRecord.id, CreditRecord.authority, CreditRecord.source_id, CreditRecord.subject_id, CreditRecord.revision
    )
    touched: set[int] = set()
    events = []
    for rid, authority, source_id, subject_id, revision in (await session.execute(stmt)).all():
        created = revision == 1
        outcome.results[positions[(authority, source_id)]] = Change.CREATED if created else Change.UPDATED
        touched.add(subject_id)
        previous = existing.get((authority, source_id))
        if previous is not None and previous != subject_id:
            touched.add(previous)
        events.append(
            {
                "record_id": rid,
                "actor": actor,
                "actor_key_id": actor_key_id,
                "action": "created" if created else "updated",
                "to_status": None,
                "reason": None if created else f"revision {revision}",
            }
        )
    if events:
        await session.execute(insert(RecordEvent), events)
    await touch_subjects(session, touched, "record")
    return outcome
