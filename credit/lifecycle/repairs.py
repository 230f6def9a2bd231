"""信用修复 (credit repair): a subject that corrected its dishonest conduct asks to end a record's
public disclosure early; the body that made the record decides (谁认定、谁修复).

The law in force: 《信用修复管理办法》(国家发展改革委令第36号, in force 2026-04-01, replacing 第58号令)
and 《关于进一步完善信用修复制度的实施方案》(国办发〔2025〕22号). Repair ends public disclosure, stops
sharing and lifts the measures (第三条). An application is made once the minimum disclosure period
has passed (`credit.rules.disclosure`), for a record that brings punishment (administrative
penalties, black lists, 失信被执行人) and is in public disclosure, not under objection, with no other
pending application; it carries the applicant's signed commitment (信用修复承诺书, 信用承诺) and
references to the proof that the obligations are performed (22号: "申请材料包括法定责任义务履行完毕
的证明材料和信用承诺书"). The decision is due `repair_decision_working_days` working days after the
application (22号 四、明确信用修复办理期限: the result reaches the applicant within 10 working days).
An approved repair makes the record REPAIRED: it leaves disclosure and brings no measures, and the
change reaches every reader (feeds, index, subscriptions) through the outbox at once; a rejected one
changes nothing. Commitments are published without personal data (信用修复承诺公示, seed 000 line 101).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from credit.access.policy import Capability, require, require_decider, require_for_subject
from credit.access.viewer import Viewer
from credit.clock import now
from credit.enums import RecordCategory, RecordStatus, RepairStatus
from credit.errors import InvalidRequest
from credit.lifecycle.repository import Actor, has_pending_repair, lock_record, lock_with_record, log_change
from credit.models import CreditRepair, Subject
from credit.outbox.work import UnitOfWork
from credit.platform.config import Settings
from credit.platform.crypto import Vault
from credit.records.ingest import text_cleaner
from credit.rules.calendar import add_working_days
from credit.rules.disclosure import disclosure_period
from credit.rules.flags import effective_status
from credit.text import clean_text, required_text

#: Categories whose records bring punishment measures, and so can be repaired.
REPAIRABLE: frozenset[RecordCategory] = frozenset(
    {RecordCategory.ADMINISTRATIVE_PENALTY, RecordCategory.BLACK_LIST, RecordCategory.DISHONEST_JUDGMENT_DEBTOR}
)
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Commitment:
    """The applicant's signed 信用修复承诺书: what it commits to, who signed it and when."""

    text: str
    signed_by: str
    signed_on: dt.date


MAX_EVIDENCE = 10
NO_COMMITMENT = (
    "a repair application carries the applicant's signed commitment (信用修复承诺书): give commitment "
    "{ text, signedBy, signedOn }"
)
NO_EVIDENCE = (
    "a repair application carries references to the proof that the obligations are performed "
    "(履行完毕的证明材料): give evidence"
)


def checked_application(
    commitment: Commitment | None, evidence: Sequence[str], today: dt.date
) -> tuple[Commitment, list[str]]:
    """The commitment and evidence of an application, cleaned; InvalidRequest naming what is missing."""
    if commitment is None:
        raise InvalidRequest(NO_COMMITMENT)
    signed = Commitment(
        text=required_text(commitment.text, "commitment.text"),
        signed_by=required_text(commitment.signed_by, "commitment.signedBy", max_length=100),
        signed_on=commitment.signed_on,
    )
    if signed.signed_on > today:
        raise InvalidRequest("commitment.signedOn is in the future")
    if today - signed.signed_on > dt.timedelta(days=365):
        raise InvalidRequest("commitment.signedOn is more than a year ago; sign a current commitment")
    references = [required_text(item, "evidence", max_length=500) for item in evidence]
    if not references:
        raise InvalidRequest(NO_EVIDENCE)
    if len(references) > MAX_EVIDENCE:
        raise InvalidRequest(f"evidence: at most {MAX_EVIDENCE} references")
    return signed, references


async def apply_credit_repair(
    work: UnitOfWork,
    viewer: Viewer,
    record_id: int,
    statement: str,
    today: dt.date,
    settings: Settings,
    vault: Vault,
    commitment: Commitment | None = None,
    evidence: Sequence[str] = (),
) -> CreditRepair:
    """Apply for the repair of a record; the application waits for the decision of its deciding body."""
    require(viewer, Capability.ACT_FOR_SUBJECT, "applyCreditRepair")
    text = required_text(statement, "statement")
    signed, references = checked_application(commitment, evidence, today)
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
    subject = await session.get(Subject, record.subject_id)
    assert subject is not None  # a foreign key guarantees it
    public = text_cleaner(vault, subject.kind, subject.personal_data, subject.code_index)
    repair = CreditRepair(
        record_id=record.id,
        status=RepairStatus.PENDING,
        statement=text,
        applied_at=now(),
        applied_by=viewer.key_id,
        commitment_text=signed.text,
        commitment_signed_by=signed.signed_by,
        commitment_signed_on=signed.signed_on,
        commitment_public_text=public(signed.text),
        evidence=references,
        decision_due_on=add_working_days(today, settings.repair_decision_working_days),
    )
    session.add(repair)
    await session.flush()
    await log_change(work, Actor.of(viewer), record, action="repair_applied", reason=f"repair {repair.id}: {text}")
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
    repair.decided_by_authority = record.authority if record.authority in viewer.authorities else None
    repair.note = text
    why = f"repair {repair.id} {repair.status.value}" + (f": {text}" if text else "")
    action = "repair_approved" if approve else "repair_rejected"
    await log_change(work, Actor.of(viewer), record, action=action, reason=why, to_status=target)
    return repair
