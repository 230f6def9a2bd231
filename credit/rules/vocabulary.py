"""The enumerated values the rules read from a record's `content`, and their validation.

A record's `content` is the provider's free-form payload, except for the keys the rules read. Those
are enumerated, and a value outside the enumeration is an input error (a line error of the import,
an item error of `upsertRecords`), never a silent default: a misspelt domain must not turn a food
penalty into an ordinary one.

- `content.domain` (administrative penalties): the regulated field (`PenaltyDomain`). Some fields
  have their own minimum disclosure period (see the disclosure tables).
- `content.penaltyTypes` (administrative penalties): the kinds of penalty the decision imposes
  (`PenaltyType`, the kinds of 《中华人民共和国行政处罚法》(2021年修订) 第九条). When a decision
  imposes several, its disclosure period is that of the type with the longest period
  (《失信行为纠正后的信用信息修复管理办法（试行）》(国家发展改革委令2023年第58号):
  "同一行政处罚决定涉及多种处罚类型的，其公示期限以期限最长的类型为准").

Values are read trimmed and case-insensitively (`" food "` is FOOD); messages name the key and the
allowed values, never the value sent (it may be personal data).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from credit.enums import RecordCategory


class PenaltyDomain(StrEnum):
    """The regulated field (领域) of an administrative penalty, `content.domain`."""

    FOOD = "FOOD"
    DRUG = "DRUG"
    SPECIAL_EQUIPMENT = "SPECIAL_EQUIPMENT"
    WORK_SAFETY = "WORK_SAFETY"
    FIRE_SAFETY = "FIRE_SAFETY"
    ENVIRONMENT = "ENVIRONMENT"
    MARKET = "MARKET"
    TAX = "TAX"
    CUSTOMS = "CUSTOMS"
    CONSTRUCTION = "CONSTRUCTION"
    TRANSPORT = "TRANSPORT"
    LABOR = "LABOR"
    HEALTH = "HEALTH"
    MEDICAL_INSURANCE = "MEDICAL_INSURANCE"
    EDUCATION = "EDUCATION"
    CULTURE_TOURISM = "CULTURE_TOURISM"
    AGRICULTURE = "AGRICULTURE"
    NATURAL_RESOURCES = "NATURAL_RESOURCES"
    WATER = "WATER"
    FORESTRY = "FORESTRY"
    STATISTICS = "STATISTICS"
    FINANCE = "FINANCE"
    COMMERCE = "COMMERCE"
    INTELLECTUAL_PROPERTY = "INTELLECTUAL_PROPERTY"
    COMMUNICATIONS = "COMMUNICATIONS"
    POSTAL = "POSTAL"
    ENERGY = "ENERGY"
    PUBLIC_SECURITY = "PUBLIC_SECURITY"
    URBAN_MANAGEMENT = "URBAN_MANAGEMENT"
    SOCIAL_ORGANIZATION = "SOCIAL_ORGANIZATION"
    OTHER = "OTHER"


#: The Chinese name of each domain (documentation and the published catalogue).
DOMAIN_NAMES: Final[Mapping[PenaltyDomain, str]] = {
    PenaltyDomain.FOOD: "食品",
    PenaltyDomain.DRUG: "药品",
    PenaltyDomain.SPECIAL_EQUIPMENT: "特种设备",
    PenaltyDomain.WORK_SAFETY: "安全生产",
    PenaltyDomain.FIRE_SAFETY: "消防",
    PenaltyDomain.ENVIRONMENT: "生态环境",
    PenaltyDomain.MARKET: "市场监管（不含食品、药品、特种设备）",
    PenaltyDomain.TAX: "税务",
    PenaltyDomain.CUSTOMS: "海关",
    PenaltyDomain.CONSTRUCTION: "住房和城乡建设",
    PenaltyDomain.TRANSPORT: "交通运输",
    PenaltyDomain.LABOR: "人力资源和社会保障",
    PenaltyDomain.HEALTH: "卫生健康",
    PenaltyDomain.MEDICAL_INSURANCE: "医疗保障",
    PenaltyDomain.EDUCATION: "教育",
    PenaltyDomain.CULTURE_TOURISM: "文化和旅游",
    PenaltyDomain.AGRICULTURE: "农业农村",
    PenaltyDomain.NATURAL_RESOURCES: "自然资源",
    PenaltyDomain.WATER: "水利",
    PenaltyDomain.FORESTRY: "林业和草原",
    PenaltyDomain.STATISTICS: "统计",
    PenaltyDomain.FINANCE: "金融",
    PenaltyDomain.COMMERCE: "商务",
    PenaltyDomain.INTELLECTUAL_PROPERTY: "知识产权",
    PenaltyDomain.COMMUNICATIONS: "通信",
    PenaltyDomain.POSTAL: "邮政",
    PenaltyDomain.ENERGY: "能源",
    PenaltyDomain.PUBLIC_SECURITY: "公安",
    PenaltyDomain.URBAN_MANAGEMENT: "城市管理（综合行政执法）",
    PenaltyDomain.SOCIAL_ORGANIZATION: "社会组织管理（民政）",
    PenaltyDomain.OTHER: "其他领域",
}


class PenaltyType(StrEnum):
    """A kind of administrative penalty, `content.penaltyTypes` (《行政处罚法》第九条)."""

    WARNING = "WARNING"
    CIRCULATED_CRITICISM = "CIRCULATED_CRITICISM"
    FINE = "FINE"
    CONFISCATION_OF_ILLEGAL_GAINS = "CONFISCATION_OF_ILLEGAL_GAINS"
    CONFISCATION_OF_ILLEGAL_PROPERTY = "CONFISCATION_OF_ILLEGAL_PROPERTY"
    LICENCE_SUSPENSION = "LICENCE_SUSPENSION"
    QUALIFICATION_DOWNGRADE = "QUALIFICATION_DOWNGRADE"
    LICENCE_REVOCATION = "LICENCE_REVOCATION"
    BUSINESS_RESTRICTION = "BUSINESS_RESTRICTION"
    PRODUCTION_SUSPENSION = "PRODUCTION_SUSPENSION"
    CLOSURE = "CLOSURE"
    PRACTICE_RESTRICTION = "PRACTICE_RESTRICTION"
    ADMINISTRATIVE_DETENTION = "ADMINISTRATIVE_DETENTION"
    OTHER = "OTHER"


#: The Chinese name of each type, as 《行政处罚法》第九条 lists them (item in brackets).
PENALTY_TYPE_NAMES: Final[Mapping[PenaltyType, str]] = {
    PenaltyType.WARNING: "警告（第一项）",
    PenaltyType.CIRCULATED_CRITICISM: "通报批评（第一项）",
    PenaltyType.FINE: "罚款（第二项）",
    PenaltyType.CONFISCATION_OF_ILLEGAL_GAINS: "没收违法所得（第二项）",
    PenaltyType.CONFISCATION_OF_ILLEGAL_PROPERTY: "没收非法财物（第二项）",
    PenaltyType.LICENCE_SUSPENSION: "暂扣许可证件（第三项）",
    PenaltyType.QUALIFICATION_DOWNGRADE: "降低资质等级（第三项）",
    PenaltyType.LICENCE_REVOCATION: "吊销许可证件（第三项）",
    PenaltyType.BUSINESS_RESTRICTION: "限制开展生产经营活动（第四项）",
    PenaltyType.PRODUCTION_SUSPENSION: "责令停产停业（第四项）",
    PenaltyType.CLOSURE: "责令关闭（第四项）",
    PenaltyType.PRACTICE_RESTRICTION: "限制从业（第四项）",
    PenaltyType.ADMINISTRATIVE_DETENTION: "行政拘留（第五项）",
    PenaltyType.OTHER: "法律、行政法规规定的其他行政处罚（第六项）",
}

DOMAIN_KEY: Final = "domain"
PENALTY_TYPES_KEY: Final = "penaltyTypes"
MAX_PENALTY_TYPES: Final = len(PenaltyType)


def _allowed(values: type[StrEnum]) -> str:
    return ", ".join(member.value for member in values)


def read_domain(value: Any) -> PenaltyDomain:
    """The domain of a `content.domain` value; ValueError (safe to show) for anything else."""
    if not isinstance(value, str):
        raise ValueError(f"content.{DOMAIN_KEY} must be a string, one of {_allowed(PenaltyDomain)}")
    try:
        return PenaltyDomain(value.strip().upper())
    except ValueError:
        raise ValueError(
            f"content.{DOMAIN_KEY}: unknown penalty domain; use one of {_allowed(PenaltyDomain)}"
        ) from None


def read_penalty_types(value: Any) -> tuple[PenaltyType, ...]:
    """The types of a `content.penaltyTypes` value (a non-empty list), each once, in the order sent."""
    where = f"content.{PENALTY_TYPES_KEY}"
    if not isinstance(value, list) or not value:
        raise ValueError(f"{where} must be a non-empty list of penalty types ({_allowed(PenaltyType)})")
    if len(value) > MAX_PENALTY_TYPES:
        raise ValueError(f"{where} lists more than {MAX_PENALTY_TYPES} types")
    types: list[PenaltyType] = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ValueError(f"{where}[{index}] must be a string, one of {_allowed(PenaltyType)}")
        try:
            kind = PenaltyType(item.strip().upper())
        except ValueError:
            raise ValueError(f"{where}[{index}]: unknown penalty type; use one of {_allowed(PenaltyType)}") from None
        if kind not in types:
            types.append(kind)
    return tuple(types)


def check_content(category: RecordCategory, content: Mapping[str, Any] | None) -> None:
    """ValueError naming the first enumerated key of `content` with a value outside its enumeration.

    Only administrative penalties carry enumerated keys; for other categories `content` is free.
    """
    if not content or category is not RecordCategory.ADMINISTRATIVE_PENALTY:
        return
    if content.get(DOMAIN_KEY) is not None:
        read_domain(content[DOMAIN_KEY])
    if content.get(PENALTY_TYPES_KEY) is not None:
        read_penalty_types(content[PENALTY_TYPES_KEY])
