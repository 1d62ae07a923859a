"""Issue 13: a diplomat goes from incident to released statement without a terminal.

One journey in a real browser (Debian's Chromium through Playwright), every user in a browser session of
their own, console errors and CSP violations failing the test: EE's drafter opens an incident, decides its
tier and starts a joint advisory from the crisis template, inviting FR; FR's drafter accepts; each party's
signatory creates a key in the browser (WebCrypto, registered for the party) and signs the head version;
the comms officers propose, accept and schedule a release instant; EE's comms officer lifts the embargo;
the public reads the released statement on /releases/{id}. Nothing is typed into a terminal and no step
goes through the API.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import BROWSER_MARKS
from tests.support.world import PASSWORD

pytestmark = BROWSER_MARKS

SUMMARY = "An actor exploits unpatched VPN appliances in energy and health networks."
MITIGATION = "Patch VPN appliances now"


class Sessions:
    """One browser context per user (its own cookies and IndexedDB, closed after the test), its problems
    collected."""

    def __init__(self, browser: Any, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.problems: list[str] = []
        self.contexts: list[Any] = []

    async def page(self, username: str | None, expected: tuple[str, ...] = ()) -> Any:
        """A signed-in page of ``username`` (a signed-out one for None); console errors containing one of
        ``expected`` are not problems."""
        context = await self.browser.new_context()
        self.contexts.append(context)
        page = await context.new_page()
        page.on(
            "console",
            lambda m: (
                self.problems.append(f"{username}: {m.text}")
                if m.type == "error" and not any(e in m.text for e in expected)
                else None
            ),
        )
        page.on("pageerror", lambda error: self.problems.append(f"{username}: {error}"))
        if username is not None:
            await page.goto(self.base_url + "login")
            await page.fill("#username", username)
            await page.fill("#password", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url("**/dashboard")
        return page


@pytest.fixture
async def sessions(chromium: Any, base_url: str) -> AsyncIterator[Sessions]:
    sessions = Sessions(chromium, base_url)
    try:
        yield sessions
    finally:
        for context in sessions.contexts:
            await context.close()


async def submit(page: Any, selector: str) -> None:
    """Click a form's button and wait for the page the server answers with."""
    async with page.expect_navigation():
        await page.click(selector)


async def sign_head_with_a_browser_key(sessions: Sessions, username: str, party: str, communique: str) -> None:
    page = await sessions.page(username)
    base = sessions.base_url
    await page.goto(base + "keys")
    await page.select_option("[data-role=alg]", "Ed25519")
    await submit(page, "[data-role=create]")
    await page.locator("[data-role=browser-key-list]", has_text=f"registered for {party}, valid").wait_for()
    await page.goto(f"{base}communiques/{communique}/signoff")
    assert SUMMARY in await page.inner_text("main")
    await page.wait_for_selector("[data-role=digest-verdict]:not([hidden])")
    assert await page.inner_text("[data-role=digest-verdict]") == "matches the digest the server shows"
    await submit(page, "[data-role=sign]")
    assert f"{party} has signed this version." in await page.inner_text("main")
    await page.context.close()


