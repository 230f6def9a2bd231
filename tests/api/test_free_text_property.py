"""Property: whatever personal data is written into free text — a person's name in simplified or
traditional characters, spaced or in pinyin, ID numbers in every form, phones in every form — no
PUBLIC or JOURNALIST reader can read it back, through any response path of the served app.

Each example draws a natural person and a 个体工商户's operator, writes texts about them (each text
about its own record's subject: names of people other than the subject's are not recognised, only
their identifiers) through the
real API (`upsertRecords` with a provider key bound to an authority whose name mentions them too,
`fileObjection`, `applyCreditRepair` with its commitment, `resolveObjection` with a reply), while an
anonymous and a JOURNALIST client are subscribed to `disclosurePublished`; then scans, as PUBLIC and
as JOURNALIST: the profiles, the disclosure feed, `repairCommitments`, `node(id:)` of the objection
and the repair (GraphQL over HTTP), the CSV, NDJSON and xlsx exports, Atom, the websocket deliveries,
error messages quoting the data, and the public website's pages (the person's, the business's, the feed).
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from credit import clock
from credit.access.repository import insert_key
from credit.enums import Role
from credit.platform.runtime import Runtime
from tests.api.test_free_text_leaks import business_code
from tests.conftest import ApiServer
from tests.support.feed_data import drain_outbox, import_lines
from tests.support.personal import Person, leaks, name_needles, person_names, persons, texts_about
from tests.support.readers import exported, fetch, received, subscribed

pytestmark = pytest.mark.e2e

TODAY = clock.today()
_run = itertools.count()

RECORD = """databaseId title decisionNumber authority listName deletionReason status
    objections { databaseId reason reply referredTo answeredBy status }"""
PROFILE = f"""query($id: ID!) {{ subject(id: $id) {{ name formerNames legalRepresentative
    creditProfile {{ records(first: 50) {{ edges {{ node {{ {RECORD} }} }} }} }} }} }}"""
FEED = f"""query($after: String) {{ disclosures(first: 100, after: $after) {{
    pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {RECORD} subject {{ name legalRepresentative }} }} }} }} }}"""
COMMITMENTS = "{ repairCommitments(first: 100) { edges { node { text authority subject { name } } } } }"
NODES = """query($o: ID!, $r: ID!) {
    o: node(id: $o) { ... on Objection { reason reply referredTo answeredBy } }
    r: node(id: $r) { ... on CreditRepair { statement decidedByAuthority commitment { text signedBy } evidence } } }"""
PUBLISHED = f"subscription {{ disclosurePublished {{ {RECORD} subject {{ name legalRepresentative }} }} }}"
UPSERT = "mutation($r: [RecordInput!]!) { upsertRecords(records: $r) { accepted errors { index message } } }"
FILE = "mutation($id: ID!, $t: String!) { fileObjection(recordId: $id, reason: $t) { databaseId } }"
RESOLVE = (
    "mutation($id: ID!, $t: String) { resolveObjection(objectionId: $id, outcome: REJECTED, note: $t) { status } }"
)
APPLY = """mutation($id: ID!, $t: String!, $c: RepairCommitmentInput!, $e: [String!]!) {
    applyCreditRepair(recordId: $id, statement: $t, commitment: $c, evidence: $e) { databaseId } }"""


def global_id(kind: str, number: int) -> str:
    return base64.b64encode(f"{kind}:{number}".encode()).decode()


def ok(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def graphql_bodies(api_server: ApiServer, key: str | None, ids: dict[str, int]) -> list[str]:
    """Every GraphQL answer a reader gets about the example's data, as text."""
    bodies = []
    for subject in ("person", "business"):
        body = await api_server.graphql(PROFILE, {"id": str(ids[subject])}, key=key)
        assert ok(body)["subject"] is not None
        bodies.append(orjson.dumps(body).decode())
    after = None
    while True:
        body = await api_server.graphql(FEED, {"after": after}, key=key)
        bodies.append(orjson.dumps(body).decode())
        page = ok(body)["disclosures"]["pageInfo"]
        if not page["hasNextPage"]:
            break
        after = page["endCursor"]
    bodies.append(orjson.dumps(ok(await api_server.graphql(COMMITMENTS, key=key))).decode())
    nodes: dict[str, object] = {
        "o": global_id("Objection", ids["objection"]),
        "r": global_id("CreditRepair", ids["repair"]),
    }
    bodies.append(orjson.dumps(await api_server.graphql(NODES, nodes, key=key)).decode())
    return bodies


async def error_bodies(api_server: ApiServer, key: str | None, written: list[str]) -> list[str]:
    """Errors of requests that quote the written data back (a filter, an argument of the wrong type)."""
    bodies = []
    for text in written:
        quoted = orjson.dumps(text[:60]).decode()
        for query in (
            f"{{ disclosures(filter: {{regionCodePrefix: {quoted}}}) {{ totalCount }} }}",
            f"{{ disclosures(first: {quoted}) {{ totalCount }} }}",
        ):
            body = await api_server.graphql(query, key=key)
            assert body.get("errors"), body
            bodies.append(orjson.dumps(body["errors"]).decode())
    return bodies


