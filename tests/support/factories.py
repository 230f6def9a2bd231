"""Small builders for lifecycle tests: valid codes, subjects, records and keys, through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from sqlalchemy import delete, select
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from credit.access.repository import insert_key
from credit.access.viewer import Viewer
from credit.enums import Role
from credit.lifecycle.repairs import Commitment
from credit.models import CreditRecord, OutboxEntry, RecordEvent, Subject
from credit.outbox.work import unit_of_work
from credit.platform.runtime import Runtime
from credit.records.ingest import upsert_records, upsert_subjects
from credit.records.inputs import SubjectInput, parse_line, parse_record
from credit.rules.derived import derive_subject
from credit.rules.flags import FlagSet
from credit.subjects.repository import read_profiles
from creditgraph.demo.generator import org_code


def uscc(n: int, region: str = "320402") -> str:
    """A valid 统一社会信用代码, distinct for each `n`."""
    body = "91" + region + org_code(f"MA{n:06d}")
    return body + stdnum_uscc.calc_check_digit(body)


async def add_subject(runtime: Runtime, n: int, name: str | None = None) -> tuple[int, str]:
    """A company subject; returns (id, code)."""
    code = uscc(n)
    line = {"type": "subject", "kind": "LEGAL_PERSON", "code": code, "name": name or f"常州测试{n}科技有限公司"}
    item = parse_line(orjson.dumps(line | {"regionCode": "320402"}))
    assert isinstance(item, SubjectInput)
    async with unit_of_work(runtime) as work:
        await upsert_subjects(work, [item], runtime.vault)
        subject_id = await work.session.scalar(select(Subject.id).where(Subject.code == code))
    assert subject_id is not None
    return subject_id, code


#: The authority of the records `add_record` submits (a court, for its 失信被执行人 listings).
AUTHORITY = "常州市测试局"


async def add_record(
    runtime: Runtime,
    subject_code: str,
    category: str,
    decided_on: dt.date,
    source_id: str,
    *,
    today: dt.date | None = None,
    **fields: Any,
) -> int:
    """A record submitted as a provider would (authority 常州市测试局); returns its id."""
    line = {
        "sourceId": source_id,
        "authority": AUTHORITY,
        "subjectCode": subject_code,
        "category": category,
        "title": f"测试记录 {source_id}",
        "decidedOn": decided_on.isoformat(),
        **fields,
    }
    async with unit_of_work(runtime) as work:
        outcome = await upsert_records(
            work, [parse_record(line)], runtime.vault, actor="test", today=today or decided_on
        )
        assert outcome.errors == []
        record_id = await work.session.scalar(select(CreditRecord.id).where(CreditRecord.source_id == source_id))
    assert record_id is not None
    return record_id


async def viewer(
    runtime: Runtime,
    role: Role,
    subject_id: int | None = None,
    name: str = "tester",
    authorities: frozenset[str] = frozenset(),
) -> Viewer:
    """A viewer backed by a real key row (events and objections reference the key)."""
    async with runtime.sessions.begin() as session:
        row, _ = await insert_key(session, role, name, subject_id=subject_id, authorities=sorted(authorities))
    return Viewer(role=role, key_id=row.id, subject_id=subject_id, name=name, authorities=authorities)


async def authority_key(runtime: Runtime, name: str = "authority", authority: str = AUTHORITY) -> Viewer:
    """The key of the body that made `add_record`'s records (认定单位): it decides about them."""
    return await viewer(runtime, Role.DATA_PROVIDER, name=name, authorities=frozenset({authority}))


async def load_record(runtime: Runtime, record_id: int) -> CreditRecord:
    async with runtime.sessions() as session:
        record = await session.get(CreditRecord, record_id)
    assert record is not None
    return record


async def events_of(runtime: Runtime, record_id: int) -> list[RecordEvent]:
    async with runtime.sessions() as session:
        stmt = select(RecordEvent).where(RecordEvent.record_id == record_id).order_by(RecordEvent.id)
        return list((await session.scalars(stmt)).all())


async def outbox_reasons(runtime: Runtime, subject_id: int) -> list[str]:
    """The subject's outbox rows, as a `tx` runtime sees them: uncommitted, so an indexer running in the
    same test session (the e2e `api_server`) cannot consume them meanwhile."""
    stmt = select(OutboxEntry.reason).where(OutboxEntry.subject_id == subject_id).order_by(OutboxEntry.id)
    async with runtime.sessions() as session:
        return list((await session.scalars(stmt)).all())


async def subject_flags(runtime: Runtime, subject_id: int, today: dt.date) -> FlagSet:
    """The subject's flags on `today`, derived from its rows (`credit.rules.derived`)."""
    async with runtime.sessions() as session:
        profiles = await read_profiles(session, [subject_id])
    profile = profiles[subject_id]
    return derive_subject(profile.facts(), today, profile.subject_facts()).flags


async def purge_outbox(runtime: Runtime) -> None:
    """Drop queued index work at the end of a test (used as an autouse teardown).

    When the session's `api_server` runs, its indexer may be in the middle of a batch as the next
    test's `clean_db` TRUNCATEs: the batch holds its outbox claim on one connection while reading
    documents on another, and the TRUNCATE queued between them blocks that read, a lock cycle
    PostgreSQL cannot see (it hangs for good). A DELETE only waits for the claimed rows, so after it
    the indexer has nothing in flight and the TRUNCATE cannot meet it.
    """
    async with runtime.sessions.begin() as session:
        await session.execute(delete(OutboxEntry))


PLEDGE = "本单位承诺已纠正失信行为、履行法定义务，所提交材料真实有效。"


def commitment(today: dt.date, text: str = PLEDGE) -> Commitment:
    """A signed 信用修复承诺书, as a repair application carries it."""
    return Commitment(text=text, signed_by="王经理", signed_on=today)


#: References to the proof that the obligations are performed.
EVIDENCE = ["罚款缴纳凭证 No.2025-001"]


PERSON_NAME = "李建国"
PERSON_PHONE = "13912345678"
PERSON_ADDRESS = "江苏省常州市天宁区青洋北路18号"


def resident_id(serial: int = 123) -> str:
    """A valid resident ID number, distinct for each `serial`."""
    body = f"32040219900521{serial:03d}"
    return body + stdnum_ric.calc_check_digit(body + "0")


async def add_person(
    runtime: Runtime,
    code: str,
    name: str = PERSON_NAME,
    former: list[str] | None = None,
    phone: str = PERSON_PHONE,
    address: str = PERSON_ADDRESS,
) -> int:
    """A natural person (name, phone and address encrypted, masked in the clear columns); returns its id."""
    line: dict[str, Any] = {"type": "subject", "kind": "NATURAL_PERSON", "code": code, "name": name}
    line |= {"regionCode": "320402", "phone": phone, "address": address, "formerNames": former or []}
    item = parse_line(orjson.dumps(line))
    assert isinstance(item, SubjectInput)
    async with unit_of_work(runtime) as work:
        await upsert_subjects(work, [item], runtime.vault)
        subject_id = await work.session.scalar(
            select(Subject.id).where(Subject.code_index == runtime.vault.blind_index(code))
        )
    assert subject_id is not None
    return subject_id
