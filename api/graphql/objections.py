"""Objections (异议): `fileObjection`, `resolveObjection`, and the credit office's views of them
(`overdueObjections`, `recordHistory`). The rules live in `credit.lifecycle.objections`; this is transport."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.enums import ObjectionAddressee, ObjectionOutcome, RecordStatus
from api.graphql.ids import id_argument
from api.graphql.permissions import IsAuthenticated, needs
from api.graphql.types import CreditRecord, Objection
from credit import enums
from credit.access.policy import Capability
from credit.lifecycle import service
from credit.models import RecordEvent as RecordEventRow

OFFICE = needs(Capability.CREDIT_OFFICE)
FOR_SUBJECT = needs(Capability.ACT_FOR_SUBJECT)
DECIDER = needs(Capability.DECIDE_ON_RECORDS)


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

    @strawberry.field(description="The authority (认定单位) the actor acted for; null for the credit office.")
    def actor_authority(self) -> str | None:
        return self.row.actor_authority

    @strawberry.field(
        description="created, updated, deleted (the court deleted the listing), objection_filed, "
        "objection_resolved, repair_applied, repair_approved, repair_rejected"
    )
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


@strawberry.type(description="A court's deletion of a 失信被执行人 listing and when it reached the public.")
class ListingDeletion:
    entry: strawberry.Private[service.ListingDeletion]

    @strawberry.field
    def record(self) -> CreditRecord:
        return CreditRecord(row=self.entry.record)

    @strawberry.field(description="The day the court deleted the listing.")
    def deleted_on(self) -> dt.date:
        assert self.entry.record.deleted_on is not None
        return self.entry.record.deleted_on

    @strawberry.field(description="When the platform received the deletion (and took the listing out of disclosure).")
    def received_at(self) -> dt.datetime:
        return self.entry.received_at

    @strawberry.field(description="Working days from the deletion to its reception.")
    def working_days(self) -> int:
        return self.entry.working_days

    @strawberry.field(description="Whether it reached the public within 3 working days (法释〔2017〕7号 第十条).")
    def on_time(self) -> bool:
        return self.entry.on_time


@strawberry.type(description="The credit office's backlog: objections and repair applications, counted.")
class LifecycleBacklog:
    pending_replies: int = strawberry.field(description="Objections awaiting their written reply.")
    overdue_replies: int = strawberry.field(description="Of those, past their 15-working-day due date.")
    pending_corrections: int = strawberry.field(description="CORRECTED objections awaiting the corrected record.")
    overdue_corrections: int = strawberry.field(description="Of those, past their 5-working-day due date.")
    pending_repairs: int = strawberry.field(description="Repair applications awaiting their decision.")
    overdue_repairs: int = strawberry.field(description="Of those, past their 10-working-day due date.")


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
        description="Objections answered CORRECTED whose corrected record has not arrived by its due date "
        "(5 working days), the longest overdue first (credit office).",
        permission_classes=[IsAuthenticated, OFFICE],
    )
    async def overdue_corrections(self, info: Info[Context, None]) -> list[Objection]:
        context = info.context
        rows = await service.overdue_corrections(context.runtime, context.viewer, context.today)
        return [Objection(row=row) for row in rows]

    @strawberry.field(
        description="What the credit office tracks, counted (credit office).",
        permission_classes=[IsAuthenticated, OFFICE],
    )
    async def lifecycle_backlog(self, info: Info[Context, None]) -> LifecycleBacklog:
        context = info.context
        counts = await service.backlog(context.runtime, context.viewer, context.today)
        return LifecycleBacklog(
            pending_replies=counts.pending_replies,
            overdue_replies=counts.overdue_replies,
            pending_corrections=counts.pending_corrections,
            overdue_corrections=counts.overdue_corrections,
            pending_repairs=counts.pending_repairs,
            overdue_repairs=counts.overdue_repairs,
        )

    @strawberry.field(
        description="Pending objections the key has to answer, oldest due first: for a key bound to authorities "
        "those on its authorities' records; for the credit office all of them (those referred to another body "
        "carry referredTo).",
        permission_classes=[IsAuthenticated, DECIDER],
    )
    async def pending_objections(self, info: Info[Context, None]) -> list[Objection]:
        context = info.context
        rows = await service.pending_objections(context.runtime, context.viewer)
        return [Objection(row=objection) for objection, _ in rows]

    @strawberry.field(
        description="Court deletions of 失信被执行人 listings decided between from and to (at most a year), and "
        "whether each reached the public within 3 working days (credit office).",
        permission_classes=[IsAuthenticated, OFFICE],
    )
    async def listing_deletions(
        self,
        info: Info[Context, None],
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> list[ListingDeletion]:
        context = info.context
        rows = await service.listing_deletions(context.runtime, context.viewer, from_, to)
        return [ListingDeletion(entry=row) for row in rows]

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
        description="Object to a record (SUBJECT for its own records, or the credit office), addressed to the "
        "credit office or to the record's authority (认定部门); a court's listing, a black list or a penalty "
        "goes to its authority whatever is asked (referredTo). While it is verified the record's joint "
        "measures are held (heldFlags), unless it repeats an objection already answered REJECTED for the same "
        "record: then it holds nothing until its deciding body grants a hold (grantObjectionHold).",
        permission_classes=[IsAuthenticated, FOR_SUBJECT],
    )
    async def file_objection(
        self,
        info: Info[Context, None],
        record_id: strawberry.ID,
        reason: str,
        addressed_to: ObjectionAddressee = ObjectionAddressee.CREDIT_OFFICE,
    ) -> Objection:
        context = info.context
        key = id_argument(record_id, "recordId", "CreditRecord")
        row = await service.file_objection(context.runtime, context.viewer, key, reason, context.today, addressed_to)
        return Objection(row=row)

    @strawberry.mutation(
        description="Grant a repeated objection the hold, for new grounds: the record's joint measures are held "
        "while it is verified (its deciding body).",
        permission_classes=[IsAuthenticated, DECIDER],
    )
    async def grant_objection_hold(
        self, info: Info[Context, None], objection_id: strawberry.ID, note: str | None = None
    ) -> Objection:
        context = info.context
        key = id_argument(objection_id, "objectionId", "Objection")
        return Objection(row=await service.grant_objection_hold(context.runtime, context.viewer, key, note))

    @strawberry.mutation(
        description="Answer a pending objection: REJECTED, CORRECTED or REVOKED. The record's authority answers "
        "(a key bound to it); the credit office too where the decision table lets it (not for 失信被执行人 "
        "listings or black lists, which their authority decides).",
        permission_classes=[IsAuthenticated, DECIDER],
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
