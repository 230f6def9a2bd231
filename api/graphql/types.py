"""Object types of the contract. Personal data leaves only through here, masked by construction:
natural persons' names, ID numbers and addresses are stored masked in clear columns, and the real
values come only from `creditCheck` (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.cursors import decode, encode, paging_of
from api.graphql.enums import (
    FlagKind,
    MeasureReach,
    ObjectionOutcome,
    ObjectionStatus,
    RecordCategory,
    RecordStatus,
    Severity,
    SubjectKind,
)
from api.graphql.errors import BadUserInput, Forbidden
from api.graphql.ids import Node, global_id
from credit.access.policy import Capability, can
from credit.clock import china_date
from credit.enums import RecordStatus as StoredStatus
from credit.enums import Role, label
from credit.lifecycle.objections import may_read_answer
from credit.models import CreditRecord as RecordRow
from credit.models import Objection as ObjectionRow
from credit.models import Subject as SubjectRow
from credit.rules.calendar import Deadline, refresh_deadline
from credit.rules.flags import Flag, effective_status, in_public_disclosure
from credit.subjects.profiles import RoleClass
from credit.subjects.regions import division_prefix, region_names


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Objection(Node):
    row: strawberry.Private[ObjectionRow]

    @strawberry.field(description="Opaque global id (Objection:number in base64); node(id:) fetches it again.")
    def id(self) -> strawberry.ID:
        return global_id("Objection", self.row.id)

    @strawberry.field(description="The plain number that was `id` before global ids (as in exports).")
    def database_id(self) -> strawberry.ID:
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

    @strawberry.field(
        description="The reply is due by this day: the configured number of working days after filing (15 by "
        "default; 工作日 by the official holiday schedule). Recomputed whenever shown: see dueOnProvisional."
    )
    def due_on(self, info: Info[Context, None]) -> dt.date:
        return self._deadline(info).due_on

    @strawberry.field(
        description="True when dueOn runs into a year whose official holidays the installed calendar does not know "
        "yet (weekdays were counted as working days there): dueOn may still move, and is recomputed once the "
        "calendar learns the year."
    )
    def due_on_provisional(self, info: Info[Context, None]) -> bool:
        return self._deadline(info).provisional

    def _deadline(self, info: Info[Context, None]) -> Deadline:
        days = info.context.runtime.settings.objection_reply_working_days
        return refresh_deadline(china_date(self.row.filed_at), self.row.due_on, days)

    @strawberry.field
    def outcome(self) -> ObjectionOutcome | None:
        return self.row.outcome

    @strawberry.field(
        description="The body the objection was referred to for verification: the record's authority where "
        "the credit office only tracks records of its category (a court, for its 失信被执行人 listings); "
        "null when the credit office answers it."
    )
    def referred_to(self) -> str | None:
        return self.row.referred_to

    @strawberry.field(description="The status in Chinese (核查中, 已办结).")
    def status_label(self) -> str:
        return label(self.row.status)

    @strawberry.field(description="The outcome in Chinese (已更正 …); null while pending.")
    def outcome_label(self) -> str | None:
        return label(self.row.outcome) if self.row.outcome is not None else None

    @strawberry.field(description="The disputed record.")
    async def record(self, info: Info[Context, None]) -> CreditRecord:
        return CreditRecord(row=await self._record(info))

    async def _record(self, info: Info[Context, None]) -> RecordRow:
        row = await info.context.loaders.record_by_id.load(self.row.record_id)
        assert row is not None  # a foreign key guarantees it
        return row

    async def _readable(self, info: Info[Context, None]) -> bool:
        return may_read_answer(info.context.viewer, await self._record(info))

    @strawberry.field(
        description="The written reply (书面答复) of the body that answered; for the subject it concerns, its "
        "deciding bodies and the credit office (null for everyone else)."
    )
    async def reply(self, info: Info[Context, None]) -> str | None:
        return self.row.note if await self._readable(info) else None

    @strawberry.field(description="When the objection was answered.")
    def resolved_at(self) -> dt.datetime | None:
        return self.row.resolved_at

    @strawberry.field(description="Who answered: the record's authority, or 信用办 (the credit office).")
    def answered_by(self) -> str | None:
        return self.row.answered_by

    @strawberry.field(
        description="Whether the objection holds the record's joint measures while it is verified. A repeated "
        "objection to a record already answered REJECTED holds nothing until its deciding body grants a hold."
    )
    def holds(self) -> bool:
        return self.row.holds

    @strawberry.field(description="CORRECTED: the day the corrected record is due (5 working days after the answer).")
    def correction_due_on(self) -> dt.date | None:
        return self.row.correction_due_on

    @strawberry.field(description="CORRECTED: when the corrected record arrived (null while it is awaited).")
    def corrected_at(self) -> dt.datetime | None:
        return self.row.corrected_at


@strawberry.type
class CreditRecord(Node):
    row: strawberry.Private[RecordRow]
    # Objections already in hand (from a cached profile); None: load them.
    known_objections: strawberry.Private[list[ObjectionRow] | None] = None

    @strawberry.field(description="Opaque global id (CreditRecord:number in base64); node(id:) fetches it again.")
    def id(self) -> strawberry.ID:
        return global_id("CreditRecord", self.row.id)

    @strawberry.field(description="The plain number that was `id` before global ids (as in exports).")
    def database_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def category(self) -> RecordCategory:
        return self.row.category

    @strawberry.field(description="The category in Chinese, as the 信用中国 sites name it (行政处罚 …).")
    def category_label(self) -> str:
        return label(self.row.category)

    @strawberry.field
    def status(self, info: Info[Context, None]) -> RecordStatus:
        return effective_status(self.row.facts(), info.context.today)

    @strawberry.field(description="The status in Chinese (公示中, 异议核查中 …).")
    def status_label(self, info: Info[Context, None]) -> str:
        return label(effective_status(self.row.facts(), info.context.today))

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

    @strawberry.field(description="The severity in Chinese (轻微, 一般, 严重); null when none.")
    def severity_label(self) -> str | None:
        return label(self.row.severity) if self.row.severity is not None else None

    @strawberry.field
    def list_name(self) -> str | None:
        return self.row.list_name

    @strawberry.field
    def valid_from(self) -> dt.date | None:
        return self.row.valid_from

    @strawberry.field
    def valid_until(self) -> dt.date | None:
        return self.row.valid_until

    @strawberry.field(
        description="失信被执行人: the ground of the listing, the item (1–6) of 法释〔2017〕7号 第一条; "
        "1 (有履行能力而拒不履行) has no term."
    )
    def listing_ground(self) -> int | None:
        return self.row.listing_ground

    @strawberry.field(
        description="失信被执行人: the day the court deleted the listing (法释〔2017〕7号 第十条); "
        "it is not disclosed from that day."
    )
    def deleted_on(self) -> dt.date | None:
        return self.row.deleted_on

    @strawberry.field(description="失信被执行人: why the court deleted the listing.")
    def deletion_reason(self) -> str | None:
        return self.row.deletion_reason

    @strawberry.field
    async def subject(self, info: Info[Context, None]) -> Subject:
        row = await info.context.loaders.subject_by_id.load(self.row.subject_id)
        assert row is not None  # a foreign key guarantees it
        return Subject(row=row)

    @strawberry.field
    async def objections(self, info: Info[Context, None]) -> list[Objection]:
        rows = self.known_objections
        if rows is None:
            rows = await info.context.loaders.objections_by_record.load(self.row.id)
        return [Objection(row=o) for o in rows]


@strawberry.type
class CreditRecordEdge:
    cursor: str
    node: CreditRecord


@strawberry.type
class CreditRecordConnection:
    edges: list[CreditRecordEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type(
    description="A measure for a subject: brought by one of its records in force, or earned by its history "
    "(record null)."
)
class CreditFlag:
    flag: strawberry.Private[Flag]
    # Whether the viewer may see when a history measure was earned (entitled roles, the subject itself).
    visible_history: strawberry.Private[bool] = False

    @strawberry.field
    def code(self) -> str:
        return self.flag.code

    @strawberry.field
    def kind(self) -> FlagKind:
        return self.flag.kind

    @strawberry.field(description="The kind in Chinese (惩戒措施, 激励措施).")
    def kind_label(self) -> str:
        return label(self.flag.kind)

    @strawberry.field
    def name(self) -> str:
        return self.flag.name

    @strawberry.field
    def basis(self) -> str | None:
        return self.flag.basis

    @strawberry.field(description="The implementing body (联合奖惩实施单位).")
    def agency(self) -> str | None:
        return self.flag.agency

    @strawberry.field(
        description="Whom the measure binds for this subject's kind: e.g. a flight ban on a company binds its legal "
        "representative and responsible persons, not the company."
    )
    def reach(self) -> MeasureReach:
        return self.flag.reach

    @strawberry.field(
        description="The day the measure began to apply: the record's validFrom or decision day; for a measure earned "
        "by history (三年无不良信用记录), the day it was earned — shown only to entitled roles and the subject itself, "
        "since it reveals when the subject's last adverse record ended."
    )
    def since(self) -> dt.date | None:
        if self.flag.record_id is None and not self.visible_history:
            return None
        return self.flag.since

    @strawberry.field(
        description="The record that brings the measure; null for a measure earned by the subject's history "
        "(三年无不良信用记录), which no single record brings."
    )
    async def record(self, info: Info[Context, None]) -> CreditRecord | None:
        if self.flag.record_id is None:
            return None
        row = await info.context.loaders.record_by_id.load(self.flag.record_id)
        assert row is not None
        return CreditRecord(row=row)


def _can_read_inactive(context: Context, subject_id: int) -> bool:
    viewer = context.viewer
    return context.entitled or (viewer.role is Role.SUBJECT and viewer.subject_id == subject_id)


@strawberry.type
class CreditProfile:
    subject_id: strawberry.Private[int]

    @strawberry.field(description="Measures in force now.")
    async def active_flags(self, info: Info[Context, None]) -> list[CreditFlag]:
        state = await info.context.loaders.state_by_subject.load(self.subject_id)
        visible = _can_read_inactive(info.context, self.subject_id)
        return [CreditFlag(flag=f, visible_history=visible) for f in state.flags.active]

    @strawberry.field(
        description="Punishment measures held while an objection to their record is verified (the joint measures "
        "of other agencies; a court's own orders stay active)."
    )
    async def held_flags(self, info: Info[Context, None]) -> list[CreditFlag]:
        state = await info.context.loaders.state_by_subject.load(self.subject_id)
        return [CreditFlag(flag=f) for f in state.flags.held]

    @strawberry.field(
        description="Incentive measures suspended because a punishment measure is in force (守信激励 and 失信惩戒 "
        "never apply together); they return when no punishment is in force."
    )
    async def suspended_flags(self, info: Info[Context, None]) -> list[CreditFlag]:
        state = await info.context.loaders.state_by_subject.load(self.subject_id)
        visible = _can_read_inactive(info.context, self.subject_id)
        return [CreditFlag(flag=f, visible_history=visible) for f in state.flags.suspended]

    @strawberry.field(
        description="The subject's records, newest first by publication day then id; those in public disclosure, "
        "or with includeInactive (entitled roles, the subject) all. Forwards with first/after, backwards with "
        "last/before (`first` is then ignored)."
    )
    async def records(
        self,
        info: Info[Context, None],
        categories: list[RecordCategory] | None = None,
        include_inactive: bool | None = False,
        first: int | None = 20,
        after: str | None = None,
        last: Annotated[int | None, strawberry.argument(description="Page backwards: this many, 1 to 100.")] = None,
        before: Annotated[str | None, strawberry.argument(description="Page backwards from this cursor.")] = None,
    ) -> CreditRecordConnection:
        context = info.context
        paging = paging_of(first, after, last, before)
        size = paging.size
        if include_inactive and not _can_read_inactive(context, self.subject_id):
            raise Forbidden("includeInactive is for regulators, financial institutions and the subject itself")
        role_class = RoleClass.ENTITLED if include_inactive else RoleClass.PUBLIC
        profile = await context.loaders.profile_by_subject.load((self.subject_id, role_class))
        if profile is None:
            return record_connection([], size, 0, False, has_next_page=False)
        facts = profile.facts()
        # A revoked record was never to be disclosed: only the credit office's audit trail keeps it.
        office = can(context.viewer, Capability.CREDIT_OFFICE)
        shown = sorted(
            (
                record
                for record, fact in zip(profile.records, facts, strict=True)
                if (include_inactive or in_public_disclosure(fact, context.today))
                and (office or record.status is not StoredStatus.REVOKED)
                and (not categories or record.category in categories)
            ),
            key=lambda r: (r.published_on, r.id),
            reverse=True,
        )
        cursor = before if paging.backwards else after
        position = _position(cursor) if cursor is not None else None
        if paging.backwards:
            newer = [r for r in shown if position is None or (r.published_on, r.id) > position]
            page = newer[-size:]
            return record_connection(
                page, size, len(shown), len(newer) > size, profile.objections, has_next_page=before is not None
            )
        page = [r for r in shown if position is None or (r.published_on, r.id) < position]
        return record_connection(page[: size + 1], size, len(shown), after is not None, profile.objections)


def _position(cursor: str) -> tuple[dt.date, int]:
    published, rid = decode("rec", cursor, 2)
    try:
        if not isinstance(published, str) or not isinstance(rid, int) or isinstance(rid, bool):
            raise ValueError("bad cursor values")
        return dt.date.fromisoformat(published), rid
    except ValueError:
        raise BadUserInput("unknown cursor") from None


def record_cursor(row: RecordRow) -> str:
    return encode("rec", [row.published_on.isoformat(), row.id])


def record_connection(
    rows: list[RecordRow],
    first: int,
    total: int,
    has_previous: bool,
    objections: dict[int, list[ObjectionRow]] | None = None,
    *,
    has_next_page: bool | None = None,
) -> CreditRecordConnection:
    """A connection of the first `first` of `rows`; a next page follows when `has_next_page` says so or,
    when not given, when `rows` holds more than `first`."""
    page = rows[:first]
    edges = [
        CreditRecordEdge(
            cursor=record_cursor(r),
            node=CreditRecord(row=r, known_objections=None if objections is None else objections.get(r.id, [])),
        )
        for r in page
    ]
    return CreditRecordConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=len(rows) > first if has_next_page is None else has_next_page,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total,
    )


@strawberry.type(
    description="An administrative division (行政区划, GB/T 2260) by its code, with current names from "
    "python-stdnum's maintained division table; `city` is the municipality itself for 北京, 天津, 上海 and 重庆."
)
class Region:
    code: str = strawberry.field(description="The 6-digit division code (行政区划代码).")
    province: str = strawberry.field(description="省级: the province, autonomous region or municipality.")
    city: str | None = strawberry.field(description="地级: the prefecture-level city, when there is one.")
    county: str | None = strawberry.field(description="县级: the county-level division; null for a province or city.")
    name: str = strawberry.field(description="The names joined, e.g. 江苏省常州市天宁区.")
    prefix: str = strawberry.field(
        description="What to give as regionCodePrefix to select everything in this division: 32 for a "
        "province, 3204 for a city, the whole code for a county."
    )
    level: str = strawberry.field(description="province, city or county.")

    @classmethod
    def of(cls, code: str | None) -> Region | None:
        names = region_names(code) if code else None
        if names is None or code is None or len(code) != 6:
            return None
        prefix = division_prefix(code)
        return cls(
            code=code,
            province=names.province,
            city=names.city,
            county=names.county,
            name=names.full,
            prefix=prefix,
            level=_LEVELS[len(prefix)],
        )


_LEVELS = {2: "province", 4: "city", 6: "county"}


@strawberry.type
class Subject(Node):
    row: strawberry.Private[SubjectRow]

    @strawberry.field(description="Opaque global id (Subject:number in base64); node(id:) fetches it again.")
    def id(self) -> strawberry.ID:
        return global_id("Subject", self.row.id)

    @strawberry.field(description="The plain number that was `id` before global ids (as in exports).")
    def database_id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def kind(self) -> SubjectKind:
        return self.row.kind

    @strawberry.field(description="The kind in Chinese (企业法人, 自然人, 机关, 其他组织).")
    def kind_label(self) -> str:
        return label(self.row.kind)

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

    @strawberry.field(description="Names of the division of `regionCode` and the divisions above it.")
    def region(self) -> Region | None:
        return Region.of(self.row.region_code)

    @strawberry.field(
        description="An organisation's legal representative (法定代表人), as the national enterprise credit "
        "publicity system publishes it; null for natural persons."
    )
    def legal_representative(self) -> str | None:
        return self.row.legal_representative

    @strawberry.field
    def registered_on(self) -> dt.date | None:
        return self.row.registered_on

    @strawberry.field
    def credit_profile(self) -> CreditProfile:
        return CreditProfile(subject_id=self.row.id)
