"""Schema migrations (Alembic) run from code: `upgrade(url)` brings a database to head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from credit.platform.crypto import Vault
from credit.platform.db import make_sync_engine

_SCRIPTS = Path(__file__).parent / "migrations"
# Serialises concurrent `upgrade` calls (several workers or commands starting at once).
_LOCK_ID = 0x637265646974


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg


def upgrade(url: str, vault: Vault | None = None) -> None:
    """Migrate to head; `vault` is handed to data migrations that re-derive values from personal data
    (0004: organisations' legal representatives)."""
    engine = make_sync_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            cfg.attributes["vault"] = vault
            command.upgrade(cfg, "head")
    finally:
        engine.dispose()


def autogenerate(url: str, message: str) -> None:
    """Developer helper: write a new migration from the difference between models and database."""
    engine = make_sync_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True)
    finally:
        engine.dispose()
