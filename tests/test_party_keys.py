"""Party keys: registration and revocation through the API, the public JWKS, key_records."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from jwcrypto import jwk as jwcrypto_jwk
from sqlmodel import select

from entente import parties, quorum, signing
from entente.clock import isoformat
from entente.models import AuditEntry
from tests.support.http import assert_problem

PAYLOAD = b'{"statement":"joint"}'
TYP = "entente-signoff+jws"


async def register(world, party: str, key: signing.PrivateKey | None = None, *, as_user: str | None = None, **extra):
    key = key or signing.generate_private_key()
    headers = await world.token(as_user or f"{party.lower()}.signatory")
    body = {"jwk": key.jwk, **extra}
    return key, await world.client.post(f"/api/v1/parties/{party}/keys", json=body, headers=headers)


async def test_a_signatory_registers_a_key_of_its_own_party(world) -> None:
    key, response = await register(world, "EE")
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["party"] == "EE" and body["kid"] == key.kid and body["alg"] == "Ed25519"
    assert body["fingerprint"] == key.fingerprint
    assert body["not_before"].startswith("2026-11-27T09:00:00") and body["not_after"] is None
    assert body["registered_by"] == "ee.signatory"
    async with world.sessions() as session:
        events = (
            (await session.execute(select(AuditEntry).where(AuditEntry.event == "parties:key:add"))).scalars().all()
        )
    assert [(e.actor, e.party, e.object) for e in events] == [("ee.signatory", "EE", f"key:{key.kid}")]


async def test_the_secretariat_registers_a_key_for_any_party(world) -> None:
    _, response = await register(world, "FR", as_user="eu.secretariat")
    assert response.status == 201


@pytest.mark.parametrize("user", ["ee.drafter", "fr.signatory", "ee.comms"])
async def test_other_roles_and_other_parties_may_not_register(world, user) -> None:
    _, response = await register(world, "EE", as_user=user)
    body = await assert_problem(response, 403, "wrong_party" if user == "fr.signatory" else "role_required")
    assert body["detail"]


async def test_registering_needs_authentication(world) -> None:
    key = signing.generate_private_key()
    response = await world.client.post("/api/v1/parties/EE/keys", json={"jwk": key.jwk})
    await assert_problem(response, 401, "unauthenticated")


async def test_an_es256_key_registers_with_its_alg(world) -> None:
    key, response = await register(world, "EE", signing.generate_private_key(signing.Algorithm.ES256), alg="ES256")
    assert response.status == 201
    assert (await response.json())["alg"] == "ES256"


@pytest.mark.parametrize(
    ("alg", "key_alg", "field"),
    [("ES256", signing.Algorithm.ED25519, "/alg"), ("Ed25519", signing.Algorithm.ES256, "/alg")],
)
async def test_alg_must_match_the_key_type(world, alg, key_alg, field) -> None:
    _, response = await register(world, "EE", signing.generate_private_key(key_alg), alg=alg)
    body = await assert_problem(response, 422, "alg_mismatch")
    assert body["field"] == field


async def test_a_jwk_alg_that_does_not_fit_is_refused(world) -> None:
    key = signing.generate_private_key()
    headers = await world.token("ee.signatory")
    response = await world.client.post(
        "/api/v1/parties/EE/keys", json={"jwk": {**key.jwk, "alg": "ES256"}}, headers=headers
    )
    body = await assert_problem(response, 422, "alg_mismatch")
    assert body["field"] == "/jwk/alg"


async def test_a_private_member_is_refused_and_nothing_is_stored(world) -> None:
    private = jwcrypto_jwk.JWK.generate(kty="OKP", crv="Ed25519")
    headers = await world.token("ee.signatory")
    response = await world.client.post(
        "/api/v1/parties/EE/keys", json={"jwk": json.loads(private.export_private())}, headers=headers
    )
    body = await assert_problem(response, 422, "private_key_refused")
    assert body["field"] == "/jwk/d"
    assert (await (await world.client.get("/api/v1/parties/EE/keys")).json())["keys"] == []


async def test_an_unsupported_or_broken_jwk_is_refused(world) -> None:
    headers = await world.token("ee.signatory")
    for jwk in ({"kty": "RSA", "n": "AQAB", "e": "AQAB"}, {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}):
        response = await world.client.post("/api/v1/parties/EE/keys", json={"jwk": jwk}, headers=headers)
        await assert_problem(response, 422, "invalid_key")


async def test_the_same_key_material_is_refused_for_any_party(world) -> None:
    key, first = await register(world, "EE")
    assert first.status == 201
    _, again = await register(world, "EE", key)
    body = await assert_problem(again, 409, "key_exists")
    assert body["party"] == "EE"
    _, elsewhere = await register(world, "FR", key, as_user="eu.secretariat")
    await assert_problem(elsewhere, 409, "key_exists")
    # The same material with the EdDSA alg and no kid is still the same key.
    jwk = {k: v for k, v in key.jwk.items() if k != "kid"} | {"alg": "EdDSA"}
    response = await world.client.post(
        "/api/v1/parties/FR/keys", json={"jwk": jwk}, headers=await world.token("fr.signatory")
    )
    await assert_problem(response, 409, "key_exists")


async def test_not_after_must_follow_not_before(world, clock) -> None:
    _, response = await register(
        world, "EE", not_before=isoformat(clock()), not_after=isoformat(clock() - timedelta(days=1))
    )
    body = await assert_problem(response, 422, "invalid_validity")
    assert body["field"] == "/not_after"


async def test_instants_without_an_offset_are_refused(world) -> None:
    _, response = await register(world, "EE", not_before="2026-11-27T09:00:00")
    assert (await assert_problem(response, 422, "instant_invalid"))["field"] == "/not_before"


async def test_unknown_party_is_a_404_problem_everywhere(world) -> None:
    await assert_problem(await world.client.get("/api/v1/parties/XX/keys"), 404, "unknown_party")
    _, response = await register(world, "XX", as_user="eu.secretariat")
    await assert_problem(response, 404, "unknown_party")
    response = await world.client.post(
        "/api/v1/parties/XX/keys/abc/revoke", json={"reason": "lost"}, headers=await world.token("eu.secretariat")
    )
    await assert_problem(response, 404, "unknown_party")


async def test_jwks_is_public_cacheable_and_imports_into_jwcrypto(world, clock) -> None:
    ed, _ = await register(world, "EE")
    ec, _ = await register(
        world,
        "EE",
        signing.generate_private_key(signing.Algorithm.ES256),
        not_after=isoformat(clock() + timedelta(days=30)),
    )
    response = await world.client.get("/api/v1/parties/EE/keys")
    assert response.status == 200
    assert response.headers["Cache-Control"].startswith("public")
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    text = await response.text()
    keyset = jwcrypto_jwk.JWKSet.from_json(text)
    assert sorted(k.get("kid") for k in keyset) == sorted([ed.kid, ec.kid])
    body = json.loads(text)
    assert body["party"] == "EE"
    for entry in body["keys"]:
        assert entry["use"] == "sig" and entry["alg"] in ("Ed25519", "ES256") and "d" not in entry
        assert (
            entry["kid"]
            == jwcrypto_jwk.JWK(**{k: v for k, v in entry.items() if k in ("kty", "crv", "x", "y")}).thumbprint()
        )
        assert entry["not_before"] == "2026-11-27T09:00:00Z"
    assert [e.get("not_after") for e in body["keys"]] == [None, "2026-12-27T09:00:00Z"]
    again = await world.client.get("/api/v1/parties/EE/keys", headers={"If-None-Match": etag})
    assert again.status == 304


async def test_revocation_by_the_party_is_audited_and_published(world, clock) -> None:
    key, _ = await register(world, "EE")
    clock.advance(timedelta(hours=2))
    headers = await world.token("ee.signatory")
    at = isoformat(clock() - timedelta(hours=1))
    response = await world.client.post(
        f"/api/v1/parties/EE/keys/{key.kid}/revoke", json={"reason": "laptop stolen", "at": at}, headers=headers
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["revoked_at"] == "2026-11-27T10:00:00Z" and body["revocation_reason"] == "laptop stolen"
    jwks = await (await world.client.get("/api/v1/parties/EE/keys")).json()
    assert jwks["keys"][0]["revoked_at"] == "2026-11-27T10:00:00Z"
    again = await world.client.post(f"/api/v1/parties/EE/keys/{key.kid}/revoke", json={"reason": "x"}, headers=headers)
    await assert_problem(again, 409, "key_revoked")
    async with world.sessions() as session:
        events = (
            (await session.execute(select(AuditEntry).where(AuditEntry.event == "parties:key:revoke"))).scalars().all()
        )
    assert len(events) == 1 and events[0].details["reason"] == "laptop stolen"


async def test_revocation_rules(world, clock) -> None:
    key, _ = await register(world, "EE")
    path = f"/api/v1/parties/EE/keys/{key.kid}/revoke"
    future = {"reason": "later", "at": isoformat(clock() + timedelta(days=1))}
    await assert_problem(
        await world.client.post(path, json=future, headers=await world.token("ee.signatory")),
        422,
        "revocation_in_future",
    )
    await assert_problem(
        await world.client.post(path, json={"reason": "x"}, headers=await world.token("fr.signatory")),
        403,
        "wrong_party",
    )
    await assert_problem(
        await world.client.post(path, json={"reason": ""}, headers=await world.token("ee.signatory")),
        422,
        "invalid_input",
    )
    await assert_problem(
        await world.client.post(
            "/api/v1/parties/EE/keys/nope/revoke", json={"reason": "x"}, headers=await world.token("ee.signatory")
        ),
        404,
        "unknown_key",
    )
    done = await world.client.post(path, json={"reason": "rotation"}, headers=await world.token("eu.secretariat"))
    assert done.status == 200


async def test_key_records_carry_the_validity_windows_and_count_signatures_inside_them(world, clock) -> None:
    ee, _ = await register(world, "EE", not_after=isoformat(clock() + timedelta(days=10)))
    fr, _ = await register(world, "FR")
    await register(world, "EU", as_user="eu.secretariat")
    async with world.sessions() as session:
        all_records = await parties.key_records(session)
        only_ee = await parties.key_records(session, ["EE"])
        none = await parties.key_records(session, [])
    assert sorted(r.party for r in all_records) == ["EE", "EU", "FR"]
    assert [r.key.kid for r in only_ee] == [ee.kid] and none == []
    record = only_ee[0]
    assert record.not_before == clock() and record.not_after == clock() + timedelta(days=10)

    def counted(key, at) -> quorum.QuorumResult:
        envelope = signing.sign_detached(PAYLOAD, [key], typ=TYP, iat=int(at.timestamp()))
        return quorum.evaluate(
            PAYLOAD, [envelope], keys=all_records, participants=["EE", "FR", "EU"], policy=quorum.Policy(), typ=TYP
        )

    assert counted(ee, clock() + timedelta(days=1)).signed == ["EE"]
    assert counted(ee, clock() - timedelta(seconds=1)).invalid[0].reason == "key_not_yet_valid"
    assert counted(ee, clock() + timedelta(days=11)).invalid[0].reason == "key_expired"
    assert counted(fr, clock() + timedelta(days=400)).signed == ["FR"]

    clock.advance(timedelta(days=2))
    headers = await world.token("fr.signatory")
    await world.client.post(f"/api/v1/parties/FR/keys/{fr.kid}/revoke", json={"reason": "compromised"}, headers=headers)
    async with world.sessions() as session:
        all_records = await parties.key_records(session)
    assert counted(fr, clock() - timedelta(days=1)).signed == ["FR"]
    assert counted(fr, clock()).invalid[0].reason == "key_revoked"
