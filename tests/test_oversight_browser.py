"""After-action reviews and the oversight page in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

from typing import Any

from tests.support.browser import BROWSER_MARKS
from tests.support.incidents import TIER_3, Desk
from tests.support.world import PASSWORD, REPO

pytestmark = BROWSER_MARKS


async def sign_in(page: Any, base_url: str, username: str) -> None:
    await page.goto(base_url + "login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/dashboard")


async def test_a_drafter_adds_a_lesson_and_the_oversight_body_reads_the_review(world, browser_page, base_url) -> None:
    page, problems = browser_page
    desk = Desk(world)
    incident = await desk.open(metrics=TIER_3, participants=["FR"])
    await desk.decide("ee.drafter", incident, 3)
    await desk.call("ee.drafter", "POST", f"/api/v1/incidents/{incident['id']}/close", {"reason": "over"}, status=200)
    proposed = (
        (REPO / "config" / "ladder.toml")
        .read_text()
        .replace("version = 1\n", "version = 2\n", 1)
        .replace("days = 60", "days = 45", 1)
    )
    await desk.call(
        "fr.drafter",
        "POST",
        f"/api/v1/incidents/{incident['id']}/after-action/ladder-proposals",
        {"ladder_toml": proposed, "rationale": "Shorter quiet period."},
        status=201,
    )

    await sign_in(page, base_url, "ee.drafter")
    await page.goto(base_url + f"incidents/{incident['id']}")
    await page.click("text=After-action review")
    await page.select_option("#lesson-topic", "messages")
    await page.fill("#lesson-body", "The joint statement needed a *shorter* first paragraph.")
    await page.click("text=Add the lesson")
    await page.wait_for_selector("article[id^=lesson-] em")
    assert await page.inner_text("article[id^=lesson-] em") == "shorter"
    await page.click("text=Sign out")

    await sign_in(page, base_url, "ee.oversight")
    await page.click("nav >> text=Oversight")
    await page.wait_for_selector("#summary")
    assert incident["title"] in await page.inner_text(f"#incident-{incident['id']}")
    await page.click(f"#incident-{incident['id']} >> text=after-action review")
    await page.wait_for_selector("#timeline")
    assert "an incident was closed" in await page.inner_text("#timeline")
    assert "shorter" in await page.inner_text("#lesson") and await page.locator("#lesson-body").count() == 0
    added = page.locator("pre.diff .diff-add", has_text="days = 45")
    assert await added.count() == 1
    colour = await added.evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(230, 255, 236)"  # the stylesheet applied under the Content-Security-Policy
    assert problems == []
