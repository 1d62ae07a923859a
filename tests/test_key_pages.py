"""Registering a key file's public half from the keys page, without JavaScript: a plain form post that
takes the same step as ``POST /api/v1/parties/{code}/keys``, and refuses what it refuses."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import aiohttp

from entente import audit, parties, signing
from tests.support.cli import Entente
from tests.support.pages import Browser, browser


async def post_key(
    signatory: Browser, fields: dict[str, str], *, file: str | bytes | None = None, csrf: str | None = None
):
    """The key form as a browser sends it: multipart, with the chosen file (if any) under its own name."""
    form = aiohttp.FormData()
    form.add_field("csrf_token", signatory.csrf if csrf is None else csrf)
    for name, value in fields.items():
        form.add_field(name, value)
    if file is not None:
        data = file.encode() if isinstance(file, str) else file
        form.add_field("jwk_file", data, filename="EE-key.jwk.json", content_type="application/json")
    response = await signatory.world.client.post("/keys", data=form, headers=signatory.headers, allow_redirects=False)
    return response, await response.text()


def generated_key_file(entente: Entente, folder: Path) -> tuple[str, str]:
    """``entente keys generate --party EE``: the kid, and the text of the public JWK file it wrote."""
    done = entente(
        "keys", "generate", "--party", "EE", "--out", str(folder), env={"ENTENTE_KEY_PASSPHRASE": "a passphrase"}
    )
    assert done.returncode == 0, done.stderr
    public = next(folder.glob("EE-*.jwk.json"))
    assert next(folder.glob("EE-*.pem")).name == public.name.replace(".jwk.json", ".pem")
    return public.name.removeprefix("EE-").removesuffix(".jwk.json"), public.read_text()


async def stored_kids(world: Any, party: str = "EE") -> list[str]:
    async with world.sessions() as session:
        return [row.kid for row in await parties.list_keys(session, party)]


async def test_a_signatory_registers_the_public_key_file_entente_keys_generate_wrote(
    world, entente: Entente, tmp_path: Path
) -> None:
    kid, public = generated_key_file(entente, tmp_path)
    signatory = await browser(world, "ee.signatory")
    page = await signatory.get("/keys")
    assert 'enctype="multipart/form-data"' in page and 'name="jwk_file"' in page and 'name="party" value="EE"' in page

    response, _ = await post_key(signatory, {"party": "EE", "jwk": ""}, file=public)
    assert response.status == 303 and response.headers["Location"] == f"/keys?registered={kid}"
    page = await signatory.get(response.headers["Location"])
    assert f'Key <code class="digest">{kid}</code> (Ed25519) is registered for EE.' in page
    listed = await (await world.client.get("/api/v1/parties/EE/keys")).json()
    assert [k["kid"] for k in listed["keys"]] == [kid]
    async with world.sessions() as session:
        trail = await audit.list_entries(session, party="EE", limit=1)
    assert [(e.event, e.actor, e.details["kid"]) for e in trail] == [("parties:key:add", "ee.signatory", kid)]

    _, again = await post_key(signatory, {"party": "EE"}, file=public)
    assert "already registered (to EE" in again and "key_exists" in again
    assert await stored_kids(world) == [kid]


async def test_pasted_text_is_taken_too_and_a_private_jwk_is_refused_with_nothing_stored(world) -> None:
    key = signing.generate_private_key(signing.Algorithm.ES256)
    private = key.jwk | {"d": "c2VjcmV0"}
    signatory = await browser(world, "ee.signatory")
    response, refused = await post_key(signatory, {"party": "EE"}, file=json.dumps(private))
    assert response.status == 422 and "private_key_refused" in refused and "c2VjcmV0" not in refused
    assert "the JWK holds private key material ('d'); register the public key only" in html.unescape(refused)
    jwk_set = json.dumps({"keys": [key.jwk, private]})  # a JWK Set holding the private key among others
    _, refused = await signatory.post("/keys", {"party": "EE", "jwk": jwk_set}, status=422)
    assert "the JWK Set holds private key material" in html.unescape(refused) and "c2VjcmV0" not in refused
    _, refused = await signatory.post("/keys", {"party": "EE", "jwk": json.dumps({"keys": [key.jwk]})}, status=422)
    assert "a JWK Set: register one public JWK, not a set" in html.unescape(refused)
    pem = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    _, refused = await signatory.post("/keys", {"party": "EE", "jwk": pem}, status=422)
    assert "this is a private key file (PEM)" in refused
    assert await stored_kids(world) == []
    await signatory.post("/keys", {"party": "EE", "jwk": json.dumps(key.jwk)})
    assert await stored_kids(world) == [key.kid]


async def test_only_who_may_register_for_the_party_does(world) -> None:
    jwk = json.dumps(signing.generate_private_key().jwk)
    drafter = await browser(world, "ee.drafter")
    assert 'name="jwk_file"' not in await drafter.get("/keys")
    _, refused = await drafter.post("/keys", {"party": "EE", "jwk": jwk}, status=403)
    assert "role_required" in refused
    signatory = await browser(world, "ee.signatory")
    _, refused = await signatory.post("/keys", {"party": "FR", "jwk": jwk}, status=403)
    assert "wrong_party" in refused
    response, _ = await post_key(signatory, {"party": "EE", "jwk": jwk}, csrf="not-the-token")
    assert response.status == 403
    assert await stored_kids(world) == [] and await stored_kids(world, "FR") == []
    secretariat = await browser(world, "eu.secretariat")  # acts for any party, as through the API
    await secretariat.post("/keys", {"party": "FR", "jwk": jwk})
    assert len(await stored_kids(world, "FR")) == 1


async def test_bad_input_shows_the_page_again_with_the_reason(world) -> None:
    key = signing.generate_private_key()
    signatory = await browser(world, "ee.signatory")
    cases: list[tuple[dict[str, str], str | bytes | None, int, str]] = [
        ({"jwk": "{not json"}, None, 400, "not valid JSON"),
        ({"jwk": "[1, 2]"}, None, 422, "/jwk"),
        ({"jwk": json.dumps(key.jwk | {"alg": "ES256"})}, None, 422, "alg_mismatch"),
        ({"jwk": json.dumps({"kty": "RSA", "n": "AQAB", "e": "AQAB"})}, None, 422, "invalid_key"),
        ({"jwk": ""}, None, 422, "choose the public key file"),
        ({"jwk": json.dumps(key.jwk)}, json.dumps(key.jwk), 422, "not both"),
        ({}, " " * 5000, 413, "payload_too_large"),
        ({}, b"\xff\xfe{}", 422, "not UTF-8 text"),
    ]
    for fields, file, status, reason in cases:
        response, page = await post_key(signatory, {"party": "EE", **fields}, file=file)
        assert response.status == status and reason in page, (fields, page)
        assert "Signing keys of Republic of Estonia" in page
    assert await stored_kids(world) == []
