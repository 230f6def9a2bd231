"""归集: loading subjects and records from data providers, shared by `creditgraph import` and
`upsertRecords`. One call handles a batch in the caller's transaction; re-submitting identical
content changes nothing; a changed record gets a new revision; every change queues its subject.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import LargeBinary, any_, cast, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from credit.enums import RecordStatus, SubjectKind
from credit.models import Subject
from credit.outbox.queue import touch_records
from credit.platform.bulk import column_arrays, insert_rows, unnest_insert
from credit.platform.crypto import Vault
from credit.records.inputs import RecordInput, SubjectInput
from credit.rules.disclosure import disclosure_period
from credit.rules.facts import RecordFacts
from credit.subjects.masking import (
    mask_address,
    mask_id_number,
    mask_identifiers,
    mask_name,
    person_replacements,
    redact,
)


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


SUBJECT_COLUMNS = {
    "kind": "text",
    "code": "text",
    "code_index": "bytea",
    "name": "text",
    "former_names": "text[]",
    "region_code": "text",
    "legal_representative": "text",
    "registered_on": "date",
    "address": "text",
    "personal_data": "bytea",
    "content_hash": "bytea",
}
_SUBJECT_UPSERT = unnest_insert(
    "subjects",
    SUBJECT_COLUMNS,
    "ON CONFLICT (code_index) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in SUBJECT_COLUMNS if c != "code_index")
    + ", revision = subjects.revision + 1, updated_at = now()"
    " WHERE subjects.content_hash <> EXCLUDED.content_hash RETURNING id, code_index, revision",
)
RECORD_COLUMNS = {
    "subject_id": "bigint",
    "authority": "text",
    "source_id": "text",
    "category": "text",
    "title": "text",
    "decision_number": "text",
    "decided_on": "date",
    "published_on": "date",
    "severity": "text",
    "list_name": "text",
    "valid_from": "date",
    "valid_until": "date",
    "content": "jsonb",
    "disclosure_until": "date",
    "content_hash": "bytea",
}
_KEPT_ON_UPDATE = ("authority", "source_id", "published_on")
_RECORD_UPSERT = unnest_insert(
    "records",
    RECORD_COLUMNS,
    "ON CONFLICT ON CONSTRAINT uq_records_authority_source DO UPDATE SET "
    # published_on is the day of first publication: a new revision keeps it, so a record never moves in
    # the disclosure feed's (published_on, id) order (credit/disclosures/feed.py).
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in RECORD_COLUMNS if c not in _KEPT_ON_UPDATE)
    + ", revision = records.revision + 1, updated_at = now()"
    " WHERE records.content_hash <> EXCLUDED.content_hash"
    " RETURNING id, authority, source_id, subject_id, revision",
)
OUTBOX_COLUMNS = {"subject_id": "bigint", "reason": "text"}
EVENT_COLUMNS = {
    "record_id": "bigint",
    "actor": "text",
    "actor_key_id": "bigint",
    "action": "text",
    "to_status": "text",
    "reason": "text",
}


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
        secret = {
            "name": item.name,
            "code": item.code,
            "phone": item.phone,
            "address": item.address,
            "formerNames": list(item.former_names),
        }
        return base | {
            "code": mask_id_number(item.code),
            "name": mask_name(item.name),
            "former_names": [mask_name(former) for former in item.former_names],
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
    params = column_arrays(rows, SUBJECT_COLUMNS)
    params["former_names"] = [orjson.dumps(v).decode() for v in params["former_names"]]
    params["kind"] = [k.value for k in params["kind"]]
    result = await session.execute(_SUBJECT_UPSERT, params)
    changed = {bytes(index): (sid, rev) for sid, index, rev in result.all()}
    await insert_rows(
        session, "outbox", OUTBOX_COLUMNS, [{"subject_id": sid, "reason": "subject"} for sid, _ in changed.values()]
    )
    outcome = Outcome()
    for row in rows:
        hit = changed.get(row["code_index"])
        outcome.results.append(Change.UNCHANGED if hit is None else Change.CREATED if hit[1] == 1 else Change.UPDATED)
    return outcome


def text_cleaner(
    vault: Vault, kind: SubjectKind, personal_data: bytes | None, code_index: bytes
) -> Callable[[str], str]:
    """How the free text of a subject's records is stored: a natural person's name, ID number, phone
    and address masked wherever the provider wrote them (titles such as 关于将张三纳入失信被执行人名单
    的决定书), and for every subject any ID or mobile number masked. The content hash is taken from the
    text as submitted, so re-importing the same line still changes nothing."""
    if kind is SubjectKind.NATURAL_PERSON and personal_data is not None:
        secret = vault.decrypt(personal_data, context=code_index)
        replacements = person_replacements(
            secret.get("name"),
            secret.get("code"),
            secret.get("phone"),
            secret.get("address"),
            list(secret.get("formerNames") or ()),
        )
        return lambda text: redact(text, replacements)
    return mask_identifiers


def clean_content(value: Any, clean: Callable[[str], str]) -> Any:
    """`value` (a record's JSON content) with `clean` applied to every string in it."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: clean_content(item, clean) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_content(item, clean) for item in value]
    return value


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
    subject_ids: dict[bytes, int] = {}
    cleaners: dict[int, Callable[[str], str]] = {}
    for index, sid, kind, personal_data in (
        await session.execute(
            select(Subject.code_index, Subject.id, Subject.kind, Subject.personal_data).where(
                Subject.code_index == any_(cast(list(indexes), ARRAY(LargeBinary)))
            )
        )
    ).all():
        subject_ids[bytes(index)] = sid
        cleaners[sid] = text_cleaner(vault, kind, personal_data, bytes(index))
    keys = sorted({(i.authority, i.source_id) for i in items})
    existing = {
        (a, s): sid
        for a, s, sid in (
            # By the full (authority, source_id) key, so the lookup stays on its unique index.
            await session.execute(
                text(
                    "SELECT r.authority, r.source_id, r.subject_id FROM records r"
                    " JOIN unnest(CAST(:authorities AS text[]), CAST(:source_ids AS text[]))"
                    " AS k(authority, source_id) ON r.authority = k.authority AND r.source_id = k.source_id"
                ),
                {"authorities": [a for a, _ in keys], "source_ids": [s for _, s in keys]},
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
        # The defaulted publishedOn (the import day) stays out of the hash: the same line imported
        # another day is unchanged.
        payload = item.model_dump(mode="json", exclude={"type"})
        clean = cleaners[subject_id]
        rows.append(
            {
                "subject_id": subject_id,
                "authority": item.authority,
                "source_id": item.source_id,
                "category": item.category,
                "title": clean(item.title),
                "decision_number": item.decision_number and clean(item.decision_number),
                "decided_on": item.decided_on,
                "published_on": published_on,
                "severity": item.severity,
                "list_name": item.list_name and clean(item.list_name),
                "valid_from": item.valid_from,
                "valid_until": item.valid_until,
                "content": clean_content(item.content, clean),
                "disclosure_until": disclosure_period(_facts(item, published_on)).until,
                "content_hash": _digest(payload),
            }
        )
        positions[(item.authority, item.source_id)] = pos
    if not rows:
        return outcome
    params = column_arrays(rows, RECORD_COLUMNS)
    params["content"] = [None if v is None else orjson.dumps(v).decode() for v in params["content"]]
    for enum_column in ("category", "severity"):
        params[enum_column] = [None if v is None else v.value for v in params[enum_column]]
    result = await session.execute(_RECORD_UPSERT, params)
    touched: set[tuple[int, int | None]] = set()  # (subject, record): one outbox row per changed record
    events = []
    for rid, authority, source_id, subject_id, revision in result.all():
        created = revision == 1
        outcome.results[positions[(authority, source_id)]] = Change.CREATED if created else Change.UPDATED
        touched.add((subject_id, rid))
        previous = existing.get((authority, source_id))
        if previous is not None and previous != subject_id:
            touched.add((previous, None))
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
    await insert_rows(session, "record_events", EVENT_COLUMNS, events)
    await touch_records(session, touched, "record")
    return outcome
