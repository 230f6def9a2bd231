"""Masking of natural persons' personal data for viewers who are not entitled to it.

One module, applied by the API types from the viewer's role and by the search-document builder
(the search index holds masked values only). Personal data inside free text is found and masked with
these forms by `credit.privacy`. Each function is total: any input gives a masked
string and never raises, so a malformed stored value cannot leak through an error path.
"""

from __future__ import annotations

import re

MASK = "*"

# Two-character (复姓) surnames, kept whole: 欧阳娜娜 → 欧阳**.
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    {
        "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
        "宇文", "司徒", "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里",
        "呼延", "万俟", "司空", "闻人", "澹台", "公冶", "太史", "申屠", "钟离", "赫连",
        "拓跋", "第五", "东郭", "濮阳", "淳于", "单于", "仲孙", "即墨", "羊舌", "子车",
    }
)  # fmt: skip

# Administrative divisions down to the county level: province (省/自治区/特别行政区), prefecture
# (市/自治州/州/地区/盟) and county (区/县/自治县/旗/市). Each part is short and may not run
# through the street-level markers below, so "…镇工业区" is never mistaken for a county.
_PART = r"[^\d\s镇乡街路道号村巷弄栋幢楼室层]{1,8}?"
_COUNTY_PREFIX = re.compile(
    rf"^(?:{_PART}(?:省|自治区|特别行政区))?"
    rf"(?:{_PART}(?:自治州|地区|市|州|盟))?"
    rf"(?:{_PART}(?:自治县|区|县|旗|市))?"
)


def mask_name(name: str) -> str:
    """张三 → 张*, 张三丰 → 张**, 欧阳娜娜 → 欧阳**: the surname stays, every other character is masked."""
    name = name.strip()
    if len(name) <= 1:
        return MASK * len(name)
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    return name[:keep] + MASK * (len(name) - keep)


def mask_id_number(id_number: str) -> str:
    """32040219900101123X → 3204**********123X: the first four and last four characters stay."""
    value = id_number.strip()
    if len(value) <= 8:
        return MASK * len(value)
    return value[:4] + MASK * (len(value) - 8) + value[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678: the first three and last four characters stay."""
    value = phone.strip()
    if len(value) < 8:
        return MASK * len(value)
    return value[:3] + MASK * 4 + value[-4:]


def mask_address(address: str) -> str:
    """江苏省常州市天宁区青洋北路1号 → 江苏省常州市天宁区****: up to the county level, then masked."""
    value = address.strip()
    if not value:
        return ""
    match = _COUNTY_PREFIX.match(value)
    prefix = match.group(0) if match else ""
    return prefix + MASK * 4
