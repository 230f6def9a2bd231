"""`upsertRecords`: data providers submit records (归集) through the same service as the import.

Each item is validated on its own; the valid ones are written in one transaction and the invalid
ones come back in `errors` with their position, so a pipeline can resubmit exactly those.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql.commands import forget_profiles, revisions_of_subjects, subjects_of_sources
from api.graphql.context import Context
from api.graphql.enums import RecordCategory, Severity
from api.graphql.errors import BadUserInput, NotFound
from api.graphql.permissions import IsAuthenticated, IsDataProviderOrRegulator
from credit.records.ingest import Change, upsert_records
from credit.records.inputs import InputError, parse_record
from credit.records.inputs import RecordInput as RecordLine

MAX_RECORDS = 500


@strawberry.input(description="A record, as the `record` line of the NDJSON import.")
class RecordInput:
    source_id: str
    authority: str
    subject_code: str
    category: RecordCategory
    title: str
    decision_number: str | None = strawberry.UNSET
    decided_on: dt.date
    published_on: dt.date | None = strawberry.UNSET
    severity: Severity | None = strawberry.UNSET
    list_name: str | None = strawberry.UNSET
    valid_from: dt.date | None = strawberry.UNSET
    valid_until: dt.date | None = strawberry.UNSET
    content: JSON | None = strawberry.UNSET


#: GraphQL input field (Python name) → NDJSON key.
_KEYS = {
    "source_id": "sourceId",
    "authority": "authority",
    "subject_code": "subjectCode",
    "category": "category",
    "title": "title",
    "decision_number": "decisionNumber",
    "decided_on": "decidedOn",
    "published_on": "publishedOn",
    "severity": "severity",
    "list_name": "listName",
    "valid_from": "validFrom",
    "valid_until": "validUntil",
    "content": "content",
}


@strawberry.type(description="A refused item of `upsertRecords`: its position, its sourceId and why.")
class RecordError:
    index: int
    source_id: str
    code: str
    message: str


@strawberry.type
class UpsertRecordsPayload:
    accepted: int
    errors: list[RecordError]


def _line(item: RecordInput) -> dict[str, Any]:
    return {key: getattr(item, name) for name, key in _KEYS.items() if getattr(item, name) is not strawberry.UNSET}


def _code_of(message: str) -> str:
    # `upsert_records` reports the only database-side refusal, a missing subject, as text.
    return NotFound.code if message.startswith("unknown subject") else BadUserInput.code


def validate_batch(items: list[RecordInput]) -> tuple[list[tuple[int, RecordLine]], list[RecordError]]:
    """The valid items with their positions, and an error for each invalid or repeated one."""
    valid: list[tuple[int, RecordLine]] = []
    errors: list[RecordError] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        try:
            line = parse_record(_line(item))
        except InputError as exc:
            errors.append(RecordError(index=index, source_id=item.source_id, code=BadUserInput.code, message=str(exc)))
            continue
        key = (line.authority, line.source_id)
        if key in seen:
            message = f"duplicate of records[{seen[key]}]: authority and sourceId must be unique within one call"
            errors.append(RecordError(index=index, source_id=item.source_id, code=BadUserInput.code, message=message))
            continue
        seen[key] = index
        valid.append((index, line))
    return valid, errors


@strawberry.type
class RecordMutation:
    @strawberry.mutation(
        description=f"Insert or update records by (authority, sourceId); at most {MAX_RECORDS} per call. "
        "Valid items are accepted in one transaction, invalid ones reported in `errors`.",
        permission_classes=[IsAuthenticated, IsDataProviderOrRegulator],
    )
    async def upsert_records(self, info: Info[Context, None], records: list[RecordInput]) -> UpsertRecordsPayload:
        context = info.context
        if len(records) > MAX_RECORDS:
            raise BadUserInput(f"at most {MAX_RECORDS} records per call; split the batch")
        valid, errors = validate_batch(records)
        accepted = 0
        if valid:
            keys = [(line.authority, line.source_id) for _, line in valid]
            async with context.runtime.sessions.begin() as session:
                before = await subjects_of_sources(session, keys)  # a record may move to another subject
                outcome = await upsert_records(
                    session,
                    [line for _, line in valid],
                    context.runtime.vault,
                    actor=context.viewer.label,
                    actor_key_id=context.viewer.key_id,
                    today=context.today,
                )
                changed = [
                    key
                    for key, result in zip(keys, outcome.results, strict=True)
                    if isinstance(result, Change) and result is not Change.UNCHANGED
                ]
                after = await subjects_of_sources(session, changed)
                touched = {after[k] for k in changed} | {before[k] for k in changed if k in before}
                revisions = await revisions_of_subjects(session, touched)
            await forget_profiles(context, revisions)
            for (index, line), result in zip(valid, outcome.results, strict=True):
                if isinstance(result, Change):
                    accepted += 1
                else:
                    errors.append(
                        RecordError(index=index, source_id=line.source_id, code=_code_of(result), message=result)
                    )
        return UpsertRecordsPayload(accepted=accepted, errors=sorted(errors, key=lambda e: e.index))
