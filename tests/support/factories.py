"""Small builders for lifecycle tests: valid codes, subjects, records and keys, through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from sqlalchemy import delete, select
from stdnum.cn import uscc as stdnum_uscc

from credit.access.repository import insert_key
from credit.access.viewer import Viewer
from credit.enums import Role
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
        "authority": "常州市测试局",
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


async def viewer(runtime: Runtime, role: Role, subject_id: int | None = None, name: str = "tester") -> Viewer:
    """A viewer backed by a real key row (events and objections reference the key)."""
    async with runtime.sessions.begin() as session:
        row, _ = await insert_key(session, role, name, subject_id=subject_id)
    return Viewer(role=role, key_id=row.id, subject_id=subject_id, name=name)


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
