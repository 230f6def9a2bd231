"""Migration 0007 stores every record's end of disclosure as the versioned rule tables compute it."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from sqlalchemy import select, update

from credit.models import CreditRecord
from credit.platform.runtime import Runtime
from credit.rules.disclosure import disclosure_period
from tests.support.factories import add_record, add_subject

pytestmark = pytest.mark.integration

migration = importlib.import_module("credit.platform.migrations.versions.0007_rules_disclosure_until")


async def test_recompute_writes_the_rules_value(clean_db: Runtime) -> None:
    _, code = await add_subject(clean_db, 1)
    court = await add_record(clean_db, code, "DISHONEST_JUDGMENT_DEBTOR", dt.date(2022, 6, 1), "D-1")
    minor = await add_record(clean_db, code, "ADMINISTRATIVE_PENALTY", dt.date(2025, 6, 1), "P-1", severity="MINOR")
    licence = await add_record(clean_db, code, "ADMINISTRATIVE_LICENSE", dt.date(2025, 6, 1), "L-1")
    # What the previous tables stored: a two-year default for the court, one year for a MINOR penalty.
    old = {court: dt.date(2024, 6, 1), minor: dt.date(2026, 6, 1)}
    async with clean_db.sessions.begin() as session:
        for record_id, until in old.items():
            await session.execute(
                update(CreditRecord).where(CreditRecord.id == record_id).values(disclosure_until=until)
            )

    async with clean_db.engine.begin() as conn:
        changed = await conn.run_sync(migration.recompute)
    assert changed == 2

    async with clean_db.sessions() as session:
        rows = {r.id: r for r in (await session.scalars(select(CreditRecord))).all()}
    assert rows[court].disclosure_until is None  # no default end (法释〔2017〕7号)
    assert rows[minor].disclosure_until == dt.date(2028, 6, 1)  # 58号令: three years
    assert rows[licence].disclosure_until is None
    for row in rows.values():
        assert row.disclosure_until == disclosure_period(row.facts()).until
    async with clean_db.engine.begin() as conn:
        assert await conn.run_sync(migration.recompute) == 0
