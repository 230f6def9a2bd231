"""The pages' query strings: parsed into the GraphQL variables of their operations, and links.

The parameters are the API's own names, so a page's address reads like its query and the
disclosure page's filter is, parameter for parameter, the filter of its exports:

- `/`: `q`, `kinds`, `categories` (repeated or comma separated), `regionCodePrefix` (1–6 digits of a
  division code or a division's name: 常州, 天宁区), `hasActivePunishment` (`true`/`false`), `after`;
- `/disclosures`: `categories`, `regionCodePrefix`, `authority`, `publishedFrom`, `publishedTo`
  (YYYY-MM-DD), `after` or `before`.

A value the page cannot use is a `BadParameter` in Chinese, naming the parameter; everything else the
API validates and answers with its own error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from credit.enums import RecordCategory, SubjectKind
from credit.subjects.regions import RegionNotFound, region_names, region_prefix

MAX_TEXT = 100
MAX_CURSOR = 400
PAGE_SIZE = 20
SEARCH_PAGE_SIZE = 10


class BadParameter(ValueError):
    """A query-string value the page cannot use; the message is shown on the page."""


def _text(params: QueryParams, name: str, limit: int = MAX_TEXT) -> str | None:
    value = (params.get(name) or "").strip()
    if not value:
        return None
    if len(value) > limit:
        raise BadParameter(f"{name} 过长（最多 {limit} 个字符）")
    return value


def _listed(params: QueryParams, name: str) -> list[str]:
    return [part.strip() for value in params.getlist(name) for part in value.split(",") if part.strip()]


def _enums(params: QueryParams, name: str, enum: type[SubjectKind] | type[RecordCategory]) -> list[str]:
    values = _listed(params, name)
    known = {member.value for member in enum}
    for value in values:
        if value not in known:
            raise BadParameter(f"{name} 的取值无效（可选：{'、'.join(sorted(known))}）")
    return list(dict.fromkeys(values))  # in order, once each


def _date(params: QueryParams, name: str) -> str | None:
    value = _text(params, name, 10)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise BadParameter(f"{name} 应为日期（YYYY-MM-DD）") from None


def region_label(prefix: str) -> str:
    """A division's full name by its code prefix (江苏省常州市), or the prefix itself."""
    names = region_names(prefix) if len(prefix) in (2, 4, 6) else None
    if names is None:
        return prefix
    city = names.city if names.city and names.city != names.province else ""
    return names.province + city + (names.county or "")


def link(path: str, pairs: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(pairs)}" if pairs else path


@dataclass(frozen=True)
class SearchParams:
    query: str
    kinds: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    region: str | None = None  # as given (a name or digits)
    region_prefix: str | None = None  # the digits it selects
    punished: bool | None = None
    after: str | None = None

    @classmethod
    def parse(cls, params: QueryParams) -> SearchParams:
        query = _text(params, "q") or ""
        punished_text = _text(params, "hasActivePunishment", 5)
        if punished_text not in (None, "true", "false"):
            raise BadParameter("hasActivePunishment 应为 true 或 false")
        region = _text(params, "regionCodePrefix", 40)
        prefix = None
        if region is not None:
            try:  # SubjectFilter takes digits: the page resolves a division's name first
                prefix = region_prefix(region)
            except RegionNotFound as exc:
                raise BadParameter(f"地区无法确定：{exc}") from None
        return cls(
            query=query,
            kinds=_enums(params, "kinds", SubjectKind),
            categories=_enums(params, "categories", RecordCategory),
            region=region,
            region_prefix=prefix,
            punished=None if punished_text is None else punished_text == "true",
            after=_text(params, "after", MAX_CURSOR),
        )

    def filter(self) -> dict[str, Any] | None:
        value: dict[str, Any] = {}
        if self.kinds:
            value["kinds"] = self.kinds
        if self.categories:
            value["categories"] = self.categories
        if self.region_prefix:
            value["regionCodePrefix"] = self.region_prefix
        if self.punished is not None:
            value["hasActivePunishment"] = self.punished
        return value or None

    def variables(self) -> dict[str, Any]:
        return {"query": self.query, "filter": self.filter(), "first": SEARCH_PAGE_SIZE, "after": self.after}

    def pairs(self, **changes: str | None) -> list[tuple[str, str]]:
        """The page's filter parameters, with `changes` set (None: removed). Never `q`: the page does not
        print the search text, not even in its links (search.js adds it to links marked `data-q`)."""
        current: dict[str, str | None] = {
            "kinds": ",".join(self.kinds) or None,
            "categories": ",".join(self.categories) or None,
            "regionCodePrefix": self.region,
            "hasActivePunishment": None if self.punished is None else str(self.punished).lower(),
        }
        current.update(changes)
        return [(name, value) for name, value in current.items() if value]


@dataclass(frozen=True)
class FeedParams:
    categories: list[str] = field(default_factory=list)
    region: str | None = None
    authority: str | None = None
    published_from: str | None = None
    published_to: str | None = None
    after: str | None = None
    before: str | None = None

    @classmethod
    def parse(cls, params: QueryParams) -> FeedParams:
        after, before = _text(params, "after", MAX_CURSOR), _text(params, "before", MAX_CURSOR)
        if after and before:
            raise BadParameter("after 与 before 只能给一个")
        return cls(
            categories=_enums(params, "categories", RecordCategory),
            region=_text(params, "regionCodePrefix", 40),
            authority=_text(params, "authority"),
            published_from=_date(params, "publishedFrom"),
            published_to=_date(params, "publishedTo"),
            after=after,
            before=before,
        )

    def filter(self) -> dict[str, Any] | None:
        value = {
            "categories": self.categories or None,
            "regionCodePrefix": self.region,
            "authority": self.authority,
            "publishedFrom": self.published_from,
            "publishedTo": self.published_to,
        }
        return {name: v for name, v in value.items() if v} or None

    def variables(self) -> dict[str, Any]:
        if self.before:
            return {"filter": self.filter(), "last": PAGE_SIZE, "before": self.before}
        return {"filter": self.filter(), "first": PAGE_SIZE, "after": self.after}

    def pairs(self, **changes: str | None) -> list[tuple[str, str]]:
        """The filter's parameters (the exports' names), with `changes` set (None: removed)."""
        current: dict[str, str | None] = {
            "categories": ",".join(self.categories) or None,
            "regionCodePrefix": self.region,
            "authority": self.authority,
            "publishedFrom": self.published_from,
            "publishedTo": self.published_to,
        }
        current.update(changes)
        return [(name, value) for name, value in current.items() if value]
