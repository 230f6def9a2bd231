"""Statements about API keys. A key is shown once at creation; only its SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from credit.enums import Role
from credit.models import ApiKey

PREFIX = "cg_"
PREFIX_LENGTH = 10  # the characters of a key kept in the clear, to name it (`keys revoke`, logs)
MAX_RATE_LIMIT = 1_000_000_000


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def insert_key(
    session: AsyncSession,
    role: Role,
    name: str,
    subject_id: int | None = None,
    expires_at: dt.datetime | None = None,
    rate_limit: int | None = None,
) -> tuple[ApiKey, str]:
    """A new key row and the key itself (the only time it exists in the clear)."""
    if role is Role.SUBJECT and subject_id is None:
        raise ValueError("a SUBJECT key must be bound to a subject")
    if role is not Role.SUBJECT and subject_id is not None:
        raise ValueError("only SUBJECT keys are bound to a subject")
    if rate_limit is not None and not 1 <= rate_limit <= MAX_RATE_LIMIT:
        raise ValueError(f"a key's rate limit is a query cost per minute from 1 to {MAX_RATE_LIMIT}")
    key = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        role=role,
        key_hash=hash_key(key),
        prefix=key[:PREFIX_LENGTH],
        subject_id=subject_id,
        expires_at=expires_at,
        rate_limit=rate_limit,
    )
    session.add(row)
    await session.flush()
    return row, key


async def key_by_hash(session: AsyncSession, key_hash: bytes) -> ApiKey | None:
    row: ApiKey | None = await session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash))
    return row


async def revoke_by_prefix(session: AsyncSession, prefix: str) -> int:
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.prefix == prefix[:PREFIX_LENGTH], ApiKey.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def revoke_named_like(session: AsyncSession, pattern: str) -> int:
    result = await session.execute(
        update(ApiKey).where(ApiKey.name.like(pattern), ApiKey.revoked_at.is_(None)).values(revoked_at=func.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def all_keys(session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.scalars(select(ApiKey).order_by(ApiKey.id))).all()
