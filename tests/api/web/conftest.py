"""A small public data set for the website's tests, imported as providers do and indexed by the
session's `api_server` worker: a 失信被执行人 company, a company with a penalty whose title is markup,
a natural person, and enough records to page through the feed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from credit.platform.runtime import Runtime
from tests.conftest import ApiServer
from tests.support.factories import uscc
from tests.support.feed_data import (
    AUTHORITIES,
    TODAY,
    company,
    drain_outbox,
    import_lines,
    mixed_records,
    person,
    record,
    resident_id,
)

COURT = "常州市天宁区人民法院"
DEBTOR_NAME = "常州天宁环保科技有限公司"
DEBTOR_CODE = uscc(901, "320402")
MARKUP_NAME = "北京朝阳示例贸易有限公司"
MARKUP_CODE = uscc(902, "110105")
MARKUP_TITLE = '<script>alert("x")</script>行政处罚决定'
PERSON_NAME = "司马相如"
PERSON_ID = resident_id("320411", "19850505", 77)


@dataclass(frozen=True)
class Site:
    api: ApiServer
    runtime: Runtime

    @property
    def url(self) -> str:
        return self.api.url


@pytest.fixture
async def site(api_server: ApiServer, clean_db: Runtime) -> Site:
    subjects: list[dict[str, Any]] = [
        {"type": "subject", "kind": "LEGAL_PERSON", "code": DEBTOR_CODE, "name": DEBTOR_NAME, "regionCode": "320402",
         "formerNames": ["常州天宁净水设备有限公司"], "legalRepresentative": "王建国"},
        {"type": "subject", "kind": "LEGAL_PERSON", "code": MARKUP_CODE, "name": MARKUP_NAME, "regionCode": "110105"},
        person(PERSON_NAME, PERSON_ID, "320411"),
        company(903, "320402"),
        *(company(n, "320411") for n in range(910, 922)),  # enough 测试…科技有限公司 for two pages
    ]  # fmt: skip
    await import_lines(clean_db, subjects)
    lines = [
        record("W-debtor", DEBTOR_CODE, "DISHONEST_JUDGMENT_DEBTOR", TODAY, COURT, title="纳入失信被执行人名单决定书"),
        record("W-markup", MARKUP_CODE, "ADMINISTRATIVE_PENALTY", TODAY, AUTHORITIES[2], title=MARKUP_TITLE),
        record("W-person", PERSON_ID, "ADMINISTRATIVE_PENALTY", TODAY, AUTHORITIES[0], title="个人行政处罚决定"),
        *mixed_records([company(903, "320402")["code"]], 30, prefix="W", days=20),
    ]
    await import_lines(clean_db, lines)
    await drain_outbox(clean_db)
    return Site(api_server, clean_db)
