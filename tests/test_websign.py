"""Signing in the browser (WebCrypto) in Debian's Chromium: a key file, a key made in the browser.

Each journey ends with the server's record checked independently: the JWS the browser made verifies
with jwcrypto over the exact version bytes the API serves.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws
from sqlmodel import select

from entente import audit, canonical, parties, signing
from entente.models import Signoff
from tests.support.browser import BROWSER_MARKS
from tests.support.drafting import BASE
from tests.support.releasing import RESTRICTED_MARKER, three_party
from tests.support.world import PASSWORD

pytestmark = BROWSER_MARKS

PASSPHRASE = "a long passphrase for the EE key file"


async def sign_in(page: Any, base_url: str, username: str) -> None:
    await page.goto(base_url + "login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/dashboard")


async def payload_bytes(world: Any, cid: int, number: int | str) -> bytes:
    response = await world.client.get(
        f"{BASE}/{cid}/versions/{number}/signing-payload", headers=await world.token("ee.drafter")
    )
    assert response.status == 200
    return await response.read()


async def signoff_of(world: Any, cid: int, party: str) -> Signoff:
    async with world.sessions() as session:
        row = (
            await session.execute(select(Signoff).where(Signoff.communique_id == cid, Signoff.party == party))
        ).scalar_one()
    return row


def verify_with_jwcrypto(envelope: bytes, public_jwk: dict[str, Any], payload: bytes) -> dict[str, Any]:
    """Check the stored JWS over ``payload`` with jwcrypto; its protected header."""
    token = jwcrypto_jws.JWS()
    token.deserialize(envelope.decode())
    token.verify(jwcrypto_jwk.JWK(**public_jwk), detached_payload=payload)
    entry = json.loads(envelope)["signatures"][0]
    return json.loads(canonical.b64url_decode(entry["protected"]))


async def wait_for_digest_check(page: Any) -> None:
    await page.wait_for_selector("[data-role=digest-verdict]:not([hidden])")
    assert await page.inner_text("[data-role=digest-verdict]") == "matches the digest the server shows"


async def test_signatory_signs_with_an_encrypted_key_file_and_jwcrypto_verifies_it(
    browser_page, base_url, world, rostered, entente, tmp_path: Path
) -> None:
    keys = rostered
    page, problems = browser_page
    cid = await three_party(world)
    # EE's key file exactly as `entente keys generate` writes it (PKCS#8, PBES2, PBKDF2-SHA256, AES-256-CBC).
    made = entente(
        "keys",
        "generate",
        "--party",
        "EE",
        "--alg",
        "ES256",
        "--out",
        str(tmp_path / "ee"),
        env={"ENTENTE_KEY_PASSPHRASE": PASSPHRASE},
    )
    assert made.returncode == 0, made.stderr
    (key_file,) = (tmp_path / "ee").glob("EE-*.pem")
    ee_key = signing.load_private_key(key_file, PASSPHRASE)
    async with world.sessions.begin() as session:
        await parties.add_key(
            session,
            party="EE",
            jwk=ee_key.jwk,
            actor="test",
            now=world.clock(),
            not_before=world.clock() - timedelta(days=1),
        )
    # FR's registered key, in a file of its own: not a key EE can sign with.
    fr_file = tmp_path / "FR.pem"
    signing.save_private_key(keys["FR"], fr_file, "fr passphrase")

    await sign_in(page, base_url, "ee.signatory")
    await page.goto(f"{base_url}communiques/{cid}/signoff")
    main = await page.inner_text("main")
    assert "We condemn the attack on the grid." in main and RESTRICTED_MARKER in main  # EE sees both sections
    assert "TLP:CLEAR" in main and "TLP:AMBER" in main
    await wait_for_digest_check(page)
    assert "2 of 2 item(s) shown on this page match the signed object" in await page.inner_text(".websign")
    await page.screenshot(path=str(tmp_path / "signoff.png"), full_page=True)
    assert await page.inner_text("[data-role=no-browser-keys]")  # no key in this browser yet
    await page.check("input[name=key-source][value=file]")

    await page.set_input_files("[data-role=key-file]", str(fr_file))
    await page.fill("[data-role=passphrase]", "fr passphrase")
    await page.click("[data-role=sign]")
    error = page.locator("[data-role=error]")
    await error.wait_for(state="visible")
    assert "registered for FR, not EE" in await error.inner_text()

    await page.set_input_files("[data-role=key-file]", str(key_file))
    await page.fill("[data-role=passphrase]", "not the passphrase")
    await page.click("[data-role=sign]")
    await page.locator("[data-role=error]", has_text="wrong passphrase for this key file").wait_for()
    async with world.sessions() as session:
        assert (await session.execute(select(Signoff).where(Signoff.communique_id == cid))).first() is None

    await page.fill("[data-role=passphrase]", PASSPHRASE)
    async with page.expect_navigation():
        await page.click("[data-role=sign]")
    assert "EE has signed this version." in await page.inner_text("main")
    await page.screenshot(path=str(tmp_path / "signed.png"), full_page=True)
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"

    row = await signoff_of(world, cid, "EE")
    assert row.signer == "ee.signatory" and row.kids == [ee_key.kid]
    header = verify_with_jwcrypto(row.envelope, ee_key.jwk, await payload_bytes(world, cid, "head"))
    assert header["alg"] == "ES256" and header["kid"] == ee_key.kid and header["typ"] == "entente-signoff+jws"
    assert header["digest"] == signing.prepare_payload(await payload_bytes(world, cid, "head")).digest
    assert abs(header["iat"] - world.clock().timestamp()) < 60  # on the server's clock, not the machine's

    # The same key file signs the next coalition roster, which the secretariat proposes.
    proposed = await world.client.post("/api/v1/roster/proposals", json={}, headers=await world.token("eu.secretariat"))
    assert proposed.status == 201, await proposed.text()
    await page.goto(f"{base_url}roster")
    await wait_for_digest_check(page)
    await page.check("input[name=key-source][value=file]")
    await page.set_input_files("[data-role=key-file]", str(key_file))
    await page.fill("[data-role=passphrase]", PASSPHRASE)
    async with page.expect_navigation():
        await page.click("[data-role=sign]")
    assert "EE has signed this proposal." in await page.inner_text("main")
    described = await world.client.get("/api/v1/roster", headers=await world.token("ee.drafter"))
    signatures = (await described.json())["proposal"]["signatures"]
    assert [(s["party"], s["kid"], s["submitted_by"]) for s in signatures] == [("EE", ee_key.kid, "ee.signatory")]
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"


async def test_signatory_creates_a_browser_key_registers_it_and_signs(
    browser_page, base_url, world, keys, tmp_path: Path
) -> None:
    page, problems = browser_page
    cid = await three_party(world)
    await sign_in(page, base_url, "fr.signatory")
    await page.goto(f"{base_url}keys")
    await page.select_option("[data-role=alg]", "Ed25519")
    async with page.expect_navigation():
        await page.click("[data-role=create]")
    # The list is filled by the script from IndexedDB after the page loads: wait for it.
    await page.locator("[data-role=browser-key-list] li", has_text="registered for FR, valid").first.wait_for()
    listed = await page.inner_text("[data-role=browser-key-list]")
    assert "registered for FR, valid" in listed, listed
    kid = listed.split("Ed25519 key ")[1].split()[0]
    await page.screenshot(path=str(tmp_path / "keys.png"), full_page=True)
    assert kid in await page.inner_text("table")
    extractable = await page.evaluate(
        """() => new Promise((resolve, reject) => {
             const open = indexedDB.open("entente-signing-keys");
             open.onsuccess = () => {
               const get = open.result.transaction("keys").objectStore("keys").getAll();
               get.onsuccess = () => resolve(get.result.map(k => [k.kid, k.privateKey.extractable, k.privateKey.type]));
             };
             open.onerror = reject;
           })"""
    )
    assert extractable == [[kid, False, "private"]]
    async with world.sessions() as session:
        row = await parties.get_key(session, "FR", kid)
        trail = await audit.list_entries(session, party="FR", limit=5)
    assert row.registered_by == "fr.signatory" and row.alg == "Ed25519"
    assert any(e.event == "parties:key:add" and e.actor == "fr.signatory" and kid in e.object for e in trail)

    await page.goto(f"{base_url}communiques/{cid}/signoff")
    main = await page.inner_text("main")
    assert "We condemn the attack on the grid." in main and RESTRICTED_MARKER in main
    await wait_for_digest_check(page)
    assert kid in await page.inner_text("[data-role=browser-keys]")
    async with page.expect_navigation():
        await page.click("[data-role=sign]")
    assert "FR has signed this version." in await page.inner_text("main")

    signed = await signoff_of(world, cid, "FR")
    header = verify_with_jwcrypto(signed.envelope, row.jwk, await payload_bytes(world, cid, "head"))
    assert header["alg"] == "Ed25519" and header["kid"] == kid

    # The same key pre-signs a crisis template in the browser.
    await page.goto(f"{base_url}templates/joint-advisory/presign")
    await page.uncheck("input[name=tiers][value='1']")  # the terms change the bytes: the digest follows
    terms = "party=FR&tiers=2&tiers=3&tiers=4&not_before=2026-11-27T09:00:00Z&not_after=2027-11-27T09:00:00Z"
    expected = await world.client.get(
        f"/api/v1/templates/joint-advisory/presignature-payload?{terms}", headers=await world.token("fr.signatory")
    )
    digest = signing.prepare_payload(await expected.read()).digest
    await page.locator("[data-role=digest]", has_text=digest).wait_for()
    async with page.expect_navigation():
        await page.click("[data-role=sign]")
    presigned = await page.inner_text("main")
    assert "tiers 2, 3, 4, 2026-11-27 09:00 to 2027-11-27 09:00 UTC" in presigned and kid in presigned
    assert "valid (by fr.signatory)" in presigned
    await page.screenshot(path=str(tmp_path / "presigned.png"), full_page=True)

    # An ES256 (P-256) key made in the browser registers the same way.
    await page.goto(f"{base_url}keys")
    await page.select_option("[data-role=alg]", "ES256")
    async with page.expect_navigation():
        await page.click("[data-role=create]")
    await page.locator("[data-role=browser-key-list] li", has_text="ES256 key ").wait_for()
    listed = await page.inner_text("[data-role=browser-key-list]")
    es256 = listed.split("ES256 key ")[1].split()[0]
    async with world.sessions() as session:
        assert (await parties.get_key(session, "FR", es256)).alg == "ES256"
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"


async def test_a_user_who_cannot_see_a_section_sees_its_count_and_no_text(browser_page, base_url, world, keys) -> None:
    page, problems = browser_page
    cid = await three_party(world)
    await sign_in(page, base_url, "eu.signatory")
    await page.goto(f"{base_url}communiques/{cid}/signoff")
    main = await page.inner_text("main")
    assert "We condemn the attack on the grid." in main and RESTRICTED_MARKER not in await page.content()
    assert "Withheld from EU: 1 item(s)" in main
    await wait_for_digest_check(page)
    assert "1 of 1 item(s) shown on this page match the signed object" in await page.inner_text(".websign")
    assert problems == [], problems


def _der(tag: int, body: bytes) -> bytes:
    size = len(body)
    length = (
        bytes([size])
        if size < 128
        else bytes([0x80 | ((size.bit_length() + 7) // 8)]) + size.to_bytes((size.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + length + body


def _oid(dotted: str) -> bytes:
    first, second, *rest = (int(p) for p in dotted.split("."))
    out = bytearray([40 * first + second])
    for value in rest:
        chunk = [value & 0x7F]
        while value > 0x7F:
            value >>= 7
            chunk.insert(0, 0x80 | (value & 0x7F))
        out += bytes(chunk)
    return _der(0x06, bytes(out))


def _seq(*parts: bytes) -> bytes:
    return _der(0x30, b"".join(parts))


def _int(value: int) -> bytes:
    return _der(0x02, value.to_bytes((value.bit_length() + 8) // 8, "big"))


def pbes2_pem(pkcs8: bytes, passphrase: str, *, cipher: str, prf: str | None) -> str:
    """An EncryptedPrivateKeyInfo (RFC 5958, PBES2 of RFC 8018) written independently of `cryptography`'s writer."""
    import base64
    import hashlib
    import os

    from cryptography.hazmat.primitives import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    oids = {"aes-128-cbc": "2.16.840.1.101.3.4.1.2", "aes-256-gcm": "2.16.840.1.101.3.4.1.46"}
    prfs = {"sha1": "1.2.840.113549.2.7", "sha512": "1.2.840.113549.2.11"}
    salt, iterations, size = os.urandom(16), 1000, 16 if cipher == "aes-128-cbc" else 32
    key = hashlib.pbkdf2_hmac(prf or "sha1", passphrase.encode(), salt, iterations, size)
    kdf_params = [_der(0x04, salt), _int(iterations)] + ([_seq(_oid(prfs[prf]), _der(0x05, b""))] if prf else [])
    if cipher == "aes-128-cbc":
        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        data = encryptor.update(padder.update(pkcs8) + padder.finalize()) + encryptor.finalize()
        enc = _seq(_oid(oids[cipher]), _der(0x04, iv))
    else:
        nonce = os.urandom(12)
        data = AESGCM(key).encrypt(nonce, pkcs8, None)
        enc = _seq(_oid(oids[cipher]), _seq(_der(0x04, nonce), _int(16)))
    scheme = _seq(_oid("1.2.840.113549.1.5.13"), _seq(_seq(_oid("1.2.840.113549.1.5.12"), _seq(*kdf_params)), enc))
    der = _seq(scheme, _der(0x04, data))
    body = base64.encodebytes(der).decode()
    return f"-----BEGIN ENCRYPTED PRIVATE KEY-----\n{body}-----END ENCRYPTED PRIVATE KEY-----\n"


