"""API keys: shown once at creation, stored as SHA-256, mapped to a role (and a subject)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.enums import Role
from credit.models import ApiKey

PREFIX = "cg_"


@dataclass(frozen=True)
class Viewer:
    """Who is asking: a role, the key that proved it, and for SUBJECT keys the subject bound to it."""

    role: Role
    key_id: int | None = None
    subject_id: int | None = None
    name: str = "anonymous"

    @property
    def label(self) -> str:
        return f"{self.role.value}:{self.name}" if self.key_id else self.role.value


ANONYMOUS = Viewer(Role.PUBLIC)


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def create_key(
    session: AsyncSession,
    role: Role,
    name: str,
    subject_id: int | None = None,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    if role is Role.SUBJECT and subject_id is None:
        raise ValueError("a SUBJECT key must be bound to a subject")
    if role is not Role.SUBJECT and subject_id is not None:
        raise ValueError("only SUBJECT keys are bound to a subject")
    key = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name, role=role, key_hash=hash_key(key), prefix=key[:10], subject_id=subject_id, expires_at=expires_at
    )
    session.add(row)
    await session.flush()
    return row, key


async def authenticate(session: AsyncSession, key: str, now: dt.datetime | None = None) -> Viewer | None:
    """The viewer of a presented key, or None when it is unknown, revoked or expired."""
    row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
    now = now or dt.datetime.now(dt.UTC)
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return Viewer(role=row.role, key_id=row.id, subject_id=row.subject_id, name=row.name)
