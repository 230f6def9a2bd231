"""SQLAlchemy models: the source of truth. PostgreSQL only (JSONB, BYTEA, partial indexes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from credit.enums import (
    CheckPurpose,
    ObjectionOutcome,
    ObjectionStatus,
    RecordCategory,
    RecordStatus,
    RepairStatus,
    Role,
    Severity,
    SubjectKind,
)
from credit.rules.facts import RecordFacts

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _enum(cls: type, name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=32, validate_strings=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> Any:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class Subject(Base):
    """A 信用主体: a company, a natural person, a government agency or another organisation.

    For natural persons `code` holds the masked ID number and `name` the masked name; the real
    values live only in `personal_data` (encrypted) and `code_index` (keyed blind index).
    """

    __tablename__ = "subjects"
    # The reindex catches up on subjects changed while it loaded.
    __table_args__ = (Index("ix_subjects_updated_at", "updated_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[SubjectKind] = mapped_column(_enum(SubjectKind, "subject_kind"), nullable=False)
    code: Mapped[str] = mapped_column(String(18), nullable=False)
    code_index: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    former_names: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    region_code: Mapped[str | None] = mapped_column(String(6))
    legal_representative: Mapped[str | None] = mapped_column(Text)
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
    address: Mapped[str | None] = mapped_column(Text)
    personal_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_hash: Mapped[bytes] = mapped_column(LargeBinary(16), nullable=False)
    # Bumped by every change to the subject or anything under it; the search document's version.
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default="1")
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()


class CreditRecord(Base):
    """A disclosed credit record (行政许可, 行政处罚, 红黑名单, 失信被执行人, 信用承诺, 信用评价)."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("authority", "source_id", name="uq_records_authority_source"),
        Index("ix_records_subject", "subject_id"),
        Index("ix_records_feed", "published_on", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), nullable=False)
    authority: Mapped[str] = mapped_column(Text, nullable=False)
    source_id: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[RecordCategory] = mapped_column(_enum(RecordCategory, "record_category"), nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    decision_number: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    published_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    severity: Mapped[Severity | None] = mapped_column(_enum(Severity, "severity"))
    list_name: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # 失信被执行人: the ground of the listing (法释〔2017〕7号 第一条, item 1–6), and the court's deletion
    # of the listing (第十条), after which the record leaves disclosure.
    listing_ground: Mapped[int | None] = mapped_column(SmallInteger)
    deleted_on: Mapped[dt.date | None] = mapped_column(Date)
    deletion_reason: Mapped[str | None] = mapped_column(Text)
    # End of public disclosure from the disclosure-period rules (None: no end); kept for SQL filters.
    disclosure_until: Mapped[dt.date | None] = mapped_column(Date)
    # Lifecycle status set by commands; EXPIRED is derived from dates, never stored.
    status: Mapped[RecordStatus] = mapped_column(
        _enum(RecordStatus, "record_status"), nullable=False, server_default=RecordStatus.ACTIVE.value
    )
    content_hash: Mapped[bytes] = mapped_column(LargeBinary(16), nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")
    created_at: Mapped[dt.datetime] = _now()
    updated_at: Mapped[dt.datetime] = _now()

    def facts(self, objection_due_on: dt.date | None = None) -> RecordFacts:
        """The record as the rules see it (`credit.rules`), with its pending objection's due date."""
        return RecordFacts(
            id=self.id,
            category=self.category,
            status=self.status,
            decided_on=self.decided_on,
            published_on=self.published_on,
            severity=self.severity,
            list_name=self.list_name,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            content=self.content,
            objection_due_on=objection_due_on,
            listing_ground=self.listing_ground,
            deleted_on=self.deleted_on,
        )


class Objection(Base):
    """An 异议: the subject disputes a record; its punishment measures are held while it is verified."""

    __tablename__ = "objections"
    __table_args__ = (
        Index(
            "uq_objections_one_pending",
            "record_id",
            unique=True,
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index(
            "ix_objections_awaiting_correction",
            "record_id",
            postgresql_where=text("outcome = 'CORRECTED' AND corrected_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), nullable=False, index=True)
    status: Mapped[ObjectionStatus] = mapped_column(_enum(ObjectionStatus, "objection_status"), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    filed_at: Mapped[dt.datetime] = _now()
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    outcome: Mapped[ObjectionOutcome | None] = mapped_column(_enum(ObjectionOutcome, "objection_outcome"))
    note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    filed_by: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    # The body the objection was referred to for verification (the court, for its own listings).
    referred_to: Mapped[str | None] = mapped_column(Text)
    # Who answered: the authority the deciding key acted for, or the credit office. The written reply
    # (书面答复) is `note`.
    answered_by: Mapped[str | None] = mapped_column(Text)
    # The revision of the record it disputes: a later objection to the same revision after a rejection
    # repeats it (no new grounds in the record itself).
    record_revision: Mapped[int | None] = mapped_column(Integer)
    # Whether the objection holds the record's joint measures: a repeated objection without new grounds
    # does not, until its deciding body grants a hold.
    holds: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    hold_granted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # A CORRECTED outcome: the corrected revision is due by `correction_due_on` and arrived at `corrected_at`.
    correction_due_on: Mapped[dt.date | None] = mapped_column(Date)
    corrected_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CreditRepair(Base):
    """A 信用修复 application: the subject asks to end a record's disclosure early."""

    __tablename__ = "repairs"
    __table_args__ = (Index("ix_repairs_applied_at", "applied_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), nullable=False, index=True)
    status: Mapped[RepairStatus] = mapped_column(_enum(RepairStatus, "repair_status"), nullable=False)
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    applied_at: Mapped[dt.datetime] = _now()
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)
    applied_by: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    # The signed 信用修复承诺书, and its text with personal data masked (信用修复承诺公示).
    commitment_text: Mapped[str | None] = mapped_column(Text)
    commitment_signed_by: Mapped[str | None] = mapped_column(Text)
    commitment_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    commitment_public_text: Mapped[str | None] = mapped_column(Text)
    # References to the proof that the obligations are performed (履行完毕的证明材料).
    evidence: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    decision_due_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_by_authority: Mapped[str | None] = mapped_column(Text)


class RecordEvent(Base):
    """History of a record's status: who changed it, when and why."""

    __tablename__ = "record_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), nullable=False, index=True)
    at: Mapped[dt.datetime] = _now()
    actor_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    actor: Mapped[str] = mapped_column(Text, nullable=False)
    # The authority the actor acted for (a provider's key), None for the credit office and imports.
    actor_authority: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)


class ApiKey(Base):
    """An API key; only its SHA-256 is stored, the key itself is shown once at creation."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), nullable=False)
    key_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    # The authorities (认定单位) a DATA_PROVIDER key writes and decides for.
    authorities: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    # The key's own budget in query cost per minute (`keys create --rate-limit`); NULL: the default.
    rate_limit: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = _now()
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """An entitled look-up of personal data or a credit check (查询记录)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_subject_at", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = _now()
    key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), nullable=False)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    purpose: Mapped[CheckPurpose | None] = mapped_column(_enum(CheckPurpose, "check_purpose"))
    authorization_ref: Mapped[str | None] = mapped_column(Text)
    unmasked_fields: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, server_default="{}")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class OutboxEntry(Base):
    """A change to index: written in the same transaction as the change (transactional outbox)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "available_at", "id", postgresql_where=text("dead = false")),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    subject_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    record_id: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(40), nullable=False)
    created_at: Mapped[dt.datetime] = _now()
    available_at: Mapped[dt.datetime] = _now()
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    dead: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default="false")
    last_error: Mapped[str | None] = mapped_column(Text)


class SubjectTimeBoundary(Base):
    """The next date on which a subject's flags or disclosure change by themselves, as computed by
    the indexer from the revision it indexed (indexers/sweeper.py). NULL: nothing scheduled."""

    __tablename__ = "subject_time_boundaries"
    __table_args__ = (
        Index("ix_subject_time_boundaries_due", "next_boundary", postgresql_where=text("next_boundary IS NOT NULL")),
    )

    subject_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("subjects.id", ondelete="CASCADE"), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, nullable=False)
    next_boundary: Mapped[dt.date | None] = mapped_column(Date)
