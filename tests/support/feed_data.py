"""Builders for disclosure-feed tests: NDJSON lines imported through the importer, as providers do."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import orjson
from sqlalchemy import func, select, text
from stdnum.cn import ric

from credit import clock
from credit.models import OutboxEntry
from credit.platform.runtime import Runtime
from credit.records.importer import Importer
from tests.conftest import wait_for
from tests.support.factories import uscc

TODAY = clock.today()
AUTHORITIES = ("常州市生态环境局", "常州市市场监督管理局", "北京市朝阳区市场监督管理局")
CATEGORIES = ("ADMINISTRATIVE_PENALTY", "ADMINISTRATIVE_LICENSE", "DISHONEST_JUDGMENT_DEBTOR", "RED_LIST")


def resident_id(region: str, birthday: str, sequence: int) -> str:
    body = f"{region}{birthday}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum wants a placeholder check digit


def company(n: int, region: str) -> dict[str, Any]:
    return {
        "type": "subject",
        "kind": "LEGAL_PERSON",
        "code": uscc(n, region),
        "name": f"测试{n}号科技有限公司",
        "regionCode": region,
    }


def person(name: str, id_number: str, region: str) -> dict[str, Any]:
    return {
        "type": "subject",
        "kind": "NATURAL_PERSON",
        "code": id_number,
        "name": name,
        "regionCode": region,
        "phone": "13812345678",
        "address": "江苏省常州市天宁区青洋北路1号",
    }


def record(
    source_id: str, subject_code: str, category: str, published_on: dt.date, authority: str, **extra: Any
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": "record",
        "sourceId": source_id,
        "authority": authority,
        "subjectCode": subject_code,
        "category": category,
        "title": f"公示记录 {source_id}",
        "decisionNumber": f"常文〔{published_on.year}〕{source_id}号",
        "decidedOn": (published_on - dt.timedelta(days=2)).isoformat(),
        "publishedOn": published_on.isoformat(),
    }
    if category == "ADMINISTRATIVE_PENALTY":
        line["severity"] = "GENERAL"
    if category in ("RED_LIST", "ADMINISTRATIVE_LICENSE"):
        line["validFrom"] = line["decidedOn"]
        line["validUntil"] = (published_on + dt.timedelta(days=700)).isoformat()
    return line | extra


def mixed_records(codes: list[str], count: int, prefix: str = "R", days: int = 30) -> list[dict[str, Any]]:
    """`count` records over the last `days` days, several a day, cycling through codes, categories
    and authorities (deterministic)."""
    cycle = itertools.cycle(itertools.product(codes, CATEGORIES, AUTHORITIES))
    lines = []
    for i in range(count):
        code, category, authority = next(cycle)
        lines.append(record(f"{prefix}{i:05d}", code, category, TODAY - dt.timedelta(days=i % days), authority))
    return lines


async def import_lines(runtime: Runtime, lines: list[dict[str, Any]]) -> None:
    summary = await Importer(runtime).run(orjson.dumps(line) for line in lines)
    assert summary.rejected == [], summary.rejected


async def drain_outbox(runtime: Runtime, timeout: float = 30) -> None:
    """Wait for an indexer running elsewhere (the e2e `api_server`) to empty the outbox."""

    async def drained() -> bool:
        async with runtime.sessions() as session:
            return (await session.scalar(select(func.count()).select_from(OutboxEntry))) == 0

    await wait_for(drained, timeout=timeout)


async def set_status(runtime: Runtime, record_ids: list[int], status: str) -> None:
    """Withdraw (or mark) records by direct SQL, as an out-of-band correction would."""
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE records SET status = :status, updated_at = now() WHERE id = ANY(:ids)"),
            {"status": status, "ids": record_ids},
        )


async def record_ids(runtime: Runtime, where: str = "true", params: dict[str, Any] | None = None) -> list[int]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(text(f"SELECT id FROM records WHERE {where} ORDER BY id"), params or {})
        return [row.id for row in rows]


async def expected_ids(runtime: Runtime, where: str = "true", params: dict[str, Any] | None = None) -> list[int]:
    """Records in disclosure, newest first, computed independently of `credit.disclosures.feed`."""
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT r.id FROM records r JOIN subjects s ON s.id = r.subject_id"
                " WHERE r.status IN ('ACTIVE', 'UNDER_OBJECTION')"
                " AND (r.disclosure_until IS NULL OR r.disclosure_until >= CURRENT_DATE)"
                f" AND {where} ORDER BY r.published_on DESC, r.id DESC"
            ),
            params or {},
        )
        return [row.id for row in rows]
