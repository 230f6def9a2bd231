"""Credit repair (`credit.lifecycle.repairs`) against the real PostgreSQL: each rule and each refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest

from credit.access.keys import ANONYMOUS, Viewer
from credit.enums import ObjectionOutcome, RecordStatus, RepairStatus, Role
from credit.errors import InvalidRequest, NotAllowed, NotFoundError
from credit.lifecycle.objections import file_objection, resolve_objection
from credit.lifecycle.repairs import apply_credit_repair, decide_credit_repair
from credit.models import CreditRepair
from credit.platform.runtime import Runtime
from credit.rules.flags import FlagSet, in_public_disclosure
from credit.subjects.profile import facts_of, load_flags
from tests.integration.factories import (
    add_record,
    add_subject,
    events_of,
    load_record,
    outbox_reasons,
    purge_outbox,
    viewer,
)

DECIDED = dt.date(2025, 2, 20)


@pytest.fixture(autouse=True)
async def _no_index_work_left(runtime: Runtime) -> AsyncIterator[None]:
    yield
    await purge_outbox(runtime)  # see its docstring: keeps the next test's TRUNCATE from meeting the indexer


TODAY = dt.date(2025, 3, 3)


async def apply(
    runtime: Runtime, who: Viewer, record_id: int, today: dt.date = TODAY, statement: str = "已整改"
) -> CreditRepair:
    async with runtime.sessions.begin() as session:
        return await apply_credit_repair(session, who, record_id, statement, today)


async def decide(runtime: Runtime, who: Viewer, repair_id: int, approve: bool, note: str | None = None) -> CreditRepair:
    async with runtime.sessions.begin() as session:
        return await decide_credit_repair(session, who, repair_id, approve, note, TODAY)


async def flags(runtime: Runtime, subject_id: int) -> FlagSet:
    async with runtime.sessions() as session:
        return (await load_flags(session, [subject_id], TODAY))[subject_id]


async def record_of(runtime: Runtime, category: str, n: int = 1, **fields: Any) -> tuple[int, int]:
    subject_id, code = await add_subject(runtime, n)
    return subject_id, await add_record(runtime, code, category, DECIDED, f"R-{n}", **fields)


class TestApplyCreditRepair:
    async def test_refused_before_the_minimum_disclosure_period_has_passed(self, clean_db: Runtime) -> None:
        # A general penalty: at least 3 months, counted from the decision (ends 2025-05-20).
        subject_id, record_id = await record_of(clean_db, "ADMINISTRATIVE_PENALTY", severity="GENERAL")
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        with pytest.raises(InvalidRequest, match=r"ends on 2025-05-20.*from 2025-05-21"):
            await apply(clean_db, me, record_id, today=dt.date(2025, 5, 20))
        repair = await apply(clean_db, me, record_id, today=dt.date(2025, 5, 21))
        assert repair.status is RepairStatus.PENDING

    async def test_black_list_minimum_is_one_year(self, clean_db: Runtime) -> None:
        subject_id, record_id = await record_of(clean_db, "BLACK_LIST", listName="严重失信主体名单")
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        with pytest.raises(InvalidRequest, match="from 2026-02-21"):
            await apply(clean_db, me, record_id)
        assert (await apply(clean_db, me, record_id, today=dt.date(2026, 2, 21))).status is RepairStatus.PENDING

    async def test_creates_a_pending_application(self, clean_db: Runtime) -> None:
        subject_id, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")  # no minimum period
        me = await viewer(clean_db, Role.SUBJECT, subject_id, name="co")
        async with clean_db.sessions.begin() as session:
            repair = await apply_credit_repair(session, me, record_id, " 已全部履行 ", TODAY)
            assert (await outbox_reasons(session, subject_id))[-1] == "repair_applied"
        assert (repair.status, repair.statement, repair.record_id) == (RepairStatus.PENDING, "已全部履行", record_id)
        assert repair.applied_at is not None and repair.decided_at is None and repair.applied_by == me.key_id
        assert (await load_record(clean_db, record_id)).status is RecordStatus.ACTIVE
        event = (await events_of(clean_db, record_id))[-1]
        assert (event.action, event.actor, event.to_status) == ("repair_applied", "SUBJECT:co", "ACTIVE")

    @pytest.mark.parametrize("category", ["RED_LIST", "ADMINISTRATIVE_LICENSE", "CREDIT_COMMITMENT"])
    async def test_only_punishment_categories(self, clean_db: Runtime, category: str) -> None:
        subject_id, record_id = await record_of(clean_db, category)
        with pytest.raises(InvalidRequest, match="applies only to"):
            await apply(
                clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id, today=dt.date(2025, 12, 1)
            )

    async def test_refuses_a_second_pending_application(self, clean_db: Runtime) -> None:
        subject_id, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        first = await apply(clean_db, me, record_id)
        with pytest.raises(InvalidRequest, match="pending repair"):
            await apply(clean_db, me, record_id)
        await decide(clean_db, await viewer(clean_db, Role.REGULATOR), first.id, approve=False)
        assert (await apply(clean_db, me, record_id)).id != first.id  # after a rejection, again

    async def test_refuses_a_record_under_objection(self, clean_db: Runtime) -> None:
        subject_id, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        async with clean_db.sessions.begin() as session:
            await file_objection(session, me, record_id, "异议", TODAY, clean_db.settings)
        with pytest.raises(InvalidRequest, match="pending objection"):
            await apply(clean_db, me, record_id)

    async def test_refuses_a_record_out_of_disclosure(self, clean_db: Runtime) -> None:
        subject_id, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR", validUntil="2025-12-31")
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        with pytest.raises(InvalidRequest, match=r"not in public disclosure.*EXPIRED"):
            await apply(clean_db, me, record_id, today=dt.date(2026, 1, 1))
        office = await viewer(clean_db, Role.REGULATOR)
        async with clean_db.sessions.begin() as session:
            objection = await file_objection(session, me, record_id, "异议", TODAY, clean_db.settings)
        async with clean_db.sessions.begin() as session:
            await resolve_objection(
                session, office, objection.id, ObjectionOutcome.REVOKED, None, TODAY, clean_db.settings
            )
        with pytest.raises(InvalidRequest, match=r"not in public disclosure.*REVOKED"):
            await apply(clean_db, me, record_id)

    async def test_a_subject_may_apply_only_for_its_own_records(self, clean_db: Runtime) -> None:
        _, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR", 1)
        other_id, _ = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR", 2)
        with pytest.raises(NotAllowed, match="its own subject"):
            await apply(clean_db, await viewer(clean_db, Role.SUBJECT, other_id), record_id)

    @pytest.mark.parametrize("role", [Role.PUBLIC, Role.JOURNALIST, Role.DATA_PROVIDER, Role.FINANCIAL_INSTITUTION])
    async def test_other_roles_may_not_apply(self, clean_db: Runtime, role: Role) -> None:
        _, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")
        who = ANONYMOUS if role is Role.PUBLIC else await viewer(clean_db, role)
        with pytest.raises(NotAllowed):
            await apply(clean_db, who, record_id)

    async def test_a_regulator_may_apply_on_behalf_of_the_subject(self, clean_db: Runtime) -> None:
        _, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")
        assert (await apply(clean_db, await viewer(clean_db, Role.REGULATOR), record_id)).status is RepairStatus.PENDING

    @pytest.mark.parametrize("statement", ["", "  ", "s" * 2001])
    async def test_refuses_a_bad_statement(self, clean_db: Runtime, statement: str) -> None:
        subject_id, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")
        with pytest.raises(InvalidRequest, match="statement"):
            await apply(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id, statement=statement)

    async def test_refuses_an_unknown_record(self, clean_db: Runtime) -> None:
        with pytest.raises(NotFoundError):
            await apply(clean_db, await viewer(clean_db, Role.REGULATOR), 777)


class TestDecideCreditRepair:
    async def test_approval_repairs_the_record(self, clean_db: Runtime) -> None:
        subject_id, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")
        assert (await flags(clean_db, subject_id)).active
        repair = await apply(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)
        office = await viewer(clean_db, Role.REGULATOR, name="office")
        async with clean_db.sessions.begin() as session:
            decided = await decide_credit_repair(session, office, repair.id, True, "同意修复", TODAY)
            assert (await outbox_reasons(session, subject_id))[-1] == "repair_approved"
        assert decided.status is RepairStatus.APPROVED and decided.decided_at is not None
        assert decided.decided_by == office.key_id and decided.note == "同意修复"
        record = await load_record(clean_db, record_id)
        assert record.status is RecordStatus.REPAIRED and not in_public_disclosure(facts_of(record), TODAY)
        assert await flags(clean_db, subject_id) == FlagSet(active=(), held=())
        event = (await events_of(clean_db, record_id))[-1]
        assert (event.action, event.from_status, event.to_status) == ("repair_approved", "ACTIVE", "REPAIRED")

    async def test_rejection_changes_nothing_on_the_record(self, clean_db: Runtime) -> None:
        subject_id, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")
        before = await flags(clean_db, subject_id)
        repair = await apply(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)
        decided = await decide(clean_db, await viewer(clean_db, Role.ADMIN), repair.id, approve=False, note="材料不足")
        assert decided.status is RepairStatus.REJECTED
        assert (await load_record(clean_db, record_id)).status is RecordStatus.ACTIVE
        assert await flags(clean_db, subject_id) == before
        assert (await events_of(clean_db, record_id))[-1].action == "repair_rejected"

    @pytest.mark.parametrize("first", [True, False])
    async def test_a_decided_repair_cannot_be_decided_again(self, clean_db: Runtime, first: bool) -> None:
        subject_id, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")
        repair = await apply(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)
        office = await viewer(clean_db, Role.REGULATOR)
        await decide(clean_db, office, repair.id, approve=first)
        with pytest.raises(InvalidRequest, match="already decided"):
            await decide(clean_db, office, repair.id, approve=not first)
        status = (await load_record(clean_db, record_id)).status
        assert status is (RecordStatus.REPAIRED if first else RecordStatus.ACTIVE)

    async def test_approval_waits_for_a_pending_objection(self, clean_db: Runtime) -> None:
        subject_id, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        repair = await apply(clean_db, me, record_id)
        async with clean_db.sessions.begin() as session:
            await file_objection(session, me, record_id, "异议", TODAY, clean_db.settings)
        office = await viewer(clean_db, Role.REGULATOR)
        with pytest.raises(InvalidRequest, match="pending objection"):
            await decide(clean_db, office, repair.id, approve=True)
        assert (await decide(clean_db, office, repair.id, approve=False)).status is RepairStatus.REJECTED

    @pytest.mark.parametrize("role", [Role.SUBJECT, Role.DATA_PROVIDER, Role.JOURNALIST])
    async def test_only_the_credit_office_decides(self, clean_db: Runtime, role: Role) -> None:
        subject_id, record_id = await record_of(clean_db, "DISHONEST_JUDGMENT_DEBTOR")
        repair = await apply(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)
        who = await viewer(clean_db, role, subject_id if role is Role.SUBJECT else None)
        with pytest.raises(NotAllowed):
            await decide(clean_db, who, repair.id, approve=True)

    async def test_refuses_an_unknown_repair(self, clean_db: Runtime) -> None:
        with pytest.raises(NotFoundError):
            await decide(clean_db, await viewer(clean_db, Role.REGULATOR), 5150, approve=True)
