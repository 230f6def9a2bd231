"""GraphiQL in a real browser with the network cut off: headless Chromium (the system's `chromium`,
driven by Playwright's Python API; never `playwright install`) opens /graphql, loads only what the
API serves (api/http/tooling.py) and renders the schema's documentation.

Every request that does not go to the loopback server is recorded and aborted, and Chromium's own
resolver fails every other host name, so a CDN reference would show up as a blocked request or a page
that never renders. Skipped when Chromium or Playwright is missing (`.ci/run` installs Chromium).
`GRAPHIQL_SCREENSHOT=path.png` keeps a screenshot of the rendered docs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ApiServer

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
HAVE_CHROMIUM = Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ARGS = [
    "--no-sandbox",  # required when running as root (CI)
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--password-store=basic",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


async def test_graphiql_renders_the_docs_offline(api_server: ApiServer, tmp_path: Path) -> None:
    if not HAVE_CHROMIUM:
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    blocked: list[str] = []
    page_errors: list[str] = []
    seen: list[str] = []
    async with playwright_api.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 800}, service_workers="block")

            async def guard(route: Any) -> None:  # a playwright.async_api.Route
                url = route.request.url
                seen.append(url)
                if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOOPBACK:
                    await route.continue_()
                else:
                    blocked.append(url)
                    await route.abort("blockedbyclient")

            await context.route("**/*", guard)
            page = await context.new_page()
            page.on("pageerror", lambda error: page_errors.append(str(error)))
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
        finally:
            await browser.close()
    assert blocked == [] and page_errors == []
    assert "node" in docs and "disclosures" in docs
    # The page, its scripts and styles, and the introspection POST: all from the API itself.
    assert any(url.endswith("/graphiql/vendor/graphiql.min.js") for url in seen)
    assert all(urlsplit(url).hostname in LOOPBACK for url in seen if not url.startswith(("data:", "blob:")))
