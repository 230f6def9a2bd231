"""异议 (objections): a subject disputes one of its records; the credit office verifies and answers.

While an objection is pending the record is UNDER_OBJECTION: it stays disclosed, and its punishment
measures are held (`credit.rules.flags`). The reply is due `objection_reply_working_days` working days
after filing. The answer is one of:

- REJECTED: the record stands; it is ACTIVE again and its held measures are enforced again.
- CORRECTED: the record was wrong and the provider corrects it (through `upsertRecords`, within
  `correction_working_days` working days, the due date written in the record's history); it is
  ACTIVE again and its measures are derived from the record as stored.
- REVOKED: the record should never have been disclosed; it is REVOKED for good, with no measures.

Each command is one unit of work in the caller's transaction: authorization, the change, the
record's history event and the outbox row (through `credit.lifecycle.repository`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.exc import IntegrityError

from credit.access.policy import Capability, require, require_decider, require_for_subject
from credit.access.viewer import Viewer
from credit.clock import now
from credit.enums import ObjectionOutcome, ObjectionStatus, RecordStatus
from credit.errors import InvalidRequest
from credit.lifecycle.repository import lock_record, lock_with_record, log_change, pending_objection
from credit.models import Objection
from credit.outbox.work import UnitOfWork
from credit.platform.config import Settings
from credit.rules.calendar import correction_due_on, objection_due_on
from credit.rules.decisions import office_decides
from credit.rules.flags import effective_status
from credit.text import clean_text, required_text

PENDING_EXISTS = "this record already has a pending objection; wait for its answer before objecting again"

_OUTCOME_STATUS = {
    ObjectionOutcome.REJECTED: RecordStatus.ACTIVE,
    ObjectionOutcome.CORRECTED: RecordStatus.ACTIVE,
    ObjectionOutcome.REVOKED: RecordStatus.REVOKED,
}


async def file_objection(
    work: UnitOfWork, viewer: Viewer, record_id: int, reason: str, today: dt.date, settings: Settings
) -> Objection:
    """File an objection to a record: the record goes UNDER_OBJECTION and its punishments are held."""
    require(viewer, Capability.ACT_FOR_SUBJECT, "fileObjection")
    text = required_text(reason, "reason")
    session = work.session
    record = await lock_record(session, record_id)
    require_for_subject(viewer, record.subject_id, "fileObjection")
    if await pending_objection(session, record.id) is not None:
        raise InvalidRequest(PENDING_EXISTS)
    status = effective_status(record.facts(), today)
    if status is RecordStatus.REVOKED:
        raise InvalidRequest("the record was revoked; there is nothing left to object to")
    if status is RecordStatus.REPAIRED:
        raise InvalidRequest("the record was repaired and has left public disclosure")
    if status is RecordStatus.EXPIRED:
        raise InvalidRequest("the record's disclosure period has ended; it is no longer disclosed")
    objection = Objection(
        record_id=record.id,
        status=ObjectionStatus.PENDING,
        reason=text,
        filed_at=now(),
        due_on=objection_due_on(today, settings.objection_reply_working_days),
        filed_by=viewer.key_id,
        # Where the office only tracks (a court's listing), the objection goes to the record's
        # authority for verification; the subject reads where it went (`referredTo`).
        referred_to=None if office_decides(record.category) else record.authority,
    )
    try:
        async with session.begin_nested():
            session.add(objection)
    except IntegrityError:
        # Another transaction filed one first (uq_objections_one_pending); the record lock makes
        # this rare, the unique index makes it impossible to end up with two.
        raise InvalidRequest(PENDING_EXISTS) from None
    await log_change(
        work, viewer, record, action="objection_filed", reason=text, to_status=RecordStatus.UNDER_OBJECTION
    )
    return objection


async def resolve_objection(
    work: UnitOfWork,
    viewer: Viewer,
    objection_id: int,
    outcome: ObjectionOutcome,
    note: str | None,
    today: dt.date,
    settings: Settings,
) -> Objection:
    """Answer a pending objection (its record's authority, or the office where the decision table lets
    it: `credit.access.policy.may_decide`); the record's status follows the outcome."""
    require(viewer, Capability.DECIDE_ON_RECORDS, "resolveObjection")
    text = clean_text(note, "note", required=False)
    record, objection = await lock_with_record(work.session, Objection, objection_id, "no objection with this id")
    require_decider(viewer, record.authority, record.category, "resolveObjection")
    if objection.status is not ObjectionStatus.PENDING:
        raise InvalidRequest("this objection was already resolved; an answer is final")
    objection.status = ObjectionStatus.RESOLVED
    objection.outcome = outcome
    objection.note = text
    objection.resolved_at = now()
    objection.resolved_by = viewer.key_id
    why = f"objection {objection.id} {outcome.value}"
    if outcome is ObjectionOutcome.CORRECTED:
        why += f"; correction due on {correction_due_on(today, settings.correction_working_days).isoformat()}"
    if text:
        why += f": {text}"
    # Only a record still held by this objection changes; one repaired or revoked meanwhile stays so.
    target = _OUTCOME_STATUS[outcome] if record.status is RecordStatus.UNDER_OBJECTION else None
    if outcome is ObjectionOutcome.REVOKED:
        target = RecordStatus.REVOKED
    await log_change(work, viewer, record, action="objection_resolved", reason=why, to_status=target)
    return objection
