"""End to end over HTTP: a 失信被执行人 record brings punishment flags; an objection holds them and the
search filter `hasActivePunishment` follows within one second; the regulator's answer restores them.
Also `upsertRecords` (per-item errors, role checks) and credit repair, with real API keys."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from sqlalchemy import select

from credit import clock
from credit.access.repository import insert_key
from credit.enums import Role
from credit.models import CreditRecord, Subject
from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from tests.conftest import ApiServer, wait_for
from tests.support.factories import purge_outbox, uscc

pytestmark = pytest.mark.e2e

NAME = "常州鸿运精密机械有限公司"
TODAY = clock.today()


@pytest.fixture(autouse=True)
async def _no_index_work_left(runtime: Runtime) -> AsyncIterator[None]:
    yield
    await purge_outbox(runtime)  # see its docstring: keeps the next test's TRUNCATE from meeting the indexer


PROFILE = """
query($code: String!) {
  subject(code: $code) {
    id
    creditProfile {
      activeFlags { code kind record { id status } }
      heldFlags { code kind record { id status } }
      records { edges { node { id status objections { id status } } } }
    }
  }
}"""

PUNISHED = """
query($q: String!) {
  searchSubjects(query: $q, filter: {hasActivePunishment: true}) { edges { node { databaseId } } }
}"""

FILE = """
mutation($id: ID!, $reason: String!) {
  fileObjection(recordId: $id, reason: $reason) { id status reason dueOn outcome referredTo record { id status } }
}"""

RESOLVE = """
mutation($id: ID!, $outcome: ObjectionOutcome!, $note: String) {
  resolveObjection(objectionId: $id, outcome: $outcome, note: $note) { id status outcome record { status } }
}"""

HISTORY = (
    "query($id: ID!) { recordHistory(recordId: $id) { action actor actorAuthority fromStatus toStatus reason at } }"
)
OVERDUE = "{ overdueObjections { id } }"

UPSERT = """
mutation($records: [RecordInput!]!) {
  upsertRecords(records: $records) { accepted errors { index sourceId code message } }
}"""

APPLY = """
mutation($id: ID!, $s: String!, $c: RepairCommitmentInput, $e: [String!]) {
  applyCreditRepair(recordId: $id, statement: $s, commitment: $c, evidence: $e) {
    id status statement appliedAt decidedAt decisionDueOn commitment { text signedBy } record { id status }
  }
}"""
COMMITMENT = {"text": "本单位承诺已履行全部义务。", "signedBy": "王经理", "signedOn": TODAY.isoformat()}
EVIDENCE = ["(2025)苏04执123号 结案通知书"]

DECIDE = """
mutation($id: ID!, $ok: Boolean!) {
  decideCreditRepair(repairId: $id, approve: $ok, note: "ok") { id status decidedAt record { status } }
}"""


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert body["_status"] == 200 and not body.get("errors"), body
    result: dict[str, Any] = body["data"]
    return result


def error_code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


async def import_lines(runtime: Runtime, lines: list[dict[str, Any]]) -> None:
    summary = await Importer(runtime).run(orjson.dumps(line) for line in lines)
    assert summary.rejected == [], summary.rejected


def subject_line(n: int, name: str) -> dict[str, Any]:
    return {"type": "subject", "kind": "LEGAL_PERSON", "code": uscc(n), "name": name, "regionCode": "320402"}


def black_list_line(n: int, source_id: str) -> dict[str, Any]:
    return {
        "type": "record",
        "sourceId": source_id,
        "authority": MARKET,
        "subjectCode": uscc(n),
        "category": "BLACK_LIST",
        "title": "列入严重违法失信名单",
        "listName": "严重违法失信名单",
        "decidedOn": (TODAY - dt.timedelta(days=10)).isoformat(),
    }


def debtor_line(n: int, source_id: str) -> dict[str, Any]:
    return {
        "type": "record",
        "sourceId": source_id,
        "authority": COURT,
        "subjectCode": uscc(n),
        "category": "DISHONEST_JUDGMENT_DEBTOR",
        "title": "失信被执行人",
        "decisionNumber": f"(2025)苏04执{n}号",
        "decidedOn": (TODAY - dt.timedelta(days=10)).isoformat(),
    }


COURT = "常州市中级人民法院"
MARKET = "常州市市场监督管理局"


async def key(runtime: Runtime, role: Role, subject_id: int | None = None, authorities: tuple[str, ...] = ()) -> str:
    async with runtime.sessions.begin() as session:
        name = f"e2e-{role.value.lower()}"
        _, secret = await insert_key(session, role, name, subject_id=subject_id, authorities=authorities)
    return secret


async def subject_id_of(runtime: Runtime, code: str) -> int:
    async with runtime.sessions() as session:
        sid = await session.scalar(select(Subject.id).where(Subject.code == code))
    assert sid is not None
    return sid


class TestObjectionFlow:
    async def test_objection_holds_flags_and_search_follows(self, clean_db: Runtime, api_server: ApiServer) -> None:
        # A black listing brings only joint measures of other agencies: an objection holds them all.
        await import_lines(clean_db, [subject_line(1, NAME), black_list_line(1, "BL-1")])
        code = uscc(1)
        subject_id = await subject_id_of(clean_db, code)
        mine, regulator = await key(clean_db, Role.SUBJECT, subject_id), await key(clean_db, Role.REGULATOR)
        market = await key(clean_db, Role.DATA_PROVIDER, authorities=(MARKET,))

        async def punished() -> bool:
            edges = data(await api_server.graphql(PUNISHED, {"q": NAME}))["searchSubjects"]["edges"]
            return any(e["node"]["databaseId"] == str(subject_id) for e in edges)

        async def not_punished() -> bool:
            return not await punished()

        await wait_for(punished, timeout=10)
        profile = data(await api_server.graphql(PROFILE, {"code": code}))["subject"]["creditProfile"]
        flags = {f["code"] for f in profile["activeFlags"]}
        assert {"P_GOV_PROCUREMENT", "P_BIDDING", "P_MARKET_ENTRY", "P_HONOURS", "P_KEY_SUPERVISION"} <= flags
        assert all(f["kind"] == "PUNISHMENT" for f in profile["activeFlags"]) and profile["heldFlags"] == []
        record_id = profile["records"]["edges"][0]["node"]["id"]

        # The subject objects: the flags move to heldFlags, and the search filter follows.
        objection = data(await api_server.graphql(FILE, {"id": record_id, "reason": "已全部履行"}, key=mine))
        started = time.monotonic()
        objection = objection["fileObjection"]
        assert objection["status"] == "PENDING" and objection["outcome"] is None
        assert objection["record"] == {"id": record_id, "status": "UNDER_OBJECTION"}
        profile = data(await api_server.graphql(PROFILE, {"code": code}))["subject"]["creditProfile"]
        assert profile["activeFlags"] == []
        assert {f["code"] for f in profile["heldFlags"]} == flags
        assert {f["record"]["status"] for f in profile["heldFlags"]} == {"UNDER_OBJECTION"}
        await wait_for(not_punished, timeout=1.0)
        print(f"\nsearch without the held punishment after {time.monotonic() - started:.3f} s")

        # A second objection while the first is pending: a clear BAD_USER_INPUT.
        body = await api_server.graphql(FILE, {"id": record_id, "reason": "再次异议"}, key=mine)
        assert error_code(body) == "BAD_USER_INPUT" and "pending objection" in body["errors"][0]["message"]
        # The subject may not answer its own objection, nor may the credit office: the black listing is
        # the market regulator's (谁认定、谁负责), the objection was referred to it.
        for who in (mine, regulator):
            body = await api_server.graphql(RESOLVE, {"id": objection["id"], "outcome": "REJECTED"}, key=who)
            assert error_code(body) == "FORBIDDEN"
        assert objection["referredTo"] == MARKET

        # The market regulator rejects the objection: exactly the held flags are enforced again.
        resolved = data(
            await api_server.graphql(
                RESOLVE, {"id": objection["id"], "outcome": "REJECTED", "note": "核查"}, key=market
            )
        )["resolveObjection"]
        started = time.monotonic()
        assert resolved == {
            "id": objection["id"],
            "status": "RESOLVED",
            "outcome": "REJECTED",
            "record": {"status": "ACTIVE"},
        }
        profile = data(await api_server.graphql(PROFILE, {"code": code}))["subject"]["creditProfile"]
        assert {f["code"] for f in profile["activeFlags"]} == flags and profile["heldFlags"] == []
        await wait_for(punished, timeout=1.0)
        print(f"search with the restored punishment after {time.monotonic() - started:.3f} s")
        body = await api_server.graphql(RESOLVE, {"id": objection["id"], "outcome": "REVOKED"}, key=market)
        assert error_code(body) == "BAD_USER_INPUT" and "already resolved" in body["errors"][0]["message"]

        history = data(await api_server.graphql(HISTORY, {"id": record_id}, key=regulator))["recordHistory"]
        assert [(h["action"], h["toStatus"]) for h in history] == [
            ("created", None),
            ("objection_filed", "UNDER_OBJECTION"),
            ("objection_resolved", "ACTIVE"),
        ]
        assert history[1]["actor"] == "SUBJECT:e2e-subject" and history[1]["reason"] == "已全部履行"
        assert (history[2]["actor"], history[2]["actorAuthority"]) == ("DATA_PROVIDER:e2e-data_provider", MARKET)
        assert error_code(await api_server.graphql(HISTORY, {"id": record_id}, key=mine)) == "FORBIDDEN"
        assert error_code(await api_server.graphql(HISTORY, {"id": record_id})) == "UNAUTHENTICATED"
        assert data(await api_server.graphql(OVERDUE, key=regulator))["overdueObjections"] == []

    async def test_an_objection_does_not_stop_a_court_order(self, clean_db: Runtime, api_server: ApiServer) -> None:
        # 法释〔2017〕7号 第十二条: 复议期间，不停止原决定的执行. Only the other agencies' joint measures are held.
        await import_lines(clean_db, [subject_line(1, NAME), debtor_line(1, "DJD-1")])
        code = uscc(1)
        mine = await key(clean_db, Role.SUBJECT, await subject_id_of(clean_db, code))
        profile = data(await api_server.graphql(PROFILE, {"code": code}))["subject"]["creditProfile"]
        assert "P_EXIT" not in {f["code"] for f in profile["activeFlags"]}  # an exit ban is its own court decision
        record_id = profile["records"]["edges"][0]["node"]["id"]
        data(await api_server.graphql(FILE, {"id": record_id, "reason": "已全部履行"}, key=mine))
        profile = data(await api_server.graphql(PROFILE, {"code": code}))["subject"]["creditProfile"]
        assert {f["code"] for f in profile["activeFlags"]} == {
            "P_HIGH_CONSUMPTION",
            "P_FLIGHTS",
            "P_HIGH_SPEED_RAIL",
            "P_PROPERTY",
        }
        assert {f["code"] for f in profile["heldFlags"]} == {"P_GOV_PROCUREMENT", "P_FINANCING"}

    async def test_refusals_over_http(self, clean_db: Runtime, api_server: ApiServer) -> None:
        await import_lines(
            clean_db,
            [subject_line(1, NAME), subject_line(2, "常州另一家贸易有限公司"), debtor_line(1, "DJD-1")],
        )
        record_id = str(
            data(await api_server.graphql(PROFILE, {"code": uscc(1)}))["subject"]["creditProfile"]["records"]["edges"][
                0
            ]["node"]["id"]
        )
        other = await key(clean_db, Role.SUBJECT, await subject_id_of(clean_db, uscc(2)))
        body = await api_server.graphql(FILE, {"id": record_id, "reason": "不是我的"}, key=other)
        assert error_code(body) == "FORBIDDEN" and "its own subject" in body["errors"][0]["message"]
        assert error_code(await api_server.graphql(FILE, {"id": record_id, "reason": "x"})) == "UNAUTHENTICATED"
        journalist = await key(clean_db, Role.JOURNALIST)
        assert (
            error_code(await api_server.graphql(FILE, {"id": record_id, "reason": "x"}, key=journalist)) == "FORBIDDEN"
        )
        regulator = await key(clean_db, Role.REGULATOR)
        assert error_code(await api_server.graphql(FILE, {"id": "999999", "reason": "x"}, key=regulator)) == "NOT_FOUND"
        assert (
            error_code(await api_server.graphql(FILE, {"id": "abc", "reason": "x"}, key=regulator)) == "BAD_USER_INPUT"
        )
        assert (
            error_code(await api_server.graphql(FILE, {"id": record_id, "reason": " "}, key=regulator))
            == "BAD_USER_INPUT"
        )
        assert error_code(await api_server.graphql(OVERDUE)) == "UNAUTHENTICATED"
        assert error_code(await api_server.graphql(OVERDUE, key=journalist)) == "FORBIDDEN"

    async def test_credit_repair_over_http(self, clean_db: Runtime, api_server: ApiServer) -> None:
        await import_lines(clean_db, [subject_line(1, NAME), debtor_line(1, "DJD-1")])
        code = uscc(1)
        mine = await key(clean_db, Role.SUBJECT, await subject_id_of(clean_db, code))
        regulator = await key(clean_db, Role.REGULATOR)
        court = await key(clean_db, Role.DATA_PROVIDER, authorities=(COURT,))
        record_id = data(await api_server.graphql(PROFILE, {"code": code}))["subject"]["creditProfile"]["records"][
            "edges"
        ][0]["node"]["id"]
        # Without the signed commitment (信用修复承诺书) an application is refused, with what is missing.
        body = await api_server.graphql(APPLY, {"id": record_id, "s": "已履行", "e": EVIDENCE}, key=mine)
        assert error_code(body) == "BAD_USER_INPUT" and "信用修复承诺书" in body["errors"][0]["message"]
        applied = {"id": record_id, "s": "已履行", "c": COMMITMENT, "e": EVIDENCE}
        repair = data(await api_server.graphql(APPLY, applied, key=mine))["applyCreditRepair"]
        assert repair["commitment"] == {"text": COMMITMENT["text"], "signedBy": "王经理"} and repair["decisionDueOn"]
        assert repair["status"] == "PENDING" and repair["decidedAt"] is None and repair["appliedAt"]
        assert repair["record"] == {"id": record_id, "status": "ACTIVE"}
        for who in (mine, regulator):  # the court decides the repair of its listing
            body = await api_server.graphql(DECIDE, {"id": repair["id"], "ok": True}, key=who)
            assert error_code(body) == "FORBIDDEN"

        async def punished() -> bool:
            edges = data(await api_server.graphql(PUNISHED, {"q": NAME}))["searchSubjects"]["edges"]
            return bool(edges)

        await wait_for(punished, timeout=10)
        decided = data(await api_server.graphql(DECIDE, {"id": repair["id"], "ok": True}, key=court))[
            "decideCreditRepair"
        ]
        started = time.monotonic()

        async def lifted() -> bool:
            return not await punished()

        await wait_for(lifted, timeout=1.0)  # the approved repair lifts the measures within a second
        print(f"\nsearch without the repaired punishment after {time.monotonic() - started:.3f} s")
        assert decided["status"] == "APPROVED" and decided["decidedAt"] and decided["record"] == {"status": "REPAIRED"}
        body = await api_server.graphql(DECIDE, {"id": repair["id"], "ok": False}, key=court)
        assert error_code(body) == "BAD_USER_INPUT" and "already decided" in body["errors"][0]["message"]
        profile = data(await api_server.graphql(PROFILE, {"code": code}))["subject"]["creditProfile"]
        assert profile["activeFlags"] == [] and profile["records"]["edges"] == []


class TestUpsertRecords:
    async def test_valid_items_accepted_and_bad_ones_reported(self, clean_db: Runtime, api_server: ApiServer) -> None:
        await import_lines(clean_db, [subject_line(1, NAME)])
        provider = await key(clean_db, Role.DATA_PROVIDER, authorities=("常州市生态环境局",))
        good = {
            "sourceId": "P-1",
            "authority": "常州市生态环境局",
            "subjectCode": uscc(1),
            "category": "ADMINISTRATIVE_PENALTY",
            "title": "超标排放",
            "decisionNumber": "常环罚〔2025〕12号",
            "decidedOn": (TODAY - dt.timedelta(days=5)).isoformat(),
            "severity": "SERIOUS",
            "content": {"amount": 100000, "domain": "WORK_SAFETY"},
        }
        records = [
            good,
            good | {"sourceId": "P-2", "publishedOn": (TODAY - dt.timedelta(days=30)).isoformat()},  # before decidedOn
            good | {"sourceId": "P-3", "subjectCode": uscc(99)},  # valid code, no such subject
            good,  # duplicate (authority, sourceId) within the call
            good | {"sourceId": "P-4", "category": "RED_LIST", "severity": None, "content": None},
            good | {"sourceId": "P-5", "content": [1, 2]},  # content must be an object
            good | {"sourceId": "P-6", "authority": "常州市市场监督管理局"},  # another authority's record
            good | {"sourceId": "P-7", "content": {"domain": "FOOOD"}},  # an unknown domain is no ordinary penalty
            good | {"sourceId": "P-8", "content": {"penaltyTypes": ["FINE", "FLOGGING"]}},
        ]
        payload = data(await api_server.graphql(UPSERT, {"records": records}, key=provider))["upsertRecords"]
        assert payload["accepted"] == 2
        errors = {e["index"]: e for e in payload["errors"]}
        assert sorted(errors) == [1, 2, 3, 5, 6, 7, 8]
        assert errors[6]["code"] == "FORBIDDEN" and "own authorities" in errors[6]["message"]
        assert (
            errors[7]["code"] == "BAD_USER_INPUT" and "content.domain: unknown penalty domain" in errors[7]["message"]
        )
        assert "FOOOD" not in errors[7]["message"]
        assert errors[8]["code"] == "BAD_USER_INPUT" and "content.penaltyTypes[1]" in errors[8]["message"]
        assert errors[1]["code"] == "BAD_USER_INPUT" and "publishedOn" in errors[1]["message"]
        assert errors[2]["code"] == "NOT_FOUND" and errors[2]["sourceId"] == "P-3"
        assert errors[3]["code"] == "BAD_USER_INPUT" and "duplicate of records[0]" in errors[3]["message"]
        assert errors[5]["code"] == "BAD_USER_INPUT" and "content" in errors[5]["message"]

        profile = data(await api_server.graphql(PROFILE, {"code": uscc(1)}))["subject"]["creditProfile"]
        assert {f["code"] for f in profile["activeFlags"]} >= {"P_KEY_SUPERVISION"}
        assert len(profile["records"]["edges"]) == 2
        # The same call again changes nothing and is still accepted.
        again = data(await api_server.graphql(UPSERT, {"records": [good]}, key=provider))["upsertRecords"]
        assert again == {"accepted": 1, "errors": []}

    async def test_a_provider_writes_only_its_own_authority(self, clean_db: Runtime, api_server: ApiServer) -> None:
        """谁认定、谁负责: A's key sending [an A record, a B record] gets one accepted and one FORBIDDEN; B's
        key sending A's (authority, sourceId) is refused and A's record is unchanged."""
        await import_lines(clean_db, [subject_line(1, NAME)])
        a, b = "常州市生态环境局", "常州市市场监督管理局"
        key_a = await key(clean_db, Role.DATA_PROVIDER, authorities=(a,))
        key_b = await key(clean_db, Role.DATA_PROVIDER, authorities=(b,))
        item = {
            "sourceId": "E-1",
            "authority": a,
            "subjectCode": uscc(1),
            "category": "ADMINISTRATIVE_PENALTY",
            "title": "超标排放",
            "decidedOn": (TODAY - dt.timedelta(days=5)).isoformat(),
            "severity": "SERIOUS",
        }
        payload = data(await api_server.graphql(UPSERT, {"records": [item, item | {"authority": b}]}, key=key_a))[
            "upsertRecords"
        ]
        assert payload["accepted"] == 1
        assert [(e["index"], e["code"]) for e in payload["errors"]] == [(1, "FORBIDDEN")]
        # B's key rewrites A's record to end it: refused, A's record stays as A sent it.
        ended = item | {"title": "已撤销", "severity": "MINOR"}
        payload = data(await api_server.graphql(UPSERT, {"records": [ended]}, key=key_b))["upsertRecords"]
        assert payload == {"accepted": 0, "errors": [{"index": 0, "sourceId": "E-1", "code": "FORBIDDEN",
                                                      "message": payload["errors"][0]["message"]}]}  # fmt: skip
        records = data(await api_server.graphql(PROFILE, {"code": uscc(1)}))["subject"]["creditProfile"]["records"]
        assert [e["node"]["id"] for e in records["edges"]] and len(records["edges"]) == 1
        async with clean_db.sessions() as session:
            titles = (await session.scalars(select(CreditRecord.title).where(CreditRecord.source_id == "E-1"))).all()
        assert titles == ["超标排放"]

    async def test_roles_and_batch_size(self, clean_db: Runtime, api_server: ApiServer) -> None:
        item = {
            "sourceId": "X",
            "authority": "a",
            "subjectCode": uscc(1),
            "category": "RED_LIST",
            "title": "t",
            "decidedOn": "2025-01-01",
        }
        assert error_code(await api_server.graphql(UPSERT, {"records": [item]})) == "UNAUTHENTICATED"
        for role in (Role.JOURNALIST, Role.SUBJECT, Role.FINANCIAL_INSTITUTION):
            await import_lines(clean_db, [subject_line(1, NAME)])
            subject_id = await subject_id_of(clean_db, uscc(1)) if role is Role.SUBJECT else None
            body = await api_server.graphql(UPSERT, {"records": [item]}, key=await key(clean_db, role, subject_id))
            assert error_code(body) == "FORBIDDEN"
        regulator = await key(clean_db, Role.REGULATOR)
        many = [item | {"sourceId": f"X-{i}"} for i in range(501)]
        body = await api_server.graphql(UPSERT, {"records": many}, key=regulator)
        assert error_code(body) == "BAD_USER_INPUT" and "at most 500" in body["errors"][0]["message"]
        payload = data(await api_server.graphql(UPSERT, {"records": many[:500]}, key=regulator))["upsertRecords"]
        assert payload == {"accepted": 500, "errors": []}


SUBJECT_OBJECTIONS = """
query($code: String!) {
  subject(code: $code) {
    creditProfile {
      heldFlags { code }
      activeFlags { code }
      records { edges { node { id status objections {
        id status outcome holds reply answeredBy resolvedAt correctionDueOn correctedAt referredTo
      } } } }
    }
  }
}"""


class TestObjectionLifecycle:
    async def test_the_subject_reads_the_answer_and_corrections_are_held_until_they_arrive(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        penalty = debtor_line(1, "P-1") | {
            "category": "ADMINISTRATIVE_PENALTY",
            "authority": "常州市生态环境局",
            "severity": "SERIOUS",
        }
        await import_lines(clean_db, [subject_line(1, NAME), penalty])
        code = uscc(1)
        mine = await key(clean_db, Role.SUBJECT, await subject_id_of(clean_db, code))
        agency = await key(clean_db, Role.DATA_PROVIDER, authorities=("常州市生态环境局",))
        profile = data(await api_server.graphql(SUBJECT_OBJECTIONS, {"code": code}, key=mine))["subject"]
        record_id = profile["creditProfile"]["records"]["edges"][0]["node"]["id"]
        objection = data(await api_server.graphql(FILE, {"id": record_id, "reason": "处罚等级有误"}, key=mine))
        objection_id = objection["fileObjection"]["id"]
        answer = {"id": objection_id, "outcome": "CORRECTED", "note": "经核查，应为一般处罚，将于5个工作日内更正"}
        data(await api_server.graphql(RESOLVE, answer, key=agency))

        # The subject reads the written answer, who gave it and when the correction is due; the wrong
        # record's measures stay held meanwhile.
        mine_view = data(await api_server.graphql(SUBJECT_OBJECTIONS, {"code": code}, key=mine))["subject"]
        [seen] = mine_view["creditProfile"]["records"]["edges"][0]["node"]["objections"]
        assert (seen["outcome"], seen["reply"], seen["answeredBy"]) == ("CORRECTED", answer["note"], "常州市生态环境局")
        assert seen["resolvedAt"] and seen["correctionDueOn"] and seen["correctedAt"] is None
        assert [f["code"] for f in mine_view["creditProfile"]["heldFlags"]] == ["P_KEY_SUPERVISION"]
        assert mine_view["creditProfile"]["activeFlags"] == []
        # The public reads that there is an objection, not the reply.
        public = data(await api_server.graphql(SUBJECT_OBJECTIONS, {"code": code}))["subject"]
        [public_seen] = public["creditProfile"]["records"]["edges"][0]["node"]["objections"]
        assert public_seen["reply"] is None and public_seen["outcome"] == "CORRECTED"

        # The agency pushes the corrected record: the measures follow it (a general penalty brings none).
        corrected = {k: v for k, v in penalty.items() if k != "type"} | {"severity": "GENERAL"}
        assert (
            data(await api_server.graphql(UPSERT, {"records": [corrected]}, key=agency))["upsertRecords"]["accepted"]
            == 1
        )
        after = data(await api_server.graphql(SUBJECT_OBJECTIONS, {"code": code}, key=mine))["subject"]
        assert after["creditProfile"]["heldFlags"] == [] and after["creditProfile"]["activeFlags"] == []
        [settled] = after["creditProfile"]["records"]["edges"][0]["node"]["objections"]
        assert settled["correctedAt"] and after["creditProfile"]["records"]["edges"][0]["node"]["status"] == "ACTIVE"

    async def test_a_second_objection_after_a_rejection_holds_nothing(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        await import_lines(clean_db, [subject_line(1, NAME), debtor_line(1, "DJD-1")])
        code = uscc(1)
        mine = await key(clean_db, Role.SUBJECT, await subject_id_of(clean_db, code))
        court = await key(clean_db, Role.DATA_PROVIDER, authorities=(COURT,))
        profile = data(await api_server.graphql(PROFILE, {"code": code}))["subject"]["creditProfile"]
        record_id = profile["records"]["edges"][0]["node"]["id"]
        first = data(await api_server.graphql(FILE, {"id": record_id, "reason": "已履行"}, key=mine))["fileObjection"]
        data(await api_server.graphql(RESOLVE, {"id": first["id"], "outcome": "REJECTED", "note": "未履行"}, key=court))
        again = data(await api_server.graphql(FILE, {"id": record_id, "reason": "已履行"}, key=mine))["fileObjection"]
        assert again["status"] == "PENDING" and again["record"]["status"] == "ACTIVE"
        profile = data(await api_server.graphql(PROFILE, {"code": code}))["subject"]["creditProfile"]
        assert profile["heldFlags"] == [] and profile["activeFlags"]
