"""Pages in a real browser: Debian's Chromium driven by Playwright, against the real app on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from tests.support.browser import BROWSER_MARKS, watched_page
from tests.support.releasing import RESTRICTED_MARKER, signed_communique
from tests.support.world import PASSWORD

pytestmark = BROWSER_MARKS


@pytest.fixture
async def browser_page(chromium: Any) -> AsyncIterator[tuple[Any, list[str]]]:
    # Failed sign-ins answer 401 and the browser logs that as a failed load: expected, not a problem.
    async with watched_page(chromium, expected=("status of 401",)) as watched:
        yield watched


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


async def sign_in(page: Any, base_url: str, username: str) -> None:
    await page.goto(base_url + "login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/dashboard")


async def sign_out(page: Any) -> None:
    await submit(page, "text=Sign out")


async def submit(page: Any, selector: str) -> None:
    """Click a form's button and wait for the page the server answers with (POST, then 303, then GET)."""
    async with page.expect_navigation():
        await page.click(selector)


async def test_comms_officers_agree_and_schedule_a_release_and_the_public_reads_it(
    browser_page, base_url, world, keys, tmp_path
) -> None:
    page, problems = browser_page
    cid = await signed_communique(world, keys)
    at = (world.clock() + timedelta(days=1)).replace(second=0, microsecond=0)
    await sign_in(page, base_url, "ee.comms")
    await page.goto(f"{base_url}communiques/{cid}")
    await page.fill("#propose-at", at.strftime("%Y-%m-%dT%H:%M"))
    await submit(page, "text=Propose this instant")
    assert "proposed" in await page.inner_text("#release")
    await sign_out(page)
    for user in ("fr.comms", "eu.comms"):
        await sign_in(page, base_url, user)
        await page.goto(f"{base_url}communiques/{cid}")
        await submit(page, '#release button:has-text("Accept ")')
        assert f"accepted by {user}" in await page.inner_text("#release")
        await sign_out(page)
    await sign_in(page, base_url, "ee.comms")
    await page.goto(f"{base_url}communiques/{cid}")
    panel = await page.inner_text("#release")
    assert "agreed" in panel, panel
    await submit(page, "text=Schedule the release")
    panel = await page.inner_text("#release")
    assert "scheduled" in panel and "Frozen version" in panel
    await page.screenshot(path=str(tmp_path / "release-panel.png"), full_page=True)
    await sign_out(page)
    early = await world.client.get(f"/releases/{cid}")
    assert early.status == 404 and RESTRICTED_MARKER not in await early.text()
    world.clock.advance(timedelta(days=1, minutes=1))
    await page.goto(f"{base_url}releases/{cid}")
    text = await page.inner_text("main")
    assert "We condemn the attack on the grid." in text and RESTRICTED_MARKER not in await page.content()
    await page.screenshot(path=str(tmp_path / "public-release.png"), full_page=True)
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"
