"""The release panel: instants in the officer's own zone (remembered), every party's zone beside UTC,
who proposed the standing instant, confirmed lifts and cancels, and the lift policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from entente.errors import ConfigError
from entente.settings import Settings, load_settings
from tests.support.pages import browser
from tests.support.releasing import release_communique, signed_communique, three_party
from tests.support.world import REPO


def panel(page: str) -> str:
    start = page.index('id="release"')
    return page[start : page.index("</section>", start)]


async def test_the_panel_reads_instants_in_my_zone_and_remembers_it(world) -> None:
    cid = await three_party(world)
    path = f"/communiques/{cid}"
    ee = await browser(world, "ee.comms")
    page = await ee.get(path)
    assert 'name="zone" list="release-zones" value="Europe/Tallinn"' in panel(page)  # the party's zone first
    await ee.post(f"{path}/release", {"action": "propose", "at": "2026-11-28T08:30", "zone": "America/New_York"})
    shown = panel(await ee.get(path))
    assert "2026-11-28 13:30 UTC" in shown  # 08:30 in New York
    assert 'value="America/New_York"' in shown and "(2026-11-28 08:30 America/New_York)" in shown
    assert "2026-11-28 15:30" in shown and "Europe/Tallinn (UTC+02:00)" in shown
    assert "2026-11-28 14:30" in shown and "Europe/Paris (UTC+01:00)" in shown
    assert 'data-countdown="2026-11-28T13:30:00Z"' in shown
    assert "This instant was proposed by <strong>ee.comms</strong> (EE)" in shown

    fr = await browser(world, "fr.comms")
    await fr.post(f"{path}/release", {"action": "counter", "at": "2026-11-28T16:00", "zone": "Europe/Paris"})
    shown = panel(await ee.get(path))
    assert "2026-11-28 15:00 UTC" in shown
    assert "This instant was proposed by <strong>fr.comms</strong> (FR);" in shown
    assert "the first proposal came from ee.comms (EE)" in shown


async def test_an_instant_skipped_by_a_clock_change_or_an_unknown_zone_is_refused(world) -> None:
    cid = await three_party(world)
    ee = await browser(world, "ee.comms")
    _, text = await ee.post(
        f"/communiques/{cid}/release", {"action": "propose", "at": "2027-03-28T03:30", "zone": "Europe/Tallinn"}, 422
    )
    assert "does not exist in Europe/Tallinn" in panel(text) and "instant_invalid" in panel(text)
    _, text = await ee.post(
        f"/communiques/{cid}/release", {"action": "propose", "at": "2027-01-01T10:00", "zone": "Nowhere/City"}, 422
    )
    assert "zone_unknown" in panel(text)


async def test_lift_and_cancel_ask_for_a_reason_and_a_confirmation(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=2))
    path = f"/communiques/{cid}"
    ee = await browser(world, "ee.comms")
    shown = panel(await ee.get(path))
    assert 'id="lift-form"' in shown and 'name="confirm" value="yes" required' in shown
    for action in ("lift", "cancel"):
        _, text = await ee.post(f"{path}/release", {"action": action, "reason": "a leak"}, 422)
        assert "confirmation_required" in panel(text)
        _, text = await ee.post(f"{path}/release", {"action": action, "reason": " ", "confirm": "yes"}, 422)
        assert "reason_required" in panel(text)
    assert "scheduled" in panel(await ee.get(path))
    await ee.post(f"{path}/release", {"action": "lift", "reason": "a leak", "confirm": "yes"})
    assert "public" in panel(await ee.get(path))


@pytest.fixture
def lift_policy() -> str:
    return "any"


@pytest.fixture
def app(app_for: Callable[[Settings], Any], settings: Settings, lift_policy: str) -> Any:
    """The app of these tests, with ``release.lift_policy`` set by the test (``any`` unless it says)."""
    return app_for(settings.replace(release=dataclasses.replace(settings.release, lift_policy=lift_policy)))


@pytest.mark.parametrize("lift_policy", ["lead", "none"])
async def test_the_lift_policy_decides_who_may_lift_early_alone(world, keys, lift_policy) -> None:
    policy = lift_policy
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=2))
    fr = await browser(world, "fr.comms")
    page = panel(await fr.get(f"/communiques/{cid}"))
    assert 'id="lift-form"' not in page and f"release.lift_policy = {policy}" in page
    _, text = await fr.post(f"/communiques/{cid}/release", {"action": "lift", "reason": "leak", "confirm": "yes"}, 403)
    assert "lift_not_allowed" in text
    response = await world.client.post(
        f"/api/v1/communiques/{cid}/release/lift", json={"reason": "leak"}, headers=await world.token("fr.comms")
    )
    assert response.status == 403 and (await response.json())["code"] == "lift_not_allowed"
    ee = await world.token("ee.comms")
    response = await world.client.post(f"/api/v1/communiques/{cid}/release/lift", json={"reason": "leak"}, headers=ee)
    assert response.status == (200 if policy == "lead" else 403), await response.text()


def test_an_unknown_lift_policy_stops_the_configuration() -> None:
    with pytest.raises(ConfigError, match="release.lift_policy"):
        load_settings(REPO / "config" / "entente.toml", env={"ENTENTE_RELEASE_LIFT_POLICY": "anyone"})
