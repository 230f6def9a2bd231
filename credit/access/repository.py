"""Statements about API keys. A key is shown once at creation; only its SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from credit.enums import Role
from credit.models import ApiKey, Subject

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
    *,
    authorities: Sequence[str] = (),
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
        authorities=list(authorities),
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


async def mark_used(session: AsyncSession, key_id: int, at: dt.datetime, precision: dt.timedelta) -> None:
    """Record that the key was presented, unless a concurrent request did within `precision`."""
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < at - precision))
        .values(last_used_at=at)
    )


@dataclass(frozen=True)
class KeyListing:
    id: int
    prefix: str
    role: Role
    name: str
    authorities: tuple[str, ...]
    subject_code: str | None  # masked for natural persons, as stored
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


async def key_listings(session: AsyncSession) -> list[KeyListing]:
    stmt = select(ApiKey, Subject.code).outerjoin(Subject, Subject.id == ApiKey.subject_id).order_by(ApiKey.id)
    return [
        KeyListing(
            id=key.id,
            prefix=key.prefix,
            role=key.role,
            name=key.name,
            authorities=tuple(key.authorities),
            subject_code=code,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
        )
        for key, code in (await session.execute(stmt)).all()
    ]
