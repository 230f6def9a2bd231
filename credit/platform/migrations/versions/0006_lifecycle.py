"""lifecycle: objections answered in writing and corrected in time, repeated objections, repair
applications with their commitment and evidence

objections:
- `record_revision`: the revision of the record the objection disputes (a later objection to the same
  revision after a rejection repeats it);
- `answered_by`: who answered (the authority a key acted for, or the credit office); the written
  reply is the existing `note`.
- `holds`: whether the objection holds the record's joint measures (a repeated objection without new
  grounds does not, until its deciding body grants a hold: `hold_granted_at`).
- `correction_due_on`, `corrected_at`: a CORRECTED outcome keeps the measures held until the
  corrected revision arrives from the record's authority, due within 5 working days.
repairs:
- `commitment_text`, `commitment_signed_by`, `commitment_signed_on`: the signed 信用修复承诺书;
  `commitment_public_text`: the same with personal data masked, for 信用修复承诺公示;
- `evidence`: references to the proof that the obligations are performed;
- `decision_due_on`: when the deciding body's answer is due; `decided_by_authority`.

Revision ID: 0006_lifecycle
Revises: 0005_legal_representatives
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006_lifecycle"
down_revision = "0005_legal_representatives"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("objections", sa.Column("answered_by", sa.Text(), nullable=True))
    op.add_column("objections", sa.Column("record_revision", sa.Integer(), nullable=True))
    op.add_column("objections", sa.Column("holds", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("objections", sa.Column("hold_granted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("objections", sa.Column("correction_due_on", sa.Date(), nullable=True))
    op.add_column("objections", sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_objections_awaiting_correction",
        "objections",
        ["record_id"],
        postgresql_where=sa.text("outcome = 'CORRECTED' AND corrected_at IS NULL"),
    )
    op.add_column("repairs", sa.Column("commitment_text", sa.Text(), nullable=True))
    op.add_column("repairs", sa.Column("commitment_signed_by", sa.Text(), nullable=True))
    op.add_column("repairs", sa.Column("commitment_signed_on", sa.Date(), nullable=True))
    op.add_column("repairs", sa.Column("commitment_public_text", sa.Text(), nullable=True))
    op.add_column("repairs", sa.Column("evidence", postgresql.ARRAY(sa.Text()), server_default="{}", nullable=False))
    op.add_column("repairs", sa.Column("decision_due_on", sa.Date(), nullable=True))
    op.add_column("repairs", sa.Column("decided_by_authority", sa.Text(), nullable=True))
    op.create_index("ix_repairs_applied_at", "repairs", ["applied_at"])


def downgrade() -> None:
    op.drop_index("ix_repairs_applied_at", table_name="repairs")
    for column in (
        "decided_by_authority",
        "decision_due_on",
        "evidence",
        "commitment_public_text",
        "commitment_signed_on",
        "commitment_signed_by",
        "commitment_text",
    ):
        op.drop_column("repairs", column)
    op.drop_index("ix_objections_awaiting_correction", table_name="objections")
    for column in ("corrected_at", "correction_due_on", "hold_granted_at", "holds", "record_revision", "answered_by"):
        op.drop_column("objections", column)
