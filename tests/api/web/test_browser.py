"""The website in a real browser with the network cut off (tests/support/browser.py): the system's
Chromium, driven by Playwright, at phone size (375×812) first.

- search as you type → a result → the subject's page shows its measures;
- the disclosure feed receives a new record live (disclosurePublished over graphql-transport-ws);
- screenshots at phone size; no horizontal scrolling, no layout shift;
- on every page: no console error, no page error, no request (or websocket) that leaves the origin.

`WEB_SCREENSHOTS=<folder>` keeps the screenshots there (else in the test's temporary folder).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.api.web.conftest import COURT, DEBTOR_CODE, DEBTOR_NAME, PERSON_NAME, Site
from tests.support.browser import offline_context
from tests.support.feed_data import TODAY, import_lines, record

pytestmark = pytest.mark.e2e

PHONE = (375, 812)
# The sum of the page's layout shifts so far (CLS without the session windows: an upper bound).
LAYOUT_SHIFT = """() => new Promise(resolve => {
  let total = 0;
  new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value; })
    .observe({type: "layout-shift", buffered: true});
  setTimeout(() => resolve(total), 200);
})"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("WEB_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


async def settled(page: Any) -> None:
    assert await page.evaluate(OVERFLOW) <= 0, "the page scrolls sideways"
    assert await page.evaluate(LAYOUT_SHIFT) < 0.01, "the page shifted while loading"


async def test_search_as_you_type_then_the_subjects_measures(site: Site, tmp_path: Path) -> None:
    folder = shots(tmp_path)
    async with offline_context(*PHONE) as (context, watch):
        page = await context.new_page()
        await page.goto(f"{site.url}/", wait_until="networkidle")
        await settled(page)
        await page.locator("#q").press_sequentially("tianning", delay=40)
        first = page.locator("#result-list a.name").first
        await first.wait_for(timeout=15_000)
        assert await first.inner_text() == DEBTOR_NAME
        assert "限制乘坐飞机" in await page.inner_text("#result-list")  # measures in force, from the API
        assert "q=tianning" in page.url  # the search is linkable
        await page.wait_for_selector(".facet a:has-text('江苏省')", timeout=10_000)  # facets named via the API
        await page.screenshot(path=folder / "search-375x812.png")
        assert png_size(folder / "search-375x812.png") == PHONE

        await page.keyboard.press("ArrowDown")  # from the box to the first result, by keyboard
        assert await page.evaluate("() => document.activeElement.textContent") == DEBTOR_NAME
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"**/subjects/{DEBTOR_CODE}")
        await page.wait_for_load_state("networkidle")
        measures = await page.inner_text("section[aria-labelledby=active-title]")
        assert "限制高消费及非生活和工作必需的消费行为" in measures and "限制乘坐飞机" in measures
        await settled(page)
        await page.screenshot(path=folder / "subject-375x812.png")

        # A linked search fills the box from the address; the page itself never printed it.
        await page.goto(f"{site.url}/?q={PERSON_NAME}", wait_until="networkidle")
        assert await page.input_value("#q") == PERSON_NAME
        assert PERSON_NAME not in await page.inner_text("main")
    watch.assert_clean()


async def test_the_feed_receives_a_new_record_live(site: Site, tmp_path: Path) -> None:
    folder = shots(tmp_path)
    async with offline_context(*PHONE) as (context, watch):
        page = await context.new_page()
        await page.goto(f"{site.url}/disclosures?categories=DISHONEST_JUDGMENT_DEBTOR", wait_until="networkidle")
        await page.wait_for_selector('#live-state[data-state="open"]', timeout=15_000)
        await settled(page)
        title = "实时公示测试：纳入失信被执行人名单"
        await import_lines(
            site.runtime, [record("W-live", DEBTOR_CODE, "DISHONEST_JUDGMENT_DEBTOR", TODAY, COURT, title=title)]
        )
        item = page.locator(f"#live-list .live-item:has-text('{title}')")
        await item.wait_for(timeout=15_000)
        assert DEBTOR_NAME in await item.inner_text()
        # A record of another category does not match the page's filter.
        await import_lines(site.runtime, [record("W-other", DEBTOR_CODE, "RED_LIST", TODAY, COURT, title="不应出现")])
        await page.wait_for_timeout(1500)
        assert await page.locator("#live-list .live-item").count() == 1
        assert await page.evaluate(LAYOUT_SHIFT) < 0.01  # the live panel keeps its height
        await page.screenshot(path=folder / "disclosures-375x812.png")
    watch.assert_clean()
    assert watch.websockets and all(url.endswith("/graphql") for url in watch.websockets)
