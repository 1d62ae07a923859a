"""Crisis template pre-signatures: the payload, submission and its refusals, listing states, and
``presignatures_covering`` for pre-authorised sign-off."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import select

from entente import canonical, crisis, parties, signing
from entente.appkeys import templates_key
from entente.clock import isoformat
from entente.models import AuditEntry
from tests.support.http import assert_problem

TEMPLATE = "joint-advisory"


@pytest.fixture
async def keys(world) -> dict[str, signing.PrivateKey]:
    out = {}
    headers = await world.token("eu.secretariat")
    for code in ("EE", "FR"):
        key = signing.generate_private_key()
        response = await world.client.post(f"/api/v1/parties/{code}/keys", json={"jwk": key.jwk}, headers=headers)
        assert response.status == 201
        out[code] = key
    return out


def template(world) -> crisis.CrisisTemplate:
    return world.client.app[templates_key][TEMPLATE]


def terms(world, *, days: int = 365, start_days: int = 0, tiers: list[int] | None = None) -> dict:
    start = world.clock() + timedelta(days=start_days)
    return {
        "tiers": tiers or [2, 3],
        "not_before": isoformat(start),
        "not_after": isoformat(start + timedelta(days=days)),
    }


def jws_over(world, payload: bytes, key: signing.PrivateKey, **kwargs) -> dict:
    return signing.sign_detached(
        payload, [key], typ=parties.PRESIGNATURE_JWS_TYPE, iat=int(world.clock().timestamp()), **kwargs
    )


async def presign(
    world, key: signing.PrivateKey, *, user: str = "ee.signatory", party: str = "EE", body=None, **term_options
):
    body = body or terms(world, **term_options)
    query = {
        "party": party,
        "tiers": ",".join(map(str, body["tiers"])),
        "not_before": body["not_before"],
        "not_after": body["not_after"],
    }
    headers = await world.token(user)
    payload = await world.client.get(
        f"/api/v1/templates/{TEMPLATE}/presignature-payload", params=query, headers=headers
    )
    assert payload.status == 200, await payload.text()
    data = await payload.read()
    request = {**body, "party": party, "jws": jws_over(world, data, key), "template_digest": template(world).digest}
    return await world.client.post(f"/api/v1/templates/{TEMPLATE}/presignatures", json=request, headers=headers)


async def listing(world) -> dict:
    response = await world.client.get("/api/v1/templates", headers=await world.token("fr.drafter"))
    assert response.status == 200
    return {entry["id"]: entry for entry in await response.json()}


async def test_templates_are_listed_with_digest_schema_and_no_presignature_yet(world) -> None:
    await assert_problem(await world.client.get("/api/v1/templates"), 401, "unauthenticated")
    found = await listing(world)
    loaded = world.client.app[templates_key]
    assert set(found) == set(loaded)
    entry = found[TEMPLATE]
    assert entry["digest"] == loaded[TEMPLATE].digest and entry["version"] == loaded[TEMPLATE].version
    assert entry["tiers"] == [1, 2, 3, 4] and entry["kind"] == "joint_advisory"
    assert entry["parameters"] == loaded[TEMPLATE].schema() and entry["presignatures"] == []
    detail = await (
        await world.client.get(f"/api/v1/templates/{TEMPLATE}", headers=await world.token("ee.drafter"))
    ).json()
    assert [s["id"] for s in detail["sections"]] == [s.id for s in loaded[TEMPLATE].sections]
    await assert_problem(
        await world.client.get("/api/v1/templates/nope", headers=await world.token("ee.drafter")),
        404,
        "unknown_template",
    )


async def test_the_payload_is_the_canonical_presignature_object(world, keys) -> None:
    body = terms(world)
    response = await world.client.get(
        f"/api/v1/templates/{TEMPLATE}/presignature-payload",
        params={"tiers": "3,2", "not_before": body["not_before"], "not_after": body["not_after"]},
        headers=await world.token("ee.signatory"),
    )
    data = await response.read()
    expected = crisis.presignature_object(
        template(world),
        party="EE",
        tiers=[2, 3],
        not_before=world.clock(),
        not_after=world.clock() + timedelta(days=365),
    )
    assert data == canonical.canonical_bytes(expected)
    assert response.headers["Template-Digest"] == template(world).digest
    headers = await world.token("ee.signatory")
    for params, field, code in (
        ({"tiers": "9", **{k: body[k] for k in ("not_before", "not_after")}}, "/tiers", "invalid_input"),
        ({"tiers": "x", **{k: body[k] for k in ("not_before", "not_after")}}, "/query/tiers", "invalid_input"),
        (
            {"tiers": "2", "not_before": "2026-11-27T09:00:00", "not_after": body["not_after"]},
            "/query/not_before",
            "instant_invalid",
        ),
        (
            {"tiers": "2", "not_before": body["not_after"], "not_after": body["not_before"]},
            "/not_after",
            "invalid_input",
        ),
    ):
        refused = await world.client.get(
            f"/api/v1/templates/{TEMPLATE}/presignature-payload", params=params, headers=headers
        )
        assert (await assert_problem(refused, 422, code))["field"] == field


async def test_a_valid_presignature_is_recorded_audited_and_listed(world, keys) -> None:
    response = await presign(world, keys["EE"])
    assert response.status == 201, await response.text()
    body = await response.json()
    assert body["party"] == "EE" and body["state"] == "valid" and body["tiers"] == [2, 3]
    assert body["template_digest"] == template(world).digest and body["kid"] == keys["EE"].kid
    entry = (await listing(world))[TEMPLATE]
    assert [(p["party"], p["state"], p["not_after"]) for p in entry["presignatures"]] == [
        ("EE", "valid", "2027-11-27T09:00:00Z")
    ]
    async with world.sessions() as session:
        events = (
            (await session.execute(select(AuditEntry).where(AuditEntry.event == "templates:presignature:add")))
            .scalars()
            .all()
        )
    assert len(events) == 1 and events[0].details["digest"] == template(world).digest
    again = await presign(world, keys["EE"])
    await assert_problem(again, 409, "presignature_exists")


async def test_a_jws_over_another_template_digest_is_refused(world, keys) -> None:
    changed = dataclasses.replace(template(world), version=template(world).version + 1)
    assert changed.digest != template(world).digest
    body = terms(world)
    other = canonical.canonical_bytes(
        crisis.presignature_object(
            changed,
            party="EE",
            tiers=body["tiers"],
            not_before=world.clock(),
            not_after=world.clock() + timedelta(days=365),
        )
    )
    headers = await world.token("ee.signatory")
    url = f"/api/v1/templates/{TEMPLATE}/presignatures"
    stated = await world.client.post(
        url,
        json={**body, "template_digest": changed.digest, "jws": jws_over(world, other, keys["EE"])},
        headers=headers,
    )
    assert (await assert_problem(stated, 422, "template_digest_mismatch"))["field"] == "/template_digest"
    attached = jws_over(world, other, keys["EE"]) | {"payload": canonical.b64url_encode(other)}
    response = await world.client.post(url, json={**body, "jws": attached}, headers=headers)
    assert (await assert_problem(response, 422, "template_digest_mismatch"))["field"] == "/jws"
    detached = await world.client.post(url, json={**body, "jws": jws_over(world, other, keys["EE"])}, headers=headers)
    await assert_problem(detached, 422, "presignature_mismatch")
    assert (await listing(world))[TEMPLATE]["presignatures"] == []


async def test_a_jws_by_a_key_of_another_party_is_refused(world, keys) -> None:
    response = await presign(world, keys["FR"])
    body = await assert_problem(response, 422, "key_not_of_party")
    assert body["field"] == "/jws/signatures/0"
    unknown = await presign(world, signing.generate_private_key())
    assert (await assert_problem(unknown, 422, "signature_invalid"))["reason"] == "unknown_key"


async def test_roles_parties_and_templates_are_checked(world, keys) -> None:
    await assert_problem(await presign(world, keys["EE"], user="fr.signatory"), 403, "wrong_party")
    await assert_problem(await presign(world, keys["EE"], user="ee.drafter"), 403, "role_required")
    relayed = await presign(world, keys["FR"], user="eu.secretariat", party="FR")
    assert relayed.status == 201
    missing = await world.client.post(
        "/api/v1/templates/nope/presignatures",
        json={**terms(world), "jws": jws_over(world, b"{}", keys["EE"])},
        headers=await world.token("ee.signatory"),
    )
    await assert_problem(missing, 404, "unknown_template")
    two = signing.sign_detached(
        b"{}",
        [keys["EE"], signing.generate_private_key()],
        typ=parties.PRESIGNATURE_JWS_TYPE,
        iat=int(world.clock().timestamp()),
    )
    response = await world.client.post(
        f"/api/v1/templates/{TEMPLATE}/presignatures",
        json={**terms(world), "jws": two},
        headers=await world.token("ee.signatory"),
    )
    await assert_problem(response, 422, "one_signature_expected")


async def test_a_window_that_has_ended_is_refused(world, keys) -> None:
    body = {
        "tiers": [2],
        "not_before": isoformat(world.clock() - timedelta(days=10)),
        "not_after": isoformat(world.clock() - timedelta(days=1)),
    }
    await assert_problem(await presign(world, keys["EE"], body=body), 422, "window_ended")


async def test_listing_states_follow_time_revocation_and_withdrawal(world, keys) -> None:
    assert (await presign(world, keys["EE"], days=10)).status == 201
    assert (await presign(world, keys["FR"], user="fr.signatory", party="FR", start_days=5)).status == 201

    def states(entry):
        return {p["party"]: p["state"] for p in entry["presignatures"]}

    assert states((await listing(world))[TEMPLATE]) == {"EE": "valid", "FR": "not_yet_valid"}
    world.clock.advance(timedelta(days=6))
    assert states((await listing(world))[TEMPLATE]) == {"EE": "valid", "FR": "valid"}
    world.clock.advance(timedelta(days=5))
    assert states((await listing(world))[TEMPLATE]) == {"EE": "expired", "FR": "valid"}
    revoke = await world.client.post(
        f"/api/v1/parties/FR/keys/{keys['FR'].kid}/revoke",
        json={"reason": "compromised"},
        headers=await world.token("fr.signatory"),
    )
    assert revoke.status == 200
    assert states((await listing(world))[TEMPLATE]) == {"EE": "expired", "FR": "key_revoked"}

    fresh = signing.generate_private_key()
    await world.client.post(
        "/api/v1/parties/EE/keys", json={"jwk": fresh.jwk}, headers=await world.token("ee.signatory")
    )
    created = await (await presign(world, fresh)).json()
    url = f"/api/v1/templates/{TEMPLATE}/presignatures/{created['id']}/withdraw"
    await assert_problem(await world.client.post(url, headers=await world.token("fr.signatory")), 403, "wrong_party")
    withdrawn = await world.client.post(url, headers=await world.token("ee.signatory"))
    assert (await withdrawn.json())["state"] == "withdrawn"
    await assert_problem(
        await world.client.post(url, headers=await world.token("ee.signatory")), 409, "presignature_withdrawn"
    )
    await assert_problem(
        await world.client.post(
            f"/api/v1/templates/other/presignatures/{created['id']}/withdraw", headers=await world.token("ee.signatory")
        ),
        404,
        "unknown_presignature",
    )
    entry = (await listing(world))[TEMPLATE]
    assert [(p["party"], p["state"]) for p in entry["presignatures"]] == [
        ("EE", "expired"),
        ("FR", "key_revoked"),
        ("EE", "withdrawn"),
    ]


async def test_presignatures_covering_answers_for_the_exact_template_tier_and_instant(world, keys) -> None:
    assert (await presign(world, keys["EE"], days=30)).status == 201
    assert (await presign(world, keys["FR"], user="fr.signatory", party="FR", tiers=[3])).status == 201
    loaded = template(world)
    at = world.clock() + timedelta(days=1)
    async with world.sessions() as session:
        tier3 = await parties.presignatures_covering(session, loaded, tier=3, at=at)
        tier2 = await parties.presignatures_covering(session, loaded, tier=2, at=at)
        tier4 = await parties.presignatures_covering(session, loaded, tier=4, at=at)
        later = await parties.presignatures_covering(session, loaded, tier=3, at=at + timedelta(days=40))
        before = await parties.presignatures_covering(session, loaded, tier=3, at=world.clock() - timedelta(days=1))
        changed = await parties.presignatures_covering(
            session, dataclasses.replace(loaded, version=loaded.version + 1), tier=3, at=at
        )
    assert [c.party for c in tier3] == ["EE", "FR"]
    assert [c.party for c in tier2] == ["EE"] and tier4 == [] and before == [] and changed == []
    assert [c.party for c in later] == ["FR"]
    record = tier3[0]
    checks = signing.verify_detached(
        record.payload, record.envelope, lambda header: [keys["EE"].public_key], typ=parties.PRESIGNATURE_JWS_TYPE
    )
    assert checks[0].valid
    assert crisis.presignature_covers(canonical.parse_strict(record.payload), loaded, 3, at) is None

    world.clock.advance(timedelta(days=2))
    revoke = await world.client.post(
        f"/api/v1/parties/EE/keys/{keys['EE'].kid}/revoke",
        json={"reason": "lost"},
        headers=await world.token("ee.signatory"),
    )
    assert revoke.status == 200
    async with world.sessions() as session:
        # Revoked from now: not usable at instants from now on, still usable for an earlier instant.
        after = await parties.presignatures_covering(session, loaded, tier=3, at=world.clock())
        earlier = await parties.presignatures_covering(session, loaded, tier=3, at=world.clock() - timedelta(days=1))
    assert [c.party for c in after] == ["FR"]
    assert [c.party for c in earlier] == ["EE", "FR"]
