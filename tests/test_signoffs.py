"""Sign-off: JWS over the exact version bytes, per party, quorum, withdrawal, and template pre-authorisation."""

from __future__ import annotations

from datetime import timedelta

from entente import auth, parties, signing
from entente.appkeys import templates_key
from entente.auth import Caller
from entente.models import Communique, Role
from tests.support.drafting import BASE, accept, create, editable, head, save, section, two_party
from tests.support.signoffs import jws, payload, sign

JOINT_ADVISORY = {
    "activity": "exploitation of remote access gateways",
    "first_observed": "2026-10-01",
    "sectors": ["energy"],
    "summary": "An actor exploits gateways.",
    "mitigations": ["Patch now."],
}


async def test_each_party_signs_the_exact_bytes_and_the_quorum_makes_the_head_ready(world, keys) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    data = await payload(world, ee, cid)
    first = await sign(world, "ee.signatory", cid, jws(keys["EE"], data, world))
    assert (first["signed"], first["missing"], first["met"], first["ready_for_release"]) == (
        ["EE"],
        ["FR"],
        False,
        False,
    )
    assert (await (await world.client.get(f"{BASE}/{cid}", headers=ee)).json())["state"] == "signing"
    second = await sign(world, "fr.signatory", cid, jws(keys["FR"], data, world))
    assert (second["signed"], second["missing"], second["met"], second["ready_for_release"]) == (
        ["EE", "FR"],
        [],
        True,
        True,
    )
    assert {s["party"]: (s["how"], s["signer"]) for s in second["signatories"]} == {
        "EE": ("explicit", "ee.signatory"),
        "FR": ("explicit", "fr.signatory"),
    }
    communique = await (await world.client.get(f"{BASE}/{cid}", headers=ee)).json()
    assert communique["ready_for_release"] is True
    await sign(world, "ee.signatory", cid, jws(keys["EE"], data, world), status=409)


async def test_signatures_never_carry_over_to_a_new_version(world, keys) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    data = await payload(world, ee, cid)
    await sign(world, "ee.signatory", cid, jws(keys["EE"], data, world))
    await sign(world, "fr.signatory", cid, jws(keys["FR"], data, world))
    v3 = await save(world.client, ee, cid, v["digest"], title="A new title")
    status = await (await world.client.get(f"{BASE}/{cid}/versions/head/signoffs", headers=ee)).json()
    assert status["version"]["number"] == v3["number"] and status["signed"] == [] and not status["met"]
    assert (await (await world.client.get(f"{BASE}/{cid}", headers=ee)).json())["ready_for_release"] is False
    old = await (await world.client.get(f"{BASE}/{cid}/versions/2/signoffs", headers=ee)).json()
    assert old["signed"] == ["EE", "FR"] and old["is_head"] is False
    body = await sign(world, "ee.signatory", cid, jws(keys["EE"], data, world), version=2, status=409)
    assert body["code"] == "version_superseded"


async def test_a_jws_over_another_version_is_refused(world, keys) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    old = await payload(world, ee, cid, 1)
    body = await sign(world, "ee.signatory", cid, jws(keys["EE"], old, world), status=422)
    assert body["code"] == "wrong_version"


async def test_a_jws_by_a_key_of_another_party_is_refused(world, keys) -> None:
    v, ee, _ = await two_party(world)
    data = await payload(world, ee, v["communique"])
    body = await sign(world, "fr.signatory", v["communique"], jws(keys["EE"], data, world), status=422)
    assert body["code"] == "key_not_of_party"


async def test_a_jws_of_another_purpose_or_unregistered_key_is_refused(world, keys) -> None:
    v, ee, _ = await two_party(world)
    data = await payload(world, ee, v["communique"])
    other = await sign(
        world, "ee.signatory", v["communique"], jws(keys["EE"], data, world, typ="something+jws"), status=422
    )
    assert other["code"] == "signature_invalid"
    stranger = await sign(
        world, "ee.signatory", v["communique"], jws(signing.generate_private_key(), data, world), status=422
    )
    assert stranger["code"] == "signature_invalid"


