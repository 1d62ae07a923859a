"""The pages around the release, driven as a browser without JavaScript would: a bundle gathered,
negotiated, scheduled and held from its page; a signatory aligning with a released statement from the
alignment page; a drafter starting a correction from the communiqué's tabs."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from entente import canonical, releases, scheduler, signing
from entente.appkeys import publisher_key
from tests.support.drafting import BASE, create, section
from tests.support.pages import browser
from tests.support.releasing import PUBLIC, released, signed_communique
from tests.support.signoffs import jws, payload, sign


async def national(world, keys, party: str, title: str) -> int:
    headers = await world.token(f"{party.lower()}.drafter")
    cid = (
        await create(
            world.client,
            headers,
            kind="coordinated_national_statement",
            title=title,
            sections=[section("Statement", f"{title}.")],
        )
    )["communique"]
    await sign(world, f"{party.lower()}.signatory", cid, jws(keys[party], await payload(world, headers, cid), world))
    return cid


async def test_a_bundle_is_gathered_negotiated_scheduled_and_held_from_its_page(world, keys) -> None:
    joint = await signed_communique(world, keys)
    fr_own = await national(world, keys, "FR", "France on the attack")
    ee, fr, eu = [await browser(world, f"{p}.comms") for p in ("ee", "fr", "eu")]
    listing = await ee.get("/bundles")
    assert f'value="{joint}"' in listing and "Gather communiqués" in listing
    response, _ = await ee.post("/bundles", {"title": "Grid attack", "members": str(joint)})
    path = response.headers["Location"]
    bid = int(path.rsplit("/", 1)[1])
    page = await fr.get(path)
    assert f"#{joint}" in page and f'<option value="{fr_own}">' in page
    await fr.post(path, {"action": "add", "communique": str(fr_own)})
    _, refused = await ee.post(path, {"action": "propose", "at": "2026-11-27T08:00", "zone": "UTC"}, status=409)
    assert "instant_not_in_future" in refused
    await ee.post(path, {"action": "propose", "at": "2026-11-28T10:00", "zone": "Europe/Paris"})
    page = await fr.get(path)
    assert "2026-11-28 09:00 UTC" in page and "Waiting for EU, FR to accept." in page
    at = re.search(r'name="action" value="accept">\s*<input type="hidden" name="at" value="([^"]+)"', page).group(1)
    await fr.post(path, {"action": "accept", "at": at})
    await eu.post(path, {"action": "accept", "at": at})
    await ee.post(path, {"action": "schedule"})
    page = await ee.get(path)
    assert page.count(">scheduled<") >= 1 and "Lift the embargo now" in page
    # FR's signatory withdraws on its own statement: the page shows the whole bundle held, and why.
    await world.client.delete(f"{BASE}/{fr_own}/versions/head/signoffs/FR", headers=await world.token("fr.signatory"))
    page = await ee.get(path)
    assert "state-held" in page and "FR withdrew" in page and "Resume every member" in page
    drafter = await browser(world, "ee.drafter")
    assert "Gather communiqués" not in await drafter.get("/bundles")
    assert f"/bundles/{bid}" in await drafter.get("/bundles")


async def test_a_signatory_aligns_from_the_page_and_the_public_page_shows_it(world, rostered) -> None:
    keys = rostered
    cid = await released(world, keys)
    # Every party of the small coalition signed this one at release: an original signer is told so.
    eu = await browser(world, "eu.signatory")
    page = await eu.get(f"/alignments/{cid}")
    assert "signed this statement before its release" in page
    assert f"/api/v1/public/communiques/{cid}/version" in page
    version = await (await world.client.get(f"{PUBLIC}/{cid}/version")).read()
    record = json.loads(await (await world.client.get(f"{PUBLIC}/{cid}")).read())
    assert canonical.digest(version) == record["version_digest"]


async def test_a_party_outside_the_statement_aligns_through_the_form(world, rostered) -> None:
    keys = rostered
    fr_only = await national(world, keys, "FR", "France attributes the operation")
    comms = await world.token("fr.comms")
    proposed = await world.client.post(
        f"{BASE}/{fr_only}/release", json={"at": (world.clock() + timedelta(hours=1)).isoformat()}, headers=comms
    )
    assert proposed.status == 201, await proposed.text()
    await world.client.post(f"{BASE}/{fr_only}/release/schedule", headers=comms)
    world.clock.advance(timedelta(hours=1))
    await scheduler.tick(world.client.app[publisher_key])
    world.clock.advance(timedelta(days=7))
    ee = await browser(world, "ee.signatory")
    page = await ee.get(f"/alignments/{fr_only}")
    assert "Align EE" in page and "entente-alignment+jws" in page
    version = await (await world.client.get(f"{PUBLIC}/{fr_only}/version")).read()
    statement = "Estonia shares this assessment."
    envelope = signing.sign_detached(
        version,
        [keys["EE"]],
        typ=releases.ALIGNMENT_TYP,
        iat=int(world.clock().timestamp()),
        extra={"statement_digest": releases.statement_digest(statement)},
    )
    _, refused = await ee.post(
        f"/alignments/{fr_only}",
        {"action": "align", "jws": json.dumps(envelope), "statement": "Another statement"},
        status=422,
    )
    assert "statement_mismatch" in refused
    response, _ = await ee.post(
        f"/alignments/{fr_only}", {"action": "align", "jws": json.dumps(envelope), "statement": statement}
    )
    assert response.headers["Location"] == f"/releases/{fr_only}#alignments"
    public = await (await world.client.get(f"/releases/{fr_only}")).text()
    assert "Later alignments" in public and statement in public and "Republic of Estonia" in public
    page = await ee.get(f"/alignments/{fr_only}")
    alignment = re.search(r'name="alignment" value="(\d+)"', page).group(1)
    await ee.post(f"/alignments/{fr_only}", {"action": "withdraw", "alignment": alignment, "reason": "new facts"})
    public = await (await world.client.get(f"/releases/{fr_only}")).text()
    assert "Withdrawn on" in public and "new facts" in public and statement in public


async def test_a_drafter_starts_a_correction_from_the_tabs(world, keys) -> None:
    cid = await released(world, keys)
    drafter = await browser(world, "ee.drafter")
    page = await drafter.get(f"/communiques/{cid}")
    assert f'href="/communiques/{cid}/correction"' in page
    _, refused = await drafter.post(f"/communiques/{cid}/correction", {"title": "", "changes": " "}, status=422)
    assert "invalid_text" in refused
    response, _ = await drafter.post(
        f"/communiques/{cid}/correction", {"title": "", "changes": "The date is corrected."}
    )
    new = int(response.headers["Location"].rsplit("/", 1)[1])
    page = await drafter.get(f"/communiques/{new}")
    assert f'supersedes <a href="/communiques/{cid}">#{cid}</a>' in page and "What changed" in page
    page = await drafter.get(f"/communiques/{cid}/correction")
    assert f'superseded by <a href="/communiques/{new}">' in page
