"""异议 (objections): a subject disputes one of its records; the body that made it verifies and answers.

Seed 003 (吉政办发〔2017〕4号, line 28): a subject may object to the body that made the record (认定部门)
or to the credit platform; it is answered in writing within 15 working days; a record found wrong is
corrected or revoked, the corrected information pushed within 5 working days, and its punishment
measures lifted. Seed 002 (line 19): joint punishment measures are not enforced while an objection is
verified ("异议处理、核实期间暂不执行联合惩戒措施").

- Filing: addressed to the credit office or to the record's authority; where the decision table lets
  the office only track (a court's listing, a black list, a penalty: `credit.rules.decisions`), it is
  referred to the authority whatever the subject chose (`referred_to`). The reply is due
  `objection_reply_working_days` working days later.
- The hold: a pending objection holds the record's joint measures (the record is UNDER_OBJECTION;
  which measures an objection holds is data in the catalogue). A second objection after a REJECTED one,
  without new grounds, is recorded but holds nothing (`holds` false), until the deciding body grants a
  hold for new grounds (`grant_hold`).
- The answer, in writing (`note`, shown as the reply, with who answered), by the deciding body:
  REJECTED — the record stands and its measures are enforced again; CORRECTED — the record was wrong:
  its measures stay held until the corrected revision arrives from its authority, due within
  `correction_working_days` working days (`corrections_arrived`, called by the ingestion), or the
  record is revoked; REVOKED — the record should never have been disclosed: it is REVOKED for good.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from credit.access.policy import (
    Capability,
    reads_text_in_full,
    require,
    require_decider,
    require_for_subject,
)
from credit.access.viewer import Viewer
from credit.clock import now
from credit.enums import ObjectionAddressee, ObjectionOutcome, ObjectionStatus, RecordStatus
from credit.errors import InvalidRequest, NotAllowed
from credit.lifecycle import repository
from credit.lifecycle.repository import Actor, lock_record, lock_with_record, log_change, pending_objection
from credit.models import CreditRecord, Objection
from credit.outbox.work import UnitOfWork
from credit.platform.config import Settings
from credit.rules.calendar import correction_due_on, objection_due_on
from credit.rules.decisions import office_decides
from credit.rules.flags import effective_status
from credit.text import clean_text, required_text

PENDING_EXISTS = "this record already has a pending objection; wait for its answer before objecting again"
#: Who answered, when the credit office did.
CREDIT_OFFICE = "信用办"


#: To whom an objection is addressed (`credit.enums.ObjectionAddressee`).
Addressee = ObjectionAddressee


def answerer(viewer: Viewer, record: CreditRecord) -> str:
    """The body a deciding key answers for: the record's authority when it is bound to it, else the office."""
    return record.authority if record.authority in viewer.authorities else CREDIT_OFFICE


def require_objection_decider(viewer: Viewer, record: CreditRecord, objection: Objection, action: str) -> None:
    """The deciding body: the record's authority, or the office where the decision table lets it and the
    objection was not addressed (or referred) to the authority."""
    require_decider(viewer, record.authority, record.category, action)
    if objection.referred_to is not None and objection.referred_to not in viewer.authorities:
        raise NotAllowed(f"{action}: this objection was addressed to {objection.referred_to}; it answers it")


async def file_objection(
    work: UnitOfWork,
    viewer: Viewer,
    record_id: int,
    reason: str,
    today: dt.date,
    settings: Settings,
    addressed_to: Addressee = Addressee.CREDIT_OFFICE,
) -> Objection:
    """File an objection: it holds the record's joint measures, unless it repeats a rejected one."""
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
    to_authority = addressed_to is Addressee.AUTHORITY or not office_decides(record.category)
    repeated = await repository.rejected_before(session, record)
    objection = Objection(
        record_id=record.id,
        status=ObjectionStatus.PENDING,
        reason=text,
        filed_at=now(),
        due_on=objection_due_on(today, settings.objection_reply_working_days),
        filed_by=viewer.key_id,
        referred_to=record.authority if to_authority else None,
        record_revision=record.revision,
        holds=not repeated,
    )
    try:
        async with session.begin_nested():
            session.add(objection)
    except IntegrityError:
        # Another transaction filed one first (uq_objections_one_pending); the record lock makes
        # this rare, the unique index makes it impossible to end up with two.
        raise InvalidRequest(PENDING_EXISTS) from None
    why = text if not repeated else f"{text} (repeats a rejected objection: holds nothing until a hold is granted)"
    target = RecordStatus.UNDER_OBJECTION if objection.holds and record.status is RecordStatus.ACTIVE else None
    await log_change(work, Actor.of(viewer), record, action="objection_filed", reason=why, to_status=target)
    return objection


