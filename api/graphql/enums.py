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
from credit.rules.catalogue import BodyKind, MeasureReach

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

#: The Chinese names of the catalogue's enums (their values are described by them, as the others').
_CATALOGUE_LABELS: dict[StrEnum, str] = {
    MeasureReach.SUBJECT: "主体本身",
    MeasureReach.RESPONSIBLE_PERSONS: "法定代表人、主要负责人等相关人员",
    MeasureReach.SUBJECT_AND_RESPONSIBLE_PERSONS: "主体及相关人员",
    BodyKind.COURT: "人民法院",
    BodyKind.ADMINISTRATIVE: "行政机关",
    BodyKind.FINANCIAL: "金融监管部门和金融机构",
}
for _enum in (MeasureReach, BodyKind):
    for _value in _enum.__strawberry_definition__.values:  # type: ignore[union-attr]
        _value.description = _CATALOGUE_LABELS[_enum(_value.value)]

__all__ = [
    "BodyKind",
    "CheckPurpose",
    "FlagKind",
    "MeasureReach",
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
