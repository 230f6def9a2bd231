"""Over HTTP: the public `measures` catalogue, the flags it brings on profiles (suspension, grades,
history, subject kinds), the office's `redListWithdrawals`, and provisional objection deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import chinese_calendar
import pytest
from sqlalchemy import update

from credit import clock
from credit.enums import Role
from credit.models import Objection
from credit.platform.runtime import Runtime
from credit.rules.calendar import add_working_days, calendar_covers, working_day_deadline
from credit.rules.catalogue import default_catalogue
from credit.rules.disclosure import add_months
from tests.api.graphql.test_objection_flow import data, error_code, import_lines, key, subject_id_of
from tests.conftest import ApiServer
from tests.support.factories import purge_outbox, uscc

pytestmark = pytest.mark.e2e

TODAY = clock.today()
RECENT = (TODAY - dt.timedelta(days=20)).isoformat()

MEASURES = """
query($on: Date) {
  measures(inForceOn: $on) {
    code version name kind trigger content basis implementingBody bodyKind evidence heldDuringObjection
    appliesTo { subjectKind reach } effectiveFrom effectiveUntil
  }
}"""

PROFILE = """
query($code: String!) {
  subject(code: $code) {
    creditProfile {
      activeFlags { code kind reach since record { id category } }
      heldFlags { code }
      suspendedFlags { code kind record { category } }
    }
  }
}"""

WITHDRAWALS = """
query($first: Int, $after: ID) {
  redListWithdrawals(first: $first, after: $after) { rule record { id category } because { id category } }
}"""

OBJECTIONS = """
query($code: String!) {
  subject(code: $code) { creditProfile { records { edges { node { objections { dueOn dueOnProvisional } } } } } }
}"""

RECORD_IDS = "query($code: String!) { subject(code: $code) { creditProfile { records { edges { node { id } } } } } }"
FILE = 'mutation($id: ID!) { fileObjection(recordId: $id, reason: "有误") { id dueOn dueOnProvisional } }'


@pytest.fixture(autouse=True)
async def _no_index_work_left(runtime: Runtime) -> AsyncIterator[None]:
    yield
    await purge_outbox(runtime)


def subject(n: int, kind: str = "LEGAL_PERSON", **extra: Any) -> dict[str, Any]:
    return {"type": "subject", "kind": kind, "code": uscc(n), "name": f"测试{n}号单位", **extra}


def line(n: int, source_id: str, category: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "record",
        "sourceId": source_id,
        "authority": "常州市测试局",
        "subjectCode": uscc(n),
        "category": category,
        "title": f"记录 {source_id}",
        "decidedOn": RECENT,
        **extra,
    }


async def profile(api_server: ApiServer, n: int, token: str | None = None) -> dict[str, Any]:
    body = await api_server.graphql(PROFILE, {"code": uscc(n)}, key=token)
    result: dict[str, Any] = data(body)["subject"]["creditProfile"]
    return result


class TestMeasures:
    async def test_the_public_catalogue_lists_every_measure_with_basis_and_body(self, api_server: ApiServer) -> None:
        measures = data(await api_server.graphql(MEASURES))["measures"]
        catalogue = default_catalogue()
        assert [(m["code"], m["version"]) for m in measures] == sorted((m.code, m.version) for m in catalogue.measures)
        for measure in measures:
            assert measure["basis"].startswith("《") and measure["implementingBody"]
            assert measure["trigger"] and measure["content"] and measure["evidence"] and measure["appliesTo"]
            if measure["bodyKind"] == "COURT":
                assert measure["heldDuringObjection"] is False
        flights = next(m for m in measures if m["code"] == "P_FLIGHTS")
        assert {"subjectKind": "GOVERNMENT_AGENCY", "reach": "RESPONSIBLE_PERSONS"} in flights["appliesTo"]
        assert data(await api_server.graphql(MEASURES, {"on": "2026-12-01"}))["measures"] == measures

    async def test_red_and_black_list_bring_no_incentive(self, clean_db: Runtime, api_server: ApiServer) -> None:
        await import_lines(
            clean_db,
            [subject(1), line(1, "R-1", "RED_LIST"), line(1, "B-1", "BLACK_LIST", listName="严重违法失信名单")],
        )
        flags = await profile(api_server, 1)
        assert {f["kind"] for f in flags["activeFlags"]} == {"PUNISHMENT"}
        assert {f["code"] for f in flags["suspendedFlags"]} == {
            "I_GREEN_CHANNEL",
            "I_DEFICIENCY_ACCEPTANCE",
            "I_FEWER_INSPECTIONS",
            "I_SUPPORT_FUNDS",
        }
        assert {f["record"]["category"] for f in flags["suspendedFlags"]} == {"RED_LIST"}

        regulator = await key(clean_db, Role.REGULATOR)
        found = data(await api_server.graphql(WITHDRAWALS, key=regulator))["redListWithdrawals"]
        assert [(w["record"]["category"], [b["category"] for b in w["because"]]) for w in found] == [
            ("RED_LIST", ["BLACK_LIST"])
        ]
        assert found[0]["rule"] == "W_RED_LIST_WHILE_SERIOUSLY_DISHONEST"
        assert error_code(await api_server.graphql(WITHDRAWALS)) == "UNAUTHENTICATED"
        journalist = await key(clean_db, Role.JOURNALIST)
        assert error_code(await api_server.graphql(WITHDRAWALS, key=journalist)) == "FORBIDDEN"
        assert error_code(await api_server.graphql(WITHDRAWALS, {"first": 0}, key=regulator)) == "BAD_USER_INPUT"
        assert error_code(await api_server.graphql(WITHDRAWALS, {"after": "x"}, key=regulator)) == "BAD_USER_INPUT"

    async def test_a_d_grade_brings_punishments(self, clean_db: Runtime, api_server: ApiServer) -> None:
        graded = line(1, "G-1", "CREDIT_EVALUATION", listName="纳税信用D级", content={"grade": "D"})
        await import_lines(clean_db, [subject(1), graded])
        flags = await profile(api_server, 1)
        assert {(f["code"], f["kind"]) for f in flags["activeFlags"]} == {
            ("P_KEY_SUPERVISION", "PUNISHMENT"),
            ("P_GOV_PROCUREMENT", "PUNISHMENT"),
        }

    async def test_three_clean_years_bring_incentives_from_the_day_earned(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        registered = TODAY - dt.timedelta(days=4 * 366)
        await import_lines(clean_db, [subject(1, registeredOn=registered.isoformat())])
        flags = await profile(api_server, 1)
        earned = {f["code"]: f for f in flags["activeFlags"]}
        assert set(earned) == {"I_GREEN_CHANNEL", "I_DEFICIENCY_ACCEPTANCE"}
        assert all(f["record"] is None and f["since"] is None for f in earned.values())  # date hidden from PUBLIC
        regulator = await key(clean_db, Role.REGULATOR)
        seen = {f["since"] for f in (await profile(api_server, 1, regulator))["activeFlags"]}
        assert seen == {add_months(registered, 36).isoformat()}

    async def test_measures_follow_the_subject_kind(self, clean_db: Runtime, api_server: ApiServer) -> None:
        court = {"authority": "常州市中级人民法院"}
        await import_lines(
            clean_db,
            [subject(1, "GOVERNMENT_AGENCY"), line(1, "D-1", "DISHONEST_JUDGMENT_DEBTOR", **court)],
        )
        flags = {f["code"]: f["reach"] for f in (await profile(api_server, 1))["activeFlags"]}
        assert flags == {
            "P_HIGH_CONSUMPTION": "SUBJECT_AND_RESPONSIBLE_PERSONS",
            "P_PROPERTY": "SUBJECT_AND_RESPONSIBLE_PERSONS",
            "P_FLIGHTS": "RESPONSIBLE_PERSONS",
            "P_HIGH_SPEED_RAIL": "RESPONSIBLE_PERSONS",
        }


FIRST_UNKNOWN = next(year for year in range(TODAY.year, TODAY.year + 200) if not calendar_covers(year))


@pytest.fixture
def learned_year(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Call it to make the installed calendar package know FIRST_UNKNOWN (1–7 January off), as an
    upgrade would; undone after the test. The package's data is patched, nothing of ours."""
    calendar_covers.cache_clear()

    def learn() -> None:
        for day in range(1, 8):
            monkeypatch.setitem(chinese_calendar.constants.holidays, dt.date(FIRST_UNKNOWN, 1, day), "New Year's Day")
        calendar_covers.cache_clear()

    yield learn
    monkeypatch.undo()
    calendar_covers.cache_clear()


