"""The contract's enums, registered with strawberry; they are the Python enums of `credit.enums`,
so annotations use the same classes the domain uses."""

from __future__ import annotations

import strawberry

from credit.enums import (
    CheckPurpose,
    FlagKind,
    ObjectionOutcome,
    ObjectionStatus,
    RecordCategory,
    RecordStatus,
    RepairStatus,
    Role,
    Severity,
    SubjectKind,
)

for _enum in (
    SubjectKind,
    RecordCategory,
    Severity,
    RecordStatus,
    ObjectionStatus,
    ObjectionOutcome,
    RepairStatus,
    FlagKind,
    CheckPurpose,
    Role,
):
    strawberry.enum(_enum)

__all__ = [
    "CheckPurpose",
    "FlagKind",
    "ObjectionOutcome",
    "ObjectionStatus",
    "RecordCategory",
    "RecordStatus",
    "RepairStatus",
    "Role",
    "Severity",
    "SubjectKind",
]