async def test_a_sign_off_by_a_user_who_is_not_a_signatory_is_refused(world, keys) -> None:
    v, ee, _ = await two_party(world)
    data = await payload(world, ee, v["communique"])
    body = await sign(world, "ee.drafter", v["communique"], jws(keys["EE"], data, world), status=403)
    assert body["code"] == "role_required"


async def test_a_backdated_or_future_iat_is_refused(world, keys) -> None:
    v, ee, _ = await two_party(world)
    data = await payload(world, ee, v["communique"])
    for shift in (timedelta(minutes=-11), timedelta(minutes=6)):
        body = await sign(
            world, "ee.signatory", v["communique"], jws(keys["EE"], data, world, iat_shift=shift), status=422
        )
        assert body["code"] == "iat_out_of_range"
    await sign(world, "ee.signatory", v["communique"], jws(keys["EE"], data, world, iat_shift=timedelta(minutes=-9)))


async def test_withdrawal_until_release_and_only_by_the_party(world, keys) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    data = await payload(world, ee, cid)
    await sign(world, "ee.signatory", cid, jws(keys["EE"], data, world))
    await sign(world, "fr.signatory", cid, jws(keys["FR"], data, world))
    fr = await world.token("fr.signatory")
    refused = await world.client.delete(f"{BASE}/{cid}/versions/head/signoffs/EE", headers=fr)
    assert refused.status == 403
    withdrawn = await world.client.delete(f"{BASE}/{cid}/versions/head/signoffs/FR", headers=fr)
    body = await withdrawn.json()
    assert (body["signed"], body["missing"], body["ready_for_release"]) == (["EE"], ["FR"], False)
    assert (await world.client.delete(f"{BASE}/{cid}/versions/head/signoffs/FR", headers=fr)).status == 404
    async with world.sessions.begin() as session:
        (await session.get(Communique, cid)).state = "released"
    late = await world.client.delete(
        f"{BASE}/{cid}/versions/head/signoffs/EE", headers=await world.token("ee.signatory")
    )
    assert late.status == 409


async def test_status_says_how_many_sections_each_signatory_cannot_see(world, keys) -> None:
    v, ee, fr = await two_party(world, sections=[section("Public"), section("EE only", "x", to=["EE"])])
    cid = v["communique"]
    fr_view = await head(world.client, fr, cid)
    await save(
        world.client,
        fr,
        cid,
        fr_view["digest"],
        sections=editable(fr_view) + [section("FR only", "y", to=["FR"]), section("FR only 2", "z", to=["FR"])],
    )
    status = await (await world.client.get(f"{BASE}/{cid}/versions/head/signoffs", headers=fr)).json()
    assert {s["party"]: s["hidden_sections"] for s in status["signatories"]} == {"EE": 2, "FR": 1}


async def test_a_key_revoked_back_before_the_signature_makes_it_invalid(world, keys) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    await sign(world, "ee.signatory", cid, jws(keys["EE"], await payload(world, ee, cid), world))
    world.clock.advance(timedelta(minutes=1))
    async with world.sessions.begin() as session:
        caller = Caller(1, "ee.signatory", "", "EE", frozenset({Role.SIGNATORY}), "token")
        await parties.revoke_key(
            session,
            caller,
            party="EE",
            kid=keys["EE"].kid,
            reason="compromised",
            at=world.clock() - timedelta(hours=1),
            now=world.clock(),
        )
    status = await (await world.client.get(f"{BASE}/{cid}/versions/head/signoffs", headers=ee)).json()
    assert status["signed"] == [] and [(i["party"], i["reason"]) for i in status["invalid"]] == [("EE", "key_revoked")]


# --- pre-authorised sign-off through template pre-signatures ------------------------------------


