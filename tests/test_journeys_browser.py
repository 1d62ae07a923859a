"""Two journeys in a real browser (Debian's Chromium through Playwright), with console errors and CSP
violations failing the test: a diplomat goes from an incident to a started communiqué from a crisis
template; a sanctions drafter adds a designation with a Cyrillic name, meets a duplicate warning and
links it. Nothing is typed into a terminal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.browser import BROWSER_MARKS, watched_page
from tests.support.sanctions import Desk
from tests.support.world import PASSWORD

pytestmark = BROWSER_MARKS


@pytest.fixture
async def browser_page(chromium: Any) -> AsyncIterator[tuple[Any, list[str]]]:
    # A refused form answers 422 (bad values) or 409 (a probable duplicate) with its page: expected here.
    async with watched_page(chromium, expected=("status of 422", "status of 409")) as watched:
        yield watched


async def sign_in(page: Any, base_url: str, username: str) -> None:
    await page.goto(base_url + "login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/dashboard")


async def test_a_diplomat_goes_from_an_incident_to_a_communique_started_from_a_template(
    browser_page, base_url, tmp_path
) -> None:
    page, problems = browser_page
    await sign_in(page, base_url, "ee.drafter")
    await page.click("nav >> text=Incidents")
    await page.goto(base_url + "incidents/new")
    await page.fill("#title", "VPN appliance exploitation")
    await page.check('input[name="invite.FR"]')
    await page.fill('input[name="metric.disruption_hours"]', "6")
    await page.fill('input[name="metric.countries_affected"]', "3")
    await page.select_option('select[name="metric.attribution_confidence"]', "likely")
    await page.click("text=Open the incident")
    await page.wait_for_url("**/incidents/*")
    # The incident page says what to do first, then offers the templates of the decided tier.
    assert "Record EE's decided tier above first" in await page.inner_text("#drafts")
    await page.select_option("#decide-tier", "2")
    await page.fill("#decide-justification", "Disruption in three member states; attribution likely.")
    await page.click("text=Record the decision")
    await page.wait_for_selector("#drafts a[href$='/drafts/joint-advisory']")
    await page.click("#drafts a[href$='/drafts/joint-advisory']")
    await page.wait_for_selector("#draft-form")
    assert await page.locator('input[name="invite.FR"]').is_checked()
    # A value the schema refuses comes back beside its field.
    await page.fill('[name="param.activity"]', "exploitation of VPN appliances")
    await page.fill('[name="param.first_observed"]', "2026-10-01")
    await page.fill('[name="param.sectors"]', "energy\nhealth")
    await page.fill('[name="param.summary"]', "An actor exploits unpatched VPN appliances.")
    async with page.expect_navigation():
        await page.click('button:has-text("Preview")')
    assert "Mitigations" in await page.inner_text("[role=alert]")
    await page.fill('[name="param.mitigations"]', "Patch VPN appliances now\nRotate credentials")
    async with page.expect_navigation():
        await page.click('button:has-text("Preview")')
    preview = await page.inner_text("#preview")
    assert "Patch VPN appliances now" in preview and "TLP:CLEAR" in preview
    await page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)
    await page.click('button:has-text("Start the communiqué")')
    await page.wait_for_url("**/communiques/*")
    body = await page.inner_text("main")
    assert "joint-advisory" in body and "FR" in body and "invited" in body
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"


async def test_a_sanctions_drafter_adds_a_cyrillic_name_meets_a_duplicate_and_links_it(
    world, browser_page, base_url, tmp_path
) -> None:
    desk = Desk(world)
    first = await desk.package()
    await desk.add(first, "D-002")
    second = await desk.package()
    page, problems = browser_page
    await sign_in(page, base_url, "ee.drafter")
    await page.click("nav >> text=Sanctions")
    await page.click(f"a[href='/sanctions/packages/{second}']")
    await page.click("text=Add a designation")
    await page.fill('[name="name.orig"]', "Евгений Викторович Смирнов")
    await page.fill('[name="name.lang"]', "ru")
    await page.fill('[name="dob.0.text"]', "27 May 1972")
    await page.fill("#nationalities", "RU")
    await page.fill('[name="doc.0.number"]', "72 7654321")
    await page.fill('[name="doc.0.country"]', "RU")
    await page.check('input[name="measure.asset_freeze"]')
    await page.fill("#reasons", "Operated the infrastructure used in the intrusion.")
    async with page.expect_navigation():
        await page.click('button:has-text("Suggest transliterations")')
    assert await page.input_value('[name="name.latin"]') == "Evgenii Viktorovich Smirnov"  # ICAO 9303
    await page.fill('[name="name.latin"]', "Yevgeny Viktorovich Smirnov")
    await page.click('button:has-text("Add as a new version")')
    warning = page.locator("#duplicates")
    await warning.wait_for()
    text = await warning.inner_text()
    assert "What you entered" in text and "D-002" in text and "27.5.1972" in text and "27 May 1972" in text
    await page.screenshot(path=str(tmp_path / "duplicate.png"), full_page=True)
    await page.click(f"button[name=link][value='{first}:D-002']")
    await page.wait_for_url(f"**/sanctions/packages/{second}#designation-*")
    card = await page.inner_text("section[id^=designation-]")
    assert "Евгений Викторович Смирнов" in card and "Same subject as" in card and f"package {first}" in card
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"
