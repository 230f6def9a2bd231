"""Credit repair (信用修复): `applyCreditRepair` and `decideCreditRepair`. Rules in `credit.lifecycle.repairs`."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.enums import RepairStatus
from api.graphql.ids import Node, global_id, id_argument
from api.graphql.permissions import IsAuthenticated, needs
from api.graphql.types import CreditRecord
from credit.access.policy import Capability
from credit.enums import label
from credit.lifecycle import service
from credit.models import CreditRepair as CreditRepairRow


@strawberry.type(description="An application to end a record's public disclosure early.")
class CreditRepair(Node):
    row: strawberry.Private[CreditRepairRow]

    @strawberry.field(description="Opaque global id (CreditRepair:number in base64); node(id:) fetches it again.")
    def id(self) -> strawberry.ID:
        return global_id("CreditRepair", self.row.id)

    @strawberry.field(description="The plain number that was `id` before global ids.")
    def database_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def status(self) -> RepairStatus:
        return self.row.status

    @strawberry.field(description="The status in Chinese (待审核, 准予修复, 不予修复).")
    def status_label(self) -> str:
        return label(self.row.status)

    @strawberry.field
    def statement(self) -> str:
        return self.row.statement

    @strawberry.field
    def applied_at(self) -> dt.datetime:
        return self.row.applied_at

    @strawberry.field
    def decided_at(self) -> dt.datetime | None:
        return self.row.decided_at

    @strawberry.field
    async def record(self, info: Info[Context, None]) -> CreditRecord:
        row = await info.context.loaders.record_by_id.load(self.row.record_id)
        assert row is not None  # a foreign key guarantees it
        return CreditRecord(row=row)


@strawberry.type
class RepairMutation:
    @strawberry.mutation(
        description="Apply for the repair of a punishment record once its minimum disclosure period "
        "has passed (SUBJECT for its own records, or the credit office).",
        permission_classes=[IsAuthenticated, needs(Capability.ACT_FOR_SUBJECT)],
    )
    async def apply_credit_repair(
        self, info: Info[Context, None], record_id: strawberry.ID, statement: str
    ) -> CreditRepair:
        context = info.context
        key = id_argument(record_id, "recordId", "CreditRecord")
        row = await service.apply_credit_repair(context.runtime, context.viewer, key, statement, context.today)
        return CreditRepair(row=row)

    @strawberry.mutation(
        description="Approve (the record becomes REPAIRED) or reject a pending application (credit office).",
        permission_classes=[IsAuthenticated, needs(Capability.CREDIT_OFFICE)],
    )
    async def decide_credit_repair(
        self, info: Info[Context, None], repair_id: strawberry.ID, approve: bool, note: str | None = None
    ) -> CreditRepair:
        context = info.context
        key = id_argument(repair_id, "repairId", "CreditRepair")
        row = await service.decide_credit_repair(context.runtime, context.viewer, key, approve, note, context.today)
        return CreditRepair(row=row)