async def test_a_diplomat_goes_from_incident_to_released_statement_without_a_terminal(
    sessions, base_url, world, tmp_path: Path
) -> None:
    # EE's drafter: incident -> tier decision -> crisis template -> communiqué, inviting FR.
    drafter = await sessions.page("ee.drafter")
    await drafter.click("nav >> text=Incidents")
    await drafter.goto(base_url + "incidents/new")
    await drafter.fill("#title", "VPN appliance exploitation")
    await drafter.check('input[name="invite.FR"]')
    await drafter.fill('input[name="metric.disruption_hours"]', "6")
    await drafter.fill('input[name="metric.countries_affected"]', "3")
    await drafter.select_option('select[name="metric.attribution_confidence"]', "likely")
    await drafter.click("text=Open the incident")
    await drafter.wait_for_url("**/incidents/*")
    await drafter.select_option("#decide-tier", "2")
    await drafter.fill("#decide-justification", "Disruption in three member states; attribution likely.")
    await drafter.click("text=Record the decision")
    await drafter.wait_for_selector("#drafts a[href$='/drafts/joint-advisory']")
    await drafter.click("#drafts a[href$='/drafts/joint-advisory']")
    await drafter.wait_for_selector("#draft-form")
    assert await drafter.locator('input[name="invite.FR"]').is_checked()
    await drafter.fill('[name="param.activity"]', "exploitation of VPN appliances")
    await drafter.fill('[name="param.first_observed"]', "2026-10-01")
    await drafter.fill('[name="param.sectors"]', "energy\nhealth")
    await drafter.fill('[name="param.summary"]', SUMMARY)
    await drafter.fill('[name="param.mitigations"]', f"{MITIGATION}\nRotate credentials")
    await submit(drafter, 'button:has-text("Preview")')
    assert MITIGATION in await drafter.inner_text("#preview")
    await drafter.click('button:has-text("Start the communiqué")')
    await drafter.wait_for_url("**/communiques/*")
    communique = re.search(r"/communiques/([^/?#]+)", drafter.url).group(1)  # type: ignore[union-attr]
    assert "invited, has not accepted" in await drafter.inner_text("main")
    await drafter.context.close()

    # FR's drafter finds the invitation among its communiqués and accepts it.
    fr = await sessions.page("fr.drafter")
    await fr.goto(base_url + "communiques")
    await fr.click(f"a[href='/communiques/{communique}']")
    assert "FR is invited to take part" in await fr.inner_text("main")
    await submit(fr, 'button:has-text("Accept for FR")')
    assert SUMMARY in await fr.content()  # FR now sees the text (in the editor's fields)
    await fr.context.close()

    # Each party's signatory signs the head with a key made and registered in its own browser.
    for username, party in (("ee.signatory", "EE"), ("fr.signatory", "FR")):
        await sign_head_with_a_browser_key(sessions, username, party, communique)

    # The comms officers agree an instant; EE schedules, then lifts the embargo early.
    at = (world.clock() + timedelta(days=1)).replace(second=0, microsecond=0)
    ee = await sessions.page("ee.comms")
    await ee.goto(f"{base_url}communiques/{communique}")
    await ee.fill("#propose-at", at.strftime("%Y-%m-%dT%H:%M"))
    await ee.fill("#release form:has(#propose-at) input[name=zone]", "UTC")
    await submit(ee, "text=Propose this instant")
    assert "proposed" in await ee.inner_text("#release")
    fr_comms = await sessions.page("fr.comms")
    await fr_comms.goto(f"{base_url}communiques/{communique}")
    await submit(fr_comms, '#release button:has-text("Accept ")')
    assert "accepted by fr.comms" in await fr_comms.inner_text("#release")
    await fr_comms.context.close()
    await ee.reload()
    assert "agreed" in await ee.inner_text("#release")
    await submit(ee, "text=Schedule the release")
    panel = await ee.inner_text("#release")
    assert "scheduled" in panel and "Frozen version" in panel and at.strftime("%Y-%m-%d %H:%M UTC") in panel

    public = await sessions.page(None, expected=("status of 404",))  # the embargoed page, below
    early = await public.goto(f"{base_url}releases/{communique}")
    assert early is not None and early.status == 404  # still under embargo

    await ee.fill("#lift-reason", "The advisory leaked to the press.")
    await ee.check("#lift-form input[name=confirm]")
    await submit(ee, '#lift-form button:has-text("Lift now")')
    assert "public" in await ee.inner_text("#release")
    await ee.screenshot(path=str(tmp_path / "lifted.png"), full_page=True)

    # The public reads the released statement.
    released = await public.goto(f"{base_url}releases/{communique}")
    assert released is not None and released.status == 200
    text = await public.inner_text("main")
    assert SUMMARY in text and MITIGATION in text and "exploitation of VPN appliances" in text
    await public.screenshot(path=str(tmp_path / "released.png"), full_page=True)
    assert sessions.problems == [], f"the browser reported errors (CSP violations included): {sessions.problems}"
