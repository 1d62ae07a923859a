"""The release panel of the communiqué page and the public release pages, driven as a browser would."""

from __future__ import annotations

import re
from datetime import timedelta

from entente import releases
from tests.support.pages import browser
from tests.support.releasing import RESTRICTED_MARKER, TITLE, release_communique, signed_communique, three_party


def panel(page: str) -> str:
    start = page.index('id="release"')
    return page[start : page.index("</section>", start)]


def actions(page: str) -> set[str]:
    return set(re.findall(r'name="action" value="([a-z]+)"', panel(page)))


async def test_comms_officers_negotiate_and_schedule_through_the_panel(world, keys) -> None:
    cid = await signed_communique(world, keys)
    ee, fr, eu = [await browser(world, f"{p}.comms") for p in ("ee", "fr", "eu")]
    path = f"/communiques/{cid}"
    page = await ee.get(path)
    assert "No embargo instant is proposed yet" in panel(page) and actions(page) == {"propose"}
    response, _ = await ee.post(
        f"{path}/release", {"action": "propose", "at": "2026-11-28T11:00", "zone": "Europe/Tallinn"}
    )
    assert response.headers["Location"].endswith(f"{path}#release")
    page = await fr.get(path)
    shown = panel(page)
    assert "2026-11-28 09:00 UTC" in shown
    assert "2026-11-28 11:00" in shown and "Europe/Tallinn" in shown
    assert "2026-11-28 10:00" in shown and "Europe/Paris" in shown
    assert "Waiting for EU, FR." in shown
    assert {"accept", "counter", "cancel"} <= actions(page)
    accept_at = re.search(r'name="action" value="accept">\s*<input type="hidden" name="at" value="([^"]+)"', shown)
    await fr.post(f"{path}/release", {"action": "accept", "at": accept_at.group(1)})
    await eu.post(f"{path}/release", {"action": "accept", "at": accept_at.group(1)})
    page = await ee.get(path)
    assert "agreed" in panel(page) and "schedule" in actions(page)
    await ee.post(f"{path}/release", {"action": "schedule"})
    page = await ee.get(path)
    assert "scheduled" in panel(page) and actions(page) == {"lift", "cancel"}
    assert "Frozen version" in panel(page)
    assert 'id="editor"' not in page


async def test_the_panel_shows_refusals_and_drafters_see_no_forms(world) -> None:
    cid = await three_party(world)
    path = f"/communiques/{cid}"
    ee = await browser(world, "ee.comms")
    past = {"action": "propose", "at": "2026-11-27T08:00", "zone": "UTC"}
    _, text = await ee.post(f"{path}/release", past, status=409)
    assert "instant_not_in_future" in panel(text)
    _, text = await ee.post(f"{path}/release", {"action": "propose", "at": "soon", "zone": "UTC"}, status=422)
    assert "instant_invalid" in panel(text)
    await ee.post(f"{path}/release", {"action": "propose", "at": "2026-11-28T09:00", "zone": "UTC"})
    _, text = await ee.post(f"{path}/release", {"action": "schedule"}, status=409)
    assert "release_not_agreed" in panel(text)
    drafter = await browser(world, "ee.drafter")
    page = await drafter.get(path)
    assert "proposed" in panel(page) and actions(page) == set()
    _, text = await drafter.post(f"{path}/release", {"action": "cancel", "reason": "no"}, status=403)
    assert "role_required" in text
    missing = await ee.post("/communiques/999999/release", {"action": "schedule"}, status=404)
    assert missing


async def test_the_public_pages_show_only_released_public_text(world, keys) -> None:
    cid = await signed_communique(world, keys)
    client = world.client
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    before = await client.get(f"/releases/{cid}")
    assert before.status == 404
    assert (await client.get("/releases/999999")).status == 404
    listing = await (await client.get("/releases")).text()
    assert TITLE not in listing and "No statement has been released yet" in listing
    assert TITLE not in await (await client.get("/")).text()
    world.clock.advance(timedelta(hours=1))
    page = await client.get(f"/releases/{cid}")
    text = await page.text()
    assert page.status == 200 and page.headers["Cache-Control"] == "public, max-age=60"
    etag = page.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    again = await client.get(f"/releases/{cid}", headers={"If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag
    assert "<strong>condemn</strong>" in text and "2026-11-27 10:00 UTC" in text
    assert RESTRICTED_MARKER not in text and "1 section(s)" in text and TITLE in text
    assert "Signed off by Republic of Estonia, European Union, French Republic" in text
    for path in ("/releases", "/", "/api/v1/public/communiques", f"/api/v1/public/communiques/{cid}"):
        body = await (await client.get(path)).text()
        assert RESTRICTED_MARKER not in body
        assert f"/releases/{cid}" in body or path.startswith("/api/")
    async with world.sessions.begin() as session:
        assert await releases.publish_due(session, world.clock()) == [cid]
    assert (await client.get(f"/releases/{cid}")).status == 200
