"""Pages in a real browser: Debian's Chromium driven by Playwright, against the real app on loopback."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD

playwright_api = pytest.importorskip("playwright.async_api", reason="playwright is installed by `make test`")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs Debian's)")
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


@pytest.fixture
async def browser_page(tmp_path: Path) -> AsyncIterator[tuple[Any, list[str]]]:
    async with playwright_api.async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context()
        page = await context.new_page()
        problems: list[str] = []
        # Failed sign-ins answer 401 and the browser logs that as a failed load: expected, not a problem.
        page.on(
            "console",
            lambda m: problems.append(m.text) if m.type == "error" and "status of 401" not in m.text else None,
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        yield page, problems
        await browser.close()


@pytest.fixture
async def base_url(world: Any, database_url: str) -> str:
    """The test client's server listens on a real loopback port: the browser talks to it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("pages do not depend on the database backend; the browser runs once, on SQLite")
    return str(world.client.make_url("/"))


async def test_sign_in_reach_the_dashboard_and_sign_out_in_a_browser(browser_page, base_url, tmp_path) -> None:
    page, problems = browser_page
    await page.goto(base_url)
    assert "Joint statements and coordinated measures" in await page.inner_text("h1")
    await page.click("text=Sign in")
    await page.fill("#username", "ee.drafter")
    await page.fill("#password", "not it at all")
    await page.click("button[type=submit]")
    assert "wrong username or password" in await page.inner_text("[role=alert]")
    await page.fill("#username", "ee.drafter")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/dashboard")
    assert "Republic of Estonia" in await page.inner_text("h1")
    await page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    await page.click("text=Sign out")
    await page.wait_for_url(base_url)
    assert await page.locator("text=Sign in").count() == 1
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"


async def test_stylesheet_loads_under_the_content_security_policy(browser_page, base_url) -> None:
    page, problems = browser_page
    await page.goto(base_url + "login")
    colour = await page.eval_on_selector("header.masthead", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(31, 78, 121)"
    assert problems == []
