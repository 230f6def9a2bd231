"""The NDJSON import (CONTRACT.md) against the real PostgreSQL: line-level errors, idempotence,
revisions and outbox rows, through the same service the CLI uses."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from sqlalchemy import delete, func, select

from credit.models import CreditRecord, OutboxEntry, RecordEvent, Subject
from credit.platform.config import Settings
from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from creditgraph.demo.generator import generate

pytestmark = pytest.mark.integration

BAD_LINES = {
    # line number (1-based) → (content, expected reason fragment)
    17: (
        b'{"type":"subject","kind":"LEGAL_PERSON","code":"91320402MA1XXXXX12","name":"x"}',
        "统一社会信用代码",
    ),
    2500: (
        b'{"type":"record","sourceId":"X-1","authority":"a","subjectCode":"110105199003070017",'
        b'"category":"RED_LIST","title":"t","decidedOn":"2024-01-01"}',
        "unknown subject",
    ),
    6001: (
        b'{"type":"record","sourceId":"X-2","authority":"a","subjectCode":"91110000600037341L",'
        b'"category":"RED_LIST","title":"t","decidedOn":"2024-02-30"}',
        "decidedOn",
    ),
    7777: (
        b'{"type":"record","sourceId":"X-3","authority":"a","subjectCode":"91110000600037341L",'
        b'"category":"ADMINISTRATIVE_PENALTY","title":"t","decidedOn":"2024-02-01","content":{"domain":"FOOOD"}}',
        "content.domain: unknown penalty domain",
    ),
    9999: (b'{"type":"subject", "kind": ', "malformed JSON"),
}


def ten_thousand_lines() -> list[bytes]:
    good = [orjson.dumps(line) for line in itertools.islice(generate(subjects=5000, seed=11), 10_000 - len(BAD_LINES))]
    lines: list[bytes] = []
    for number in range(1, 10_001):
        lines.append(BAD_LINES[number][0] if number in BAD_LINES else good.pop(0))
    return lines


class TestImport:
    async def test_reports_exactly_the_bad_lines_and_keeps_the_good(self, clean_db: Runtime) -> None:
        lines = ten_thousand_lines()
        summary = await Importer(clean_db).run(lines)
        assert [n for n, _ in summary.rejected] == sorted(BAD_LINES)
        for number, reason in summary.rejected:
            assert BAD_LINES[number][1] in reason
        assert summary.accepted == 10_000 - len(BAD_LINES)
        assert summary.created == summary.accepted
        async with clean_db.sessions() as session:
            subjects = await session.scalar(select(func.count()).select_from(Subject))
            records = await session.scalar(select(func.count()).select_from(CreditRecord))
        assert (subjects or 0) + (records or 0) == summary.accepted

        again = await Importer(clean_db).run(lines)
        assert again.changed == 0
        assert again.unchanged == summary.accepted
        assert [n for n, _ in again.rejected] == sorted(BAD_LINES)

    async def test_update_bumps_revision_and_queues_the_subject(self, clean_db: Runtime) -> None:
        lines = [orjson.dumps(line) for line in itertools.islice(generate(subjects=200, seed=3), 260)]
        await Importer(clean_db).run(lines)
        record_line = next(orjson.loads(line) for line in lines if b'"type":"record"' in line)
        async with clean_db.sessions.begin() as session:
            await session.execute(delete(OutboxEntry))
            before = await session.scalar(select(CreditRecord).where(CreditRecord.source_id == record_line["sourceId"]))
            assert before is not None
            subject_revision = await session.scalar(select(Subject.revision).where(Subject.id == before.subject_id))
        changed = orjson.dumps({**record_line, "title": record_line["title"] + "（更正）"})
        summary = await Importer(clean_db).run([changed])
        assert (summary.updated, summary.created, summary.rejected) == (1, 0, [])
        async with clean_db.sessions() as session:
            after = await session.scalar(select(CreditRecord).where(CreditRecord.id == before.id))
            assert after is not None and after.revision == before.revision + 1
            assert after.title.endswith("（更正）")
            queued = (await session.scalars(select(OutboxEntry.subject_id))).all()
            assert list(queued) == [before.subject_id]
            revision = await session.scalar(select(Subject.revision).where(Subject.id == before.subject_id))
            assert revision == (subject_revision or 0) + 1
            events = (await session.scalars(select(RecordEvent.action).where(RecordEvent.record_id == before.id))).all()
            assert list(events) == ["created", "updated"]

    async def test_personal_data_is_not_stored_in_clear(self, clean_db: Runtime) -> None:
        person = {
            "type": "subject",
            "kind": "NATURAL_PERSON",
            "code": "360426199101010071",
            "name": "欧阳明远",
            "phone": "13812345678",
            "address": "江西省九江市德安县宝塔路18号",
        }
        await Importer(clean_db).run([orjson.dumps(person)])
        async with clean_db.engine.connect() as conn:
            dump = str((await conn.exec_driver_sql("SELECT s::text FROM subjects s")).all())
        for secret in ("360426199101010071", "欧阳明远", "13812345678", "宝塔路18号"):
            assert secret not in dump
        async with clean_db.sessions() as session:
            row = await session.scalar(select(Subject))
            assert row is not None and row.personal_data is not None
            assert clean_db.vault.decrypt(row.personal_data, context=row.code_index)["phone"] == "13812345678"


def cli_import(settings: Settings, path: Path) -> subprocess.CompletedProcess[str]:
    """`creditgraph import PATH` in a child process against the test database, as an operator runs it."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "CREDITGRAPH_HOME": str(settings.creditgraph_home),
        "CREDITGRAPH_SECRET_KEY": "test-secret-key-not-for-production",
    }
    command = [sys.executable, "-m", "creditgraph.cli", "import", str(path)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_cli_prints_line_numbers_and_exit_code(settings: Settings, tmp_path: Path, runtime: Runtime) -> None:
    path = tmp_path / "bad.ndjson"
    path.write_bytes(b"\n".join([b"{oops", BAD_LINES[17][0]]) + b"\n")
    result = cli_import(settings, path)
    assert result.returncode == 1, result.stderr
    assert "line 1: malformed JSON" in result.stdout
    assert "line 2: code: 统一社会信用代码" in result.stdout
    assert "rejected 2" in result.stdout


@pytest.mark.parametrize("kind", ["LEGAL_PERSON", "GOVERNMENT_AGENCY"])
async def test_resident_id_is_refused_for_organisations(clean_db: Runtime, kind: str) -> None:
    line = orjson.dumps({"type": "subject", "kind": kind, "code": "360426199101010071", "name": "某某"})
    summary = await Importer(clean_db).run([line])
    assert summary.rejected and "统一社会信用代码" in summary.rejected[0][1]


async def test_legal_representatives_of_organisations_are_stored_as_published(clean_db: Runtime) -> None:
    from tests.support.feed_data import company, person, resident_id

    organisation = company(51, "320402") | {"legalRepresentative": "欧阳娜娜"}
    individual = person("欧阳修", resident_id("320411", "19850505", 78), "320411")
    summary = await Importer(clean_db).run(orjson.dumps(line) for line in (organisation, individual))
    assert summary.rejected == []
    async with clean_db.sessions() as session:
        rows = {s.kind.value: s for s in (await session.scalars(select(Subject))).all()}
    assert rows["LEGAL_PERSON"].legal_representative == "欧阳娜娜"  # 国家企业信用信息公示系统 publishes it
    assert rows["NATURAL_PERSON"].name == "欧阳*" and rows["NATURAL_PERSON"].legal_representative is None


def test_cli_prints_warnings_and_exits_zero(settings: Settings, tmp_path: Path, runtime: Runtime) -> None:
    """A person whose address code was abolished before their birth (商水县 412723, abolished in 2000,
    born 2005) is imported with a warning; warnings do not change the exit code."""
    path = tmp_path / "warned.ndjson"
    line = {"type": "subject", "kind": "NATURAL_PERSON", "code": "412723200501010010", "name": "周建"}
    path.write_bytes(orjson.dumps(line) + b"\n")
    result = cli_import(settings, path)
    assert result.returncode == 0, result.stderr
    assert "line 1: warning: resident ID number: its address code was abolished" in result.stdout
    assert "1 with warnings" in result.stdout
    assert "412723200501010010" not in result.stdout


def hostile_file() -> tuple[list[bytes], dict[int, str]]:
    """A file with a BOM, good lines and, between them, the bad values of issue 18 (findings 8, 10,
    11); the refused line numbers with the start of their reasons."""
    from credit import clock

    company = {"type": "subject", "kind": "LEGAL_PERSON", "code": "91110000600037341L", "name": "常州某某科技有限公司"}
    record = {
        "type": "record",
        "authority": "常州市市场监督管理局",
        "subjectCode": "91110000600037341L",
        "category": "ADMINISTRATIVE_PENALTY",
        "title": "行政处罚决定书",
        "decidedOn": (clock.today() - dt.timedelta(days=30)).isoformat(),
    }
    deep: dict[str, object] = {"leaf": 1}
    for _ in range(199):
        deep = {"a": deep}
    lines = [
        b"\xef\xbb\xbf" + orjson.dumps(company),
        orjson.dumps(record | {"sourceId": "ok-1"}),
        orjson.dumps(record | {"sourceId": "bad-int"})[:-1] + b',"content":{"n":1' + b"0" * 30 + b"}}",
        orjson.dumps(record | {"sourceId": "bad-date", "decidedOn": "9999-12-31"}),
        orjson.dumps(record | {"sourceId": "ok-2"}),
        orjson.dumps(record | {"sourceId": "dup"})[:-1] + b',"title":"again"}',
        orjson.dumps(record | {"sourceId": "bl", "category": "BLACK_LIST", "validUntil": "2100-01-01"}),
        orjson.dumps(record | {"sourceId": "old", "decidedOn": "1900-01-01"}),
        orjson.dumps(record | {"sourceId": "rtl", "title": "\u202e\u200b"}),
        orjson.dumps(record | {"sourceId": "deep", "content": deep}),
        orjson.dumps(record | {"sourceId": "ok-3"}),
    ]
    refused = {
        3: "content: an integer is outside",
        4: "decidedOn: in the future",
        6: 'duplicate key: "title"',
        7: "validUntil: a BLACK_LIST record's stated validity is at most 3 years",
        8: "decidedOn: before 1949-10-01",
        9: "title: contains bidirectional",
        10: "malformed JSON: nested too deeply",
    }
    return lines, refused


async def test_bad_values_are_line_errors_and_the_rest_is_kept(clean_db: Runtime) -> None:
    """Issue 18, finding 8: before, `"n": 10**30` stopped the import with a traceback, dropping the
    batch and the rest of the file."""
    lines, refused = hostile_file()
    summary = await Importer(clean_db).run(lines)
    assert [n for n, _ in summary.rejected] == sorted(refused)
    for number, reason in summary.rejected:
        assert reason.startswith(refused[number]), (number, reason)
    assert summary.created == 4  # the subject (behind its BOM) and ok-1, ok-2, ok-3
    async with clean_db.sessions() as session:
        ids = set((await session.scalars(select(CreditRecord.source_id))).all())
    assert ids == {"ok-1", "ok-2", "ok-3"}


async def test_a_failure_nobody_foresaw_costs_one_line(clean_db: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fault injected on purpose: the write of one line raises something that is not a database
    error. That line is reported; the lines before and after it are stored."""
    from credit.records import importer as module
    from credit.records.ingest import upsert_records as real

    lines, _ = hostile_file()
    good = [lines[0], lines[1], lines[4], lines[10]]

    async def flaky(work: object, items: list[object], *args: object, **kwargs: object) -> object:
        if any(getattr(item, "source_id", "") == "ok-2" for item in items):
            raise TypeError("boom")
        return await real(work, items, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "upsert_records", flaky)
    summary = await Importer(clean_db).run(good)
    assert summary.rejected == [(3, module.UNEXPECTED)]
    assert summary.created == 3


def test_cli_reports_bad_values_by_line_without_a_traceback(
    settings: Settings, tmp_path: Path, runtime: Runtime
) -> None:
    lines, refused = hostile_file()
    path = tmp_path / "hostile.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = cli_import(settings, path)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.returncode == 1, result.stderr
    for number, reason in refused.items():
        assert f"line {number}: {reason}" in result.stdout
    assert "line 1:" not in result.stdout  # the BOM is not part of the first line
    assert f"rejected {len(refused)}" in result.stdout
