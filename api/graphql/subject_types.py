"""The GraphQL types of a subject: `Subject`, its `Region` and its `CreditProfile` with the `CreditFlag`s
in force (`api.graphql.types` holds the records and objections they list)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.cursors import decode, paging_of
from api.graphql.enums import (
    FlagKind,
    MeasureReach,
    RecordCategory,
    SubjectKind,
)
from api.graphql.errors import BadUserInput, Forbidden
from api.graphql.ids import Node, global_id
from api.graphql.types import CreditRecord, CreditRecordConnection, record_connection
from credit.access.policy import Capability, can
from credit.enums import RecordStatus as StoredStatus
from credit.enums import Role, label
from credit.models import Subject as SubjectRow
from credit.privacy.view import SubjectTexts
from credit.rules.flags import Flag, in_public_disclosure
from credit.subjects.profiles import RoleClass
from credit.subjects.regions import division_prefix, region_names


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
    # The subject's names as the viewer reads them, once computed.
    texts: strawberry.Private[SubjectTexts | None] = None

    def _texts(self, info: Info[Context, None]) -> SubjectTexts:
        if self.texts is None:
            self.texts = info.context.texts.subject(self.row)
        return self.texts

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
    def name(self, info: Info[Context, None]) -> str:
        return self._texts(info).name

    @strawberry.field(description="统一社会信用代码; for natural persons the masked ID number.")
    def code(self) -> str:
        return self.row.code

    @strawberry.field(description="曾用名; for natural persons masked like `name`.")
    def former_names(self, info: Info[Context, None]) -> list[str]:
        return self._texts(info).former_names

    @strawberry.field
    def region_code(self) -> str | None:
        return self.row.region_code

    @strawberry.field(description="Names of the division of `regionCode` and the divisions above it.")
    def region(self) -> Region | None:
        return Region.of(self.row.region_code)

    @strawberry.field(
        description="An organisation's legal representative (法定代表人), as the national enterprise credit "
        "publicity system publishes it; null for natural persons. The operator (经营者) of a 个体工商户 (code "
        "starting 92) is a natural person: masked (张*) except for the subject itself and the credit office."
    )
    def legal_representative(self, info: Info[Context, None]) -> str | None:
        return self._texts(info).legal_representative

    @strawberry.field
    def registered_on(self) -> dt.date | None:
        return self.row.registered_on

    @strawberry.field
    def credit_profile(self) -> CreditProfile:
        return CreditProfile(subject_id=self.row.id)
