"""Facets of `searchSubjects`: which, how many buckets, in which order, and each bucket's label.

| facet | field | buckets at most | label |
|---|---|---|---|
| `kind` | `kind` | 4 (every kind) | 企业法人 / 自然人 / 机关 / 其他组织 |
| `province` | `province` (2 digits) | 34 (every provincial division) | 江苏省 |
| `city` | `city` (4 digits) | 20, the largest | 常州市; a municipality: 北京市; 湖北省省直辖县级行政单位 |
| `categories` | `categories` | 7 (all) | 行政许可, 行政处罚, 红名单, 黑名单, 失信被执行人, 信用承诺, 信用评价 |
| `has_active_punishment` | `has_active_punishment` | 2 | 是 / 否 |

Buckets come largest first (the number of matching subjects), equal counts by value ascending: the
engine is asked for that order (`terms` with `order`), and the page sorts again, so the order is the
same on every engine. Only `city` can have more values than it shows; narrow the search (a region
filter) to see the cities beyond the first 20. Category labels are the names the 信用中国 sites use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from credit.enums import RecordCategory, SubjectKind
from credit.enums import label as enum_label
from credit.subjects.regions import county_periods, region_names

#: facet name → (indexed field, most buckets returned)
FACETS: Final = {
    "kind": ("kind", len(SubjectKind)),
    "province": ("province", 34),
    "city": ("city", 20),
    "categories": ("categories", len(RecordCategory)),
    "has_active_punishment": ("has_active_punishment", 2),
}
_ORDER: Final = [{"_count": "desc"}, {"_key": "asc"}]
_BOOLEAN_LABELS: Final = {"true": "是", "false": "否"}


@dataclass(frozen=True, slots=True)
class FacetBucket:
    value: str
    label: str
    count: int


def aggregations() -> dict[str, Any]:
    """The `aggs` of a search body that asks for the facets."""
    return {
        name: {"terms": {"field": field, "size": size, "order": list(_ORDER)}} for name, (field, size) in FACETS.items()
    }


def _region_label(value: str) -> str:
    names = region_names(value)
    if names is None:
        return value
    if len(value) == 2 or names.city:
        return names.province if len(value) == 2 else str(names.city)
    aggregate = county_periods(value + "00")  # 4290: 省直辖县级行政单位
    return names.province + (aggregate[-1].name if aggregate else "")


def label(facet: str, value: str) -> str:
    """The label shown for a bucket; the value itself when there is none (an unknown code)."""
    if facet == "kind" and value in SubjectKind.__members__:
        return enum_label(SubjectKind(value))
    if facet == "categories" and value in RecordCategory.__members__:
        return enum_label(RecordCategory(value))
    if facet == "has_active_punishment":
        return _BOOLEAN_LABELS.get(value, value)
    if facet in ("province", "city"):
        return _region_label(value)
    return value


def facets(response_aggregations: dict[str, Any]) -> dict[str, tuple[FacetBucket, ...]]:
    """The buckets of each facet, labelled, largest first, cut to the facet's size."""
    result: dict[str, tuple[FacetBucket, ...]] = {}
    for name, (_field, size) in FACETS.items():
        aggregation = response_aggregations.get(name)
        if aggregation is None:
            continue
        buckets = []
        for bucket in aggregation.get("buckets", []):
            value = str(bucket.get("key_as_string", bucket["key"]))
            buckets.append(FacetBucket(value, label(name, value), int(bucket["doc_count"])))
        buckets.sort(key=lambda b: (-b.count, b.value))
        result[name] = tuple(buckets[:size])
    return result
