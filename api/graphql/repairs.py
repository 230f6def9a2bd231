"""Credit repair (信用修复): `applyCreditRepair` and `decideCreditRepair`. Rules in `credit.lifecycle.repairs`."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.cursors import check_first, decode, encode
from api.graphql.enums import RecordCategory, RepairStatus
from api.graphql.errors import BadUserInput
from api.graphql.ids import Node, global_id, id_argument
from api.graphql.permissions import IsAuthenticated, needs
from api.graphql.subject_types import Subject
from api.graphql.types import CreditRecord, PageInfo, text_about
from credit.access.policy import Capability
from credit.enums import label
from credit.lifecycle import service
from credit.lifecycle.objections import may_read_answer
from credit.lifecycle.repairs import Commitment
from credit.models import CreditRecord as RecordRow
from credit.models import CreditRepair as CreditRepairRow
from credit.privacy.view import clean


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

    @strawberry.field(
        description="The applicant's statement: for the applicant, the record's deciding bodies and the credit "
        "office; everyone else reads （不公开）."
    )
    async def statement(self, info: Info[Context, None]) -> str:
        return info.context.texts.own(await self._record(info), self.row.statement)

    @strawberry.field
    def applied_at(self) -> dt.datetime:
        return self.row.applied_at

    @strawberry.field
    def decided_at(self) -> dt.datetime | None:
        return self.row.decided_at

    @strawberry.field
    async def record(self, info: Info[Context, None]) -> CreditRecord:
        return CreditRecord(row=await self._record(info))

    async def _record(self, info: Info[Context, None]) -> RecordRow:
        row = await info.context.loaders.record_by_id.load(self.row.record_id)
        assert row is not None  # a foreign key guarantees it
        return row

    @strawberry.field(
        description="The signed commitment (信用修复承诺书); for the applicant, its deciding body and the credit "
        "office (the public reads commitments, masked, in repairCommitments)."
    )
    async def commitment(self, info: Info[Context, None]) -> RepairCommitment | None:
        row = self.row
        if row.commitment_text is None or row.commitment_signed_by is None or row.commitment_signed_on is None:
            return None
        if not may_read_answer(info.context.viewer, await self._record(info)):
            return None
        return RepairCommitment(
            text=row.commitment_text, signed_by=row.commitment_signed_by, signed_on=row.commitment_signed_on
        )

    @strawberry.field(
        description="References to the proof that the obligations are performed; for the applicant, its deciding "
        "body and the credit office (empty for everyone else)."
    )
    async def evidence(self, info: Info[Context, None]) -> list[str]:
        return list(self.row.evidence) if may_read_answer(info.context.viewer, await self._record(info)) else []

    @strawberry.field(
        description="When the decision is due: 10 working days after the application (国办发〔2025〕22号)."
    )
    def decision_due_on(self) -> dt.date | None:
        return self.row.decision_due_on

    @strawberry.field(description="The authority that decided, or null when the credit office did.")
    async def decided_by_authority(self, info: Info[Context, None]) -> str | None:
        return await text_about(info, await self._record(info), self.row.decided_by_authority)


@strawberry.type(description="A signed 信用修复承诺书.")
class RepairCommitment:
    text: str
    signed_by: str
    signed_on: dt.date


@strawberry.input(description="A signed 信用修复承诺书: what the applicant commits to, who signed it and when.")
class RepairCommitmentInput:
    text: str
    signed_by: str = strawberry.field(description="The signatory (for an organisation, its legal representative).")
    signed_on: dt.date


@strawberry.type(description="A published repair commitment (信用修复承诺公示), without personal data.")
class PublishedCommitment:
    row: strawberry.Private[CreditRepairRow]
    record_row: strawberry.Private[RecordRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field(description="The subject that committed (masked for natural persons, as everywhere).")
    async def subject(self, info: Info[Context, None]) -> Subject:
        row = await info.context.loaders.subject_by_id.load(self.record_row.subject_id)
        assert row is not None  # a foreign key guarantees it
        return Subject(row=row)

    @strawberry.field(description="The category of the repaired record.")
    def category(self) -> RecordCategory:
        return self.record_row.category

    @strawberry.field(description="The record's deciding authority.")
    async def authority(self, info: Info[Context, None]) -> str:
        return await self._public(info, self.record_row.authority)

    @strawberry.field(
        description="The commitment, personal data masked (for every reader: the published list is the same for all)."
    )
    async def text(self, info: Info[Context, None]) -> str:
        return await self._public(info, self.row.commitment_public_text or "")

    async def _public(self, info: Info[Context, None], text: str) -> str:
        subject = await info.context.loaders.subject_by_id.load(self.record_row.subject_id)
        assert subject is not None  # a foreign key guarantees it
        return clean(info.context.runtime.vault, subject, text)

    @strawberry.field
    def signed_on(self) -> dt.date | None:
        return self.row.commitment_signed_on

    @strawberry.field
    def applied_at(self) -> dt.datetime:
        return self.row.applied_at

    @strawberry.field
    def status(self) -> RepairStatus:
        return self.row.status


@strawberry.type
class PublishedCommitmentEdge:
    cursor: str
    node: PublishedCommitment


@strawberry.type
class PublishedCommitmentConnection:
    edges: list[PublishedCommitmentEdge]
    page_info: PageInfo


@strawberry.type
class RepairQuery:
    @strawberry.field(
        description="信用修复承诺公示: the commitments of credit repair applications, newest first (public; natural "
        "persons' personal data masked)."
    )
    async def repair_commitments(
        self, info: Info[Context, None], first: int | None = 20, after: str | None = None
    ) -> PublishedCommitmentConnection:
        size = check_first(20 if first is None else first)
        before = None
        if after is not None:
            (value,) = decode("commitment", after, 1)
            if not isinstance(value, int) or isinstance(value, bool):
                raise BadUserInput("unknown cursor")
            before = value
        rows, more = await service.repair_commitments(info.context.runtime, size, before)
        edges = [
            PublishedCommitmentEdge(
                cursor=encode("commitment", [repair.id]), node=PublishedCommitment(row=repair, record_row=record)
            )
            for repair, record in rows
        ]
        return PublishedCommitmentConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=more,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )


@strawberry.type
class RepairMutation:
    @strawberry.mutation(
        description="Apply for the repair of a punishment record once its minimum disclosure period "
        "has passed (SUBJECT for its own records, or the credit office). The application carries the signed "
        "commitment (信用修复承诺书) and references to the proof that the obligations are performed: without "
        "them it is refused (BAD_USER_INPUT). Its deciding body answers within 10 working days.",
        permission_classes=[IsAuthenticated, needs(Capability.ACT_FOR_SUBJECT)],
    )
    async def apply_credit_repair(
        self,
        info: Info[Context, None],
        record_id: strawberry.ID,
        statement: str,
        commitment: RepairCommitmentInput | None = None,
        evidence: list[str] | None = None,
    ) -> CreditRepair:
        context = info.context
        key = id_argument(record_id, "recordId", "CreditRecord")
        signed = (
            Commitment(text=commitment.text, signed_by=commitment.signed_by, signed_on=commitment.signed_on)
            if commitment is not None
            else None
        )
        row = await service.apply_credit_repair(
            context.runtime, context.viewer, key, statement, context.today, signed, evidence or []
        )
        return CreditRepair(row=row)

    @strawberry.mutation(
        description="Approve (the record becomes REPAIRED) or reject a pending application. The record's "
        "authority decides (a key bound to it); the credit office too where the decision table lets it.",
        permission_classes=[IsAuthenticated, needs(Capability.DECIDE_ON_RECORDS)],
    )
    async def decide_credit_repair(
        self, info: Info[Context, None], repair_id: strawberry.ID, approve: bool, note: str | None = None
    ) -> CreditRepair:
        context = info.context
        key = id_argument(repair_id, "repairId", "CreditRepair")
        row = await service.decide_credit_repair(context.runtime, context.viewer, key, approve, note, context.today)
        return CreditRepair(row=row)
