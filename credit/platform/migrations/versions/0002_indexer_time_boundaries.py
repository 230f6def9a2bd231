"""indexer: subjects' next time boundary (sweeper) and an index for the reindex catch-up

`subject_time_boundaries` holds, per indexed subject, the next date on which its flags or
disclosure change by themselves (`credit.rules.flags.next_time_boundary`), as computed by the
indexer when it last built the subject's document. The sweeper re-queues subjects whose boundary
has come (see indexers/sweeper.py). A NULL boundary means "nothing scheduled" (none, or a sweep is
being indexed); a missing row means "never computed" (the sweeper fills those in).

Revision ID: 0002_indexer
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_indexer"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subject_time_boundaries",
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        # The subject revision the boundary was computed from: an older snapshot never overwrites it.
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("next_boundary", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_subject_time_boundaries_subject_id_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_time_boundaries")),
    )
    op.create_index(
        "ix_subject_time_boundaries_due",
        "subject_time_boundaries",
        ["next_boundary"],
        postgresql_where=sa.text("next_boundary IS NOT NULL"),
    )
    # The reindex catches up on subjects changed while it loaded (by `updated_at`).
    op.create_index("ix_subjects_updated_at", "subjects", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_subjects_updated_at", table_name="subjects")
    op.drop_index("ix_subject_time_boundaries_due", table_name="subject_time_boundaries")
    op.drop_table("subject_time_boundaries")
