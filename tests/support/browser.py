"""Headless Chromium for browser tests: the system's `chromium` driven by Playwright's Python API
(never `playwright install`: no browser is downloaded), with the network cut off.

`offline_context` opens a browser context in which every request that does not go to the loopback
server is recorded and aborted (Chromium's own resolver also fails every other host name), service
workers are blocked, and console errors, page errors and websocket addresses are collected, so a test
can assert that a page needs nothing but its own origin and logs no error.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
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


def chromium_path() -> str:
    """The system Chromium (`CHROMIUM`, else /usr/bin/chromium or /usr/lib/chromium/chromium); skips
    the test when there is none (`.ci/run` installs it)."""
    for candidate in (CHROMIUM, shutil.which("chromium"), "/usr/lib/chromium/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@dataclass
class Watch:
    """What the pages of a context did that a test asserts on."""

    seen: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:  # a playwright.async_api.Page
        def console(message: Any) -> None:
            if message.type == "error":
                self.console_errors.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("websocket", lambda socket: self.websockets.append(socket.url))

    def assert_clean(self) -> None:
        assert self.blocked == [], f"requests that left the origin: {self.blocked}"
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        outside = [u for u in self.seen + self.websockets if not u.startswith(("data:", "blob:"))]
        assert all(urlsplit(u).hostname in LOOPBACK for u in outside), outside


@contextlib.asynccontextmanager
async def offline_context(width: int, height: int) -> AsyncIterator[tuple[Any, Watch]]:
    """(a Playwright BrowserContext of `width`×`height`, its Watch)."""
    executable = chromium_path()
    playwright_api = pytest.importorskip("playwright.async_api")
    watch = Watch()
    async with playwright_api.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        try:
            context = await browser.new_context(viewport={"width": width, "height": height}, service_workers="block")

            async def guard(route: Any) -> None:  # a playwright.async_api.Route
                url = route.request.url
                watch.seen.append(url)
                if url.startswith(("data:", "blob:")) or urlsplit(url).hostname in LOOPBACK:
                    await route.continue_()
                else:
                    watch.blocked.append(url)
                    await route.abort("blockedbyclient")

            await context.route("**/*", guard)
            context.on("page", watch.watch)
            yield context, watch
        finally:
            await browser.close()
