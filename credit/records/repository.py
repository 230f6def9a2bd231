"""Set-based statements of 归集: subjects and records written a batch at a time (`unnest` arrays).

A batch is one statement per table whatever its size (`credit.platform.bulk`); upserts return what
changed, so unchanged lines cost no new revision, no event and no outbox row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import LargeBinary, any_, cast, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from credit.enums import SubjectKind
from credit.models import CreditRecord, Subject
from credit.platform.bulk import column_arrays, insert_rows, unnest_insert

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
    "listing_ground": "smallint",
    "deleted_on": "date",
    "deletion_reason": "text",
    "disclosure_until": "date",
    "content_hash": "bytea",
}
_KEPT_ON_UPDATE = ("authority", "source_id", "published_on")
# A court's deletion is final (法释〔2017〕7号 第十条): a later line without it (an old file imported
# again) cannot bring a deleted listing back into disclosure.
_FINAL_DELETION = {
    "deleted_on": "COALESCE(records.deleted_on, EXCLUDED.deleted_on)",
    "deletion_reason": "COALESCE(records.deletion_reason, EXCLUDED.deletion_reason)",
    "disclosure_until": "CASE WHEN records.deleted_on IS NULL THEN EXCLUDED.disclosure_until"
    " ELSE LEAST(EXCLUDED.disclosure_until, records.deleted_on - 1) END",
}
_RECORD_UPSERT = unnest_insert(
    "records",
    RECORD_COLUMNS,
    "ON CONFLICT ON CONSTRAINT uq_records_authority_source DO UPDATE SET "
    # published_on is the day of first publication: a new revision keeps it, so a record never moves in
    # the disclosure feed's (published_on, id) order (credit/disclosures/feed.py).
    + ", ".join(f"{c} = {_FINAL_DELETION.get(c, f'EXCLUDED.{c}')}" for c in RECORD_COLUMNS if c not in _KEPT_ON_UPDATE)
    + ", revision = records.revision + 1, updated_at = now()"
    " WHERE records.content_hash <> EXCLUDED.content_hash"
    " RETURNING id, authority, source_id, subject_id, revision",
)
EVENT_COLUMNS = {
    "record_id": "bigint",
    "actor": "text",
    "actor_key_id": "bigint",
    "actor_authority": "text",
    "action": "text",
    "to_status": "text",
    "reason": "text",
}


async def upsert_subject_rows(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> dict[bytes, tuple[int, int]]:
    """Insert or update subjects by `code_index`; {code_index: (id, revision)} of those that changed."""
    params = column_arrays(rows, SUBJECT_COLUMNS)
    params["former_names"] = [orjson.dumps(v).decode() for v in params["former_names"]]
    params["kind"] = [k.value for k in params["kind"]]
    result = await session.execute(_SUBJECT_UPSERT, params)
    return {bytes(index): (sid, rev) for sid, index, rev in result.all()}


async def subjects_by_indexes(
    session: AsyncSession, indexes: Iterable[bytes]
) -> list[tuple[bytes, int, SubjectKind, bytes | None]]:
    """(code_index, id, kind, personal_data) of the subjects with these blind indexes."""
    stmt = select(Subject.code_index, Subject.id, Subject.kind, Subject.personal_data).where(
        Subject.code_index == any_(cast(sorted(set(indexes)), ARRAY(LargeBinary)))
    )
    return [
        (bytes(index), sid, kind, personal_data)
        for index, sid, kind, personal_data in (await session.execute(stmt)).all()
    ]


_EXISTING = text(
    # By the full (authority, source_id) key, so the lookup stays on its unique index.
    "SELECT r.authority, r.source_id, r.subject_id, r.deleted_on FROM records r"
    " JOIN unnest(CAST(:authorities AS text[]), CAST(:source_ids AS text[]))"
    " AS k(authority, source_id) ON r.authority = k.authority AND r.source_id = k.source_id"
)


@dataclass(frozen=True, slots=True)
class Existing:
    subject_id: int
    deleted_on: dt.date | None


async def existing_records(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Existing]:
    """{(authority, sourceId): its subject and deletion} of the records that exist."""
    pairs = sorted(set(keys))
    result = await session.execute(
        _EXISTING, {"authorities": [a for a, _ in pairs], "source_ids": [s for _, s in pairs]}
    )
    return {(a, s): Existing(sid, deleted_on) for a, s, sid, deleted_on in result.all()}


async def upsert_record_rows(
    session: AsyncSession, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[int, str, str, int, int]]:
    """Insert or update records by (authority, source_id); (id, authority, source_id, subject_id, revision)
    of those that changed."""
    params = column_arrays(rows, RECORD_COLUMNS)
    params["content"] = [None if v is None else orjson.dumps(v).decode() for v in params["content"]]
    for enum_column in ("category", "severity"):
        params[enum_column] = [None if v is None else v.value for v in params[enum_column]]
    result = await session.execute(_RECORD_UPSERT, params)
    return [(rid, authority, source_id, sid, revision) for rid, authority, source_id, sid, revision in result.all()]


async def insert_events(session: AsyncSession, events: Sequence[Mapping[str, Any]]) -> None:
    await insert_rows(session, "record_events", EVENT_COLUMNS, events)


async def first_subject_with_records(session: AsyncSession) -> int | None:
    """The subject of the oldest record (the demo binds its SUBJECT key to it)."""
    subject_id: int | None = await session.scalar(select(CreditRecord.subject_id).order_by(CreditRecord.id).limit(1))
    return subject_id


async def authorities_of_subject(session: AsyncSession, subject_id: int) -> list[str]:
    """The authorities of a subject's records, sorted."""
    stmt = select(CreditRecord.authority).where(CreditRecord.subject_id == subject_id).distinct()
    return sorted((await session.scalars(stmt)).all())
