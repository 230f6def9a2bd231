"""Object types of the contract: records, objections and their pages (a subject's own types are in
`api.graphql.subject_types`). Personal data leaves only through these two modules, masked by construction:
natural persons' names, ID numbers and addresses are stored masked in clear columns, and the real
values come only from `creditCheck` (audited). Every free text goes through the viewer's
`credit.privacy.view.TextView` (`Context.texts`): as written for the subject, the record's deciding
bodies and the credit office; cleaned of personal data for everyone else; a subject's own reason or
statement withheld from them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from api.graphql.context import Context
from api.graphql.cursors import encode
from api.graphql.enums import (
    ObjectionOutcome,
    ObjectionStatus,
    RecordCategory,
    RecordStatus,
    Severity,
)
from api.graphql.ids import Node, global_id
from credit.clock import china_date
from credit.enums import label
from credit.lifecycle.objections import may_read_answer
from credit.models import CreditRecord as RecordRow
from credit.models import Objection as ObjectionRow
from credit.privacy.view import RecordTexts
from credit.rules.calendar import Deadline, refresh_deadline
from credit.rules.flags import effective_status

if TYPE_CHECKING:
    from api.graphql.subject_types import Subject


async def text_about(info: Info[Context, None], record: RecordRow, text: str | None) -> str | None:
    """Text about a record written by its bodies (who answered, to whom it was referred, who decided), as
    the viewer reads it."""
    view = info.context.texts
    if text is None or view.in_full(record):
        return text
    subject = await info.context.loaders.subject_by_id.load(record.subject_id)
    assert subject is not None  # a foreign key guarantees it
    return view.about(record, subject, text)


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

    @strawberry.field(
        description="Why the subject objects, as it wrote it: for the subject, the record's deciding bodies and the "
        "credit office. Everyone else reads （不公开） (reasonWithheld): a subject's own text is never published "
        "(《个人信息保护法》 第二十五条)."
    )
    async def reason(self, info: Info[Context, None]) -> str:
        return info.context.texts.own(await self._record(info), self.row.reason)

    @strawberry.field(description="Whether `reason` is withheld from this viewer (it then reads （不公开）).")
    async def reason_withheld(self, info: Info[Context, None]) -> bool:
        return not info.context.texts.in_full(await self._record(info))

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
    async def referred_to(self, info: Info[Context, None]) -> str | None:
        return await self._about(info, self.row.referred_to)

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

    async def _about(self, info: Info[Context, None], text: str | None) -> str | None:
        return await text_about(info, await self._record(info), text)

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
    async def answered_by(self, info: Info[Context, None]) -> str | None:
        return await self._about(info, self.row.answered_by)

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
    # The record's free text as the viewer reads it, once computed.
    texts: strawberry.Private[RecordTexts | None] = None

    async def _texts(self, info: Info[Context, None]) -> RecordTexts:
        if self.texts is None:
            view = info.context.texts
            subject = None
            if not view.in_full(self.row):
                subject = await info.context.loaders.subject_by_id.load(self.row.subject_id)
            self.texts = view.record(self.row, subject)
        return self.texts

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
    async def title(self, info: Info[Context, None]) -> str:
        return (await self._texts(info)).title

    @strawberry.field
    async def decision_number(self, info: Info[Context, None]) -> str | None:
        return (await self._texts(info)).decision_number

    @strawberry.field
    async def authority(self, info: Info[Context, None]) -> str:
        return (await self._texts(info)).authority

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
    async def list_name(self, info: Info[Context, None]) -> str | None:
        return (await self._texts(info)).list_name

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
    async def deletion_reason(self, info: Info[Context, None]) -> str | None:
        return (await self._texts(info)).deletion_reason

    @strawberry.field
    async def subject(
        self, info: Info[Context, None]
    ) -> Annotated[Subject, strawberry.lazy("api.graphql.subject_types")]:
        from api.graphql import subject_types  # the two modules' types refer to each other

        row = await info.context.loaders.subject_by_id.load(self.row.subject_id)
        assert row is not None  # a foreign key guarantees it
        return subject_types.Subject(row=row)

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
