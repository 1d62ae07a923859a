"""The pages of de-escalation, after-action reviews and oversight, driven with plain forms."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from tests.support.incidents import TIER_3, Desk
from tests.support.pages import browser
from tests.support.world import REPO


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def test_stepping_down_through_the_pages(desk) -> None:
    incident = await desk.open(metrics=TIER_3, participants=["FR"])
    await desk.decide("ee.drafter", incident, 3)
    await desk.decide("fr.signatory", incident, 3)
    ee, fr = await browser(desk.world, "ee.drafter"), await browser(desk.world, "fr.signatory")
    page = f"/incidents/{incident['id']}/de-escalation"
    assert page in await ee.get(f"/incidents/{incident['id']}")
    text = await ee.get(page)
    assert "sanctions-cooperation" in text and "Record that a condition is met" in text

    _, refused = await ee.post(f"/incidents/{incident['id']}/exit-ramps",
                               {"ramp": "sanctions-quiet-period", "showing": "quiet"}, status=409)
    assert "180 days without a recurrence" in html.unescape(refused)
    await ee.post(f"/incidents/{incident['id']}/exit-ramps",
                  {"ramp": "sanctions-restraint", "showing": "C2 servers taken down by the state concerned."})
    _, refused = await ee.post(f"/incidents/{incident['id']}/step-downs", {"justification": "x"}, status=422)
    assert "tick the exit ramps" in refused
    await ee.post(f"/incidents/{incident['id']}/step-downs",
                  {"ramp.sanctions-restraint": "on", "justification": "Restraint is verified."})
    text = await fr.get(page)
    assert "Tier 3 → tier 2" in text and "Decide tier 2" in text and "C2 servers taken down" in text
    step_down = (await desk.call("ee.drafter", "GET", f"/api/v1/incidents/{incident['id']}/de-escalation"))[1][
        "step_downs"][0]["id"]
    await fr.post(f"/incidents/{incident['id']}/step-downs/{step_down}/decide", {"justification": "FR agrees."})
    await ee.post(f"/incidents/{incident['id']}/step-downs/{step_down}/decide", {"justification": "EE agrees."})
    text = await ee.get(page)
    assert "state-agreed" in text
    oversight = await browser(desk.world, "ee.oversight")
    text = await oversight.get(page)
    assert "state-agreed" in text and "Record that a condition is met" not in text and "Decide tier" not in text


async def test_the_after_action_page_and_the_oversight_page(desk) -> None:
    incident = await desk.open(metrics=TIER_3, participants=["FR"])
    desk.world.clock.advance(timedelta(hours=3, minutes=20))
    await desk.decide("fr.signatory", incident, 3)
    ee = await browser(desk.world, "ee.drafter")
    page = f"/incidents/{incident['id']}/after-action"
    assert "starts when the incident is closed" in await ee.get(page)
    await desk.call("ee.drafter", "POST", f"/api/v1/incidents/{incident['id']}/close", {"reason": "over"}, status=200)
    text = await ee.get(page)
    assert "3 h 20 min" in text and "incidents:tier:decide" in text and "Add EE's lesson" in text
    await ee.post(f"{page}/lessons", {"topic": "tools", "body": "The **PDF** came late.", "marking": "restricted",
                                      "releasable_to.FR": "on"})
    text = await ee.get(page)
    assert "<strong>PDF</strong> came late" in text and "TLP:AMBER" in text
    proposed = (REPO / "config" / "ladder.toml").read_text().replace("version = 1\n", "version = 2\n", 1).replace(
        "days = 60", "days = 45", 1)
    await ee.post(f"{page}/ladder-proposals", {"ladder_toml": proposed, "rationale": "Shorter quiet period."})
    text = await ee.get(page)
    assert '<span class="diff-add">+days = 45</span>' in text and '<span class="diff-del">-days = 60</span>' in text
    _, refused = await ee.post(f"{page}/ladder-proposals", {"ladder_toml": "[ladder]\n", "rationale": "x"},
                               status=422)
    assert "does not load" in refused

    oversight = await browser(desk.world, "ee.oversight")
    text = await oversight.get(page)
    assert "came late" in text and "Add EE" not in text and "Propose a change" not in text
    text = await oversight.get("/oversight")
    assert incident["title"] in html.unescape(text) and "came late" in text and "incidents:lesson:add" in text
    assert "/api/v1/oversight/report?from=" in text
    text = await oversight.get("/oversight?from=2020-01-01&to=2020-02-01")
    assert "No incident of your party was open" in text
    text = await oversight.get("/oversight?from=yesterday", status=422)
    assert "YYYY-MM-DD" in text
