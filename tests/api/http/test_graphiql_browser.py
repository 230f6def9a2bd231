"""GraphiQL in a real browser with the network cut off: headless Chromium (the system's `chromium`,
driven by Playwright's Python API; never `playwright install`; tests/support/browser.py) opens
/graphql, loads only what the API serves (api/http/tooling.py) and renders the schema's documentation.

Every request that does not go to the loopback server is recorded and aborted, and Chromium's own
resolver fails every other host name, so a CDN reference would show up as a blocked request or a page
that never renders. Skipped when Chromium or Playwright is missing (`.ci/run` installs Chromium).
`GRAPHIQL_SCREENSHOT=path.png` keeps a screenshot of the rendered docs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ApiServer
from tests.support.browser import offline_context

pytestmark = pytest.mark.e2e


async def test_graphiql_renders_the_docs_offline(api_server: ApiServer, tmp_path: Path) -> None:
    async with offline_context(1280, 800) as (context, watch):
        page = await context.new_page()
        await page.goto(api_server.graphql_url, wait_until="networkidle")
        await page.wait_for_selector(".graphiql-container .graphiql-sessions", timeout=30_000)
        await page.click('button[aria-label="Show Documentation Explorer"]')
        await page.wait_for_selector(".graphiql-doc-explorer-root-type", timeout=30_000)
        await page.click('a.graphiql-doc-explorer-type-name:text-is("Query")')
        await page.wait_for_selector('.graphiql-doc-explorer-field-name:text-is("searchSubjects")', timeout=30_000)
        await page.wait_for_selector('.graphiql-doc-explorer-field-name:text-is("regions")', timeout=5_000)
        docs = await page.inner_text(".graphiql-doc-explorer")
        shot = os.environ.get("GRAPHIQL_SCREENSHOT") or str(tmp_path / "graphiql.png")
        await page.screenshot(path=shot)
    assert watch.blocked == [] and watch.page_errors == []
    assert "node" in docs and "disclosures" in docs
    # The page, its scripts and styles, and the introspection POST: all from the API itself.
    assert any(url.endswith("/graphiql/vendor/graphiql.min.js") for url in watch.seen)
    watch.assert_clean()
