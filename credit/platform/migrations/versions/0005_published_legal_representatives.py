"""subjects: organisations' legal representatives as published (a data migration)

Until now ingestion stored an organisation's legal representative masked (李*) in the clear column,
though the national enterprise credit publicity system publishes it (企业信息公示暂行条例 art. 6);
`credit.records.ingest.subject_row` now stores it as given. The masked rows cannot be unmasked from
the clear column: the name survives only in the encrypted `personal_data` (`{"legalRepresentative":
…}`), so this migration decrypts it with the service's vault (handed in by `credit.platform.migrate`
from CREDITGRAPH_SECRET_KEY and CREDITGRAPH_OLD_SECRET_KEYS) and writes it back, in batches over a
keyset. Each subject it changes gets a new revision and an outbox row (`reason` "legal_representative"),
so the indexer rebuilds its document and drops its cached profiles.

A row whose personal data no configured key can decrypt is left masked, and its content hash is
cleared, so that importing its subject line again rewrites it (an unchanged hash would make that
import a no-op); the migration logs how many. Natural persons are not touched.

Revision ID: 0005_legal_representatives
Revises: 0004_key_rate_limits
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import context, op

revision = "0005_legal_representatives"
down_revision = "0004_key_rate_limits"
branch_labels = None
depends_on = None

log = logging.getLogger("creditgraph.migrations")
BATCH = 1000
_SELECT = sa.text(
    "SELECT id, code_index, personal_data FROM subjects WHERE kind <> 'NATURAL_PERSON'"
    " AND legal_representative IS NOT NULL AND personal_data IS NOT NULL AND id > :after ORDER BY id LIMIT :n"
)
_PUBLISH = sa.text(
    "UPDATE subjects SET legal_representative = :name, revision = revision + 1, updated_at = now() WHERE id = :id"
)
_STALE = sa.text("UPDATE subjects SET content_hash = :zero WHERE id = :id")
_QUEUE = sa.text(
    "INSERT INTO outbox (subject_id, reason) SELECT unnest(CAST(:ids AS bigint[])), 'legal_representative'"
)


def upgrade() -> None:
    conn = op.get_bind()
    vault = context.config.attributes.get("vault")
    after, published, undecryptable = 0, 0, 0
    while True:
        rows = conn.execute(_SELECT, {"after": after, "n": BATCH}).all()
        if not rows:
            break
        after = rows[-1].id
        if vault is None:  # not run by the service (an offline alembic call): nothing can be decrypted
            raise RuntimeError("migration 0005 needs the vault: run it through creditgraph (CREDITGRAPH_SECRET_KEY)")
        changed: list[int] = []
        for row in rows:
            try:
                secret = vault.decrypt(bytes(row.personal_data), context=bytes(row.code_index))
            except Exception:  # a key that is not configured, or a damaged value: leave it for a re-import
                undecryptable += 1
                conn.execute(_STALE, {"id": row.id, "zero": bytes(16)})
                continue
            name = secret.get("legalRepresentative")
            if isinstance(name, str) and name.strip():
                conn.execute(_PUBLISH, {"id": row.id, "name": name})
                changed.append(row.id)
        if changed:
            conn.execute(_QUEUE, {"ids": changed})
            published += len(changed)
    if published or undecryptable:
        log.warning(
            "legal representatives published: %d; left masked (personal data not decryptable, re-import them): %d",
            published,
            undecryptable,
        )


def downgrade() -> None:
    """Nothing to undo: the names are public, and the masked form can be derived again if ever needed."""
