"""Enumerations of the public contract (CONTRACT.md); their values are the wire names."""

from __future__ import annotations

from enum import StrEnum


class SubjectKind(StrEnum):
    LEGAL_PERSON = "LEGAL_PERSON"
    NATURAL_PERSON = "NATURAL_PERSON"
    GOVERNMENT_AGENCY = "GOVERNMENT_AGENCY"
    OTHER_ORGANIZATION = "OTHER_ORGANIZATION"


class RecordCategory(StrEnum):
    ADMINISTRATIVE_LICENSE = "ADMINISTRATIVE_LICENSE"
    ADMINISTRATIVE_PENALTY = "ADMINISTRATIVE_PENALTY"
    RED_LIST = "RED_LIST"
    BLACK_LIST = "BLACK_LIST"
    DISHONEST_JUDGMENT_DEBTOR = "DISHONEST_JUDGMENT_DEBTOR"
    CREDIT_COMMITMENT = "CREDIT_COMMITMENT"
    CREDIT_EVALUATION = "CREDIT_EVALUATION"


#: The kinds' names as 信用中国 shows them (facet labels).
KIND_LABELS: dict[SubjectKind, str] = {
    SubjectKind.LEGAL_PERSON: "企业法人",
    SubjectKind.NATURAL_PERSON: "自然人",
    SubjectKind.GOVERNMENT_AGENCY: "机关",
    SubjectKind.OTHER_ORGANIZATION: "其他组织",
}

#: The categories' names on the 信用中国 sites (feeds, facet labels).
CATEGORY_LABELS: dict[RecordCategory, str] = {
    RecordCategory.ADMINISTRATIVE_LICENSE: "行政许可",
    RecordCategory.ADMINISTRATIVE_PENALTY: "行政处罚",
    RecordCategory.RED_LIST: "红名单",
    RecordCategory.BLACK_LIST: "黑名单",
    RecordCategory.DISHONEST_JUDGMENT_DEBTOR: "失信被执行人",
    RecordCategory.CREDIT_COMMITMENT: "信用承诺",
    RecordCategory.CREDIT_EVALUATION: "信用评价",
}


class Severity(StrEnum):
    MINOR = "MINOR"
    GENERAL = "GENERAL"
    SERIOUS = "SERIOUS"


class RecordStatus(StrEnum):
    ACTIVE = "ACTIVE"
    UNDER_OBJECTION = "UNDER_OBJECTION"
    REVOKED = "REVOKED"
    REPAIRED = "REPAIRED"
    EXPIRED = "EXPIRED"


class ObjectionStatus(StrEnum):
    PENDING = "PENDING"
    RESOLVED = "RESOLVED"


class ObjectionOutcome(StrEnum):
    REJECTED = "REJECTED"
    CORRECTED = "CORRECTED"
    REVOKED = "REVOKED"


class RepairStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class FlagKind(StrEnum):
    PUNISHMENT = "PUNISHMENT"
    INCENTIVE = "INCENTIVE"


class CheckPurpose(StrEnum):
    LOAN_APPROVAL = "LOAN_APPROVAL"
    POST_LOAN_MONITORING = "POST_LOAN_MONITORING"
    GUARANTEE = "GUARANTEE"
    INSURANCE_UNDERWRITING = "INSURANCE_UNDERWRITING"
    PROCUREMENT_QUALIFICATION = "PROCUREMENT_QUALIFICATION"
    ADMINISTRATIVE_APPROVAL = "ADMINISTRATIVE_APPROVAL"
    SUPERVISION = "SUPERVISION"


class Role(StrEnum):
    PUBLIC = "PUBLIC"
    JOURNALIST = "JOURNALIST"
    FINANCIAL_INSTITUTION = "FINANCIAL_INSTITUTION"
    DATA_PROVIDER = "DATA_PROVIDER"
    REGULATOR = "REGULATOR"
    SUBJECT = "SUBJECT"
    ADMIN = "ADMIN"
