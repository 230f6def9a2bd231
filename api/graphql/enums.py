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
from credit.rules.catalogue import BodyKind, MeasureReach

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

strawberry.enum(
    MeasureReach,
    description="Whom a measure binds: the subject itself, its legal representative and responsible persons "
    "(法定代表人、主要负责人、影响债务履行的直接责任人员、实际控制人; 法释〔2015〕17号 第三条第二款), or both.",
)
strawberry.enum(
    BodyKind,
    description="The kind of body that implements a measure: a court (its orders are not held by an objection), "
    "an administrative body, or financial regulators and institutions.",
)

__all__ = [
    "BodyKind",
    "CheckPurpose",
    "FlagKind",
    "MeasureReach",
    "ObjectionOutcome",
    "ObjectionStatus",
    "RecordCategory",
    "RecordStatus",
    "RepairStatus",
    "Role",
    "Severity",
    "SubjectKind",
]
