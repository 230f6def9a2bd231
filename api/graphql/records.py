"""`upsertRecords`: data providers submit records (归集); the rules are in `credit.records.service`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.enums import RecordCategory, Severity
from api.graphql.errors import PROBLEM_CODES
from api.graphql.permissions import IsAuthenticated, needs
from credit.access.policy import Capability
from credit.privacy.view import clean_message
from credit.records import service
from credit.records.service import MAX_RECORDS


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
    listing_ground: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="失信被执行人: the item (1–6) of 法释〔2017〕7号 第一条 the listing rests on.",
    )
    deleted_on: dt.date | None = strawberry.field(
        default=strawberry.UNSET,
        description="失信被执行人: the day the court deleted the listing (第十条); final once received.",
    )
    deletion_reason: str | None = strawberry.field(
        default=strawberry.UNSET, description="失信被执行人: why the court deleted the listing (with deletedOn)."
    )


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
    "listing_ground": "listingGround",
    "deleted_on": "deletedOn",
    "deletion_reason": "deletionReason",
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


@strawberry.type
class RecordMutation:
    @strawberry.mutation(
        description=f"Insert or update records by (authority, sourceId); at most {MAX_RECORDS} per call. "
        "Valid items are accepted in one transaction, invalid ones reported in `errors`. A data provider's "
        "key writes only the records of the authorities it is bound to; the credit office those of the "
        "categories it may decide (not 失信被执行人 or black lists, which are their authorities'). An item "
        "out of scope is refused with code FORBIDDEN and nothing of it changes.",
        permission_classes=[IsAuthenticated, needs(Capability.SUBMIT_RECORDS)],
    )
    async def upsert_records(self, info: Info[Context, None], records: list[RecordInput]) -> UpsertRecordsPayload:
        context = info.context
        result = await service.submit_records(
            context.runtime, context.viewer, [_line(r) for r in records], context.today
        )
        errors = [
            RecordError(
                index=e.index,
                source_id=clean_message(e.source_id),
                code=PROBLEM_CODES[e.problem],
                message=clean_message(e.message),
            )
            for e in result.errors
        ]
        return UpsertRecordsPayload(accepted=result.accepted, errors=errors)
