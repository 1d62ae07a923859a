"""The pages around signing in the browser, read without JavaScript: what they show and carry."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from entente import parties, signing
from entente.errors import SignatureError
from entente.signoffs import SIGNOFF_TYP
from tests.support.drafting import BASE, section, two_party
from tests.support.pages import browser


def panel_keys(page: str) -> dict[str, dict[str, str]]:
    """The kid -> {party, state} map a signing panel carries for the browser's own check."""
    return json.loads(html.unescape(re.search(r'data-keys="([^"]*)"', page).group(1)))


async def test_a_compact_detached_jws_can_be_pasted_as_the_fallback(world) -> None:
    v, _, fr_api = await two_party(world, sections=[section("Public")])
    cid = v["communique"]
    key = signing.generate_private_key(signing.Algorithm.ES256)
    async with world.sessions.begin() as session:
        await parties.add_key(
            session, party="FR", jwk=key.jwk, actor="t", now=world.clock(), not_before=world.clock() - timedelta(days=1)
        )
    payload = await (await world.client.get(f"{BASE}/{cid}/versions/head/signing-payload", headers=fr_api)).read()
    entry = signing.sign_detached(payload, [key], typ=SIGNOFF_TYP, iat=int(world.clock().timestamp()))["signatures"][0]
    fr = await browser(world, "fr.signatory")
    page = await fr.get(f"/communiques/{cid}/signoff")
    assert "data-websign" in page and f'data-digest="{v["digest"]}"' in page
    assert panel_keys(page)[key.kid] == {"party": "FR", "state": "valid"}
    await fr.post(
        f"/communiques/{cid}/signoff", {"action": "sign", "jws": f"{entry['protected']}..{entry['signature']}"}
    )
    assert "Withdraw FR's sign-off" in await fr.get(f"/communiques/{cid}/signoff")


def test_compact_form_is_three_base64url_parts() -> None:
    assert signing.envelope_from_compact("eyJh..c2ln") == {"signatures": [{"protected": "eyJh", "signature": "c2ln"}]}
    assert signing.envelope_from_compact("eyJh.cGF5.c2ln")["payload"] == "cGF5"
    for text in ("eyJh.c2ln", "eyJh..", "..c2ln", "ey Jh..c2ln", "eyJh..c2ln.x"):
        with pytest.raises(SignatureError):
            signing.envelope_from_compact(text)


async def test_the_keys_page_lists_the_party_keys_and_offers_a_browser_key_to_signatories(world, keys) -> None:
    signatory = await browser(world, "fr.signatory")
    page = await signatory.get("/keys")
    assert keys["FR"].kid in page and keys["EE"].kid not in page.split("data-keys")[0]
    assert "Create and register a key for FR" in page and 'data-register-url="/api/v1/parties/FR/keys"' in page
    assert panel_keys(page)[keys["EE"].kid] == {"party": "EE", "state": "valid"}
    assert "/templates/joint-advisory/presign" in page and 'href="/roster"' in page
    drafter = await browser(world, "fr.drafter")
    page = await drafter.get("/keys")
    assert "Create and register" not in page and "Only a signatory of FR" in page


async def test_the_presign_page_shows_the_template_and_the_terms(world, keys) -> None:
    signatory = await browser(world, "ee.signatory")
    page = await signatory.get("/templates/joint-advisory/presign")
    detail = await (
        await world.client.get("/api/v1/templates/joint-advisory", headers=await world.token("ee.drafter"))
    ).json()
    assert detail["digest"] in page and 'data-payload-form="presign-terms"' in page
    assert 'name="not_before" value="2026-11-27T09:00:00Z"' in page
    await signatory.get("/templates/no-such-template/presign", status=404)


async def test_the_roster_page_offers_the_pending_proposal_to_sign(world, rostered) -> None:
    signatory = await browser(world, "ee.signatory")
    assert "No proposal waits for signatures." in await signatory.get("/roster")
    proposed = await world.client.post("/api/v1/roster/proposals", json={}, headers=await world.token("eu.secretariat"))
    assert proposed.status == 201, await proposed.text()
    digest = (await proposed.json())["digest"]
    page = await signatory.get("/roster")
    assert (
        "Proposal of version 2" in page and f'data-digest="{digest}"' in page and "Sign roster version 2 for EE" in page
    )


async def test_a_signatory_revokes_a_key_from_the_keys_page_and_the_trail_says_why(world, keys) -> None:
    from entente import audit

    kid = keys["FR"].kid
    drafter = await browser(world, "fr.drafter")
    _, refused = await drafter.post(f"/keys/{kid}/revoke", {"reason": "not mine to say"}, status=403)
    assert "role_required" in refused
    signatory = await browser(world, "fr.signatory")
    _, empty = await signatory.post(f"/keys/{kid}/revoke", {"reason": " "}, status=422)
    assert "this field is required" in empty
    await signatory.post(f"/keys/{keys['EE'].kid}/revoke", {"reason": "not ours"}, status=404)
    await signatory.post(f"/keys/{kid}/revoke", {"reason": "browser data cleared"})
    page = await signatory.get("/keys")
    assert "revoked (browser data cleared)" in page
    async with world.sessions() as session:
        trail = await audit.list_entries(session, party="FR", limit=3)
    assert [(e.event, e.actor) for e in trail][0] == ("parties:key:revoke", "fr.signatory")
