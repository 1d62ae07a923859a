"""The press: embargoed briefings of scheduled communiqués, and nothing else (no incident, no draft)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from entente import auth
from entente.models import AuditEntry, Role
from tests.support.incidents import Desk
from tests.support.pages import browser
from tests.support.releasing import RESTRICTED_MARKER, TITLE, release_communique, signed_communique

AMBER = "AMBER-EVIDENCE-51c0-marker"


async def add_press(world, username: str, party: str) -> None:
    async with world.sessions.begin() as session:
        await auth.create_user(
            session,
            username=username,
            display_name=f"{party} press attaché",
            party=party,
            roles=[Role.PRESS],
            password=None,
            now=world.clock(),
        )


async def press_browser(world, username: str):
    async with world.sessions.begin() as session:
        user = await auth.get_user(session, username)
        user.password_hash = await auth.hash_password("correct horse battery staple")
        session.add(user)
    return await browser(world, username)


async def test_press_reads_no_incident_not_even_its_partys_amber_evidence(world) -> None:
    desk = Desk(world)
    incident = await desk.open("ee.drafter", participants=["FR"])
    evidence = {
        "kind": "technical_data",
        "title": f"title {AMBER}",
        "body": AMBER,
        "source": "CERT-EE",
        "marking": {"releasable_to": ["EE"], "tlp": "AMBER"},
    }
    await desk.call("ee.drafter", "POST", f"/api/v1/incidents/{incident['id']}/evidence", evidence, status=201)
    assert AMBER in str(await desk.get("ee.drafter", incident))
    await add_press(world, "ee.press", "EE")
    _, body = await desk.call("ee.press", "GET", f"/api/v1/incidents/{incident['id']}", status=404)
    assert AMBER not in str(body)
    _, listing = await desk.call("ee.press", "GET", "/api/v1/incidents", status=200)
    assert AMBER not in str(listing) and incident["title"] not in str(listing)
    press = await press_browser(world, "ee.press")
    assert AMBER not in await press.get(f"/incidents/{incident['id']}", status=404)
    listing_page = await press.get("/incidents")
    assert incident["title"] not in listing_page
    dashboard = await press.get("/dashboard")
    assert (
        "Recent activity" not in dashboard
        and "incident" not in dashboard.lower().split("<main>")[1].split("</main>")[0]
    )


async def test_the_press_sees_the_briefing_and_nothing_more(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await add_press(world, "ee.press", "EE")
    await add_press(world, "ee.press2", "EE")
    await add_press(world, "fr.press", "FR")
    press = await press_browser(world, "ee.press")
    assert "No briefing is open to you now." in await press.get("/briefings")
    await press.get(f"/briefings/{cid}", status=404)
    at = world.clock() + timedelta(hours=2)
    await release_communique(world, cid, at)

    ee = await browser(world, "ee.comms")
    page = await ee.get(f"/communiques/{cid}")
    assert 'name="press.ee.press"' in page and 'name="press.ee.press2"' in page
    assert "fr.press" not in page  # a comms officer invites its own party's press only
    _, text = await ee.post(f"/communiques/{cid}/briefings", {"press.fr.press": "1"}, status=422)
    assert "not_press_account" in text
    _, text = await ee.post(f"/communiques/{cid}/briefings", {"press.ee.drafter": "1"}, status=422)
    assert "not_press_account" in text
    await ee.post(f"/communiques/{cid}/briefings", {"press.ee.press": "1"})

    listing = await press.get("/briefings")
    assert TITLE in listing and f"/briefings/{cid}" in listing
    page = await press.get(f"/briefings/{cid}")
    assert "EMBARGOED UNTIL 2026-11-27 11:00 UTC" in page and 'class="watermark"' in page
    assert 'data-countdown="2026-11-27T11:00:00Z"' in page
    assert "<strong>condemn</strong>" in page and RESTRICTED_MARKER not in page
    # nothing else of the communiqué: not its page, its versions, its sign-off page or the API
    for path in (f"/communiques/{cid}", f"/communiques/{cid}/versions", f"/communiques/{cid}/signoff"):
        assert RESTRICTED_MARKER not in await press.get(path, status=404)
    token = await world.token("ee.press")
    for path in (f"/api/v1/communiques/{cid}", f"/api/v1/communiques/{cid}/versions/head"):
        response = await world.client.get(path, headers=token)
        assert response.status == 404 and RESTRICTED_MARKER not in await response.text()
    # another press account of EE, and FR's, were not invited
    await (await press_browser(world, "ee.press2")).get(f"/briefings/{cid}", status=404)
    await (await press_browser(world, "fr.press")).get(f"/briefings/{cid}", status=404)
    # each reading is audited, per person
    await press.get(f"/briefings/{cid}")
    async with world.sessions() as session:
        reads = (
            (await session.execute(sa.select(AuditEntry).where(AuditEntry.event == "releases:briefing:read")))
            .scalars()
            .all()
        )
        invites = (
            (await session.execute(sa.select(AuditEntry).where(AuditEntry.event == "releases:briefing:invite")))
            .scalars()
            .all()
        )
    assert [(r.actor, r.party, r.object) for r in reads] == [("ee.press", "EE", f"communique:{cid}")] * 2
    assert [(i.actor, i.details["press"]) for i in invites] == [("ee.comms", "ee.press")]
    # the briefing waits for the press account on its dashboard
    assert f"/briefings/{cid}" in await press.get("/dashboard")

    # leaving the box unticked withdraws the invitation
    await ee.post(f"/communiques/{cid}/briefings", {})
    await press.get(f"/briefings/{cid}", status=404)
    await ee.post(f"/communiques/{cid}/briefings", {"press.ee.press": "1"})
    # at the instant the briefing closes: the public page has it
    world.clock.advance(timedelta(hours=2))
    press = await press_browser(world, "ee.press")
    response = await world.client.get(f"/briefings/{cid}", headers=press.headers, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == f"/releases/{cid}"


async def test_a_briefing_needs_a_scheduled_release(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await add_press(world, "ee.press", "EE")
    ee = await browser(world, "ee.comms")
    _, text = await ee.post(f"/communiques/{cid}/briefings", {"press.ee.press": "1"}, status=404)
    assert "no_release" in text
