"""Objections (`credit.lifecycle.objections`) against the real PostgreSQL: each rule and each refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from credit.access.keys import ANONYMOUS, Viewer
from credit.enums import FlagKind, ObjectionOutcome, ObjectionStatus, RecordStatus, Role
from credit.errors import InvalidRequest, NotAllowed, NotFoundError
from credit.lifecycle import objections
from credit.lifecycle.objections import file_objection, overdue_objections, record_history, resolve_objection
from credit.lifecycle.repairs import apply_credit_repair, decide_credit_repair
from credit.models import Objection
from credit.platform.runtime import Runtime
from credit.rules.calendar import correction_due_on, objection_due_on
from credit.rules.flags import FlagSet
from credit.subjects.profile import load_flags
from tests.integration.factories import (
    add_record,
    add_subject,
    events_of,
    load_record,
    outbox_reasons,
    purge_outbox,
    viewer,
)

TODAY = dt.date(2025, 3, 3)  # a Monday


@pytest.fixture(autouse=True)
async def _no_index_work_left(runtime: Runtime) -> AsyncIterator[None]:
    yield
    await purge_outbox(runtime)  # see its docstring: keeps the next test's TRUNCATE from meeting the indexer


DECIDED = dt.date(2025, 2, 20)


async def flags(runtime: Runtime, subject_id: int, today: dt.date = TODAY) -> FlagSet:
    async with runtime.sessions() as session:
        return (await load_flags(session, [subject_id], today))[subject_id]


async def debtor(runtime: Runtime, n: int = 1) -> tuple[int, int]:
    """A company with one 失信被执行人 record; returns (subject id, record id)."""
    subject_id, code = await add_subject(runtime, n)
    record_id = await add_record(runtime, code, "DISHONEST_JUDGMENT_DEBTOR", DECIDED, f"DJD-{n}")
    return subject_id, record_id


async def file(
    runtime: Runtime, who: Viewer, record_id: int, reason: str = "已履行完毕", today: dt.date = TODAY
) -> Objection:
    async with runtime.sessions.begin() as session:
        return await file_objection(session, who, record_id, reason, today, runtime.settings)


async def resolve(
    runtime: Runtime, who: Viewer, objection_id: int, outcome: ObjectionOutcome, note: str | None = None
) -> Objection:
    async with runtime.sessions.begin() as session:
        return await resolve_objection(session, who, objection_id, outcome, note, TODAY, runtime.settings)


class TestFileObjection:
    async def test_holds_the_punishments_of_the_record(self, clean_db: Runtime) -> None:
        subject_id, record_id = await debtor(clean_db)
        before = await flags(clean_db, subject_id)
        assert before.active and all(f.kind is FlagKind.PUNISHMENT for f in before.active) and not before.held
        me = await viewer(clean_db, Role.SUBJECT, subject_id, name="company")

        async with clean_db.sessions.begin() as session:
            objection = await file_objection(session, me, record_id, "  已履行完毕  ", TODAY, clean_db.settings)
            queued = await outbox_reasons(session, subject_id)
        assert queued[-1] == "objection_filed"  # in the same transaction as the change

        assert objection.status is ObjectionStatus.PENDING
        assert objection.reason == "已履行完毕"
        assert objection.due_on == objection_due_on(TODAY, 15) == dt.date(2025, 3, 24)
        assert objection.filed_by == me.key_id and objection.filed_at is not None
        assert (await load_record(clean_db, record_id)).status is RecordStatus.UNDER_OBJECTION
        after = await flags(clean_db, subject_id)
        assert after.active == () and after.held == before.active
        event = (await events_of(clean_db, record_id))[-1]
        assert (event.action, event.from_status, event.to_status) == ("objection_filed", "ACTIVE", "UNDER_OBJECTION")
        assert event.actor == "SUBJECT:company" and event.actor_key_id == me.key_id and event.reason == "已履行完毕"

    async def test_due_date_follows_the_settings(self, clean_db: Runtime) -> None:
        _, record_id = await debtor(clean_db)
        office = await viewer(clean_db, Role.REGULATOR)
        settings = clean_db.settings.model_copy(update={"objection_reply_working_days": 3})
        async with clean_db.sessions.begin() as session:
            objection = await file_objection(session, office, record_id, "核查", TODAY, settings)
        assert objection.due_on == dt.date(2025, 3, 6)

    async def test_refuses_a_second_pending_objection(self, clean_db: Runtime) -> None:
        subject_id, record_id = await debtor(clean_db)
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        await file(clean_db, me, record_id)
        with pytest.raises(InvalidRequest, match="already has a pending objection"):
            await file(clean_db, me, record_id)
        office = await viewer(clean_db, Role.REGULATOR)
        with pytest.raises(InvalidRequest, match="already has a pending objection"):
            await file(clean_db, office, record_id)

    async def test_the_unique_index_backs_the_check(self, clean_db: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        subject_id, record_id = await debtor(clean_db)
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        await file(clean_db, me, record_id)

        async def nothing_pending(*args: object) -> None:
            return None  # as if a concurrent transaction had not committed yet when we checked

        monkeypatch.setattr(objections, "pending_objection", nothing_pending)
        with pytest.raises(InvalidRequest, match="already has a pending objection"):
            await file(clean_db, me, record_id)
        async with clean_db.sessions() as session:
            rows = (await session.scalars(select(Objection).where(Objection.record_id == record_id))).all()
        assert len(rows) == 1

    async def test_a_subject_may_object_only_to_its_own_records(self, clean_db: Runtime) -> None:
        _, record_id = await debtor(clean_db, 1)
        other_id, _ = await debtor(clean_db, 2)
        other = await viewer(clean_db, Role.SUBJECT, other_id)
        with pytest.raises(NotAllowed, match="its own subject"):
            await file(clean_db, other, record_id)
        assert (await load_record(clean_db, record_id)).status is RecordStatus.ACTIVE

    @pytest.mark.parametrize("role", [Role.PUBLIC, Role.JOURNALIST, Role.FINANCIAL_INSTITUTION, Role.DATA_PROVIDER])
    async def test_other_roles_may_not_object(self, clean_db: Runtime, role: Role) -> None:
        _, record_id = await debtor(clean_db)
        who = await viewer(clean_db, role) if role is not Role.PUBLIC else ANONYMOUS
        with pytest.raises(NotAllowed, match="needs one of the roles"):
            await file(clean_db, who, record_id)

    @pytest.mark.parametrize("role", [Role.REGULATOR, Role.ADMIN])
    async def test_the_credit_office_may_object_to_any_record(self, clean_db: Runtime, role: Role) -> None:
        _, record_id = await debtor(clean_db)
        objection = await file(clean_db, await viewer(clean_db, role), record_id)
        assert objection.status is ObjectionStatus.PENDING

    @pytest.mark.parametrize("reason", ["", "   ", "x" * 2001, "bad\x00text"])
    async def test_refuses_a_bad_reason(self, clean_db: Runtime, reason: str) -> None:
        subject_id, record_id = await debtor(clean_db)
        with pytest.raises(InvalidRequest, match="reason"):
            await file(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id, reason)

    async def test_refuses_an_unknown_record(self, clean_db: Runtime) -> None:
        with pytest.raises(NotFoundError):
            await file(clean_db, await viewer(clean_db, Role.REGULATOR), 999_999)

    async def test_refuses_an_expired_record(self, clean_db: Runtime) -> None:
        subject_id, record_id = await debtor(clean_db)  # two years: disclosed until 2027-02-20
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        with pytest.raises(InvalidRequest, match="disclosure period has ended"):
            await file(clean_db, me, record_id, today=dt.date(2027, 2, 21))

    async def test_refuses_revoked_and_repaired_records(self, clean_db: Runtime) -> None:
        subject_id, record_id = await debtor(clean_db, 1)
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        office = await viewer(clean_db, Role.REGULATOR)
        first = await file(clean_db, me, record_id)
        await resolve(clean_db, office, first.id, ObjectionOutcome.REVOKED)
        with pytest.raises(InvalidRequest, match="revoked"):
            await file(clean_db, me, record_id)

        subject_id, record_id = await debtor(clean_db, 2)
        async with clean_db.sessions.begin() as session:
            repair = await apply_credit_repair(session, office, record_id, "已履行", TODAY)
        async with clean_db.sessions.begin() as session:
            await decide_credit_repair(session, office, repair.id, True, None, TODAY)
        with pytest.raises(InvalidRequest, match="repaired"):
            await file(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)


class TestResolveObjection:
    async def test_rejected_restores_exactly_the_held_flags(self, clean_db: Runtime) -> None:
        subject_id, record_id = await debtor(clean_db)
        before = await flags(clean_db, subject_id)
        objection = await file(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)
        held = (await flags(clean_db, subject_id)).held
        office = await viewer(clean_db, Role.REGULATOR, name="office")

        async with clean_db.sessions.begin() as session:
            resolved = await resolve_objection(
                session, office, objection.id, ObjectionOutcome.REJECTED, "核查属实", TODAY, clean_db.settings
            )
            assert (await outbox_reasons(session, subject_id))[-1] == "objection_resolved"

        assert (resolved.status, resolved.outcome, resolved.note) == (
            ObjectionStatus.RESOLVED,
            ObjectionOutcome.REJECTED,
            "核查属实",
        )
        assert resolved.resolved_by == office.key_id and resolved.resolved_at is not None
        assert (await load_record(clean_db, record_id)).status is RecordStatus.ACTIVE
        after = await flags(clean_db, subject_id)
        assert after == before and after.active == held
        event = (await events_of(clean_db, record_id))[-1]
        assert (event.action, event.from_status, event.to_status) == ("objection_resolved", "UNDER_OBJECTION", "ACTIVE")
        assert event.actor == "REGULATOR:office" and "REJECTED" in (event.reason or "")

    async def test_corrected_re_derives_flags_from_the_corrected_record(self, clean_db: Runtime) -> None:
        subject_id, code = await add_subject(clean_db, 1)
        record_id = await add_record(
            clean_db, code, "ADMINISTRATIVE_PENALTY", DECIDED, "P-1", severity="SERIOUS", title="处罚"
        )
        assert [f.code for f in (await flags(clean_db, subject_id)).active] == ["P_KEY_SUPERVISION"]
        objection = await file(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)
        # The provider pushes the corrected record (a general, not a serious, penalty).
        await add_record(clean_db, code, "ADMINISTRATIVE_PENALTY", DECIDED, "P-1", severity="GENERAL", title="处罚")
        resolved = await resolve(
            clean_db, await viewer(clean_db, Role.REGULATOR), objection.id, ObjectionOutcome.CORRECTED
        )
        assert resolved.outcome is ObjectionOutcome.CORRECTED
        assert (await load_record(clean_db, record_id)).status is RecordStatus.ACTIVE
        assert await flags(clean_db, subject_id) == FlagSet(active=(), held=())
        event = (await events_of(clean_db, record_id))[-1]
        due = correction_due_on(TODAY, clean_db.settings.correction_working_days)
        assert f"correction due on {due.isoformat()}" in (event.reason or "")

    async def test_revoked_removes_the_record_for_good(self, clean_db: Runtime) -> None:
        subject_id, record_id = await debtor(clean_db)
        objection = await file(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)
        await resolve(clean_db, await viewer(clean_db, Role.ADMIN), objection.id, ObjectionOutcome.REVOKED)
        assert (await load_record(clean_db, record_id)).status is RecordStatus.REVOKED
        assert await flags(clean_db, subject_id) == FlagSet(active=(), held=())

    async def test_refuses_resolving_a_resolved_objection(self, clean_db: Runtime) -> None:
        subject_id, record_id = await debtor(clean_db)
        objection = await file(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)
        office = await viewer(clean_db, Role.REGULATOR)
        await resolve(clean_db, office, objection.id, ObjectionOutcome.REJECTED)
        with pytest.raises(InvalidRequest, match="already resolved"):
            await resolve(clean_db, office, objection.id, ObjectionOutcome.REVOKED)
        assert (await load_record(clean_db, record_id)).status is RecordStatus.ACTIVE

    async def test_a_new_objection_may_follow_a_resolved_one(self, clean_db: Runtime) -> None:
        subject_id, record_id = await debtor(clean_db)
        me = await viewer(clean_db, Role.SUBJECT, subject_id)
        first = await file(clean_db, me, record_id)
        await resolve(clean_db, await viewer(clean_db, Role.REGULATOR), first.id, ObjectionOutcome.REJECTED)
        second = await file(clean_db, me, record_id, "新的证据")
        assert second.id != first.id and second.status is ObjectionStatus.PENDING

    @pytest.mark.parametrize("role", [Role.SUBJECT, Role.DATA_PROVIDER, Role.FINANCIAL_INSTITUTION])
    async def test_only_the_credit_office_resolves(self, clean_db: Runtime, role: Role) -> None:
        subject_id, record_id = await debtor(clean_db)
        objection = await file(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)
        who = await viewer(clean_db, role, subject_id if role is Role.SUBJECT else None)
        with pytest.raises(NotAllowed):
            await resolve(clean_db, who, objection.id, ObjectionOutcome.REVOKED)

    async def test_refuses_an_unknown_objection(self, clean_db: Runtime) -> None:
        with pytest.raises(NotFoundError):
            await resolve(clean_db, await viewer(clean_db, Role.REGULATOR), 424242, ObjectionOutcome.REJECTED)

    async def test_refuses_an_over_long_note(self, clean_db: Runtime) -> None:
        subject_id, record_id = await debtor(clean_db)
        objection = await file(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id), record_id)
        with pytest.raises(InvalidRequest, match="note"):
            await resolve(
                clean_db, await viewer(clean_db, Role.REGULATOR), objection.id, ObjectionOutcome.REJECTED, "n" * 2001
            )


class TestRecordHistory:
    async def test_lists_every_change_with_who_and_why(self, clean_db: Runtime) -> None:
        subject_id, record_id = await debtor(clean_db)
        objection = await file(clean_db, await viewer(clean_db, Role.SUBJECT, subject_id, name="co"), record_id, "理由")
        await resolve(
            clean_db,
            await viewer(clean_db, Role.REGULATOR, name="office"),
            objection.id,
            ObjectionOutcome.REJECTED,
            "驳回",
        )
        async with clean_db.sessions() as session:
            history = await record_history(session, record_id)
        assert [(e.action, e.to_status) for e in history] == [
            ("created", None),
            ("objection_filed", "UNDER_OBJECTION"),
            ("objection_resolved", "ACTIVE"),
        ]
        assert [e.actor for e in history] == ["test", "SUBJECT:co", "REGULATOR:office"]
        assert history[1].reason == "理由" and "驳回" in (history[2].reason or "")
        assert all(e.at is not None for e in history)

    async def test_unknown_record(self, clean_db: Runtime) -> None:
        async with clean_db.sessions() as session:
            with pytest.raises(NotFoundError):
                await record_history(session, 31337)


class TestOverdueObjections:
    async def test_lists_pending_objections_past_their_due_date(self, clean_db: Runtime) -> None:
        office = await viewer(clean_db, Role.REGULATOR)
        _, late = await debtor(clean_db, 1)
        _, answered = await debtor(clean_db, 2)
        _, recent = await debtor(clean_db, 3)
        late_objection = await file(clean_db, office, late)
        answered_objection = await file(clean_db, office, answered)
        await resolve(clean_db, office, answered_objection.id, ObjectionOutcome.REJECTED)
        await file(clean_db, office, recent, today=dt.date(2025, 3, 20))
        due = late_objection.due_on
        async with clean_db.sessions() as session:
            assert await overdue_objections(session, due) == []
            overdue = await overdue_objections(session, due + dt.timedelta(days=1))
        assert [o.id for o in overdue] == [late_objection.id]
