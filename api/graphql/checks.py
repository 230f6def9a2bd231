"""Credit checks and the audit trail: `creditCheck` (financial institutions, regulators),
`auditLog` (regulators) and `myCheckRecords` (查询记录, a SUBJECT key). The rules live in
`credit.checks`; this is transport."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.cursors import check_first, decode, encode
from api.graphql.enums import CheckPurpose, Role
from api.graphql.errors import BadUserInput
from api.graphql.permissions import IsAuthenticated, needs
from api.graphql.subject_types import Subject
from api.graphql.types import PageInfo
from credit.access.policy import Capability
from credit.checks import service as checks
from credit.checks.audit import AuditPage
from credit.enums import label
from credit.models import AuditEntry as AuditRow
from credit.models import Subject as SubjectRow


@strawberry.type(description="A subject's personal data as the check may see it: null where the role may not.")
class PersonalData:
    name: str | None
    id_number: str | None
    former_names: list[str] | None
    phone: str | None
    address: str | None
    legal_representative: str | None

    @classmethod
    def of(cls, data: checks.PersonalData) -> PersonalData:
        return cls(
            name=data.name,
            id_number=data.id_number,
            former_names=list(data.former_names) if data.former_names is not None else None,
            phone=data.phone,
            address=data.address,
            legal_representative=data.legal_representative,
        )


@strawberry.type(description="A purpose-bound credit check, written to the audit log before it was answered.")
class CreditCheck:
    entry: strawberry.Private[AuditRow]
    row: strawberry.Private[SubjectRow]
    data: strawberry.Private[checks.PersonalData | None]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.entry.id))

    @strawberry.field(description="The subject, masked as everywhere else; the clear values are in personalData.")
    def subject(self) -> Subject:
        return Subject(row=self.row)

    @strawberry.field
    def checked_at(self) -> dt.datetime:
        return self.entry.at

    @strawberry.field
    def purpose(self) -> CheckPurpose:
        assert self.entry.purpose is not None
        return self.entry.purpose

    @strawberry.field(description="The purpose in Chinese (贷款审批 …).")
    def purpose_label(self) -> str:
        assert self.entry.purpose is not None
        return label(self.entry.purpose)

    @strawberry.field
    def authorization_ref(self) -> str:
        return self.entry.authorization_ref or ""

    @strawberry.field(description="Unmasked personal data, as far as the role allows; null when there is none.")
    def personal_data(self) -> PersonalData | None:
        return PersonalData.of(self.data) if self.data is not None else None

    @strawberry.field(description="The personalData fields this check unmasked (as written to the audit log).")
    def unmasked_fields(self) -> list[str]:
        return list(self.entry.unmasked_fields)


def _institution(name: str | None) -> str:
    return name or "(deleted key)"


@strawberry.type(description="One entitled look-up in the audit log (regulators).")
class AuditEntry:
    row: strawberry.Private[AuditRow]
    key_name: strawberry.Private[str | None]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def at(self) -> dt.datetime:
        return self.row.at

    @strawberry.field(description="credit_check, id_lookup (subject by ID number) or id_search (search by ID number).")
    def action(self) -> str:
        return self.row.action

    @strawberry.field
    def role(self) -> Role:
        return self.row.role

    @strawberry.field(description="The name of the API key that made the look-up (the institution).")
    def institution(self) -> str:
        return _institution(self.key_name)

    @strawberry.field
    def purpose(self) -> CheckPurpose | None:
        return self.row.purpose

    @strawberry.field
    def authorization_ref(self) -> str | None:
        return self.row.authorization_ref

    @strawberry.field
    def unmasked_fields(self) -> list[str]:
        return list(self.row.unmasked_fields)

    @strawberry.field(description="The subject looked up (masked); null when the code matched no subject.")
    async def subject(self, info: Info[Context, None]) -> Subject | None:
        if self.row.subject_id is None:
            return None
        row = await info.context.loaders.subject_by_id.load(self.row.subject_id)
        return Subject(row=row) if row is not None else None


@strawberry.type(description="查询记录: who looked the subject up, when and why.")
class CheckRecord:
    row: strawberry.Private[AuditRow]
    key_name: strawberry.Private[str | None]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def checked_at(self) -> dt.datetime:
        return self.row.at

    @strawberry.field(description="The institution (the name of its API key).")
    def institution(self) -> str:
        return _institution(self.key_name)

    @strawberry.field(description="The stated purpose; null for a look-up by ID number outside a credit check.")
    def purpose(self) -> CheckPurpose | None:
        return self.row.purpose

    @strawberry.field(description="The purpose in Chinese (贷款审批 …); null when there is none.")
    def purpose_label(self) -> str | None:
        return label(self.row.purpose) if self.row.purpose is not None else None


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type
class AuditEntryConnection:
    edges: list[AuditEntryEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class CheckRecordEdge:
    cursor: str
    node: CheckRecord


@strawberry.type
class CheckRecordConnection:
    edges: list[CheckRecordEdge]
    page_info: PageInfo
    total_count: int


def _cursor(row: AuditRow) -> str:
    return encode("audit", [row.id])


def _before(after: str | None) -> int | None:
    if after is None:
        return None
    (value,) = decode("audit", after, 1)
    if not isinstance(value, int):
        raise BadUserInput("unknown cursor")
    return value


def _page_info(cursors: list[str], page: AuditPage, after: str | None) -> PageInfo:
    return PageInfo(
        has_next_page=page.has_next_page,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )


@strawberry.type
class CheckQuery:
    @strawberry.field(
        description="A purpose-bound credit check (financial institutions, regulators): the subject with its "
        "personal data unmasked as far as the role allows; every call is written to the audit log.",
        permission_classes=[IsAuthenticated, needs(Capability.CREDIT_CHECK)],
    )
    async def credit_check(
        self, info: Info[Context, None], code: str, purpose: CheckPurpose, authorization_ref: str
    ) -> CreditCheck:
        context = info.context
        # The service commits the audit row before any personal data leaves.
        result = await checks.credit_check(context.runtime, context.viewer, code, purpose, authorization_ref)
        return CreditCheck(entry=result.entry, row=result.subject, data=result.personal_data)

    @strawberry.field(
        description="The audit log of entitled look-ups, newest first, optionally of one subject (regulators).",
        permission_classes=[IsAuthenticated, needs(Capability.READ_AUDIT_LOG)],
    )
    async def audit_log(
        self,
        info: Info[Context, None],
        subject_code: str | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> AuditEntryConnection:
        context = info.context
        size = check_first(20 if first is None else first)
        page = await checks.audit_log(context.runtime, context.viewer, subject_code, size, _before(after))
        edges = [
            AuditEntryEdge(cursor=_cursor(row), node=AuditEntry(row=row, key_name=name)) for row, name in page.entries
        ]
        return AuditEntryConnection(
            edges=edges, page_info=_page_info([e.cursor for e in edges], page, after), total_count=page.total
        )

    @strawberry.field(
        description="查询记录: who looked this SUBJECT key's subject up (institution, purpose, when), newest first.",
        permission_classes=[IsAuthenticated, needs(Capability.READ_OWN_CHECK_RECORDS)],
    )
    async def my_check_records(
        self, info: Info[Context, None], first: int | None = 20, after: str | None = None
    ) -> CheckRecordConnection:
        context = info.context
        size = check_first(20 if first is None else first)
        page = await checks.check_records(context.runtime, context.viewer, size, _before(after))
        edges = [
            CheckRecordEdge(cursor=_cursor(row), node=CheckRecord(row=row, key_name=name)) for row, name in page.entries
        ]
        return CheckRecordConnection(
            edges=edges, page_info=_page_info([e.cursor for e in edges], page, after), total_count=page.total
        )
