"""The four lists (四张清单) as published: rows generated from the measures catalogue.

Seed 003 (吉政办发〔2017〕4号) asks each body to compile 「“誠信典型范圍清單”“嚴重失信行為及主體范圍清單”
“守信激勵政策措施清單”和“失信懲戒政策措施清單”」 (L15), each entry with 「行政單位、實施事由、法律依據、
聯合獎懲實施單位、措施內容和證據材料」 (L20), and to publish them on the web (L23). Everything here is
computed from the same tables the flags come from (`credit/rules/data/measures.json`), so the
published lists cannot drift from what the service applies.

- `measure_rows`: the two measure lists (守信激励政策措施清单, 失信惩戒政策措施清单), one row per
  version of each measure;
- `scope_rows`: the two scope lists (诚信典型范围清单 with the measures earned by history,
  严重失信行为及主体范围清单), one row per version of each rule;
- `catalogue_document`: all of it, with the suspension and withdrawal rules, as one JSON document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Final

from credit.enums import FlagKind, SubjectKind
from credit.rules.catalogue import BodyKind, Catalogue, HistoryRule, Measure, MeasureReach, RecordPattern, ScopeRule

INCENTIVE_LIST: Final = "守信激励政策措施清单"
PUNISHMENT_LIST: Final = "失信惩戒政策措施清单"
TRUST_SCOPE_LIST: Final = "诚信典型范围清单"
DISHONESTY_SCOPE_LIST: Final = "严重失信行为及主体范围清单"

KIND_NAMES: Final[Mapping[SubjectKind, str]] = {
    SubjectKind.NATURAL_PERSON: "自然人",
    SubjectKind.LEGAL_PERSON: "法人",
    SubjectKind.OTHER_ORGANIZATION: "非法人组织",
    SubjectKind.GOVERNMENT_AGENCY: "机关",
}
REACH_NAMES: Final[Mapping[MeasureReach, str]] = {
    MeasureReach.SUBJECT: "主体本身",
    MeasureReach.RESPONSIBLE_PERSONS: "其法定代表人、主要负责人等责任人员",
    MeasureReach.SUBJECT_AND_RESPONSIBLE_PERSONS: "主体本身及其法定代表人、主要负责人等责任人员",
}
BODY_NAMES: Final[Mapping[BodyKind, str]] = {
    BodyKind.COURT: "人民法院",
    BodyKind.ADMINISTRATIVE: "行政机关",
    BodyKind.FINANCIAL: "金融管理部门及金融机构",
}

#: (key, Chinese header) of the measure lists, in column order.
MEASURE_COLUMNS: Final[Sequence[tuple[str, str]]] = (
    ("list", "清单"),
    ("code", "措施编号"),
    ("name", "措施名称"),
    ("version", "版本"),
    ("effectiveFrom", "生效日期"),
    ("effectiveUntil", "失效日期"),
    ("trigger", "实施事由"),
    ("content", "措施内容"),
    ("basis", "法律依据"),
    ("implementingBody", "联合奖惩实施单位"),
    ("bodyKind", "实施单位类别"),
    ("evidence", "证据材料"),
    ("appliesTo", "适用对象"),
    ("heldDuringObjection", "异议核查期间暂停执行"),
)
#: (key, Chinese header) of the scope lists, in column order.
SCOPE_COLUMNS: Final[Sequence[tuple[str, str]]] = (
    ("list", "清单"),
    ("code", "编号"),
    ("version", "版本"),
    ("effectiveFrom", "生效日期"),
    ("effectiveUntil", "失效日期"),
    ("designatingBody", "行政单位（认定单位）"),
    ("description", "实施事由"),
    ("condition", "认定条件"),
    ("basis", "法律依据"),
    ("evidence", "证据材料"),
    ("measures", "奖惩措施"),
)


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


def applies_to_text(measure: Measure) -> str:
    """适用对象 in words: for each kind of subject, whom the measure binds."""
    return "；".join(f"{KIND_NAMES[kind]}：{REACH_NAMES[reach]}" for kind, reach in sorted(measure.applies_to.items()))


def measure_row(measure: Measure) -> dict[str, str]:
    return {
        "list": INCENTIVE_LIST if measure.kind is FlagKind.INCENTIVE else PUNISHMENT_LIST,
        "code": measure.code,
        "name": measure.name,
        "version": measure.version,
        "effectiveFrom": _day(measure.effective_from),
        "effectiveUntil": _day(measure.effective_until),
        "trigger": measure.trigger,
        "content": measure.content,
        "basis": measure.basis,
        "implementingBody": measure.implementing_body,
        "bodyKind": BODY_NAMES[measure.body_kind],
        "evidence": measure.evidence,
        "appliesTo": applies_to_text(measure),
        "heldDuringObjection": "是" if measure.held_during_objection else "否",
    }


def _measure_names(catalogue: Catalogue, codes: Sequence[str]) -> str:
    return "；".join(f"{code} {catalogue.measure(code).name}" for code in codes)


def _condition(patterns: Sequence[RecordPattern]) -> str:
    return " 或 ".join(pattern.describe() for pattern in patterns)


def scope_row(catalogue: Catalogue, rule: ScopeRule | HistoryRule) -> dict[str, str]:
    if isinstance(rule, HistoryRule):
        listed, condition = (
            TRUST_SCOPE_LIST,
            f"连续{rule.years}年无不良信用记录（不良信用记录：{_condition(rule.adverse)}）",
        )
    else:
        listed = TRUST_SCOPE_LIST if rule.scope == "TRUST" else DISHONESTY_SCOPE_LIST
        condition = rule.describe()
    return {
        "list": listed,
        "code": rule.code,
        "version": rule.version,
        "effectiveFrom": _day(rule.effective_from),
        "effectiveUntil": _day(rule.effective_until),
        "designatingBody": rule.designating_body,
        "description": rule.description,
        "condition": condition,
        "basis": rule.basis,
        "evidence": rule.evidence,
        "measures": _measure_names(catalogue, rule.measures),
    }


def measure_rows(catalogue: Catalogue) -> list[dict[str, str]]:
    """The two measure lists: incentives first, then punishments, each by code and version."""
    ordered = sorted(
        catalogue.measures, key=lambda m: (m.kind is FlagKind.PUNISHMENT, m.code, m.effective_from or dt.date.min)
    )
    return [measure_row(measure) for measure in ordered]


def scope_rows(catalogue: Catalogue) -> list[dict[str, str]]:
    """The two scope lists: typical trust (with history rules), then serious dishonesty."""
    rules: list[ScopeRule | HistoryRule] = [*catalogue.rules, *catalogue.history]
    rows = [scope_row(catalogue, rule) for rule in rules]
    return sorted(rows, key=lambda row: (row["list"] != TRUST_SCOPE_LIST, row["code"], row["effectiveFrom"]))


def catalogue_document(catalogue: Catalogue) -> dict[str, Any]:
    """The four lists and the interplay rules as one JSON-ready document (keys in English, list
    names in Chinese)."""
    measures = measure_rows(catalogue)
    scopes = scope_rows(catalogue)
    return {
        "lists": {
            TRUST_SCOPE_LIST: [row for row in scopes if row["list"] == TRUST_SCOPE_LIST],
            DISHONESTY_SCOPE_LIST: [row for row in scopes if row["list"] == DISHONESTY_SCOPE_LIST],
            INCENTIVE_LIST: [row for row in measures if row["list"] == INCENTIVE_LIST],
            PUNISHMENT_LIST: [row for row in measures if row["list"] == PUNISHMENT_LIST],
        },
        "suspensions": [
            {
                "code": rule.code,
                "version": rule.version,
                "effectiveFrom": _day(rule.effective_from),
                "effectiveUntil": _day(rule.effective_until),
                "description": rule.description,
                "suspend": rule.suspend.value,
                "whileActive": rule.while_active.value,
                "basis": rule.basis,
            }
            for rule in catalogue.suspensions
        ],
        "withdrawals": [
            {
                "code": rule.code,
                "version": rule.version,
                "effectiveFrom": _day(rule.effective_from),
                "effectiveUntil": _day(rule.effective_until),
                "description": rule.description,
                "withdraw": rule.withdraw.describe(),
                "whileInForce": [pattern.describe() for pattern in rule.while_in_force],
                "basis": rule.basis,
            }
            for rule in catalogue.withdrawals
        ],
    }
