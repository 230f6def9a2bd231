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
from credit.lifecycle.objections import Addressee

strawberry.enum(
    Addressee,
    name="ObjectionAddressee",
    description="To whom an objection is addressed: the credit office (信用办) or the record's authority (认定部门).",
)
ObjectionAddressee = Addressee

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
    "ObjectionAddressee",
    "ObjectionOutcome",
    "ObjectionStatus",
    "RecordCategory",
    "RecordStatus",
    "RepairStatus",
    "Role",
    "Severity",
    "SubjectKind",
]