@settings(
    max_examples=10,
    deadline=None,
    # An example costs seconds of HTTP and indexing: report the first failing one, do not shrink it.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
async def test_no_public_or_journalist_path_reads_generated_personal_data(
    clean_db: Runtime, api_server: ApiServer, data: st.DataObject
) -> None:
    run = next(_run)
    person: Person = data.draw(persons(), label="person")
    operator = data.draw(person_names(), label="operator")
    texts = [data.draw(texts_about(person), label=f"text {i}") for i in range(6)]
    authority = f"常州市测试{run}局（经办人：{texts[0][0]}）"
    # A text names persons of its own record's subject: the business's authority names the operator.
    business_authority = f"常州市市场监管{run}局（经办：{' '.join(operator)}）"
    needles = tuple({n for _, found in texts for n in found} | set(name_needles(person.name)))
    needles += (person.id_number, person.mobile, person.address[9:])
    operator_text = f"对经营者{operator}（{' '.join(operator)}）的处罚"
    operator_needles = name_needles(operator)
    business = business_code(1000 + run)

    await import_lines(
        clean_db,
        [
            {"type": "subject", "kind": "NATURAL_PERSON", "code": person.id_number, "name": person.name,
             "regionCode": "320402", "phone": person.mobile, "address": person.address},
            {"type": "subject", "kind": "LEGAL_PERSON", "code": business, "name": f"常州市天宁区第{run}小吃店",
             "regionCode": "320402", "legalRepresentative": operator},
        ],
    )  # fmt: skip
    async with clean_db.engine.connect() as conn:
        found = await conn.exec_driver_sql(
            "SELECT kind, id FROM subjects WHERE code IN (%(a)s, %(b)s)",
            {"a": person.id_number[:4] + "*" * 10 + person.id_number[-4:], "b": business},
        )
        pairs: list[tuple[Any, ...]] = [tuple(row) for row in found]
        ids = {"person" if kind == "NATURAL_PERSON" else "business": int(sid) for kind, sid in pairs}
    async with clean_db.sessions.begin() as session:
        _, provider = await insert_key(
            session, Role.DATA_PROVIDER, f"p{run}", authorities=[authority, business_authority]
        )
        _, mine = await insert_key(session, Role.SUBJECT, f"s{run}", subject_id=ids["person"])
        _, journalist = await insert_key(session, Role.JOURNALIST, f"j{run}")
    decided = (TODAY - dt.timedelta(days=30)).isoformat()
    records = [
        {"sourceId": f"P{run}-1", "authority": authority, "subjectCode": person.id_number,
         "category": "DISHONEST_JUDGMENT_DEBTOR", "title": texts[1][0], "decisionNumber": texts[2][0][:80],
         "decidedOn": decided, "listingGround": 2},
        {"sourceId": f"P{run}-2", "authority": authority, "subjectCode": person.id_number,
         "category": "BLACK_LIST", "title": f"列入名单：{texts[1][0]}", "listName": texts[3][0][:80],
         "decidedOn": decided},
        {"sourceId": f"P{run}-3", "authority": business_authority, "subjectCode": business,
         "category": "DISHONEST_JUDGMENT_DEBTOR", "title": operator_text, "decidedOn": decided, "listingGround": 2},
    ]  # fmt: skip

    async with (
        subscribed(api_server, PUBLISHED) as anonymous,
        subscribed(api_server, PUBLISHED, journalist) as journalists,
    ):
        result = ok(await api_server.graphql(UPSERT, {"r": records}, key=provider))["upsertRecords"]
        assert result == {"accepted": 3, "errors": []}
        await drain_outbox(clean_db)
        async with clean_db.engine.connect() as conn:
            rows = await conn.exec_driver_sql(
                "SELECT source_id, id FROM records WHERE source_id LIKE %(p)s", {"p": f"P{run}-%"}
            )
            listed: list[tuple[Any, ...]] = [tuple(row) for row in rows]
            record_ids = {str(source): int(rid) for source, rid in listed}
        objection = ok(await api_server.graphql(FILE, {"id": record_ids[f"P{run}-2"], "t": texts[4][0]}, key=mine))
        ids["objection"] = int(objection["fileObjection"]["databaseId"])
        commitment = {"text": texts[5][0], "signedBy": person.name, "signedOn": TODAY.isoformat()}
        applied = {"id": record_ids[f"P{run}-1"], "t": texts[4][0], "c": commitment, "e": [texts[2][0][:400]]}
        ids["repair"] = int(ok(await api_server.graphql(APPLY, applied, key=mine))["applyCreditRepair"]["databaseId"])
        resolved = {"id": ids["objection"], "t": f"经核查驳回。{texts[0][0]}"}
        ok(await api_server.graphql(RESOLVE, resolved, key=provider))
        await drain_outbox(clean_db)
        deliveries = [*await received(anonymous, 3), *await received(journalists, 3)]

    scanned: list[tuple[str, str]] = [("websocket", orjson.dumps(d).decode()) for d in deliveries]
    for key in (None, journalist):
        reader = "PUBLIC" if key is None else "JOURNALIST"
        scanned += [(f"{reader} graphql", body) for body in await graphql_bodies(api_server, key, ids)]
        scanned += [(f"{reader} {path}", body) for path, body in (await exported(api_server, key)).items()]
        written = [t for t, _ in texts[:3]]
        scanned += [(f"{reader} error", body) for body in await error_bodies(api_server, key, written)]
    pages = (f"/subjects/{global_id('Subject', ids['person'])}", f"/subjects/{business}", "/disclosures")
    scanned += [(f"website {page}", await fetch(api_server, page)) for page in pages]
    problems = [(where, hits, body) for where, body in scanned if (hits := leaks(body, needles + operator_needles))]
    assert problems == [], problems[0]
    # The readers did see the records: the scan is not of empty answers.
    csv = [body for where, body in scanned if where.endswith(".csv")]
    assert all(f"测试{run}局" in body for body in csv), csv[0][-1500:]
    assert any("（不公开）" in body for where, body in scanned if where.endswith("graphql"))
