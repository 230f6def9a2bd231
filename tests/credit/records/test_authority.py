"""谁认定、谁负责 against the real PostgreSQL: a key writes and decides only its authorities' records, and
the court's 失信被执行人 listings follow 法释〔2017〕7号 (no default end, bounded terms, final deletions)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from credit import clock
from credit.access.viewer import Viewer
from credit.enums import ObjectionOutcome, RecordStatus, Role, SubjectKind
from credit.errors import DomainError
from credit.lifecycle import service as lifecycle
from credit.models import CreditRecord, RecordEvent
from credit.platform.runtime import Runtime
from credit.records import service as records
from credit.records.importer import Importer
from credit.records.inputs import InputError, parse_line
from credit.rules.facts import SubjectFacts
from credit.rules.flags import derive_flags, effective_status
from tests.support.factories import EVIDENCE, add_subject, commitment, uscc, viewer

pytestmark = pytest.mark.integration

COMPANY = SubjectFacts(SubjectKind.LEGAL_PERSON)

COURT = "常州市中级人民法院"


def listing(source_id: str, code: str, decided_on: dt.date, **fields: Any) -> dict[str, Any]:
    return {
        "sourceId": source_id,
        "authority": COURT,
        "subjectCode": code,
        "category": "DISHONEST_JUDGMENT_DEBTOR",
        "title": "失信被执行人",
        "decisionNumber": f"(2023)苏04执{source_id}号",
        "decidedOn": decided_on.isoformat(),
        **fields,
    }


async def court_key(runtime: Runtime) -> Viewer:
    return await viewer(runtime, Role.DATA_PROVIDER, name="court", authorities=frozenset({COURT}))


async def stored(runtime: Runtime, source_id: str) -> CreditRecord:
    async with runtime.sessions() as session:
        row = await session.scalar(select(CreditRecord).where(CreditRecord.source_id == source_id))
    assert row is not None
    return row


class TestCourtListings:
    async def test_a_listing_without_a_term_stays_in_force(self, tx: Runtime) -> None:
        _, code = await add_subject(tx, 1)
        result = await records.submit_records(
            tx, await court_key(tx), [listing("1", code, dt.date(2023, 3, 1))], clock.today()
        )
        assert (result.accepted, result.errors) == (1, [])
        row = await stored(tx, "1")
        today = clock.today()
        assert row.disclosure_until is None and effective_status(row.facts(), today) is RecordStatus.ACTIVE
        codes = {flag.code for flag in derive_flags([row.facts()], today, COMPANY).active}
        assert "P_HIGH_CONSUMPTION" in codes

    @pytest.mark.parametrize(
        ("fields", "problem"),
        [
            ({"validUntil": "2040-01-01"}, "no later than 2028-03-01"),
            ({"validUntil": "2025-03-01", "listingGround": 1}, "第一项 has no term"),
            ({"listingGround": 7}, "listingGround"),
            ({"deletedOn": "2024-01-05"}, "deletedOn and deletionReason come together"),
            ({"deletedOn": "2022-01-05", "deletionReason": "已履行"}, "deletedOn is before decidedOn"),
        ],
    )
    def test_terms_and_deletions_are_checked_at_import(self, fields: dict[str, Any], problem: str) -> None:
        line = {"type": "record", **listing("2", uscc(1), dt.date(2023, 3, 1), **fields)}
        with pytest.raises(InputError, match=problem):
            parse_line(orjson.dumps(line))

    def test_the_longest_term_is_accepted(self) -> None:
        line = {"type": "record", **listing("3", uscc(1), dt.date(2023, 3, 1), validUntil="2028-03-01")}
        parse_line(orjson.dumps(line | {"listingGround": 2}))

    @pytest.mark.parametrize(("field", "value"), [("listingGround", 2), ("deletedOn", "2024-01-01")])
    def test_court_fields_belong_to_court_listings(self, field: str, value: Any) -> None:
        line = {"type": "record", **listing("4", uscc(1), dt.date(2023, 3, 1)), "category": "BLACK_LIST"}
        with pytest.raises(InputError, match=f"{field} applies to DISHONEST_JUDGMENT_DEBTOR"):
            parse_line(orjson.dumps(line | {field: value, "deletionReason": "x"}))

    async def test_a_deletion_takes_the_listing_out_at_once_and_for_good(self, tx: Runtime) -> None:
        _, code = await add_subject(tx, 1)
        court = await court_key(tx)
        today = clock.today()
        listed = listing("5", code, dt.date(2023, 3, 1), listingGround=1)
        await records.submit_records(tx, court, [listed], today)
        deletion = {"deletedOn": today.isoformat(), "deletionReason": "被执行人已履行全部义务（第十条第一项）"}
        result = await records.submit_records(tx, court, [listed | deletion], today)
        assert (result.accepted, result.errors) == (1, [])
        row = await stored(tx, "5")
        assert row.deleted_on == today and row.disclosure_until == today - dt.timedelta(days=1)
        assert effective_status(row.facts(), today) is RecordStatus.EXPIRED
        assert derive_flags([row.facts()], today, COMPANY).active == ()
        # An old file sent again, without the deletion: the listing stays deleted.
        await records.submit_records(tx, court, [listed | {"title": "失信被执行人（旧文件）"}], today)
        again = await stored(tx, "5")
        assert (again.deleted_on, again.disclosure_until, again.title) == (
            today,
            today - dt.timedelta(days=1),
            "失信被执行人（旧文件）",
        )
        async with tx.sessions() as session:
            stmt = select(RecordEvent.action, RecordEvent.actor_authority).where(RecordEvent.record_id == row.id)
            events = (await session.execute(stmt.order_by(RecordEvent.id))).all()
        assert [tuple(e) for e in events] == [
            ("created", COURT),
            ("updated", COURT),
            ("deleted", COURT),
            ("updated", COURT),
        ]
        office = await viewer(tx, Role.REGULATOR)
        [report] = await lifecycle.listing_deletions(tx, office, today - dt.timedelta(days=7), today)
        assert report.record.id == row.id and report.working_days == 0 and report.on_time


class TestImportScope:
    async def test_import_for_an_authority_refuses_other_authorities_lines(self, tx: Runtime) -> None:
        _, code = await add_subject(tx, 1)
        lines = [
            {"type": "record", **listing("6", code, dt.date(2024, 1, 2))},
            {"type": "record", **listing("7", code, dt.date(2024, 1, 2)), "authority": "常州市天宁区人民法院"},
        ]
        summary = await Importer(tx, authorities=frozenset({COURT})).run(orjson.dumps(line) for line in lines)
        assert summary.created == 1
        assert [(n, reason.split(":")[0]) for n, reason in summary.rejected] == [(2, "authority")]


# --- a property: a key never changes the records of another authority ---------------------------------

AUTHORITIES = ("常州市中级人民法院", "常州市市场监督管理局", "常州市生态环境局")
CATEGORIES = ("DISHONEST_JUDGMENT_DEBTOR", "BLACK_LIST", "ADMINISTRATIVE_PENALTY", "ADMINISTRATIVE_LICENSE")
#: The categories the office only tracks (credit/rules/data/decisions.json): their authority decides.
AUTHORITY_ONLY = ("DISHONEST_JUDGMENT_DEBTOR", "BLACK_LIST", "ADMINISTRATIVE_PENALTY")
_run = itertools.count()

operation = st.tuples(
    st.sampled_from(["write", "object", "repair"]),
    st.integers(0, len(AUTHORITIES)),  # the actor: a provider of AUTHORITIES[i], or the office (last)
    st.sampled_from(AUTHORITIES),  # the record's authority
    st.sampled_from(CATEGORIES),
    st.integers(0, 1),  # which record of that authority and category (each is written first by its owner)
)


def item_of(run: int, code: str, authority: str, category: str, n: int, step: int, today: dt.date) -> dict[str, Any]:
    item = {
        "sourceId": f"R{run}-{category}-{n}",
        "authority": authority,
        "subjectCode": code,
        "category": category,
        "title": f"记录 {step}",
        "decidedOn": (today - dt.timedelta(days=400)).isoformat(),
    }
    return item | {"listName": "严重失信主体名单"} if category == "BLACK_LIST" else item


async def record_id_of(runtime: Runtime, authority: str, source_id: str) -> int | None:
    async with runtime.sessions() as session:
        stmt = select(CreditRecord.id).where(CreditRecord.authority == authority, CreditRecord.source_id == source_id)
        record_id: int | None = await session.scalar(stmt)
    return record_id


async def snapshot(runtime: Runtime) -> dict[tuple[str, str], tuple[Any, ...]]:
    async with runtime.sessions() as session:
        rows = (await session.scalars(select(CreditRecord))).all()
    return {(r.authority, r.source_id): (r.title, r.status, r.revision, r.valid_until) for r in rows}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(program=st.lists(operation, min_size=1, max_size=12))
async def test_a_key_never_changes_another_authoritys_record(tx: Runtime, program: list[Any]) -> None:
    run = next(_run)
    subject_id, code = await add_subject(tx, 900 + run % 50)
    office = await viewer(tx, Role.REGULATOR, name="office")
    me = await viewer(tx, Role.SUBJECT, subject_id, name="subject")
    actors = [
        await viewer(tx, Role.DATA_PROVIDER, name=f"p{i}", authorities=frozenset({a}))
        for i, a in enumerate(AUTHORITIES)
    ]
    actors.append(office)
    today = clock.today()
    # Every record of the program exists, written by its own authority, so each step has a target.
    seed = [(authority, category, n) for authority in AUTHORITIES for category in CATEGORIES for n in range(2)]
    for authority, category, n in seed:
        owner = actors[AUTHORITIES.index(authority)]
        result = await records.submit_records(tx, owner, [item_of(run, code, authority, category, n, 0, today)], today)
        assert result.errors == []
    for step, (kind, actor_index, authority, category, n) in enumerate(program, start=1):
        actor = actors[actor_index]
        source_id = f"R{run}-{category}-{n}"
        before = await snapshot(tx)
        item = item_of(run, code, authority, category, n, step, today)
        try:
            if kind == "write":
                await records.submit_records(tx, actor, [item], today)
            else:
                record_id = await record_id_of(tx, authority, source_id)
                if record_id is None:
                    continue
                # The subject files (allowed for its own records); only the decision is the actor's.
                if kind == "object":
                    objection = await lifecycle.file_objection(tx, me, record_id, "异议", today)
                    before = await snapshot(tx)
                    await lifecycle.resolve_objection(tx, actor, objection.id, ObjectionOutcome.REVOKED, None, today)
                else:
                    repair = await lifecycle.apply_credit_repair(
                        tx, me, record_id, "已整改", today, commitment(today), EVIDENCE
                    )
                    before = await snapshot(tx)
                    await lifecycle.decide_credit_repair(tx, actor, repair.id, True, None, today)
        except DomainError:
            pass  # refused (or not applicable): checked below by the rows themselves
        after = await snapshot(tx)
        owns = authority in actor.authorities
        office_may = actor is office and category not in (
            "DISHONEST_JUDGMENT_DEBTOR",
            "BLACK_LIST",
            "ADMINISTRATIVE_PENALTY",
        )
        if not owns and not office_may:
            assert after.get((authority, source_id)) == before.get((authority, source_id)), (step, kind, actor.name)
        others = {k: v for k, v in after.items() if k != (authority, source_id)}
        assert others == {k: v for k, v in before.items() if k != (authority, source_id)}
