"""The press briefing and the release panel in a real browser (Debian's Chromium through Playwright):
console errors and CSP violations fail the test."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from entente import auth
from entente.models import Role
from tests.support.browser import BROWSER_MARKS, watched_page
from tests.support.releasing import RESTRICTED_MARKER, TITLE, release_communique, signed_communique
from tests.support.world import PASSWORD

pytestmark = BROWSER_MARKS

LEFT = re.compile(r"^(\d+ d )?\d\d:\d\d:\d\d left$")


@pytest.fixture
async def browser_page(chromium: Any) -> AsyncIterator[tuple[Any, list[str]]]:
    # The pages the press may not open answer 404, on purpose.
    async with watched_page(chromium, expected=("status of 404",)) as watched:
        yield watched


async def sign_in(page: Any, base_url: str, username: str) -> None:
    await page.goto(base_url + "login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/dashboard")


async def submit(page: Any, selector: str) -> None:
    async with page.expect_navigation():
        await page.click(selector)


async def sign_out(page: Any) -> None:
    await submit(page, "text=Sign out")


async def test_the_press_sees_the_briefing_and_nothing_more(browser_page, base_url, world, keys, tmp_path) -> None:
    page, problems = browser_page
    async with world.sessions.begin() as session:
        await auth.create_user(
            session,
            username="ee.press",
            display_name="EE press attaché",
            party="EE",
            roles=[Role.PRESS],
            password=PASSWORD,
            now=world.clock(),
        )
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=3))

    await sign_in(page, base_url, "ee.comms")
    await page.goto(f"{base_url}communiques/{cid}")
    await page.check("input[name='press.ee.press']")
    await submit(page, "text=Save the briefing invitations")
    assert await page.is_checked("input[name='press.ee.press']")
    await sign_out(page)

    await sign_in(page, base_url, "ee.press")
    nav = await page.inner_text("header.masthead nav")
    assert "Briefings" in nav and "Incidents" not in nav and "Communiqués" not in nav
    waiting = await page.inner_text("#waiting")
    assert "Embargoed briefings" in waiting and TITLE in waiting
    await page.click(f"#waiting a:has-text('{TITLE}')")
    await page.wait_for_url(f"**/briefings/{cid}")
    banner = await page.inner_text(".embargo-banner")
    assert "EMBARGOED UNTIL 2026-11-27 12:00 UTC" in banner
    assert "EMBARGOED UNTIL 2026-11-27 12:00 UTC" in await page.inner_text(".watermark")
    countdown = page.locator(".embargo-banner .countdown")
    first = await countdown.inner_text()
    assert LEFT.match(first) and first.startswith("0"), first  # counted from the server's clock: about 3 h
    assert first.startswith("02:5") or first.startswith("03:00"), first
    await page.wait_for_function(
        "t => document.querySelector('.embargo-banner .countdown').textContent !== t", arg=first, timeout=5000
    )
    body = await page.inner_text("#briefing")
    assert "We condemn the attack on the grid." in body
    assert RESTRICTED_MARKER not in await page.content()
    await page.screenshot(path=str(tmp_path / "briefing.png"), full_page=True)
    # nothing more: the communiqué, its sign-off page and the incidents answer as if they did not exist
    for path in (f"communiques/{cid}", f"communiques/{cid}/signoff", "communiques"):
        response = await page.goto(base_url + path)
        assert RESTRICTED_MARKER not in await page.content(), path
        assert response.status in (200, 404), path
        if response.status == 200:
            assert TITLE not in await page.inner_text("main"), path
    response = await page.goto(base_url + "incidents")
    assert "No incident" in await page.inner_text("main") or response.status == 404
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"


async def test_the_release_panel_in_my_zone_with_countdown_and_a_confirmed_lift(
    browser_page, base_url, world, keys, tmp_path
) -> None:
    page, problems = browser_page
    cid = await signed_communique(world, keys)
    await sign_in(page, base_url, "ee.comms")
    await page.goto(f"{base_url}communiques/{cid}")
    zone = page.locator("#release input[name=zone]").first
    assert await zone.input_value() == "Europe/Tallinn"  # the officer's party zone until it chooses one
    await zone.fill("America/New_York")
    await page.fill("#propose-at", "2026-11-27T08:30")  # 13:30 UTC, four and a half hours from the server's now
    await submit(page, "text=Propose this instant")
    panel = await page.inner_text("#release")
    assert "2026-11-27 13:30 UTC" in panel and "(2026-11-27 08:30 America/New_York)" in panel
    assert "2026-11-27 15:30 Europe/Tallinn" in panel and "2026-11-27 14:30 Europe/Paris" in panel
    assert "This instant was proposed by ee.comms (EE)" in panel
    countdown = await page.inner_text("#release-countdown")
    assert countdown.startswith("04:2") or countdown.startswith("04:30"), countdown
    # the zone is remembered for the next instant this officer enters
    await page.goto(f"{base_url}account/settings")
    assert await page.input_value("#timezone") == "America/New_York"
    await sign_out(page)
    for user in ("fr.comms", "eu.comms"):
        await sign_in(page, base_url, user)
        await page.goto(f"{base_url}communiques/{cid}")
        await submit(page, '#release button:has-text("Accept ")')
        await sign_out(page)
    await sign_in(page, base_url, "fr.comms")
    await page.goto(f"{base_url}communiques/{cid}")
    await submit(page, "text=Schedule the release")
    assert "scheduled" in await page.inner_text("#release")
    # "Lift now" asks for a reason and a confirmation: without the tick the browser does not send it
    await page.fill("#lift-reason", "the text leaked to a newspaper")
    await page.click("#lift-form button[type=submit]")
    await page.wait_for_timeout(300)
    assert "scheduled" in await page.inner_text("#release") and page.url.split("#")[0].endswith(f"/communiques/{cid}")
    await page.check("#lift-form input[name=confirm]")
    await submit(page, "#lift-form button[type=submit]")
    panel = await page.inner_text("#release")
    assert "public" in panel and "the text leaked to a newspaper" in panel
    await page.screenshot(path=str(tmp_path / "release-panel-lifted.png"), full_page=True)
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"
