"""API keys: creation (for the operator's command line), authentication, revocation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from credit import clock
from credit.access import repository
from credit.access.policy import AUTHORITY_ROLES
from credit.access.repository import KeyListing
from credit.access.viewer import Viewer
from credit.enums import Role
from credit.errors import InvalidRequest, NotFoundError
from credit.platform.runtime import Runtime
from credit.subjects.repository import subject_by_index
from credit.subjects.service import canonical_code
from credit.text import required_text

#: `last_used_at` is written at most this often per key (a write per request would cost more than
#: the request).
LAST_USED_PRECISION = dt.timedelta(minutes=1)


async def create_key(
    runtime: Runtime,
    role: Role,
    name: str,
    subject_code: str | None = None,
    authorities: Sequence[str] = (),
    rate_limit: int | None = None,
) -> str:
    """A new key of `role` (a SUBJECT key bound to the subject of `subject_code`, a provider's key to the
    authorities it acts for), with its own budget in query cost per minute when `rate_limit` is given;
    returns the key, the only time it exists in the clear."""
    bound = sorted({required_text(a, "authority", max_length=200) for a in authorities})
    if bound and role not in AUTHORITY_ROLES:
        allowed = ", ".join(sorted(r.value for r in AUTHORITY_ROLES))
        raise InvalidRequest(f"only keys of the roles {allowed} act for authorities")
    if role is Role.DATA_PROVIDER and not bound:
        raise InvalidRequest("a DATA_PROVIDER key acts for one or more authorities: give --authority")
    async with runtime.sessions.begin() as session:
        subject_id = None
        if subject_code is not None:
            subject = await subject_by_index(session, runtime.vault.blind_index(canonical_code(subject_code)))
            if subject is None:
                raise NotFoundError("no subject with this code")
            subject_id = subject.id
        try:
            _, key = await repository.insert_key(
                session, role, name, subject_id, authorities=bound, rate_limit=rate_limit
            )
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
    return key


async def authenticate(runtime: Runtime, key: str, now: dt.datetime | None = None) -> Viewer | None:
    """The viewer of a presented key, or None when it is unknown, revoked or expired."""
    now = now or clock.now()
    async with runtime.sessions() as session:
        row = await repository.key_by_hash(session, repository.hash_key(key))
        if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
            return None
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_PRECISION:
            await repository.mark_used(session, row.id, now, LAST_USED_PRECISION)
            await session.commit()
    return Viewer(
        role=row.role,
        key_id=row.id,
        subject_id=row.subject_id,
        name=row.name,
        authorities=frozenset(row.authorities),
        rate_limit=row.rate_limit,
    )


async def list_keys(runtime: Runtime) -> list[KeyListing]:
    """Every key (never the secret): role, name, authorities, subject, created, last used, revoked."""
    async with runtime.sessions() as session:
        return await repository.key_listings(session)


async def revoke_key(runtime: Runtime, prefix: str) -> int:
    """Revoke the live keys starting with `prefix` (their first 10 characters); returns how many."""
    async with runtime.sessions.begin() as session:
        return await repository.revoke_by_prefix(session, prefix)
