"""Aligning later, in the browser (Debian's Chromium): a signatory of a party that took no part signs the
released bytes with its key file, with a statement the browser binds to the signature; the public page
shows it, and jwcrypto and `entente verify` check what the browser made."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from entente import canonical, releases, scheduler, signing
from entente.appkeys import publisher_key
from entente.verification import VerifyOptions, verify_bundle
from tests.support.browser import BROWSER_MARKS
from tests.support.drafting import BASE, create, section
from tests.support.releasing import PUBLIC, bundle_of
from tests.support.signoffs import jws, payload, sign
from tests.support.world import PASSWORD

pytestmark = BROWSER_MARKS

STATEMENT = "Estonia aligns itself with France's assessment of this operation."


async def test_a_signatory_aligns_in_the_browser_with_a_bound_statement(
    browser_page, base_url, world, rostered, tmp_path: Path
) -> None:
    keys = rostered
    page, problems = browser_page
    fr = await world.token("fr.drafter")
    cid = (
        await create(
            world.client,
            fr,
            kind="coordinated_national_statement",
            title="France attributes the operation",
            sections=[section("Statement", "France attributes the operation to a state service.")],
        )
    )["communique"]
    await sign(world, "fr.signatory", cid, jws(keys["FR"], await payload(world, fr, cid), world))
    comms = await world.token("fr.comms")
    at = (world.clock() + timedelta(hours=1)).isoformat()
    assert (await world.client.post(f"{BASE}/{cid}/release", json={"at": at}, headers=comms)).status == 201
    assert (await world.client.post(f"{BASE}/{cid}/release/schedule", headers=comms)).status == 200
    world.clock.advance(timedelta(hours=1))
    assert await scheduler.tick(world.client.app[publisher_key]) == [cid]
    world.clock.advance(timedelta(days=7))

    key_file = tmp_path / "EE.pem"
    signing.save_private_key(keys["EE"], key_file, "ee passphrase")
    await page.goto(base_url + "login")
    await page.fill("#username", "ee.signatory")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/dashboard")
    await page.goto(f"{base_url}releases/{cid}")
    await page.click(f"a[href='/alignments/{cid}']")
    await page.wait_for_selector("[data-role=digest-verdict]:not([hidden])")
    assert await page.inner_text("[data-role=digest-verdict]") == "matches the digest the server shows"
    await page.fill("#statement", STATEMENT + "\n")
    await page.check("input[name=key-source][value=file]")
    await page.set_input_files("[data-role=key-file]", str(key_file))
    await page.fill("[data-role=passphrase]", "ee passphrase")
    async with page.expect_navigation():
        await page.click("[data-role=sign]")
    main = await page.inner_text("main")
    assert "Later alignments" in main and STATEMENT in main and "Republic of Estonia" in main
    await page.screenshot(path=str(tmp_path / "aligned.png"), full_page=True)
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"

    await scheduler.tick(world.client.app[publisher_key])
    bundle = await bundle_of(world, cid)
    [item] = bundle["alignments"]
    version = await (await world.client.get(f"{PUBLIC}/{cid}/version")).read()
    token = jwcrypto_jws.JWS()
    token.deserialize(json.dumps(item["envelope"]["signatures"][0]))
    token.verify(jwcrypto_jwk.JWK(**keys["EE"].public_key.jwk), detached_payload=version)
    header = json.loads(canonical.b64url_decode(item["envelope"]["signatures"][0]["protected"]))
    assert header["typ"] == releases.ALIGNMENT_TYP and header["statement_digest"] == releases.statement_digest(
        STATEMENT
    )
    assert item["statement"] == STATEMENT
    report = verify_bundle(bundle, VerifyOptions())
    assert report.verdict == "valid", report.to_dict()
    assert {c.name: c.detail for c in report.checks}[
        "alignments"
    ] == "at release: FR; aligned later (not withdrawn): EE"
