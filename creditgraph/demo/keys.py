"""The demo's API keys: one per role, printed at start; the previous demo keys are revoked."""

from __future__ import annotations

from credit.access import repository as keys
from credit.enums import Role
from credit.platform.runtime import Runtime
from credit.records.repository import authorities_of_subject, first_subject_with_records

DEMO_KEY_NAMES = "demo-%"


async def issue_demo_keys(runtime: Runtime) -> list[tuple[Role, str, tuple[str, ...]]]:
    """A fresh key for every role but PUBLIC: the SUBJECT key bound to a subject with records, the
    DATA_PROVIDER key to the authorities of that subject's records (a court among them when it has a
    失信被执行人 listing); with the authorities each key acts for."""
    issued: list[tuple[Role, str, tuple[str, ...]]] = []
    async with runtime.sessions.begin() as session:
        await keys.revoke_named_like(session, DEMO_KEY_NAMES)
        subject_id = await first_subject_with_records(session)
        authorities = await authorities_of_subject(session, subject_id) if subject_id is not None else []
        for role in Role:
            if role is Role.PUBLIC:
                continue
            bound = tuple(authorities) if role is Role.DATA_PROVIDER else ()
            _, key = await keys.insert_key(
                session,
                role,
                f"demo-{role.value.lower()}",
                subject_id if role is Role.SUBJECT else None,
                authorities=bound,
            )
            issued.append((role, key, bound))
    return issued
