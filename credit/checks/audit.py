"""The audit trail of entitled look-ups (查询记录): statements that write and page it.

Every credit check and every entitled look-up of a person by ID number writes an `AuditEntry` in the
caller's transaction, flushed before any personal data is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from credit.access.viewer import Viewer
from credit.clock import now
from credit.models import ApiKey, AuditEntry

CREDIT_CHECK: Final = "credit_check"
ID_LOOKUP: Final = "id_lookup"
ID_SEARCH: Final = "id_search"


@dataclass(frozen=True)
class AuditPage:
    """Audit rows (newest first) with the name of the key that made each, and the total matching."""

    entries: list[tuple[AuditEntry, str | None]]
    total: int
    has_next_page: bool


async def record_lookup(
    session: AsyncSession, viewer: Viewer, action: str, subject_ids: list[int], details: dict[str, Any]
) -> None:
    """Audit an entitled look-up by ID number (`subject(code:)`, `searchSubjects`): one row a subject
    found, or one row without a subject when none was."""
    targets: list[int | None] = [*subject_ids] or [None]
    for subject_id in targets:
        session.add(
            AuditEntry(
                at=now(), key_id=viewer.key_id, role=viewer.role, action=action, subject_id=subject_id, details=details
            )
        )
    await session.flush()


async def audit_page(session: AsyncSession, subject_id: int | None, first: int, before_id: int | None) -> AuditPage:
    """Audit rows newest first (of one subject when given), `first` of them before `before_id`."""
    conditions = [] if subject_id is None else [AuditEntry.subject_id == subject_id]
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions)) or 0
    stmt = (
        select(AuditEntry, ApiKey.name)
        .outerjoin(ApiKey, ApiKey.id == AuditEntry.key_id)
        .where(*conditions)
        .order_by(AuditEntry.id.desc())
        .limit(first + 1)
    )
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    rows: list[tuple[AuditEntry, str | None]] = [(entry, name) for entry, name in (await session.execute(stmt)).all()]
    return AuditPage(entries=rows[:first], total=total, has_next_page=len(rows) > first)
