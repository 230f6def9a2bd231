"""The disclosure feed (信用信息公示): what a reader asks for (`FeedFilter`) and where a page ends
(`FeedPosition`). The statements are in `credit.disclosures.repository`, the entry points in
`credit.disclosures.service`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from credit.enums import RecordCategory, RecordStatus
from credit.errors import InvalidRequest
from credit.models import CreditRecord, Subject
from credit.subjects.regions import RegionNotFound, region_prefix

DISCLOSED_STATUSES = (RecordStatus.ACTIVE, RecordStatus.UNDER_OBJECTION)
_REGION_PREFIX = re.compile(r"\d{1,6}")
MAX_AUTHORITY = 200
_UNSTORABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class FeedFilter:
    """What a reader of the feed asks for; every criterion given must hold (categories: any of them).

    Construct with `FeedFilter.of(...)` to validate input; an empty `categories` means any category.
    """

    categories: tuple[RecordCategory, ...] = ()
    region_code_prefix: str | None = None
    authority: str | None = None
    published_from: dt.date | None = None
    published_to: dt.date | None = None

    @classmethod
    def of(
        cls,
        *,
        categories: Iterable[RecordCategory] | None = None,
        region_code_prefix: str | None = None,
        authority: str | None = None,
        published_from: dt.date | None = None,
        published_to: dt.date | None = None,
    ) -> FeedFilter:
        """A validated filter; InvalidRequest naming the bad field."""
        region = None
        if region_code_prefix is not None:
            try:  # digits as given, or a division's name (天宁区 → 320402, 常州 → 3204)
                region = region_prefix(region_code_prefix)
            except RegionNotFound as exc:
                raise InvalidRequest(f"regionCodePrefix: {exc}") from None
            if not _REGION_PREFIX.fullmatch(region):
                raise InvalidRequest("regionCodePrefix must be 1 to 6 digits or a division's name")
        exact = authority.strip() if authority is not None else None
        if exact is not None and (not exact or len(exact) > MAX_AUTHORITY):
            raise InvalidRequest(f"authority must be 1 to {MAX_AUTHORITY} characters")
        if exact is not None and _UNSTORABLE.search(exact):  # PostgreSQL refuses NUL: it was a 500 (issue 18)
            raise InvalidRequest("authority must not contain control characters or lone surrogates")
        if published_from is not None and published_to is not None and published_from > published_to:
            raise InvalidRequest("publishedFrom is after publishedTo")
        return cls(
            categories=tuple(sorted(set(categories or ()))),
            region_code_prefix=region,
            authority=exact,
            published_from=published_from,
            published_to=published_to,
        )

    def matches(self, record: CreditRecord, subject: Subject) -> bool:
        """The test of `repository.filter_clauses`, in Python (for live events already loaded)."""
        if self.categories and record.category not in self.categories:
            return False
        if self.region_code_prefix and not (subject.region_code or "").startswith(self.region_code_prefix):
            return False
        if self.authority is not None and record.authority != self.authority:
            return False
        if self.published_from is not None and record.published_on < self.published_from:
            return False
        return self.published_to is None or record.published_on <= self.published_to


@dataclass(frozen=True, slots=True)
class FeedPosition:
    """The keyset of a row in the feed: the next page starts strictly after it."""

    published_on: dt.date
    id: int

    @classmethod
    def of(cls, record: CreditRecord) -> FeedPosition:
        return cls(record.published_on, record.id)
