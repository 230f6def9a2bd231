"""Credit repair (`credit.lifecycle.repairs`) against the real PostgreSQL: each rule and each refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from credit.access.viewer import ANONYMOUS, Viewer
from credit.enums import ObjectionOutcome, RecordStatus, RepairStatus, Role
from credit.errors import InvalidRequest, NotAllowed, NotFoundError
from credit.lifecycle import service
from credit.models import CreditRepair
from credit.platform.runtime import Runtime
from credit.rules.flags import FlagSet, in_public_disclosure
from tests.support.factories import (
    AUTHORITY,
    EVIDENCE,
    PLEDGE,
    add_person,
    add_record,
    add_subject,
    authority_key,
    commitment,
    events_of,
    load_record,
    outbox_reasons,
    resident_id,
    subject_flags,
    viewer,
)

pytestmark = pytest.mark.integration

DECIDED = dt.date(2025, 2, 20)


TODAY = dt.date(2025, 3, 3)


async def apply(
    runtime: Runtime, who: Viewer, record_id: int, today: dt.date = TODAY, statement: str = "已整改"
) -> CreditRepair:
    return await service.apply_credit_repair(runtime, who, record_id, statement, today, commitment(today), EVIDENCE)


async def decide(runtime: Runtime, who: Viewer, repair_id: int, approve: bool, note: str | None = None) -> CreditRepair:
    return await service.decide_credit_repair(runtime, who, repair_id, approve, note, TODAY)


async def flags(runtime: Runtime, subject_id: int) -> FlagSet:
    return await subject_flags(runtime, subject_id, TODAY)


async def record_of(runtime: Runtime, category: str, n: int = 1, **fields: Any) -> tuple[int, int]:
    subject_id, code = await add_subject(runtime, n)
    return subject_id, await add_record(runtime, code, category, DECIDED, f"R-{n}", **fields)


class TestApplyCreditRepair:
    async def test_refused_before_the_minimum_disclosure_period_has_passed(self, tx: Runtime) -> None:
        # A general penalty: at least 3 months, counted from the decision (ends 2025-05-20).
        subject_id, record_id = await record_of(tx, "ADMINISTRATIVE_PENALTY", severity="GENERAL")
        me = await viewer(tx, Role.SUBJECT, subject_id)
        with pytest.raises(InvalidRequest, match=r"ends on 2025-05-20.*from 2025-05-21"):
            await apply(tx, me, record_id, today=dt.date(2025, 5, 20))
        repair = await apply(tx, me, record_id, today=dt.date(2025, 5, 21))
        assert repair.status is RepairStatus.PENDING

    async def test_black_list_minimum_is_one_year(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "BLACK_LIST", listName="严重失信主体名单")
        me = await viewer(tx, Role.SUBJECT, subject_id)
        with pytest.raises(InvalidRequest, match="from 2026-02-21"):
            await apply(tx, me, record_id)
        assert (await apply(tx, me, record_id, today=dt.date(2026, 2, 21))).status is RepairStatus.PENDING

    async def test_creates_a_pending_application(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")  # no minimum period
        me = await viewer(tx, Role.SUBJECT, subject_id, name="co")
        repair = await service.apply_credit_repair(
            tx, me, record_id, " 已全部履行 ", TODAY, commitment(TODAY), EVIDENCE
        )
        assert (await outbox_reasons(tx, subject_id))[-1] == "repair_applied"
        assert (repair.status, repair.statement, repair.record_id) == (RepairStatus.PENDING, "已全部履行", record_id)
        assert repair.applied_at is not None and repair.decided_at is None and repair.applied_by == me.key_id
        assert (await load_record(tx, record_id)).status is RecordStatus.ACTIVE
        event = (await events_of(tx, record_id))[-1]
        assert (event.action, event.actor, event.to_status) == ("repair_applied", "SUBJECT:co", "ACTIVE")

    @pytest.mark.parametrize("category", ["RED_LIST", "ADMINISTRATIVE_LICENSE", "CREDIT_COMMITMENT"])
    async def test_only_punishment_categories(self, tx: Runtime, category: str) -> None:
        subject_id, record_id = await record_of(tx, category)
        with pytest.raises(InvalidRequest, match="applies only to"):
            await apply(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id, today=dt.date(2025, 12, 1))

    async def test_refuses_a_second_pending_application(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        me = await viewer(tx, Role.SUBJECT, subject_id)
        first = await apply(tx, me, record_id)
        with pytest.raises(InvalidRequest, match="pending repair"):
            await apply(tx, me, record_id)
        await decide(tx, await authority_key(tx), first.id, approve=False)
        assert (await apply(tx, me, record_id)).id != first.id  # after a rejection, again

    async def test_refuses_a_record_under_objection(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        me = await viewer(tx, Role.SUBJECT, subject_id)
        await service.file_objection(tx, me, record_id, "异议", TODAY)
        with pytest.raises(InvalidRequest, match="pending objection"):
            await apply(tx, me, record_id)

    async def test_refuses_a_record_out_of_disclosure(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR", validUntil="2025-12-31")
        me = await viewer(tx, Role.SUBJECT, subject_id)
        with pytest.raises(InvalidRequest, match=r"not in public disclosure.*EXPIRED"):
            await apply(tx, me, record_id, today=dt.date(2026, 1, 1))
        court = await authority_key(tx)
        objection = await service.file_objection(tx, me, record_id, "异议", TODAY)
        await service.resolve_objection(tx, court, objection.id, ObjectionOutcome.REVOKED, None, TODAY)
        with pytest.raises(InvalidRequest, match=r"not in public disclosure.*REVOKED"):
            await apply(tx, me, record_id)

    async def test_a_subject_may_apply_only_for_its_own_records(self, tx: Runtime) -> None:
        _, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR", 1)
        other_id, _ = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR", 2)
        with pytest.raises(NotAllowed, match="its own subject"):
            await apply(tx, await viewer(tx, Role.SUBJECT, other_id), record_id)

    @pytest.mark.parametrize("role", [Role.PUBLIC, Role.JOURNALIST, Role.DATA_PROVIDER, Role.FINANCIAL_INSTITUTION])
    async def test_other_roles_may_not_apply(self, tx: Runtime, role: Role) -> None:
        _, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        who = ANONYMOUS if role is Role.PUBLIC else await viewer(tx, role)
        with pytest.raises(NotAllowed):
            await apply(tx, who, record_id)

    async def test_a_regulator_may_apply_on_behalf_of_the_subject(self, tx: Runtime) -> None:
        _, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        assert (await apply(tx, await viewer(tx, Role.REGULATOR), record_id)).status is RepairStatus.PENDING

    @pytest.mark.parametrize("statement", ["", "  ", "s" * 2001])
    async def test_refuses_a_bad_statement(self, tx: Runtime, statement: str) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        with pytest.raises(InvalidRequest, match="statement"):
            await apply(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id, statement=statement)

    async def test_refuses_an_unknown_record(self, tx: Runtime) -> None:
        with pytest.raises(NotFoundError):
            await apply(tx, await viewer(tx, Role.REGULATOR), 777)


class TestDecideCreditRepair:
    async def test_approval_repairs_the_record(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        assert (await flags(tx, subject_id)).active
        repair = await apply(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        court = await authority_key(tx, "court")
        decided = await service.decide_credit_repair(tx, court, repair.id, True, "同意修复", TODAY)
        assert (await outbox_reasons(tx, subject_id))[-1] == "repair_approved"
        assert decided.status is RepairStatus.APPROVED and decided.decided_at is not None
        assert decided.decided_by == court.key_id and decided.note == "同意修复"
        record = await load_record(tx, record_id)
        assert record.status is RecordStatus.REPAIRED and not in_public_disclosure(record.facts(), TODAY)
        assert await flags(tx, subject_id) == FlagSet(active=(), held=())
        event = (await events_of(tx, record_id))[-1]
        assert (event.action, event.from_status, event.to_status) == ("repair_approved", "ACTIVE", "REPAIRED")

    async def test_rejection_changes_nothing_on_the_record(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        before = await flags(tx, subject_id)
        repair = await apply(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        decided = await decide(tx, await authority_key(tx), repair.id, approve=False, note="材料不足")
        assert decided.status is RepairStatus.REJECTED
        assert (await load_record(tx, record_id)).status is RecordStatus.ACTIVE
        assert await flags(tx, subject_id) == before
        assert (await events_of(tx, record_id))[-1].action == "repair_rejected"

    @pytest.mark.parametrize("first", [True, False])
    async def test_a_decided_repair_cannot_be_decided_again(self, tx: Runtime, first: bool) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        repair = await apply(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        court = await authority_key(tx)
        await decide(tx, court, repair.id, approve=first)
        with pytest.raises(InvalidRequest, match="already decided"):
            await decide(tx, court, repair.id, approve=not first)
        status = (await load_record(tx, record_id)).status
        assert status is (RecordStatus.REPAIRED if first else RecordStatus.ACTIVE)

    async def test_approval_waits_for_a_pending_objection(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        me = await viewer(tx, Role.SUBJECT, subject_id)
        repair = await apply(tx, me, record_id)
        await service.file_objection(tx, me, record_id, "异议", TODAY)
        court = await authority_key(tx)
        with pytest.raises(InvalidRequest, match="pending objection"):
            await decide(tx, court, repair.id, approve=True)
        assert (await decide(tx, court, repair.id, approve=False)).status is RepairStatus.REJECTED

    @pytest.mark.parametrize("category", ["DISHONEST_JUDGMENT_DEBTOR", "BLACK_LIST", "ADMINISTRATIVE_PENALTY"])
    @pytest.mark.parametrize("role", [Role.SUBJECT, Role.DATA_PROVIDER, Role.JOURNALIST, Role.REGULATOR, Role.ADMIN])
    async def test_only_the_authority_decides(self, tx: Runtime, role: Role, category: str) -> None:
        """谁认定、谁负责: the body that made the record decides its repair; the office only tracks."""
        subject_id, record_id = await record_of(tx, category, listName="名单" if category == "BLACK_LIST" else None)
        repair = await apply(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id, today=dt.date(2026, 3, 1))
        other = frozenset({"另一个机关"}) if role is Role.DATA_PROVIDER else frozenset()
        who = await viewer(tx, role, subject_id if role is Role.SUBJECT else None, authorities=other)
        with pytest.raises(NotAllowed):
            await decide(tx, who, repair.id, approve=True)
        assert (await decide(tx, await authority_key(tx), repair.id, approve=True)).status is RepairStatus.APPROVED

    async def test_refuses_an_unknown_repair(self, tx: Runtime) -> None:
        with pytest.raises(NotFoundError):
            await decide(tx, await viewer(tx, Role.REGULATOR), 5150, approve=True)


class TestApplicationAsTheLawHasIt:
    async def test_a_commitment_and_evidence_are_required(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        me = await viewer(tx, Role.SUBJECT, subject_id)
        with pytest.raises(InvalidRequest, match="信用修复承诺书"):
            await service.apply_credit_repair(tx, me, record_id, "已履行", TODAY, None, EVIDENCE)
        with pytest.raises(InvalidRequest, match="履行完毕的证明材料"):
            await service.apply_credit_repair(tx, me, record_id, "已履行", TODAY, commitment(TODAY), [])
        with pytest.raises(InvalidRequest, match="signedOn is in the future"):
            later = commitment(TODAY + dt.timedelta(days=1))
            await service.apply_credit_repair(tx, me, record_id, "已履行", TODAY, later, EVIDENCE)
        with pytest.raises(InvalidRequest, match=r"commitment\.text"):
            await service.apply_credit_repair(tx, me, record_id, "已履行", TODAY, commitment(TODAY, "  "), EVIDENCE)

    async def test_the_decision_is_due_in_ten_working_days(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        repair = await apply(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        assert repair.decision_due_on == dt.date(2025, 3, 17)  # 10 working days after Monday 2025-03-03
        assert (repair.commitment_text, repair.commitment_signed_by, repair.evidence) == (PLEDGE, "王经理", EVIDENCE)
        office = await viewer(tx, Role.REGULATOR)
        assert (await service.backlog(tx, office, dt.date(2025, 3, 18))).overdue_repairs == 1
        decided = await decide(tx, await authority_key(tx), repair.id, approve=True)
        assert decided.decided_by_authority == AUTHORITY
        assert (await service.backlog(tx, office, dt.date(2025, 3, 18))).pending_repairs == 0


class TestCommitmentsPublished:
    async def test_a_persons_commitment_is_published_without_personal_data(self, tx: Runtime) -> None:
        code = resident_id(321)
        subject_id = await add_person(tx, code, "李建国", phone="13912345678")
        record_id = await add_record(tx, code, "DISHONEST_JUDGMENT_DEBTOR", DECIDED, "DJD-P")
        pledge = f"本人李建国（身份证号{code}，电话13912345678）承诺已履行全部义务。"
        me = await viewer(tx, Role.SUBJECT, subject_id)
        await service.apply_credit_repair(tx, me, record_id, "已履行", TODAY, commitment(TODAY, pledge), EVIDENCE)
        (published, record), *_ = (await service.repair_commitments(tx, 10, None))[0]
        assert record.id == record_id and published.commitment_text == pledge  # kept for its deciding body
        public = published.commitment_public_text or ""
        for secret in ("李建国", code, "13912345678"):
            assert secret not in public
        assert public.startswith("本人李**（身份证号")

    async def test_a_revoked_records_commitment_is_not_published(self, tx: Runtime) -> None:
        subject_id, record_id = await record_of(tx, "DISHONEST_JUDGMENT_DEBTOR")
        me = await viewer(tx, Role.SUBJECT, subject_id)
        repair = await apply(tx, me, record_id)
        await decide(tx, await authority_key(tx), repair.id, approve=False)
        objection = await service.file_objection(tx, me, record_id, "错误记录", TODAY)
        await service.resolve_objection(
            tx, await authority_key(tx), objection.id, ObjectionOutcome.REVOKED, None, TODAY
        )
        assert (await service.repair_commitments(tx, 10, None))[0] == []
