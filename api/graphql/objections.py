"""Objections (异议): `fileObjection`, `resolveObjection`, and the credit office's views of them
(`overdueObjections`, `recordHistory`). The rules live in `credit.lifecycle.objections`; this is transport."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.enums import ObjectionOutcome, RecordStatus
from api.graphql.ids import id_argument
from api.graphql.permissions import IsAuthenticated, needs
from api.graphql.types import Objection
from credit import enums
from credit.access.policy import Capability
from credit.lifecycle import service
from credit.models import RecordEvent as RecordEventRow

OFFICE = needs(Capability.CREDIT_OFFICE)
FOR_SUBJECT = needs(Capability.ACT_FOR_SUBJECT)


def _status(value: str | None) -> enums.RecordStatus | None:
    return enums.RecordStatus(value) if value else None


@strawberry.type(description="A change in a record's history: who did what, when and why.")
class RecordEvent:
    row: strawberry.Private[RecordEventRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def at(self) -> dt.datetime:
        return self.row.at

    @strawberry.field(description="The role and key name (or the import) that made the change.")
    def actor(self) -> str:
        return self.row.actor

    @strawberry.field(description="created, updated, objection_filed, objection_resolved, repair_applied, …")
    def action(self) -> str:
        return self.row.action

    @strawberry.field
    def from_status(self) -> RecordStatus | None:
        return _status(self.row.from_status)

    @strawberry.field
    def to_status(self) -> RecordStatus | None:
        return _status(self.row.to_status)

    @strawberry.field
    def reason(self) -> str | None:
        return self.row.reason


@strawberry.type
class ObjectionQuery:
    @strawberry.field(
        description="Pending objections whose reply is overdue (credit office).",
        permission_classes=[IsAuthenticated, OFFICE],
    )
    async def overdue_objections(self, info: Info[Context, None]) -> list[Objection]:
        context = info.context
        rows = await service.overdue_objections(context.runtime, context.viewer, context.today)
        return [Objection(row=row) for row in rows]

    @strawberry.field(
        description="A record's status history, oldest first (credit office).",
        permission_classes=[IsAuthenticated, OFFICE],
    )
    async def record_history(self, info: Info[Context, None], record_id: strawberry.ID) -> list[RecordEvent]:
        context = info.context
        rows = await service.record_history(
            context.runtime, context.viewer, id_argument(record_id, "recordId", "CreditRecord")
        )
        return [RecordEvent(row=row) for row in rows]


@strawberry.type
class ObjectionMutation:
    @strawberry.mutation(
        description="Object to a record (SUBJECT for its own records, or the credit office); "
        "its punishment measures are held until the objection is resolved.",
        permission_classes=[IsAuthenticated, FOR_SUBJECT],
    )
    async def file_objection(self, info: Info[Context, None], record_id: strawberry.ID, reason: str) -> Objection:
        context = info.context
        key = id_argument(record_id, "recordId", "CreditRecord")
        row = await service.file_objection(context.runtime, context.viewer, key, reason, context.today)
        return Objection(row=row)

    @strawberry.mutation(
        description="Answer a pending objection (credit office): REJECTED, CORRECTED or REVOKED.",
        permission_classes=[IsAuthenticated, OFFICE],
    )
    async def resolve_objection(
        self,
        info: Info[Context, None],
        objection_id: strawberry.ID,
        outcome: ObjectionOutcome,
        note: str | None = None,
    ) -> Objection:
        context = info.context
        key = id_argument(objection_id, "objectionId", "Objection")
        row = await service.resolve_objection(context.runtime, context.viewer, key, outcome, note, context.today)
        return Objection(row=row)
