"""authority: keys bound to the authorities they act for, court listings' ground and deletion, and who
made each change of a record (谁认定、谁负责)

- `api_keys.authorities`: the authorities (认定单位) a DATA_PROVIDER key writes and decides for; keys
  created before are bound to none and may write nothing until re-issued with `--authority`.
- `api_keys.last_used_at`: when the key was last presented (updated at most once a minute).
- `records.listing_ground`: 法释〔2017〕7号 第一条's item (1–6) of a 失信被执行人 listing.
- `records.deleted_on`, `records.deletion_reason`: the court's deletion (第十条).
- `record_events.actor_authority`: the authority the actor acted for.
- `objections.referred_to`: the body an objection was referred to (the court, for its listings).

Revision ID: 0003_authority
Revises: 0002_indexer
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_authority"
down_revision = "0002_indexer"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "api_keys",
        sa.Column("authorities", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False),
    )
    op.add_column("api_keys", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("records", sa.Column("listing_ground", sa.SmallInteger(), nullable=True))
    op.add_column("records", sa.Column("deleted_on", sa.Date(), nullable=True))
    op.add_column("records", sa.Column("deletion_reason", sa.Text(), nullable=True))
    op.add_column("record_events", sa.Column("actor_authority", sa.Text(), nullable=True))
    op.add_column("objections", sa.Column("referred_to", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("objections", "referred_to")
    op.drop_column("record_events", "actor_authority")
    op.drop_column("records", "deletion_reason")
    op.drop_column("records", "deleted_on")
    op.drop_column("records", "listing_ground")
    op.drop_column("api_keys", "last_used_at")
    op.drop_column("api_keys", "authorities")
