"""The demo's API keys: one per role, printed at start; the previous demo keys are revoked."""

from __future__ import annotations

from credit.access import repository as keys
from credit.enums import Role
from credit.platform.runtime import Runtime
from credit.records.repository import first_subject_with_records

DEMO_KEY_NAMES = "demo-%"


async def issue_demo_keys(runtime: Runtime) -> list[tuple[Role, str]]:
    """A fresh key for every role but PUBLIC (the SUBJECT key bound to a subject with records)."""
    issued: list[tuple[Role, str]] = []
    async with runtime.sessions.begin() as session:
        await keys.revoke_named_like(session, DEMO_KEY_NAMES)
        subject_id = await first_subject_with_records(session)
        for role in Role:
            if role is Role.PUBLIC:
                continue
            _, key = await keys.insert_key(
                session, role, f"demo-{role.value.lower()}", subject_id if role is Role.SUBJECT else None
            )
            issued.append((role, key))
    return issued
