"""Regression tests of the red-team finding "free text leaks personal data" (issue 18, finding 1), one
per leak, through the served app as PUBLIC and JOURNALIST read it. Each failed on the code before the
cleaning path (credit/privacy): the reason came back verbatim, the authority and the variant spellings
uncleaned, a 个体工商户's operator in clear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import orjson
import pytest
from stdnum.cn import uscc as stdnum_uscc

from credit import clock
from credit.access.repository import insert_key
from credit.enums import Role
from credit.platform.runtime import Runtime
from creditgraph.demo.generator import org_code
from tests.conftest import ApiServer
from tests.support.factories import purge_outbox
from tests.support.feed_data import drain_outbox, import_lines, resident_id
from tests.support.personal import leaks
from tests.support.readers import exported, received, subscribed

pytestmark = pytest.mark.e2e

TODAY = clock.today()
NAME = "张三丰"
ID = resident_id("320402", "19900101", 128)
LEGACY_ID = ID[:6] + ID[8:17]  # the 15-digit number of the same person (before 1999)
PHONE = "15612345678"
ADDRESS = "江苏省常州市天宁区青洋北路18号"
# Everything that identifies the person: found in an answer as written, spaced, folded or lower-cased.
NEEDLES = (NAME, "張三豐", "zhangsanfeng", ID, LEGACY_ID, PHONE, "青洋北路18号")
REASON = f"本人{NAME}（身份证号{ID}，电话{PHONE}，住{ADDRESS}）对该记录有异议。"
AUTHORITY = f"常州市天宁区人民法院（联系人{NAME}，电话 156-1234-5678，证件 {ID[:6]} {ID[6:14]} {ID[14:]}）"
TITLE = f"关于将张 三 丰（張三豐，Zhang Sanfeng，旧证号{LEGACY_ID}，手机+86 156 1234 5678）纳入失信被执行人名单的决定"
OPERATOR = "李明华"
OPERATOR_NEEDLES = (OPERATOR, "李明華", "liminghua")
REPRESENTATIVE = "王建国"

RECORD_FIELDS = "title decisionNumber authority listName deletionReason objections { reason status }"
PROFILE = f"""query($id: ID!) {{ subject(id: $id) {{ name legalRepresentative formerNames
    creditProfile {{ records(first: 50) {{ edges {{ node {{ {RECORD_FIELDS} }} }} }} }} }} }}"""
FEED = (
    f"{{ disclosures(first: 100) {{ edges {{ node {{ {RECORD_FIELDS} subject {{ name legalRepresentative }} }} }} }} }}"
)
PUBLISHED = f"subscription {{ disclosurePublished {{ {RECORD_FIELDS} }} }}"
FILE = "mutation($id: ID!, $r: String!) { fileObjection(recordId: $id, reason: $r) { id reason } }"


def business_code(n: int) -> str:
    """A valid 统一社会信用代码 of a 个体工商户 (registration authority 9, kind 2)."""
    body = "92320402" + org_code(f"GT{n:06d}")
    return body + stdnum_uscc.calc_check_digit(body)


def company_code(n: int) -> str:
    body = "91320402" + org_code(f"MA{n:06d}")
    return body + stdnum_uscc.calc_check_digit(body)


@dataclass
class Scenario:
    person_id: int
    business_id: int
    company_id: int
    record_id: int
    subject_key: str
    journalist_key: str


@pytest.fixture(autouse=True)
async def _no_index_work_left(runtime: Runtime) -> AsyncIterator[None]:
    yield
    await purge_outbox(runtime)


async def scenario(runtime: Runtime) -> Scenario:
    decided = (TODAY - dt.timedelta(days=30)).isoformat()
    business, company = business_code(1), company_code(2)
    await import_lines(
        runtime,
        [
            {"type": "subject", "kind": "NATURAL_PERSON", "code": ID, "name": NAME, "regionCode": "320402",
             "phone": PHONE, "address": ADDRESS},
            {"type": "subject", "kind": "LEGAL_PERSON", "code": business, "name": "常州市天宁区明华小吃店",
             "regionCode": "320402", "legalRepresentative": OPERATOR},
            {"type": "subject", "kind": "LEGAL_PERSON", "code": company, "name": "常州建国机械有限公司",
             "regionCode": "320402", "legalRepresentative": REPRESENTATIVE},
            {"type": "record", "sourceId": "L-1", "authority": AUTHORITY, "subjectCode": ID,
             "category": "DISHONEST_JUDGMENT_DEBTOR", "title": TITLE, "decisionNumber": "(2024)苏0402执123号",
             "decidedOn": decided, "listingGround": 2},
            {"type": "record", "sourceId": "L-2", "authority": "常州市市场监督管理局", "subjectCode": business,
             "category": "ADMINISTRATIVE_PENALTY", "severity": "GENERAL", "decidedOn": decided,
             "title": f"对个体工商户经营者{OPERATOR}（Li Minghua，李 明 華）的行政处罚决定"},
            {"type": "record", "sourceId": "L-3", "authority": "常州市市场监督管理局", "subjectCode": company,
             "category": "ADMINISTRATIVE_PENALTY", "severity": "GENERAL", "decidedOn": decided,
             "title": f"对常州建国机械有限公司（法定代表人{REPRESENTATIVE}）的行政处罚决定"},
        ],
    )  # fmt: skip
    await drain_outbox(runtime)
    async with runtime.engine.connect() as conn:
        rows = [tuple(row) for row in await conn.exec_driver_sql("SELECT kind, code, id FROM subjects")]
        record_id = (await conn.exec_driver_sql("SELECT id FROM records WHERE source_id = 'L-1'")).scalar_one()
    assert len(rows) == 3
    by_code: dict[str, int] = {str(code): int(sid) for _, code, sid in rows}
    person_id = next(int(sid) for kind, _, sid in rows if kind == "NATURAL_PERSON")
    async with runtime.sessions.begin() as session:
        _, subject_key = await insert_key(session, Role.SUBJECT, "person", subject_id=person_id)
        _, journalist_key = await insert_key(session, Role.JOURNALIST, "journalist")
    return Scenario(person_id, by_code[business], by_code[company], record_id, subject_key, journalist_key)


async def file_objection(api_server: ApiServer, s: Scenario) -> None:
    body = await api_server.graphql(FILE, {"id": str(s.record_id), "r": REASON}, key=s.subject_key)
    assert "errors" not in body, body
    assert body["data"]["fileObjection"]["reason"] == REASON  # the subject reads its own text in full


def readers(s: Scenario) -> list[str | None]:
    return [None, s.journalist_key]


class TestObjectionReasons:
    async def test_public_and_journalist_profiles_hold_no_reason(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        s = await scenario(clean_db)
        await file_objection(api_server, s)
        for key in readers(s):
            body = await api_server.graphql(PROFILE, {"id": str(s.person_id)}, key=key)
            assert body["data"]["subject"] is not None
            text = orjson.dumps(body).decode()
            assert leaks(text, NEEDLES) == [], (key, text)

    async def test_the_disclosures_feed_holds_no_reason(self, clean_db: Runtime, api_server: ApiServer) -> None:
        s = await scenario(clean_db)
        await file_objection(api_server, s)
        for key in readers(s):
            body = await api_server.graphql(FEED, key=key)
            assert len(body["data"]["disclosures"]["edges"]) == 3
            assert leaks(orjson.dumps(body).decode(), NEEDLES) == []

    async def test_anonymous_and_journalist_subscribers_get_no_reason(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        s = await scenario(clean_db)
        async with (
            subscribed(api_server, PUBLISHED) as anonymous,
            subscribed(api_server, PUBLISHED, s.journalist_key) as journalist,
        ):
            await file_objection(api_server, s)  # the record changes (UNDER_OBJECTION): delivered live
            deliveries = [*await received(anonymous), *await received(journalist)]
        reasons = [o["reason"] for d in deliveries for o in d["disclosurePublished"]["objections"]]
        assert len(reasons) >= 2
        assert leaks(orjson.dumps(deliveries).decode(), NEEDLES) == []


class TestAuthorityAndTitles:
    async def test_authority_and_title_are_cleaned_in_the_api(self, clean_db: Runtime, api_server: ApiServer) -> None:
        s = await scenario(clean_db)
        for key in readers(s):
            body = await api_server.graphql(PROFILE, {"id": str(s.person_id)}, key=key)
            node = body["data"]["subject"]["creditProfile"]["records"]["edges"][0]["node"]
            assert node["authority"].startswith("常州市天宁区人民法院")
            assert leaks(orjson.dumps(node).decode(), NEEDLES) == [], node

    async def test_exports_and_atom_author_are_cleaned(self, clean_db: Runtime, api_server: ApiServer) -> None:
        s = await scenario(clean_db)
        for key in readers(s):
            bodies = await exported(api_server, key)
            for path, body in bodies.items():
                assert "常州市天宁区人民法院" in body, path
                assert leaks(body, NEEDLES) == [], (path, body[:2000])
            assert "<author><name>常州市天宁区人民法院" in bodies["/feeds/disclosures.atom"]

    async def test_an_individual_business_operator_is_masked(self, clean_db: Runtime, api_server: ApiServer) -> None:
        s = await scenario(clean_db)
        for key in readers(s):
            body = await api_server.graphql(PROFILE, {"id": str(s.business_id)}, key=key)
            subject = body["data"]["subject"]
            assert subject["legalRepresentative"] == "李**"
            assert leaks(orjson.dumps(subject).decode(), OPERATOR_NEEDLES) == [], subject
            bodies = await exported(api_server, key)
            assert all(leaks(b, OPERATOR_NEEDLES) == [] for b in bodies.values())

    async def test_a_legal_person_s_representative_stays_published(
        self, clean_db: Runtime, api_server: ApiServer
    ) -> None:
        # 企业信息公示暂行条例, 双公示: a legal person's 法定代表人 is public (docs/privacy.md).
        s = await scenario(clean_db)
        body = await api_server.graphql(PROFILE, {"id": str(s.company_id)}, key=None)
        subject = body["data"]["subject"]
        assert subject["legalRepresentative"] == REPRESENTATIVE
        title = subject["creditProfile"]["records"]["edges"][0]["node"]["title"]
        assert REPRESENTATIVE in title


class TestErrors:
    async def test_an_error_never_quotes_an_id_number_or_phone(self, clean_db: Runtime, api_server: ApiServer) -> None:
        await scenario(clean_db)
        spaced = f"{ID[:6]} {ID[6:14]} {ID[14:]}"
        for query in (
            f'{{ disclosures(filter: {{regionCodePrefix: "{spaced}"}}) {{ totalCount }} }}',
            f'{{ disclosures(first: "{PHONE}") {{ totalCount }} }}',
        ):
            body = await api_server.graphql(query)
            assert body["errors"], body
            assert leaks(orjson.dumps(body["errors"]).decode(), (ID, PHONE)) == [], body["errors"]
