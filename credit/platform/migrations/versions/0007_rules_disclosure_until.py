"""rules: recompute every record's stored end of disclosure under the versioned rule tables

`records.disclosure_until` is the rules' end of disclosure, stored at ingestion for the SQL filters
of the feeds (`credit.disclosures.repository`). The rule tables changed (credit/rules/data/
disclosure/): penalties follow the order in force on their decision date (58号令 to 2026-03-31,
36号令 from 2026-04-01), MINOR penalties under 58号令 lose the one-year tier of 发改办财金〔2019〕527号,
and a 失信被执行人 listing has no default end (法释〔2017〕7号 第二条). This recomputes the stored value
of every record with the rules of this release, in batches; records whose value does not change
are not written. The search index is rebuilt separately: its version includes the rule tables'
digest, so an embedded index is rebuilt at start and an external one reports `index: outdated`
until `creditgraph reindex`.

Revision ID: 0007_rules
Revises: 0006_lifecycle
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from credit.enums import RecordCategory, RecordStatus, Severity
from credit.rules.disclosure import disclosure_period
from credit.rules.facts import RecordFacts

revision = "0007_rules"
down_revision = "0006_lifecycle"
branch_labels = None
depends_on = None

BATCH = 5000

_records = sa.table(
    "records",
    sa.column("id", sa.BigInteger),
    sa.column("category", sa.Text),
    sa.column("status", sa.Text),
    sa.column("decided_on", sa.Date),
    sa.column("published_on", sa.Date),
    sa.column("severity", sa.Text),
    sa.column("list_name", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("valid_until", sa.Date),
    sa.column("content", sa.JSON),
    sa.column("listing_ground", sa.SmallInteger),
    sa.column("deleted_on", sa.Date),
    sa.column("disclosure_until", sa.Date),
)


def _facts(row: Any) -> RecordFacts:
    return RecordFacts(
        id=row.id,
        category=RecordCategory(row.category),
        status=RecordStatus(row.status),
        decided_on=row.decided_on,
        published_on=row.published_on,
        severity=Severity(row.severity) if row.severity is not None else None,
        list_name=row.list_name,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        content=row.content,
        listing_ground=row.listing_ground,
        deleted_on=row.deleted_on,
    )


def recompute(bind: sa.Connection) -> int:
    """Store the rules' end of disclosure for every record; the number of records changed."""
    columns = list(_records.c)
    update = (
        sa.update(_records)
        .where(_records.c.id == sa.bindparam("b_id"))
        .values(disclosure_until=sa.bindparam("b_until"))
    )
    changed = 0
    last = 0
    while True:
        rows = bind.execute(sa.select(*columns).where(_records.c.id > last).order_by(_records.c.id).limit(BATCH)).all()
        if not rows:
            return changed
        changes = []
        for row in rows:
            until = disclosure_period(_facts(row)).until
            if until != row.disclosure_until:
                changes.append({"b_id": row.id, "b_until": until})
        if changes:
            bind.execute(update, changes)
            changed += len(changes)
        last = rows[-1].id


def upgrade() -> None:
    recompute(op.get_bind())


def downgrade() -> None:
    # The previous tables are gone with the previous release; its own ingestion rewrites the value
    # of every record it updates. Nothing to undo in the schema.
    pass