async def test_key_files_open_in_the_browser_whatever_pbes2_variant_wrote_them(browser_page, base_url, world) -> None:
    from cryptography.hazmat.primitives import serialization

    page, problems = browser_page
    await sign_in(page, base_url, "ee.signatory")
    await page.goto(f"{base_url}keys")
    open_file = """async ([pem, passphrase]) => {
        try { const key = await window.EntenteSign.keyFromFile(pem, passphrase);
              return [key.kid, key.alg, key.privateKey.extractable]; }
        catch (e) { return ["error", e.message]; } }"""
    for alg in (signing.Algorithm.ED25519, signing.Algorithm.ES256):
        key = signing.generate_private_key(alg)
        pkcs8 = serialization.load_pem_private_key(signing.private_key_pem(key, "pw"), b"pw").private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        files = {
            "entente keys": signing.private_key_pem(key, "pw").decode(),
            "AES-128-CBC, default PRF (HMAC-SHA-1)": pbes2_pem(pkcs8, "pw", cipher="aes-128-cbc", prf=None),
            "AES-256-GCM, HMAC-SHA-512": pbes2_pem(pkcs8, "pw", cipher="aes-256-gcm", prf="sha512"),
        }
        for name, pem in files.items():
            assert await page.evaluate(open_file, [pem, "pw"]) == [key.kid, str(alg), False], (alg, name)
            wrong = await page.evaluate(open_file, [pem, "pW"])
            assert wrong[0] == "error" and "wrong passphrase" in wrong[1], (alg, name, wrong)
    plain = (
        serialization.load_pem_private_key(signing.private_key_pem(key, "pw"), b"pw")
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    refused = await page.evaluate(open_file, [plain, "pw"])
    assert refused[0] == "error" and "not encrypted" in refused[1]
    assert problems == [], problems


async def test_a_key_file_public_half_registers_from_the_keys_page_and_a_private_key_is_never_sent(
    browser_page, base_url, world, entente, tmp_path: Path
) -> None:
    page, problems = browser_page
    # EE's key file as `entente keys generate` writes it, and its public JWK with a private member added.
    made = entente(
        "keys", "generate", "--party", "EE", "--out", str(tmp_path / "ee"), env={"ENTENTE_KEY_PASSPHRASE": PASSPHRASE}
    )
    assert made.returncode == 0, made.stderr
    (public,) = (tmp_path / "ee").glob("EE-*.jwk.json")
    private_jwk = tmp_path / "EE-private.jwk.json"
    private_jwk.write_text(json.dumps(json.loads(public.read_text()) | {"d": "c2VjcmV0"}))
    posted: list[str] = []
    page.on("request", lambda request: posted.append(request.url) if request.method == "POST" else None)
    await sign_in(page, base_url, "ee.signatory")
    posted.clear()
    await page.goto(f"{base_url}keys")

    await page.set_input_files("input[name=jwk_file]", str(private_jwk))
    await page.click("form[data-keyfile] button[type=submit]")
    await page.locator("form[data-keyfile] [data-role=error]", has_text="private key material ('d')").wait_for()
    await page.set_input_files("input[name=jwk_file]", [])
    await page.fill("textarea[name=jwk]", json.dumps({"keys": [json.loads(private_jwk.read_text())]}))  # a JWK Set
    await page.click("form[data-keyfile] button[type=submit]")
    await page.locator("form[data-keyfile] [data-role=error]", has_text="private key material ('d')").wait_for()
    await page.fill("textarea[name=jwk]", "-----BEGIN ENCRYPTED PRIVATE KEY-----")
    await page.set_input_files("input[name=jwk_file]", [])
    await page.click("form[data-keyfile] button[type=submit]")
    await page.locator("form[data-keyfile] [data-role=error]", has_text="private key file (PEM)").wait_for()
    assert posted == []

    await page.fill("textarea[name=jwk]", "")
    await page.set_input_files("input[name=jwk_file]", str(public))
    async with page.expect_navigation():
        await page.click("form[data-keyfile] button[type=submit]")
    kid = public.name.removeprefix("EE-").removesuffix(".jwk.json")
    assert f"Key {kid} (Ed25519) is registered for EE." in await page.inner_text("main")
    assert posted == [f"{base_url}keys"]
    async with world.sessions() as session:
        assert (await parties.get_key(session, "EE", kid)).registered_by == "ee.signatory"
    assert problems == [], f"the browser reported errors (CSP violations included): {problems}"
