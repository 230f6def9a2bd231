"""Object types of the contract. Personal data leaves only through here, masked by construction:
natural persons' names, ID numbers and addresses are stored masked in clear columns, and the real
values come only from `creditCheck` (audited)."""

from __future__ import annotations

import datetime as dt

import strawberry
from sqlalchemy import and_, or_, select
from strawberry.types import Info

from api.context import Context
from api.cursors import check_first, decode, encode
from api.errors import Forbidden
from api.schema.enums import (
    FlagKind,
    ObjectionOutcome,
    ObjectionStatus,
    RecordCategory,
    RecordStatus,
    Severity,
    SubjectKind,
)
from credit import enums
from credit.models import CreditRecord as RecordRow
from credit.models import Objection as ObjectionRow
from credit.models import Subject as SubjectRow
from credit.profile import facts_of
from credit.rules.flags import Flag, effective_status, in_public_disclosure


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Objection:
    row: strawberry.Private[ObjectionRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def status(self) -> ObjectionStatus:
        return self.row.status

    @strawberry.field
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field
    def filed_at(self) -> dt.datetime:
        return self.row.filed_at

    @strawberry.field
    def due_on(self) -> dt.date:
        return self.row.due_on

    @strawberry.field
    def outcome(self) -> ObjectionOutcome | None:
        return self.row.outcome


@strawberry.type
class CreditRecord:
    row: strawberry.Private[RecordRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def category(self) -> RecordCategory:
        return self.row.category

    @strawberry.field
    def status(self, info: Info[Context, None]) -> RecordStatus:
        return effective_status(facts_of(self.row), info.context.today)

    @strawberry.field
    def title(self) -> str:
        return self.row.title

    @strawberry.field
    def decision_number(self) -> str | None:
        return self.row.decision_number

    @strawberry.field
    def authority(self) -> str:
        return self.row.authority

    @strawberry.field
    def decided_on(self) -> dt.date:
        return self.row.decided_on

    @strawberry.field
    def published_on(self) -> dt.date:
        return self.row.published_on

    @strawberry.field
    def disclosure_until(self) -> dt.date | None:
        return self.row.disclosure_until

    @strawberry.field
    def severity(self) -> Severity | None:
        return self.row.severity

    @strawberry.field
    def list_name(self) -> str | None:
        return self.row.list_name

    @strawberry.field
    def valid_from(self) -> dt.date | None:
        return self.row.valid_from

    @strawberry.field
    def valid_until(self) -> dt.date | None:
        return self.row.valid_until

    @strawberry.field
    async def subject(self, info: Info[Context, None]) -> Subject:
        row = await info.context.loaders.subject_by_id.load(self.row.subject_id)
        assert row is not None  # a foreign key guarantees it
        return Subject(row=row)

    @strawberry.field
    async def objections(self, info: Info[Context, None]) -> list[Objection]:
        return [Objection(row=o) for o in await info.context.loaders.objections_by_record.load(self.row.id)]


@strawberry.type
class CreditRecordEdge:
    cursor: str
    node: CreditRecord


@strawberry.type
class CreditRecordConnection:
    edges: list[CreditRecordEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class CreditFlag:
    flag: strawberry.Private[Flag]

    @strawberry.field
    def code(self) -> str:
        return self.flag.code

    @strawberry.field
    def kind(self) -> FlagKind:
        return self.flag.kind

    @strawberry.field
    def name(self) -> str:
        return self.flag.name

    @strawberry.field
    def basis(self) -> str | None:
        return self.flag.basis

    @strawberry.field
    def agency(self) -> str | None:
        return self.flag.agency

    @strawberry.field
    async def record(self, info: Info[Context, None]) -> CreditRecord:
        row = await info.context.loaders.record_by_id.load(self.flag.record_id)
        assert row is not None
        return CreditRecord(row=row)


def _can_read_inactive(context: Context, subject_id: int) -> bool:
    viewer = context.viewer
    return context.entitled or (viewer.role is enums.Role.SUBJECT and viewer.subject_id == subject_id)


@strawberry.type
class CreditProfile:
    subject_id: strawberry.Private[int]

    @strawberry.field(description="Measures in force now.")
    async def active_flags(self, info: Info[Context, None]) -> list[CreditFlag]:
        flags = await info.context.loaders.flags_by_subject.load(self.subject_id)
        return [CreditFlag(flag=f) for f in flags.active]

    @strawberry.field(description="Punishment measures held while an objection to their record is verified.")
    async def held_flags(self, info: Info[Context, None]) -> list[CreditFlag]:
        flags = await info.context.loaders.flags_by_subject.load(self.subject_id)
        return [CreditFlag(flag=f) for f in flags.held]

    @strawberry.field
    async def records(
        self,
        info: Info[Context, None],
        categories: list[RecordCategory] | None = None,
        include_inactive: bool | None = False,
        first: int | None = 20,
        after: str | None = None,
    ) -> CreditRecordConnection:
        context = info.context
        first = check_first(20 if first is None else first)
        if include_inactive and not _can_read_inactive(context, self.subject_id):
            raise Forbidden("includeInactive is for regulators, financial institutions and the subject itself")
        facts = await context.loaders.facts_by_subject.load(self.subject_id)
        visible = {
            f.id
            for f in facts
            if (include_inactive or in_public_disclosure(f, context.today))
            and (not categories or f.category in categories)
        }
        stmt = select(RecordRow).where(RecordRow.id.in_(visible))
        if after is not None:
            published, rid = decode("rec", after, 2)
            published_on = dt.date.fromisoformat(str(published))
            stmt = stmt.where(
                or_(
                    RecordRow.published_on < published_on,
                    and_(RecordRow.published_on == published_on, RecordRow.id < int(rid)),
                )
            )
        stmt = stmt.order_by(RecordRow.published_on.desc(), RecordRow.id.desc()).limit(first + 1)
        async with context.runtime.sessions() as session:
            rows = list((await session.scalars(stmt)).all())
        return record_connection(rows, first, len(visible), after is not None)


def record_cursor(row: RecordRow) -> str:
    return encode("rec", [row.published_on.isoformat(), row.id])


def record_connection(rows: list[RecordRow], first: int, total: int, has_previous: bool) -> CreditRecordConnection:
    page = rows[:first]
    edges = [CreditRecordEdge(cursor=record_cursor(r), node=CreditRecord(row=r)) for r in page]
    return CreditRecordConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


@strawberry.type
class Subject:
    row: strawberry.Private[SubjectRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def kind(self) -> SubjectKind:
        return self.row.kind

    @strawberry.field(description="For natural persons, masked (张**).")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="统一社会信用代码; for natural persons the masked ID number.")
    def code(self) -> str:
        return self.row.code

    @strawberry.field
    def former_names(self) -> list[str]:
        return list(self.row.former_names)

    @strawberry.field
    def region_code(self) -> str | None:
        return self.row.region_code

    @strawberry.field(description="Masked (a natural person's name).")
    def legal_representative(self) -> str | None:
        return self.row.legal_representative

    @strawberry.field
    def registered_on(self) -> dt.date | None:
        return self.row.registered_on

    @strawberry.field
    def credit_profile(self) -> CreditProfile:
        return CreditProfile(subject_id=self.row.id)