async def presign(world, keys, party: str, template, tiers=(2,)) -> None:
    not_before, not_after = world.clock() - timedelta(days=1), world.clock() + timedelta(days=30)
    data = parties.presignature_payload(
        template, party=party, tiers=list(tiers), not_before=not_before, not_after=not_after
    )
    envelope = signing.sign_detached(
        data, [keys[party]], typ=parties.PRESIGNATURE_JWS_TYPE, iat=int(world.clock().timestamp())
    )
    caller = Caller(1, f"{party.lower()}.signatory", "", party, frozenset({Role.SIGNATORY}), "token")
    async with world.sessions.begin() as session:
        await parties.add_presignature(
            session,
            caller,
            template,
            tiers=list(tiers),
            not_before=not_before,
            not_after=not_after,
            envelope=envelope,
            now=world.clock(),
        )


async def test_an_unedited_rendering_of_a_presigned_template_counts_as_sign_off_until_edited(world, keys) -> None:
    template = world.client.app[templates_key]["joint-advisory"]
    await presign(world, keys, "EE", template)
    await presign(world, keys, "FR", template)
    ee, fr = await world.token("ee.drafter"), await world.token("fr.drafter")
    v1 = await create(world.client, ee, participants=["FR"], template="joint-advisory", params=JOINT_ADVISORY, tier=2)
    cid = v1["communique"]
    await accept(world.client, fr, cid)
    status = await (await world.client.get(f"{BASE}/{cid}/versions/head/signoffs", headers=fr)).json()
    assert status["template_unedited"] is True
    assert (status["signed"], status["met"]) == (["EE", "FR"], True)
    assert {s["party"]: s["how"] for s in status["signatories"]} == {"EE": "presigned", "FR": "presigned"}
    signatory = await world.token("ee.signatory")
    recorded = await world.client.post(f"{BASE}/{cid}/versions/head/signoffs/presigned", headers=signatory)
    body = await recorded.json()
    assert body["ready_for_release"] is True and all(s["presignature"] for s in body["signatories"])
    v2 = await head(world.client, ee, cid)
    edited = [dict(s, body=s["body"] + " Edited.") if s["id"] == "summary" else s for s in editable(v2)]
    await save(world.client, ee, cid, v2["digest"], sections=edited)
    after = await (await world.client.get(f"{BASE}/{cid}/versions/head/signoffs", headers=fr)).json()
    assert (after["template_unedited"], after["signed"], after["met"]) == (False, [], False)


async def test_a_presignature_for_another_tier_does_not_count(world, keys) -> None:
    template = world.client.app[templates_key]["joint-advisory"]
    await presign(world, keys, "EE", template, tiers=(3,))
    ee = await world.token("ee.drafter")
    v1 = await create(world.client, ee, template="joint-advisory", params=JOINT_ADVISORY, tier=2)
    status = await (await world.client.get(f"{BASE}/{v1['communique']}/versions/head/signoffs", headers=ee)).json()
    assert status["template_unedited"] is True and status["signed"] == []


async def test_withdrawing_a_preauthorised_sign_off_drops_the_party_back(world, keys) -> None:
    template = world.client.app[templates_key]["joint-advisory"]
    await presign(world, keys, "EE", template)
    ee = await world.token("ee.drafter")
    v1 = await create(world.client, ee, template="joint-advisory", params=JOINT_ADVISORY, tier=2)
    cid = v1["communique"]
    signatory = await world.token("ee.signatory")
    withdrawn = await (await world.client.delete(f"{BASE}/{cid}/versions/head/signoffs/EE", headers=signatory)).json()
    assert withdrawn["signed"] == [] and withdrawn["met"] is False
    data = await payload(world, ee, cid)
    again = await sign(world, "ee.signatory", cid, jws(keys["EE"], data, world))
    assert again["signed"] == ["EE"] and again["signatories"][0]["how"] == "explicit"


async def test_sign_off_rejects_the_secretariat_acting_for_another_party(world, keys) -> None:
    v, ee, _ = await two_party(world)
    data = await payload(world, ee, v["communique"])
    async with world.sessions.begin() as session:
        await auth.create_user(
            session,
            username="ee.both",
            display_name="x",
            party="EE",
            roles=[Role.SIGNATORY, Role.SECRETARIAT],
            password=None,
            now=world.clock(),
        )
    body = await sign(world, "ee.both", v["communique"], jws(keys["FR"], data, world), status=422)
    assert body["code"] == "key_not_of_party"
