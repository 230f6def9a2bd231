"""Objections (`credit.lifecycle.objections`) against the real PostgreSQL: each rule and each refusal."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select

from credit.access.viewer import ANONYMOUS, Viewer
from credit.enums import FlagKind, ObjectionOutcome, ObjectionStatus, RecordStatus, Role
from credit.errors import InvalidRequest, NotAllowed, NotFoundError
from credit.lifecycle import objections, service
from credit.lifecycle.objections import Addressee
from credit.models import Objection
from credit.platform.runtime import Runtime
from credit.rules.calendar import correction_due_on, objection_due_on
from credit.rules.catalogue import default_catalogue
from credit.rules.flags import FlagSet
from tests.support.factories import (
    AUTHORITY,
    EVIDENCE,
    add_record,
    add_subject,
    authority_key,
    commitment,
    events_of,
    load_record,
    outbox_reasons,
    subject_flags,
    viewer,
)

pytestmark = pytest.mark.integration

TODAY = dt.date(2025, 3, 3)  # a Monday


DECIDED = dt.date(2025, 2, 20)


async def flags(runtime: Runtime, subject_id: int, today: dt.date = TODAY) -> FlagSet:
    return await subject_flags(runtime, subject_id, today)


async def debtor(runtime: Runtime, n: int = 1, valid_until: str | None = None) -> tuple[int, int]:
    """A company with one 失信被执行人 record (the court's term, if any); returns (subject id, record id)."""
    subject_id, code = await add_subject(runtime, n)
    record_id = await add_record(
        runtime, code, "DISHONEST_JUDGMENT_DEBTOR", DECIDED, f"DJD-{n}", validUntil=valid_until
    )
    return subject_id, record_id


async def file(
    runtime: Runtime, who: Viewer, record_id: int, reason: str = "已履行完毕", today: dt.date = TODAY
) -> Objection:
    return await service.file_objection(runtime, who, record_id, reason, today)


async def resolve(
    runtime: Runtime, who: Viewer, objection_id: int, outcome: ObjectionOutcome, note: str | None = None
) -> Objection:
    return await service.resolve_objection(runtime, who, objection_id, outcome, note, TODAY)


class TestFileObjection:
    async def test_holds_the_punishments_of_the_record(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        before = await flags(tx, subject_id)
        assert before.active and all(f.kind is FlagKind.PUNISHMENT for f in before.active) and not before.held
        me = await viewer(tx, Role.SUBJECT, subject_id, name="company")

        objection = await service.file_objection(tx, me, record_id, "  已履行完毕  ", TODAY)
        assert (await outbox_reasons(tx, subject_id))[-1] == "objection_filed"  # in the same transaction

        assert objection.status is ObjectionStatus.PENDING
        assert objection.reason == "已履行完毕"
        assert objection.due_on == objection_due_on(TODAY, 15) == dt.date(2025, 3, 24)
        assert objection.filed_by == me.key_id and objection.filed_at is not None
        assert (await load_record(tx, record_id)).status is RecordStatus.UNDER_OBJECTION
        after = await flags(tx, subject_id)
        # The joint measures of other agencies are held; the court's own orders keep running
        # (法释〔2017〕7号 第十二条 "复议期间，不停止原决定的执行").
        joint = tuple(f for f in before.active if default_catalogue().measure(f.code).held_during_objection)
        court = tuple(f for f in before.active if f not in joint)
        assert joint and court
        assert after.held == joint and after.active == court
        event = (await events_of(tx, record_id))[-1]
        assert (event.action, event.from_status, event.to_status) == ("objection_filed", "ACTIVE", "UNDER_OBJECTION")
        assert event.actor == "SUBJECT:company" and event.actor_key_id == me.key_id and event.reason == "已履行完毕"

    async def test_due_date_follows_the_settings(self, tx: Runtime) -> None:
        _, record_id = await debtor(tx)
        office = await viewer(tx, Role.REGULATOR)
        settings = tx.settings.model_copy(update={"objection_reply_working_days": 3})
        objection = await service.file_objection(replace(tx, settings=settings), office, record_id, "核查", TODAY)
        assert objection.due_on == dt.date(2025, 3, 6)

    async def test_refuses_a_second_pending_objection(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        me = await viewer(tx, Role.SUBJECT, subject_id)
        await file(tx, me, record_id)
        with pytest.raises(InvalidRequest, match="already has a pending objection"):
            await file(tx, me, record_id)
        office = await viewer(tx, Role.REGULATOR)
        with pytest.raises(InvalidRequest, match="already has a pending objection"):
            await file(tx, office, record_id)

    async def test_the_unique_index_backs_the_check(self, tx: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
        subject_id, record_id = await debtor(tx)
        me = await viewer(tx, Role.SUBJECT, subject_id)
        await file(tx, me, record_id)

        async def nothing_pending(*args: object) -> None:
            return None  # as if a concurrent transaction had not committed yet when we checked

        monkeypatch.setattr(objections, "pending_objection", nothing_pending)
        with pytest.raises(InvalidRequest, match="already has a pending objection"):
            await file(tx, me, record_id)
        async with tx.sessions() as session:
            rows = (await session.scalars(select(Objection).where(Objection.record_id == record_id))).all()
        assert len(rows) == 1

    async def test_a_subject_may_object_only_to_its_own_records(self, tx: Runtime) -> None:
        _, record_id = await debtor(tx, 1)
        other_id, _ = await debtor(tx, 2)
        other = await viewer(tx, Role.SUBJECT, other_id)
        with pytest.raises(NotAllowed, match="its own subject"):
            await file(tx, other, record_id)
        assert (await load_record(tx, record_id)).status is RecordStatus.ACTIVE

    @pytest.mark.parametrize("role", [Role.PUBLIC, Role.JOURNALIST, Role.FINANCIAL_INSTITUTION, Role.DATA_PROVIDER])
    async def test_other_roles_may_not_object(self, tx: Runtime, role: Role) -> None:
        _, record_id = await debtor(tx)
        who = await viewer(tx, role) if role is not Role.PUBLIC else ANONYMOUS
        with pytest.raises(NotAllowed, match="needs one of the roles"):
            await file(tx, who, record_id)

    @pytest.mark.parametrize("role", [Role.REGULATOR, Role.ADMIN])
    async def test_the_credit_office_may_object_to_any_record(self, tx: Runtime, role: Role) -> None:
        _, record_id = await debtor(tx)
        objection = await file(tx, await viewer(tx, role), record_id)
        assert objection.status is ObjectionStatus.PENDING

    @pytest.mark.parametrize("reason", ["", "   ", "x" * 2001, "bad\x00text"])
    async def test_refuses_a_bad_reason(self, tx: Runtime, reason: str) -> None:
        subject_id, record_id = await debtor(tx)
        with pytest.raises(InvalidRequest, match="reason"):
            await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id, reason)

    async def test_refuses_an_unknown_record(self, tx: Runtime) -> None:
        with pytest.raises(NotFoundError):
            await file(tx, await viewer(tx, Role.REGULATOR), 999_999)

    async def test_refuses_an_expired_record(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx, valid_until="2027-02-20")  # the court's term
        me = await viewer(tx, Role.SUBJECT, subject_id)
        with pytest.raises(InvalidRequest, match="disclosure period has ended"):
            await file(tx, me, record_id, today=dt.date(2027, 2, 21))

    async def test_refuses_revoked_and_repaired_records(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx, 1)
        me = await viewer(tx, Role.SUBJECT, subject_id)
        office, court = await viewer(tx, Role.REGULATOR), await authority_key(tx, "court")
        first = await file(tx, me, record_id)
        await resolve(tx, court, first.id, ObjectionOutcome.REVOKED)
        with pytest.raises(InvalidRequest, match="revoked"):
            await file(tx, me, record_id)

        subject_id, record_id = await debtor(tx, 2)
        repair = await service.apply_credit_repair(tx, office, record_id, "已履行", TODAY, commitment(TODAY), EVIDENCE)
        await service.decide_credit_repair(tx, court, repair.id, True, None, TODAY)
        with pytest.raises(InvalidRequest, match="repaired"):
            await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)


class TestResolveObjection:
    async def test_rejected_restores_exactly_the_held_flags(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        before = await flags(tx, subject_id)
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        held = (await flags(tx, subject_id)).held
        court = await authority_key(tx, "court")

        resolved = await service.resolve_objection(
            tx, court, objection.id, ObjectionOutcome.REJECTED, "核查属实", TODAY
        )
        assert (await outbox_reasons(tx, subject_id))[-1] == "objection_resolved"

        assert (resolved.status, resolved.outcome, resolved.note) == (
            ObjectionStatus.RESOLVED,
            ObjectionOutcome.REJECTED,
            "核查属实",
        )
        assert resolved.resolved_by == court.key_id and resolved.resolved_at is not None
        assert (await load_record(tx, record_id)).status is RecordStatus.ACTIVE
        after = await flags(tx, subject_id)
        assert after == before and held and set(held) <= set(after.active)
        event = (await events_of(tx, record_id))[-1]
        assert (event.action, event.from_status, event.to_status) == ("objection_resolved", "UNDER_OBJECTION", "ACTIVE")
        assert event.actor == "DATA_PROVIDER:court" and "REJECTED" in (event.reason or "")
        assert event.actor_authority == AUTHORITY

    async def test_corrected_holds_the_measures_until_the_corrected_record_arrives(self, tx: Runtime) -> None:
        subject_id, code = await add_subject(tx, 1)
        record_id = await add_record(
            tx, code, "ADMINISTRATIVE_PENALTY", DECIDED, "P-1", severity="SERIOUS", title="处罚"
        )
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        held = (await flags(tx, subject_id)).held
        assert [f.code for f in held] == ["P_KEY_SUPERVISION"]
        resolved = await resolve(tx, await authority_key(tx), objection.id, ObjectionOutcome.CORRECTED, "处罚等级有误")
        due = correction_due_on(TODAY, tx.settings.correction_working_days)
        assert (resolved.outcome, resolved.correction_due_on, resolved.corrected_at) == (
            ObjectionOutcome.CORRECTED,
            due,
            None,
        )
        # Until the corrected record arrives, the wrong record's measures stay held.
        assert (await load_record(tx, record_id)).status is RecordStatus.UNDER_OBJECTION
        assert (await flags(tx, subject_id)).held == held and (await flags(tx, subject_id)).active == ()
        assert f"correction due on {due.isoformat()}" in ((await events_of(tx, record_id))[-1].reason or "")
        # The authority pushes the corrected record (a general, not a serious, penalty): it follows it.
        await add_record(tx, code, "ADMINISTRATIVE_PENALTY", DECIDED, "P-1", severity="GENERAL", title="处罚")
        assert (await load_record(tx, record_id)).status is RecordStatus.ACTIVE
        assert await flags(tx, subject_id) == FlagSet(active=(), held=())
        events = await events_of(tx, record_id)
        assert [e.action for e in events[-2:]] == ["updated", "corrected"]
        assert (events[-1].from_status, events[-1].to_status) == ("UNDER_OBJECTION", "ACTIVE")
        office = await viewer(tx, Role.REGULATOR)
        settled = [o for o, _ in await service.pending_objections(tx, office)]
        assert settled == []

    async def test_a_correction_sent_before_the_answer_counts(self, tx: Runtime) -> None:
        subject_id, code = await add_subject(tx, 1)
        record_id = await add_record(
            tx, code, "ADMINISTRATIVE_PENALTY", DECIDED, "P-1", severity="SERIOUS", title="处罚"
        )
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        await add_record(tx, code, "ADMINISTRATIVE_PENALTY", DECIDED, "P-1", severity="GENERAL", title="处罚")
        resolved = await resolve(tx, await authority_key(tx), objection.id, ObjectionOutcome.CORRECTED)
        assert resolved.corrected_at is not None
        assert (await load_record(tx, record_id)).status is RecordStatus.ACTIVE
        assert await flags(tx, subject_id) == FlagSet(active=(), held=())

    async def test_an_overdue_correction_is_listed_and_counted(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        await resolve(tx, await authority_key(tx), objection.id, ObjectionOutcome.CORRECTED)
        office = await viewer(tx, Role.REGULATOR)
        due = correction_due_on(TODAY, tx.settings.correction_working_days)
        assert await service.overdue_corrections(tx, office, due) == []
        [late] = await service.overdue_corrections(tx, office, due + dt.timedelta(days=1))
        assert late.id == objection.id
        counts = await service.backlog(tx, office, due + dt.timedelta(days=1))
        assert (counts.pending_corrections, counts.overdue_corrections, counts.pending_replies) == (1, 1, 0)
        with pytest.raises(NotAllowed):
            await service.overdue_corrections(tx, await authority_key(tx), due)

    async def test_revoked_removes_the_record_for_good(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        await resolve(tx, await authority_key(tx), objection.id, ObjectionOutcome.REVOKED)
        assert (await load_record(tx, record_id)).status is RecordStatus.REVOKED
        assert await flags(tx, subject_id) == FlagSet(active=(), held=())

    async def test_refuses_resolving_a_resolved_objection(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        court = await authority_key(tx)
        await resolve(tx, court, objection.id, ObjectionOutcome.REJECTED)
        with pytest.raises(InvalidRequest, match="already resolved"):
            await resolve(tx, court, objection.id, ObjectionOutcome.REVOKED)
        assert (await load_record(tx, record_id)).status is RecordStatus.ACTIVE

    async def test_a_repeated_objection_is_recorded_but_holds_nothing(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        me = await viewer(tx, Role.SUBJECT, subject_id)
        court = await authority_key(tx)
        first = await file(tx, me, record_id)
        await resolve(tx, court, first.id, ObjectionOutcome.REJECTED, "经核查，记录无误")
        enforced = await flags(tx, subject_id)
        second = await file(tx, me, record_id, "再次异议")
        assert second.id != first.id and second.status is ObjectionStatus.PENDING and not second.holds
        assert (await load_record(tx, record_id)).status is RecordStatus.ACTIVE
        assert await flags(tx, subject_id) == enforced  # nothing held
        # New grounds: the court grants the hold; the measures are held from now on.
        with pytest.raises(NotAllowed):
            await service.grant_objection_hold(tx, await viewer(tx, Role.REGULATOR), second.id, None)
        granted = await service.grant_objection_hold(tx, court, second.id, "提交了新的履行证明")
        assert granted.holds and granted.hold_granted_at is not None
        assert (await load_record(tx, record_id)).status is RecordStatus.UNDER_OBJECTION
        joint = tuple(f for f in enforced.active if default_catalogue().measure(f.code).held_during_objection)
        assert joint and (await flags(tx, subject_id)).held == joint
        with pytest.raises(InvalidRequest, match="already holds"):
            await service.grant_objection_hold(tx, court, second.id, None)

    async def test_a_changed_record_may_be_objected_to_again_with_a_hold(self, tx: Runtime) -> None:
        subject_id, code = await add_subject(tx, 1)
        record_id = await add_record(tx, code, "DISHONEST_JUDGMENT_DEBTOR", DECIDED, "DJD-1")
        me = await viewer(tx, Role.SUBJECT, subject_id)
        first = await file(tx, me, record_id)
        await resolve(tx, await authority_key(tx), first.id, ObjectionOutcome.REJECTED)
        await add_record(tx, code, "DISHONEST_JUDGMENT_DEBTOR", DECIDED, "DJD-1", title="更正后的决定书")
        assert (await file(tx, me, record_id)).holds

    @pytest.mark.parametrize(
        "role", [Role.SUBJECT, Role.DATA_PROVIDER, Role.FINANCIAL_INSTITUTION, Role.REGULATOR, Role.ADMIN]
    )
    async def test_only_the_court_resolves_an_objection_to_its_listing(self, tx: Runtime, role: Role) -> None:
        subject_id, record_id = await debtor(tx)
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        other = frozenset({"另一个法院"}) if role is Role.DATA_PROVIDER else frozenset()
        who = await viewer(tx, role, subject_id if role is Role.SUBJECT else None, authorities=other)
        with pytest.raises(NotAllowed):
            await resolve(tx, who, objection.id, ObjectionOutcome.REVOKED)
        assert (await load_record(tx, record_id)).status is RecordStatus.UNDER_OBJECTION

    async def test_an_objection_to_a_court_listing_is_referred_to_the_court(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        assert objection.referred_to == AUTHORITY

    async def test_the_office_answers_where_the_decision_table_lets_it(self, tx: Runtime) -> None:
        subject_id, code = await add_subject(tx, 7)
        record_id = await add_record(tx, code, "ADMINISTRATIVE_LICENSE", DECIDED, "L-7", title="许可")
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        assert objection.referred_to is None  # the office answers it itself
        resolved = await resolve(tx, await viewer(tx, Role.REGULATOR), objection.id, ObjectionOutcome.REJECTED)
        assert resolved.outcome is ObjectionOutcome.REJECTED

    async def test_refuses_an_unknown_objection(self, tx: Runtime) -> None:
        with pytest.raises(NotFoundError):
            await resolve(tx, await viewer(tx, Role.REGULATOR), 424242, ObjectionOutcome.REJECTED)

    async def test_refuses_an_over_long_note(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        with pytest.raises(InvalidRequest, match="note"):
            await resolve(tx, await authority_key(tx), objection.id, ObjectionOutcome.REJECTED, "n" * 2001)


class TestWrittenReply:
    async def test_the_subject_reads_the_reply_and_who_answered(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        resolved = await resolve(tx, await authority_key(tx), objection.id, ObjectionOutcome.REJECTED, "经核查属实")
        assert (resolved.note, resolved.answered_by) == ("经核查属实", AUTHORITY)
        assert resolved.resolved_at is not None

    async def test_the_office_answers_as_the_office(self, tx: Runtime) -> None:
        subject_id, code = await add_subject(tx, 7)
        record_id = await add_record(tx, code, "ADMINISTRATIVE_LICENSE", DECIDED, "L-7", title="许可")
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id), record_id)
        resolved = await resolve(tx, await viewer(tx, Role.REGULATOR), objection.id, ObjectionOutcome.REJECTED, "无误")
        assert resolved.answered_by == "信用办"

    async def test_an_objection_addressed_to_the_authority_is_the_authoritys(self, tx: Runtime) -> None:
        subject_id, code = await add_subject(tx, 7)
        record_id = await add_record(tx, code, "ADMINISTRATIVE_LICENSE", DECIDED, "L-7", title="许可")
        objection = await service.file_objection(
            tx, await viewer(tx, Role.SUBJECT, subject_id), record_id, "许可有误", TODAY, Addressee.AUTHORITY
        )
        assert objection.referred_to == AUTHORITY
        with pytest.raises(NotAllowed, match="addressed to"):
            await resolve(tx, await viewer(tx, Role.REGULATOR), objection.id, ObjectionOutcome.REJECTED)
        assert (await resolve(tx, await authority_key(tx), objection.id, ObjectionOutcome.REJECTED)).answered_by


class TestRecordHistory:
    async def test_lists_every_change_with_who_and_why(self, tx: Runtime) -> None:
        subject_id, record_id = await debtor(tx)
        objection = await file(tx, await viewer(tx, Role.SUBJECT, subject_id, name="co"), record_id, "理由")
        await resolve(tx, await authority_key(tx, "court"), objection.id, ObjectionOutcome.REJECTED, "驳回")
        office = await viewer(tx, Role.REGULATOR)
        history = await service.record_history(tx, office, record_id)
        assert [(e.action, e.to_status) for e in history] == [
            ("created", None),
            ("objection_filed", "UNDER_OBJECTION"),
            ("objection_resolved", "ACTIVE"),
        ]
        assert [e.actor for e in history] == ["test", "SUBJECT:co", "DATA_PROVIDER:court"]
        assert [e.actor_authority for e in history] == [None, None, AUTHORITY]
        assert history[1].reason == "理由" and "驳回" in (history[2].reason or "")
        assert all(e.at is not None for e in history)

    async def test_unknown_record(self, tx: Runtime) -> None:
        with pytest.raises(NotFoundError):
            await service.record_history(tx, await viewer(tx, Role.REGULATOR), 31337)


class TestOverdueObjections:
    async def test_lists_pending_objections_past_their_due_date(self, tx: Runtime) -> None:
        office = await viewer(tx, Role.REGULATOR)
        _, late = await debtor(tx, 1)
        _, answered = await debtor(tx, 2)
        _, recent = await debtor(tx, 3)
        late_objection = await file(tx, office, late)
        answered_objection = await file(tx, office, answered)
        await resolve(tx, await authority_key(tx), answered_objection.id, ObjectionOutcome.REJECTED)
        await file(tx, office, recent, today=dt.date(2025, 3, 20))
        due = late_objection.due_on
        assert await service.overdue_objections(tx, office, due) == []
        overdue = await service.overdue_objections(tx, office, due + dt.timedelta(days=1))
        assert [o.id for o in overdue] == [late_objection.id]


class TestPendingObjections:
    async def test_each_deciding_body_sees_its_own_the_office_sees_all(self, tx: Runtime) -> None:
        subject_id, court_record = await debtor(tx, 1)
        _, code = await add_subject(tx, 2)
        other_record = await add_record(tx, code, "ADMINISTRATIVE_LICENSE", DECIDED, "L-2")
        other_record_row = await load_record(tx, other_record)
        me = await viewer(tx, Role.SUBJECT, subject_id)
        office = await viewer(tx, Role.REGULATOR)
        on_court = await file(tx, me, court_record)
        on_licence = await file(tx, office, other_record)
        assert other_record_row.authority == AUTHORITY  # both records are the test authority's
        court = await authority_key(tx)
        stranger = await authority_key(tx, "stranger", authority="另一个机关")
        assert [o.id for o, _ in await service.pending_objections(tx, court)] == [on_court.id, on_licence.id]
        assert await service.pending_objections(tx, stranger) == []
        assert {o.id for o, _ in await service.pending_objections(tx, office)} == {on_court.id, on_licence.id}
        with pytest.raises(NotAllowed):
            await service.pending_objections(tx, me)
