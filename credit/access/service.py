"""API keys: creation (for the operator's command line), authentication, revocation."""

from __future__ import annotations

import datetime as dt

from credit.access import repository
from credit.access.viewer import Viewer
from credit.enums import Role
from credit.errors import InvalidRequest, NotFoundError
from credit.platform.runtime import Runtime
from credit.subjects.repository import subject_by_index
from credit.subjects.service import canonical_code


async def create_key(
    runtime: Runtime, role: Role, name: str, subject_code: str | None = None, rate_limit: int | None = None
) -> str:
    """A new key of `role` (a SUBJECT key bound to the subject of `subject_code`), with its own budget in
    query cost per minute when `rate_limit` is given; returns the key."""
    async with runtime.sessions.begin() as session:
        subject_id = None
        if subject_code is not None:
            subject = await subject_by_index(session, runtime.vault.blind_index(canonical_code(subject_code)))
            if subject is None:
                raise NotFoundError("no subject with this code")
            subject_id = subject.id
        try:
            _, key = await repository.insert_key(session, role, name, subject_id, rate_limit=rate_limit)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
    return key


async def authenticate(runtime: Runtime, key: str, now: dt.datetime | None = None) -> Viewer | None:
    """The viewer of a presented key, or None when it is unknown, revoked or expired."""
    async with runtime.sessions() as session:
        row = await repository.key_by_hash(session, repository.hash_key(key))
    now = now or dt.datetime.now(dt.UTC)
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        return None
    return Viewer(role=row.role, key_id=row.id, subject_id=row.subject_id, name=row.name, rate_limit=row.rate_limit)


async def revoke_key(runtime: Runtime, prefix: str) -> int:
    """Revoke the live keys starting with `prefix` (their first 10 characters); returns how many."""
    async with runtime.sessions.begin() as session:
        return await repository.revoke_by_prefix(session, prefix)
