"""Alembic environment: runs migrations on the connection handed in by `credit.platform.migrate`."""

from __future__ import annotations

from alembic import context

from credit.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
