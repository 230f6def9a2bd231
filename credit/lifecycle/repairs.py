"""信用修复 (credit repair): a subject that corrected its dishonest conduct asks to end a record's
public disclosure early; the credit office decides.

Repair is for the records that bring punishment: administrative penalties, black lists (严重失信
主体名单) and 失信被执行人. It can be applied for once the record's minimum disclosure period has
passed (from `minimum_until + 1 day`, `credit.rules.disclosure`), while the record is in public
disclosure, not under objection, and has no other pending application. An approved repair makes the
record REPAIRED: it leaves public disclosure and brings no measures; a rejected one changes nothing.
"""

from __future__ import annotations

import datetime as dt

from credit.access.policy import Capability, require, require_decider, require_for_subject
from credit.access.viewer import Viewer
from credit.clock import now
from credit.enums import RecordCategory, RecordStatus, RepairStatus
from credit.errors import InvalidRequest
from credit.lifecycle.repository import has_pending_repair, lock_record, lock_with_record, log_change
from credit.models import CreditRepair
from credit.outbox.work import UnitOfWork
from credit.rules.disclosure import disclosure_period
from credit.rules.flags import effective_status
from credit.text import clean_text, required_text

#: Categories whose records bring punishment measures, and so can be repaired.
REPAIRABLE: frozenset[RecordCategory] = frozenset(
    {RecordCategory.ADMINISTRATIVE_PENALTY, RecordCategory.BLACK_LIST, RecordCategory.DISHONEST_JUDGMENT_DEBTOR}
)
_ONE_DAY = dt.timedelta(days=1)


async def apply_credit_repair(
    work: UnitOfWork, viewer: Viewer, record_id: int, statement: str, today: dt.date
) -> CreditRepair:
    """Apply for the repair of a record; the application waits for the credit office's decision."""
    require(viewer, Capability.ACT_FOR_SUBJECT, "applyCreditRepair")
    text = required_text(statement, "statement")
    session = work.session
    record = await lock_record(session, record_id)
    require_for_subject(viewer, record.subject_id, "applyCreditRepair")
    if record.category not in REPAIRABLE:
        raise InvalidRequest(
            "credit repair applies only to administrative penalties, black lists and dishonest judgment debtors"
        )
    facts = record.facts()
    status = effective_status(facts, today)
    if status is RecordStatus.UNDER_OBJECTION:
        raise InvalidRequest("the record has a pending objection; apply for repair once it is resolved")
    if status is not RecordStatus.ACTIVE:
        raise InvalidRequest(
            f"the record is not in public disclosure (status {status.value}); there is nothing to repair"
        )
    minimum_until = disclosure_period(facts).minimum_until
    if minimum_until is not None and today <= minimum_until:
        earliest = (minimum_until + _ONE_DAY).isoformat()
        raise InvalidRequest(
            f"the minimum disclosure period of this record ends on {minimum_until.isoformat()}; "
            f"credit repair can be applied for from {earliest}"
        )
    if await has_pending_repair(session, record.id):
        raise InvalidRequest("this record already has a pending repair application")
    repair = CreditRepair(
        record_id=record.id, status=RepairStatus.PENDING, statement=text, applied_at=now(), applied_by=viewer.key_id
    )
    session.add(repair)
    await session.flush()
    await log_change(work, viewer, record, action="repair_applied", reason=f"repair {repair.id}: {text}")
    return repair


async def decide_credit_repair(
    work: UnitOfWork, viewer: Viewer, repair_id: int, approve: bool, note: str | None, today: dt.date
) -> CreditRepair:
    """Approve (the record becomes REPAIRED) or reject (nothing changes) a pending application."""
    require(viewer, Capability.DECIDE_ON_RECORDS, "decideCreditRepair")
    text = clean_text(note, "note", required=False)
    record, repair = await lock_with_record(
        work.session, CreditRepair, repair_id, "no credit repair application with this id"
    )
    require_decider(viewer, record.authority, record.category, "decideCreditRepair")
    if repair.status is not RepairStatus.PENDING:
        raise InvalidRequest(f"this application was already decided ({repair.status.value}); a decision is final")
    target: RecordStatus | None = None
    if approve:
        status = effective_status(record.facts(), today)
        if status is RecordStatus.UNDER_OBJECTION:
            raise InvalidRequest("the record has a pending objection; resolve it before approving the repair")
        if status in (RecordStatus.REVOKED, RecordStatus.REPAIRED):
            raise InvalidRequest(f"the record is already {status.value}; reject the application instead")
        target = RecordStatus.REPAIRED
    repair.status = RepairStatus.APPROVED if approve else RepairStatus.REJECTED
    repair.decided_at = now()
    repair.decided_by = viewer.key_id
    repair.note = text
    why = f"repair {repair.id} {repair.status.value}" + (f": {text}" if text else "")
    action = "repair_approved" if approve else "repair_rejected"
    await log_change(work, viewer, record, action=action, reason=why, to_status=target)
    return repair
