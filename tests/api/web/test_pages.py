"""The website's pages over HTTP against the real app: what each shows (from the API, as an anonymous
client), what it must never show (unmasked personal data, the search text, markup from data), its
errors, headers and caching, and its weight."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.api.web.conftest import (
    DEBTOR_CODE,
    DEBTOR_NAME,
    MARKUP_TITLE,
    PERSON_ID,
    PERSON_NAME,
    Site,
)

pytestmark = pytest.mark.e2e


async def get(site: Site, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        return await client.get(path, **kwargs)


def text_of(page: str) -> str:
    """What a reader sees and what forms hold: text and attribute values other than link targets."""
    page = re.sub(r'\shref="[^"]*"', "", page)
    page = re.sub(r'<script type="application/json" id="cg-data">.*?</script>', "", page, flags=re.S)
    return html.unescape(page)


async def test_search_shows_results_measures_and_facets(site: Site) -> None:
    response = await get(site, "/", params={"q": "tianning huanbao"})
    assert response.status_code == 200
    page = response.text
    assert DEBTOR_NAME in page
    assert "限制乘坐飞机" in page and "项措施" in page  # the measures in force, on the result
    assert f'href="/subjects/{DEBTOR_CODE}"' in page
    # Facets with the API's labels and the division's name, each a link that filters.
    assert "失信被执行人" in page and "江苏省" in page and "企业法人" in page
    assert "regionCodePrefix=32" in page
    assert "tianning huanbao" not in text_of(page)  # the search text is not printed


async def test_search_filters_by_region_name_and_kind(site: Site) -> None:
    page = (await get(site, "/", params={"q": "科技", "regionCodePrefix": "天宁区", "kinds": "LEGAL_PERSON"})).text
    assert DEBTOR_NAME in page and "北京朝阳" not in page
    assert "江苏省常州市天宁区" in page  # the filter named
    ambiguous = await get(site, "/", params={"q": "科技", "regionCodePrefix": "鼓楼区"})
    assert ambiguous.status_code == 400 and "地区无法确定" in ambiguous.text
    bad = await get(site, "/", params={"q": "科技", "kinds": "ROBOT"})
    assert bad.status_code == 400 and "kinds" in bad.text


async def test_search_pages_on(site: Site) -> None:
    first = (await get(site, "/", params={"q": "测试"})).text
    match = re.search(r'id="next-page" href="([^"]+)" data-q>', first)
    assert match is not None and "after=" in match.group(1) and "q=" not in match.group(1)
    second = (await get(site, html.unescape(match.group(1)) + "&q=测试")).text  # search.js adds q
    names = re.compile(r'class="name" href="([^"]+)"')
    assert set(names.findall(first)).isdisjoint(names.findall(second)) and names.findall(second)


async def test_a_persons_name_is_never_shown_unmasked(site: Site) -> None:
    for params in ({"q": PERSON_NAME}, {"q": PERSON_ID}, {"q": "司马"}):
        response = await get(site, "/", params=params)
        assert response.status_code == 200
        assert PERSON_NAME not in response.text and PERSON_ID not in response.text
    found = (await get(site, "/", params={"q": PERSON_NAME})).text
    masked = re.search(r'class="name" href="(/subjects/[^"]+)">(司马\*+)</a>', found)
    assert masked is not None, "the person is found, masked"
    profile = await get(site, masked.group(1))
    assert profile.status_code == 200
    assert masked.group(2) in profile.text and "个人行政处罚决定" in profile.text
    assert PERSON_NAME not in profile.text and PERSON_ID not in profile.text
    assert "3204**********" in profile.text  # the masked ID number, as the API gives it


async def test_subject_page_shows_measures_basis_and_records(site: Site) -> None:
    response = await get(site, f"/subjects/{DEBTOR_CODE}")
    assert response.status_code == 200
    page = response.text
    assert DEBTOR_NAME in page and "常州天宁净水设备有限公司" in page  # name, former name
    assert "江苏省常州市天宁区" in page and "王建国" in page
    assert "限制高消费及非生活和工作必需的消费行为" in page and "限制乘坐飞机" in page
    assert "法释〔2015〕17号" in page  # the basis of a measure, from the catalogue
    assert "纳入失信被执行人名单决定书" in page and "常州市天宁区人民法院" in page and "公示中" in page
    assert "打印信用报告" in page and "信用信息报告（概要）" in page


async def test_a_subject_that_is_not_found_is_not_repeated(site: Site) -> None:
    for key in (PERSON_ID, "91320402MA0000000X", "no-such-code", "U3ViamVjdDo5OTk5OTk="):
        response = await get(site, f"/subjects/{quote(key)}")
        assert response.status_code == 404, key
        assert "未找到该信用主体" in response.text and key not in response.text
        assert response.headers["cache-control"] == "no-store"


async def test_data_is_escaped(site: Site) -> None:
    page = (await get(site, "/disclosures", params={"categories": "ADMINISTRATIVE_PENALTY"})).text
    assert MARKUP_TITLE not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;行政处罚决定" in page
    assert page.count("<script") == page.count("</script>") == 3  # the data block and two scripts


async def test_disclosures_lists_filters_pages_and_downloads(site: Site) -> None:
    response = await get(site, "/disclosures")
    assert response.status_code == 200
    page = response.text
    assert page.count('class="record"') == 20 and "共 33 条记录" in page
    assert 'rel="next"' in page and "/export/disclosures.csv" in page and "/feeds/disclosures.atom" in page
    listed = await get(
        site, "/disclosures", params={"categories": "DISHONEST_JUDGMENT_DEBTOR", "regionCodePrefix": "天宁区"}
    )
    assert DEBTOR_NAME in listed.text and "北京朝阳" not in listed.text
    csv_link = re.search(r'href="(/export/disclosures\.csv[^"]*)"', listed.text)
    assert csv_link is not None and "categories=DISHONEST_JUDGMENT_DEBTOR" in csv_link.group(1)
    export = await get(site, html.unescape(csv_link.group(1)))
    assert export.status_code == 200 and DEBTOR_NAME in export.content.decode("utf-8-sig")
    by_authority = (await get(site, "/disclosures", params={"authority": "常州市天宁区人民法院"})).text
    assert by_authority.count('class="record"') == 1
    next_href = re.search(r'href="([^"]+)" rel="next"', page)
    assert next_href is not None
    second = (await get(site, html.unescape(next_href.group(1)))).text
    assert second.count('class="record"') == 13 and 'rel="prev"' in second
    bad = await get(site, "/disclosures", params={"publishedFrom": "yesterday"})
    assert bad.status_code == 400 and "publishedFrom" in bad.text


async def test_pages_are_public_cached_and_locked_down(site: Site) -> None:
    for path in ("/", f"/subjects/{DEBTOR_CODE}", "/disclosures"):
        response = await get(site, path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"].startswith("public, max-age=")
        again = await get(site, path, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
        assert not re.search(r"<[a-z]+[^>]*\sstyle=", response.text)  # no inline styles (CSP style-src 'self')


async def test_assets_are_versioned_and_the_first_page_is_light(site: Site) -> None:
    for path in ("/", f"/subjects/{DEBTOR_CODE}", "/disclosures"):
        page = await get(site, path)
        assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
        assert assets
        total = len(page.content)
        for asset in assets:
            response = await get(site, html.unescape(asset))
            assert response.status_code == 200, asset
            assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
            total += len(response.content)
        assert total < 200_000, (path, total)
    assert (await get(site, "/static/gql.js")).headers["cache-control"] == "no-cache"
    assert (await get(site, "/static/../pages.py")).status_code == 404
    assert (await get(site, "/static/queries.graphql")).status_code == 404
