"""api_keys: a key's own rate limit (query cost per minute)

`creditgraph keys create --rate-limit COST_PER_MINUTE` stores it; NULL (every existing key) means the
service's default budget for keys (`RATE_LIMIT_COST_PER_KEY`). See api/guard/ratelimit.py.

Revision ID: 0004_key_rate_limits
Revises: 0003_authority
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_key_rate_limits"
down_revision = "0003_authority"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("rate_limit", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("api_keys", "rate_limit")
