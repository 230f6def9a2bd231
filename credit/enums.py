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


class ObjectionAddressee(StrEnum):
    """To whom a subject addresses its objection (seed 003: the 认定部门 or the credit platform)."""

    CREDIT_OFFICE = "CREDIT_OFFICE"
    AUTHORITY = "AUTHORITY"


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


#: The Chinese name of every value, as readers see it (the website, exports, feeds): the categories as
#: the 信用中国 sites name them, the kinds of subject as the import format does.
LABELS: dict[StrEnum, str] = {
    ObjectionAddressee.CREDIT_OFFICE: "信用办",
    ObjectionAddressee.AUTHORITY: "认定部门",
    SubjectKind.LEGAL_PERSON: "企业法人",
    SubjectKind.NATURAL_PERSON: "自然人",
    SubjectKind.GOVERNMENT_AGENCY: "机关",
    SubjectKind.OTHER_ORGANIZATION: "其他组织",
    RecordCategory.ADMINISTRATIVE_LICENSE: "行政许可",
    RecordCategory.ADMINISTRATIVE_PENALTY: "行政处罚",
    RecordCategory.RED_LIST: "红名单",
    RecordCategory.BLACK_LIST: "黑名单",
    RecordCategory.DISHONEST_JUDGMENT_DEBTOR: "失信被执行人",
    RecordCategory.CREDIT_COMMITMENT: "信用承诺",
    RecordCategory.CREDIT_EVALUATION: "信用评价",
    Severity.MINOR: "轻微",
    Severity.GENERAL: "一般",
    Severity.SERIOUS: "严重",
    RecordStatus.ACTIVE: "公示中",
    RecordStatus.UNDER_OBJECTION: "异议核查中",
    RecordStatus.REVOKED: "已撤销",
    RecordStatus.REPAIRED: "已信用修复",
    RecordStatus.EXPIRED: "公示期满",
    ObjectionStatus.PENDING: "核查中",
    ObjectionStatus.RESOLVED: "已办结",
    ObjectionOutcome.REJECTED: "异议不成立，维持原记录",
    ObjectionOutcome.CORRECTED: "已更正",
    ObjectionOutcome.REVOKED: "已撤销记录",
    RepairStatus.PENDING: "待审核",
    RepairStatus.APPROVED: "准予修复",
    RepairStatus.REJECTED: "不予修复",
    FlagKind.PUNISHMENT: "惩戒措施",
    FlagKind.INCENTIVE: "激励措施",
    CheckPurpose.LOAN_APPROVAL: "贷款审批",
    CheckPurpose.POST_LOAN_MONITORING: "贷后管理",
    CheckPurpose.GUARANTEE: "担保审查",
    CheckPurpose.INSURANCE_UNDERWRITING: "保险承保",
    CheckPurpose.PROCUREMENT_QUALIFICATION: "采购资格审查",
    CheckPurpose.ADMINISTRATIVE_APPROVAL: "行政审批",
    CheckPurpose.SUPERVISION: "监督管理",
    Role.PUBLIC: "社会公众",
    Role.JOURNALIST: "新闻媒体",
    Role.FINANCIAL_INSTITUTION: "金融机构",
    Role.DATA_PROVIDER: "数据提供单位",
    Role.REGULATOR: "信用主管部门",
    Role.SUBJECT: "信用主体",
    Role.ADMIN: "系统管理员",
}


def label(value: StrEnum) -> str:
    """The Chinese name of an enum value (`LABELS`); the value itself for one without a label."""
    return LABELS.get(value, value.value)