class TestProvisionalDeadlines:
    async def test_due_on_is_provisional_until_the_calendar_learns_the_year(
        self, clean_db: Runtime, api_server: ApiServer, learned_year: Any
    ) -> None:
        await import_lines(clean_db, [subject(1), line(1, "B-1", "BLACK_LIST")])
        mine = await key(clean_db, Role.SUBJECT, await subject_id_of(clean_db, uscc(1)))
        regulator = await key(clean_db, Role.REGULATOR)
        records = data(await api_server.graphql(RECORD_IDS, {"code": uscc(1)}))["subject"]["creditProfile"]["records"]
        record_id = records["edges"][0]["node"]["id"]
        filed = data(await api_server.graphql(FILE, {"id": record_id}, key=mine))["fileObjection"]
        expected = working_day_deadline(TODAY, 15)
        assert filed["dueOn"] == expected.due_on.isoformat()
        assert filed["dueOnProvisional"] is expected.provisional

        # As if filed on 20 December of the last year the calendar knows: the reply falls in January.
        filed_on = dt.date(FIRST_UNKNOWN - 1, 12, 20)
        stored = add_working_days(filed_on, 15)
        filed_at = dt.datetime(filed_on.year, 12, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
        async with clean_db.sessions.begin() as session:
            await session.execute(update(Objection).values(filed_at=filed_at, due_on=stored))

        async def shown() -> dict[str, Any]:
            body = await api_server.graphql(OBJECTIONS, {"code": uscc(1)}, key=regulator)
            node = data(body)["subject"]["creditProfile"]["records"]["edges"][0]["node"]
            shown: dict[str, Any] = node["objections"][0]
            return shown

        assert await shown() == {"dueOn": stored.isoformat(), "dueOnProvisional": True}
        learned_year()
        after = await shown()
        assert after["dueOnProvisional"] is False
        assert dt.date.fromisoformat(after["dueOn"]) > stored  # 1–7 January are holidays now
        assert after["dueOn"] == add_working_days(filed_on, 15).isoformat()
