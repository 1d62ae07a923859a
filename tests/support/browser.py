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
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="playwright is installed by `make test`"),
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


@asynccontextmanager
async def watched_page(*, expected: tuple[str, ...] = ()) -> AsyncIterator[tuple[Any, list[str]]]:
    """A page in a fresh Chromium, and the problems it reports: console errors (CSP violations among
    them) but those naming one of ``expected`` (a refused form's status, say), and uncaught exceptions."""
    async with chromium() as browser:
        page = await (await browser.new_context()).new_page()
        problems: list[str] = []

        def console(message: Any) -> None:
            if message.type == "error" and not any(e in message.text for e in expected):
                problems.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        yield page, problems


@pytest.fixture
async def browser_page() -> AsyncIterator[tuple[Any, list[str]]]:
    """A watched page (:func:`watched_page`) expecting no error at all; a module that expects some
    overrides this fixture with its own ``expected``."""
    async with watched_page() as watched:
        yield watched


@pytest.fixture
async def base_url(world: Any, database_url: str) -> str:
    """The test client's server listens on a real loopback port: the browser talks to it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("pages do not depend on the database backend; the browser runs once, on SQLite")
    return str(world.client.make_url("/"))
