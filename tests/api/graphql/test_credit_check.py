"""End to end over HTTP: `creditCheck`, `auditLog` and `myCheckRecords` with real API keys."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import select
from stdnum.cn import ric

from credit.access.repository import insert_key
from credit.enums import Role
from credit.models import Subject
from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from tests.conftest import ApiServer
from tests.support.factories import uscc

pytestmark = pytest.mark.e2e

CHECK = """
query($code: String!, $purpose: CheckPurpose!, $ref: String!) {
  creditCheck(code: $code, purpose: $purpose, authorizationRef: $ref) {
    id checkedAt purpose authorizationRef unmaskedFields
    subject { id kind name code creditProfile { activeFlags { code } } }
    personalData { name idNumber formerNames phone address legalRepresentative }
  }
}"""

AUDIT = """
query($code: String, $after: String) {
  auditLog(subjectCode: $code, first: 2, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { action role institution purpose authorizationRef unmaskedFields subject { id name } } }
  }
}"""

MINE = "{ myCheckRecords { totalCount edges { node { checkedAt institution purpose } } } }"


def person_code(serial: int) -> str:
    body = f"32040219900521{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


PERSON = {"type": "subject", "kind": "NATURAL_PERSON", "code": person_code(1), "name": "王秀英", "regionCode": "320402"}
PERSON |= {"phone": "13712345678", "address": "江苏省常州市钟楼区广化街9号"}
OTHER = PERSON | {"code": person_code(2), "name": "赵志强"}
COMPANY = {"type": "subject", "kind": "LEGAL_PERSON", "code": uscc(77), "name": "常州金盾安防科技有限公司"}
COMPANY |= {"regionCode": "320402", "legalRepresentative": "周立新"}


async def setup(runtime: Runtime) -> dict[str, str]:
    summary = await Importer(runtime).run(orjson.dumps(s) for s in (PERSON, OTHER, COMPANY))
    assert summary.rejected == []
    keys: dict[str, str] = {}
    async with runtime.sessions.begin() as session:
        person_id = await session.scalar(
            select(Subject.id).where(Subject.code_index == runtime.vault.blind_index(PERSON["code"]))
        )
        for role, name in (
            (Role.FINANCIAL_INSTITUTION, "常州银行"),
            (Role.REGULATOR, "信用办"),
            (Role.JOURNALIST, "日报"),
        ):
            keys[role.value] = (await insert_key(session, role, name))[1]
        keys["SUBJECT"] = (await insert_key(session, Role.SUBJECT, "王秀英本人", subject_id=person_id))[1]
    return keys


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert body["_status"] == 200 and not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def code_of(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    code: str = body["errors"][0]["extensions"]["code"]
    return code


class TestCreditCheckOverHttp:
    async def test_check_audit_and_check_records(self, clean_db: Runtime, api_server: ApiServer) -> None:
        keys = await setup(clean_db)
        args: dict[str, object] = {"code": PERSON["code"], "purpose": "LOAN_APPROVAL", "ref": "AUTH-2025-001"}
        check = ok(await api_server.graphql(CHECK, args, key=keys["FINANCIAL_INSTITUTION"]))["creditCheck"]
        assert check["personalData"] == {
            "name": "王秀英",
            "idNumber": PERSON["code"],
            "formerNames": None,
            "phone": None,
            "address": None,
            "legalRepresentative": None,
        }
        assert check["unmaskedFields"] == ["idNumber", "name"]
        assert check["subject"]["name"] == "王**" and "*" in check["subject"]["code"]
        assert (check["purpose"], check["authorizationRef"]) == ("LOAN_APPROVAL", "AUTH-2025-001")

        company: dict[str, object] = {"code": COMPANY["code"], "purpose": "SUPERVISION", "ref": "SUP-7"}
        check = ok(await api_server.graphql(CHECK, company, key=keys["REGULATOR"]))["creditCheck"]
        assert check["personalData"]["legalRepresentative"] == "周立新" and check["personalData"]["name"] is None
        regulator = ok(await api_server.graphql(CHECK, args | {"ref": "R-1"}, key=keys["REGULATOR"]))["creditCheck"]
        assert regulator["personalData"]["phone"] == "13712345678"
        ok(await api_server.graphql(CHECK, args | {"code": OTHER["code"]}, key=keys["FINANCIAL_INSTITUTION"]))

        log = ok(await api_server.graphql(AUDIT, {"code": PERSON["code"]}, key=keys["REGULATOR"]))["auditLog"]
        assert log["totalCount"] == 2 and not log["pageInfo"]["hasNextPage"]
        first, second = (e["node"] for e in log["edges"])
        assert (first["institution"], first["role"], first["authorizationRef"]) == ("信用办", "REGULATOR", "R-1")
        assert (second["institution"], second["unmaskedFields"]) == ("常州银行", ["idNumber", "name"])
        assert second["subject"]["name"] == "王**"
        after = {"code": PERSON["code"], "after": log["pageInfo"]["endCursor"]}
        assert ok(await api_server.graphql(AUDIT, after, key=keys["REGULATOR"]))["auditLog"]["edges"] == []
        assert ok(await api_server.graphql(AUDIT, {}, key=keys["REGULATOR"]))["auditLog"]["totalCount"] == 4

        mine = ok(await api_server.graphql(MINE, key=keys["SUBJECT"]))["myCheckRecords"]
        assert mine["totalCount"] == 2
        assert [e["node"]["institution"] for e in mine["edges"]] == ["信用办", "常州银行"]
        assert [e["node"]["purpose"] for e in mine["edges"]] == ["LOAN_APPROVAL", "LOAN_APPROVAL"]

    async def test_refusals(self, clean_db: Runtime, api_server: ApiServer) -> None:
        keys = await setup(clean_db)
        args: dict[str, object] = {"code": PERSON["code"], "purpose": "LOAN_APPROVAL", "ref": "AUTH-1"}
        assert code_of(await api_server.graphql(CHECK, args)) == "UNAUTHENTICATED"
        assert code_of(await api_server.graphql(CHECK, args, key=keys["JOURNALIST"])) == "FORBIDDEN"
        assert code_of(await api_server.graphql(CHECK, args, key=keys["SUBJECT"])) == "FORBIDDEN"
        bank = keys["FINANCIAL_INSTITUTION"]
        for ref in ("", "  ", "x" * 500):
            assert code_of(await api_server.graphql(CHECK, args | {"ref": ref}, key=bank)) == "BAD_USER_INPUT"
        assert code_of(await api_server.graphql(CHECK, args | {"purpose": "SUPERVISION"}, key=bank)) == "FORBIDDEN"
        assert code_of(await api_server.graphql(CHECK, args | {"code": "nonsense"}, key=bank)) == "BAD_USER_INPUT"
        assert code_of(await api_server.graphql(CHECK, args | {"code": person_code(3)}, key=bank)) == "NOT_FOUND"
        assert code_of(await api_server.graphql(AUDIT, {}, key=bank)) == "FORBIDDEN"
        assert code_of(await api_server.graphql(AUDIT, {})) == "UNAUTHENTICATED"
        assert code_of(await api_server.graphql(MINE, key=bank)) == "FORBIDDEN"
        # Only the refused-for-unknown-subject call reached the audit log.
        log = ok(await api_server.graphql(AUDIT, {}, key=keys["REGULATOR"]))["auditLog"]
        assert log["totalCount"] == 1 and log["edges"][0]["node"]["subject"] is None

    async def test_an_id_number_look_up_leaves_a_trace(self, clean_db: Runtime, api_server: ApiServer) -> None:
        keys = await setup(clean_db)
        query = "query($code: String!) { subject(code: $code) { id } }"
        ok(await api_server.graphql(query, {"code": PERSON["code"]}, key=keys["FINANCIAL_INSTITUTION"]))
        search = "query($q: String!) { searchSubjects(query: $q) { totalCount } }"
        ok(await api_server.graphql(search, {"q": PERSON["code"]}, key=keys["REGULATOR"]))
        log = ok(await api_server.graphql(AUDIT, {"code": PERSON["code"]}, key=keys["REGULATOR"]))["auditLog"]
        actions = {(e["node"]["action"], e["node"]["institution"]) for e in log["edges"]}
        assert ("id_lookup", "常州银行") in actions
        mine = ok(await api_server.graphql(MINE, key=keys["SUBJECT"]))["myCheckRecords"]
        assert any(e["node"]["institution"] == "常州银行" and e["node"]["purpose"] is None for e in mine["edges"])
