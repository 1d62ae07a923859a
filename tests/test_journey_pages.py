"""From an incident to a draft in pages (no JavaScript): the crisis templates the decided tier allows,
a form generated from the template's schema with its validation messages, a server-rendered preview,
"Start the communiqué" inviting the incident's parties; a sanctions package from the incident; the
templates page with who pre-signed what until when. A refused form is a readable page and changes
nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from entente import parties, signing
from entente.appkeys import templates_key
from entente.clock import isoformat
from entente.models import Communique
from tests.support.incidents import TIER_2, TIER_3, Desk
from tests.support.pages import browser

ADVISORY = {
    "param.activity": "scanning and exploitation of VPN appliances",
    "param.first_observed": "2026-10-01",
    "param.sectors": "energy\nhealth",
    "param.summary": "An actor exploits unpatched VPN appliances to reach operational networks.",
    "param.mitigations": "Patch VPN appliances now\nRotate credentials",
    "param.indicators": "203.0.113[.]7",
}


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def _count(world) -> int:
    async with world.sessions() as session:
        return await session.scalar(sa.select(sa.func.count()).select_from(Communique))


async def test_the_incident_page_offers_the_templates_of_the_decided_tier(desk) -> None:
    incident = await desk.open(metrics=TIER_2, participants=["FR", "EU"])
    ee = await browser(desk.world, "ee.drafter")
    page = await ee.get(f"/incidents/{incident['id']}")
    assert "Record EE&#39;s decided tier above first" in page or "Record EE's decided tier above first" in page
    await desk.decide("ee.drafter", incident, 2)
    page = await ee.get(f"/incidents/{incident['id']}")
    offered = set(re.findall(rf"/incidents/{incident['id']}/drafts/([a-z-]+)", page))
    allowed = {t.id for t in desk.world.client.app[templates_key].values() if 2 in t.tiers}
    assert offered == allowed and {"joint-advisory", "warning-declaration", "de-escalation"} <= offered
    assert "start a sanctions package" not in page  # tier 2 allows no sanctions
    fr_signatory = await browser(desk.world, "fr.signatory")
    assert "/drafts/" not in await fr_signatory.get(f"/incidents/{incident['id']}")  # drafters start communiqués


async def test_a_template_form_previews_refuses_bad_values_and_starts_the_communique(desk) -> None:
    incident = await desk.open(metrics=TIER_2, participants=["FR", "EU"])
    await desk.decide("ee.drafter", incident, 2)
    ee = await browser(desk.world, "ee.drafter")
    path = f"/incidents/{incident['id']}/drafts/joint-advisory"
    form = await ee.get(path)
    # One field per parameter, of its kind, with the schema's label, description and default.
    assert 'name="param.first_observed" type="date"' in form
    assert 'name="param.sectors"' in form and "One per line, at most 20" in form
    assert 'value="a malicious cyber actor"' in form  # the default of "actor"
    assert 'name="invite.FR" checked' in form and 'name="invite.EU" checked' in form
    before = await _count(desk.world)
    # Bad values: each message beside its field; nothing stored.
    bad = dict(ADVISORY, **{"param.first_observed": "", "param.sectors": "x" * 81, "action": "start"})
    bad.update({"title": "Advisory", "invite.FR": "on", "invite.EU": "on"})
    _, text = await ee.post(path, bad, status=422)
    assert "Sectors affected: item 1: must be at most 80 characters" in text or "must be at most 80" in text
    assert "First observed" in text and "is required" in text
    assert "scanning and exploitation of VPN appliances" in text  # what was typed is kept
    assert await _count(desk.world) == before
    # Preview: rendered on the server with each section's marking; nothing stored.
    good = dict(ADVISORY, title="Joint advisory on VPN exploitation", **{"invite.FR": "on", "invite.EU": "on"})
    _, text = await ee.post(path, good | {"action": "preview"}, status=200)
    assert 'id="preview"' in text and "TLP:CLEAR" in text and "Patch VPN appliances now" in text
    assert "203.0.113[.]7" in text and "TLP:AMBER" in text  # indicators: participants only
    assert await _count(desk.world) == before
    # Start: the communiqué exists, from the template, with the incident's parties invited.
    response, _ = await ee.post(path, good | {"action": "start"}, status=303)
    location = response.headers["Location"]
    assert re.fullmatch(r"/communiques/\d+", location)
    _, body = await desk.call("ee.drafter", "GET", "/api/v1" + location, status=200)
    assert body["template"]["id"] == "joint-advisory" and body["incident"] == incident["id"]
    assert sorted(p["party"] for p in body["participants"]) == ["EE", "EU", "FR"]
    editor = await ee.get(location)
    assert "joint-advisory" in editor and "Patch VPN appliances now" in editor


async def test_a_template_the_decided_tier_does_not_allow_is_refused_on_the_page(desk) -> None:
    incident = await desk.open(metrics=TIER_2, participants=["FR"])
    await desk.decide("ee.drafter", incident, 2)
    ee = await browser(desk.world, "ee.drafter")
    path = f"/incidents/{incident['id']}/drafts/joint-attribution"
    assert "this template is not allowed at that tier" in await ee.get(path)
    before = await _count(desk.world)
    _, text = await ee.post(path, {"action": "start", "title": "Attribution"}, status=422)
    assert "not allowed at tier 2" in text and await _count(desk.world) == before
    await ee.get(f"/incidents/{incident['id']}/drafts/no-such-template", status=422)
    outsider = await browser(desk.world, "eu.secretariat")
    await outsider.get(f"/incidents/{incident['id'] + 1000}/drafts/joint-advisory", status=404)


async def test_a_sanctions_package_is_started_from_the_incident_page(desk) -> None:
    incident = await desk.open(metrics=TIER_3, participants=["FR", "EU"])
    await desk.decide("ee.signatory", incident, 3)
    ee = await browser(desk.world, "ee.drafter")
    page = await ee.get(f"/incidents/{incident['id']}")
    assert f"/incidents/{incident['id']}/sanctions-package" in page
    path = f"/incidents/{incident['id']}/sanctions-package"
    before = await _count(desk.world)
    _, text = await ee.post(path, {"title": "Grid sanctions", "invite.FR": "on"}, status=409)
    assert "legal review" in text and await _count(desk.world) == before
    await desk.review("ee.signatory", incident, 3)
    _, text = await ee.post(path, {"title": " ", "invite.FR": "on"}, status=422)
    assert "required" in text and await _count(desk.world) == before
    response, _ = await ee.post(path, {"title": "Grid sanctions", "invite.FR": "on"})
    assert re.fullmatch(r"/sanctions/packages/\d+", response.headers["Location"])
    package = await ee.get(response.headers["Location"])
    assert "Grid sanctions" in package and "Add a designation" in package
    listing = await ee.get("/sanctions")
    assert "Grid sanctions" in listing


async def test_the_templates_page_lists_versions_and_who_pre_signed_until_when(world, keys) -> None:
    template = world.client.app[templates_key]["joint-advisory"]
    start = world.clock()
    terms = {"tiers": [1, 2], "not_before": isoformat(start), "not_after": isoformat(start + timedelta(days=90))}
    query = {"party": "FR", "tiers": "1,2", "not_before": terms["not_before"], "not_after": terms["not_after"]}
    headers = await world.token("fr.signatory")
    payload = await world.client.get(
        "/api/v1/templates/joint-advisory/presignature-payload", params=query, headers=headers
    )
    jws = signing.sign_detached(
        await payload.read(), [keys["FR"]], typ=parties.PRESIGNATURE_JWS_TYPE, iat=int(start.timestamp())
    )
    body = {**terms, "party": "FR", "jws": jws, "template_digest": template.digest}
    created = await world.client.post("/api/v1/templates/joint-advisory/presignatures", json=body, headers=headers)
    assert created.status == 201, await created.text()
    fr = await browser(world, "fr.signatory")
    text = await fr.get("/templates")
    section = text[text.index('id="template-joint-advisory"') :]
    section = section[: section.index("</section>")]
    until = (start + timedelta(days=90)).strftime("%Y-%m-%d %H:%M")
    assert "(current)" in section and ">FR<" in section and "1, 2" in section and until in section
    assert "state-valid" in section
    assert "entente templates presign joint-advisory --party FR" in section
    assert "/templates/joint-advisory/presign" in section  # the browser pre-sign page
    assert 'id="template-joint-attribution"' in text and "not pre-signed by any party" in text
    drafter = await browser(world, "ee.drafter")
    assert "entente templates presign" not in await drafter.get("/templates")
