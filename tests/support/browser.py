"""Debian's Chromium driven by Playwright, for the tests marked ``browser``.

Nothing here starts a browser or imports Playwright until a browser test asks for one: ``chromium()`` is
entered by the test's own fixture, so a run that deselects them (``make test-fast``) never pays for it.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# pytestmark of every browser test module: the marker, and a skip where Playwright or Chromium is missing.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(
        importlib.util.find_spec("playwright") is None, reason="playwright is installed by `make test`"
    ),
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs Debian's)"),
]


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A headless Chromium for one test, closed afterwards."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def base_url(world: Any, database_url: str) -> str:
    """The test client's server listens on a real loopback port: the browser talks to it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("pages do not depend on the database backend; the browser runs once, on SQLite")
    return str(world.client.make_url("/"))
