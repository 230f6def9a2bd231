"""The contract's enums, registered with strawberry; they are the Python enums of `credit.enums`,
so annotations use the same classes the domain uses. Each value's description is its Chinese label
(`credit.enums.LABELS`), which the types also give as a field where clients display it
(`categoryLabel`, `statusLabel`, `kindLabel` …)."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from credit.enums import (
    CheckPurpose,
    FlagKind,
    ObjectionAddressee,
    ObjectionOutcome,
    ObjectionStatus,
    RecordCategory,
    RecordStatus,
    RepairStatus,
    Role,
    Severity,
    SubjectKind,
    label,
)

_DESCRIPTIONS: dict[type[StrEnum], str] = {
    SubjectKind: "The kind of a subject (信用主体类型).",
    RecordCategory: "The category of a credit record (信用信息类别).",
    Severity: "The severity of an administrative penalty (处罚严重程度).",
    RecordStatus: "Where a record is in its lifecycle (记录状态).",
    ObjectionStatus: "Whether an objection is still being verified (异议状态).",
    ObjectionOutcome: "How an objection was answered (异议处理结果).",
    RepairStatus: "Where a credit-repair application stands (信用修复状态).",
    FlagKind: "Whether a measure punishes or rewards (措施类型).",
    CheckPurpose: "The stated purpose of a credit check (查询用途).",
    Role: "The role of an API key (角色).",
    ObjectionAddressee: "To whom an objection is addressed: the credit office (信用办) or the record's authority.",
}

for _enum, _description in _DESCRIPTIONS.items():
    strawberry.enum(_enum, description=_description)
    for _value in _enum.__strawberry_definition__.values:  # type: ignore[attr-defined]
        _value.description = label(_enum(_value.value))

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