async def grant_hold(work: UnitOfWork, viewer: Viewer, objection_id: int, note: str | None) -> Objection:
    """The deciding body grants a repeated objection the hold (new grounds): the measures are held."""
    require(viewer, Capability.DECIDE_ON_RECORDS, "grantObjectionHold")
    text = clean_text(note, "note", required=False)
    record, objection = await lock_with_record(work.session, Objection, objection_id, "no objection with this id")
    require_objection_decider(viewer, record, objection, "grantObjectionHold")
    if objection.status is not ObjectionStatus.PENDING:
        raise InvalidRequest("this objection was already resolved")
    if objection.holds:
        raise InvalidRequest("this objection already holds the record's measures")
    objection.holds = True
    objection.hold_granted_at = now()
    target = RecordStatus.UNDER_OBJECTION if record.status is RecordStatus.ACTIVE else None
    why = f"objection {objection.id}: hold granted" + (f": {text}" if text else "")
    await log_change(work, Actor.of(viewer), record, action="objection_hold_granted", reason=why, to_status=target)
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
    """Answer a pending objection in writing (`note`); the record's status follows the outcome."""
    require(viewer, Capability.DECIDE_ON_RECORDS, "resolveObjection")
    text = clean_text(note, "note", required=False)
    record, objection = await lock_with_record(work.session, Objection, objection_id, "no objection with this id")
    require_objection_decider(viewer, record, objection, "resolveObjection")
    if objection.status is not ObjectionStatus.PENDING:
        raise InvalidRequest("this objection was already resolved; an answer is final")
    objection.status = ObjectionStatus.RESOLVED
    objection.outcome = outcome
    objection.note = text
    objection.resolved_at = now()
    objection.resolved_by = viewer.key_id
    objection.answered_by = answerer(viewer, record)
    why = f"objection {objection.id} {outcome.value}"
    target: RecordStatus | None = None
    settled = record.status in (RecordStatus.REVOKED, RecordStatus.REPAIRED)  # meanwhile: it stays so
    if outcome is ObjectionOutcome.REVOKED:
        target = RecordStatus.REVOKED
    elif outcome is ObjectionOutcome.CORRECTED:
        objection.correction_due_on = correction_due_on(today, settings.correction_working_days)
        if objection.record_revision is not None and record.revision > objection.record_revision:
            # The authority sent the corrected record before answering: the correction has arrived.
            objection.corrected_at = now()
            why += "; the corrected record has arrived"
            target = RecordStatus.ACTIVE if record.status is RecordStatus.UNDER_OBJECTION else None
        else:
            why += f"; correction due on {objection.correction_due_on.isoformat()}"
            # The wrong record's measures stay held until its corrected revision arrives.
            target = None if settled else RecordStatus.UNDER_OBJECTION
    elif record.status is RecordStatus.UNDER_OBJECTION and not await _held_otherwise(work, record, objection):
        target = RecordStatus.ACTIVE
    if text:
        why += f": {text}"
    await log_change(work, Actor.of(viewer), record, action="objection_resolved", reason=why, to_status=target)
    return objection


async def _held_otherwise(work: UnitOfWork, record: CreditRecord, objection: Objection) -> bool:
    """Whether another objection still holds the record (a CORRECTED one awaiting its correction)."""
    return await repository.awaiting_correction(work.session, record.id, other_than=objection.id)


async def corrections_arrived(work: UnitOfWork, record_ids: Sequence[int], actor: Actor) -> None:
    """The corrected revisions of these records arrived (called by the ingestion after it wrote a new
    revision): the CORRECTED objections awaiting them are settled, and the records' measures follow the
    corrected records again."""
    for record, objection in await repository.awaiting_corrections(work.session, record_ids):
        objection.corrected_at = now()
        target = RecordStatus.ACTIVE if record.status is RecordStatus.UNDER_OBJECTION else None
        if target is not None and await pending_objection(work.session, record.id) is not None:
            target = None  # a new objection holds it meanwhile
        await log_change(
            work,
            actor,
            record,
            action="corrected",
            reason=f"objection {objection.id}: the corrected revision {record.revision} arrived",
            to_status=target,
        )


def may_read_answer(viewer: Viewer, record: CreditRecord) -> bool:
    """Who reads an objection's reply and reason: the subject it concerns, its deciding bodies and the
    credit office."""
    return reads_text_in_full(viewer, record.subject_id, record.authority, record.category)
