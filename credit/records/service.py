"""`upsertRecords`: data providers submit records (归集) through the same ingestion as the import.

Each item is validated on its own; the valid ones are written in one unit of work and the invalid
ones come back as `ItemError`s with their position, so a pipeline can resubmit exactly those. A key
writes only the records of the authorities it is bound to (谁认定、谁负责); the credit office writes
those of the categories the decision table lets it decide (`credit.access.policy.may_write`). Items
out of scope are refused one by one with FORBIDDEN, before anything is read or written for them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from credit.access.policy import Capability, may_write, require
from credit.access.viewer import Viewer
from credit.errors import InvalidRequest
from credit.outbox.work import unit_of_work
from credit.platform.runtime import Runtime
from credit.records.ingest import Change, Problem, Refusal, upsert_records
from credit.records.inputs import InputError, RecordInput, parse_record

MAX_RECORDS = 500


@dataclass(frozen=True, slots=True)
class ItemError:
    """A refused item: its position in the call, its sourceId, the problem and a message."""

    index: int
    source_id: str
    problem: Problem
    message: str


@dataclass(frozen=True, slots=True)
class SubmitResult:
    accepted: int
    errors: list[ItemError]


def validate_batch(
    items: Sequence[Mapping[str, Any]], today: dt.date | None = None
) -> tuple[list[tuple[int, RecordInput]], list[ItemError]]:
    """The valid items with their positions, and an error for each invalid or repeated one, judged
    on `today` (China's day by default)."""
    valid: list[tuple[int, RecordInput]] = []
    errors: list[ItemError] = []
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        source_id = str(item.get("sourceId", ""))
        try:
            line = parse_record(dict(item), today=today)
        except InputError as exc:
            errors.append(ItemError(index, source_id, Problem.INVALID, str(exc)))
            continue
        key = (line.authority, line.source_id)
        if key in seen:
            message = f"duplicate of records[{seen[key]}]: authority and sourceId must be unique within one call"
            errors.append(ItemError(index, source_id, Problem.DUPLICATE, message))
            continue
        seen[key] = index
        valid.append((index, line))
    return valid, errors


async def submit_records(
    runtime: Runtime, viewer: Viewer, items: Sequence[Mapping[str, Any]], today: dt.date
) -> SubmitResult:
    """Insert or update records by (authority, sourceId), given as NDJSON record objects."""
    require(viewer, Capability.SUBMIT_RECORDS, "upsertRecords")
    if len(items) > MAX_RECORDS:
        raise InvalidRequest(f"at most {MAX_RECORDS} records per call; split the batch")
    valid, errors = validate_batch(items, today)
    accepted = 0
    if valid:
        async with unit_of_work(runtime) as work:
            outcome = await upsert_records(
                work,
                [line for _, line in valid],
                runtime.vault,
                actor=viewer.label,
                actor_key_id=viewer.key_id,
                actor_authorities=viewer.authorities,
                scope=lambda authority, category: may_write(viewer, authority, category),
                today=today,
            )
        for (index, line), result in zip(valid, outcome.results, strict=True):
            if isinstance(result, Refusal):
                errors.append(ItemError(index, line.source_id, result.problem, result.message))
            elif isinstance(result, Change):
                accepted += 1
    return SubmitResult(accepted=accepted, errors=sorted(errors, key=lambda e: e.index))
