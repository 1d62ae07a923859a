"""The signed roster: the pure chain rules (TUF root rule), and proposals, signatures and the
well-known documents through the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from entente import canonical, quorum, signing
from entente.clock import isoformat
from entente.models import AuditEntry
from entente.parties import chain
from entente.parties.chain import RosterFailure, verify_roster_chain
from tests.support.examples import examples
from tests.support.http import assert_problem
from tests.support.roster import propose, register_keys, submit

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
NOW = START + timedelta(days=1)
IAT = int(START.timestamp()) + 60


def keys(n: int) -> list[signing.PrivateKey]:
    return [signing.generate_private_key() for _ in range(n)]


def roster_bytes(
    version: int,
    previous: bytes | None,
    members: dict[str, list[signing.PrivateKey]],
    *,
    threshold: int = 2,
    expires: datetime = START + timedelta(days=365),
) -> bytes:
    obj = {
        "type": chain.ROSTER_TYPE,
        "version": version,
        "previous": canonical.digest(previous) if previous is not None else None,
        "issued": isoformat(START),
        "expires": isoformat(expires),
        "parties": [
            {
                "code": code,
                "name": f"Party {code}",
                "kind": "state",
                "timezone": "UTC",
                "keys": [{**key.jwk, "not_before": isoformat(START - timedelta(days=1))} for key in members[code]],
            }
            for code in sorted(members)
        ],
        "policies": {"roster": {"threshold": threshold}, "default": quorum.Policy().to_dict(), "kinds": {}},
    }
    return canonical.canonical_bytes(obj)


def sign(data: bytes, *signers: signing.PrivateKey) -> dict:
    return signing.sign_detached(data, list(signers), typ=chain.ROSTER_JWS_TYPE, iat=IAT)


@pytest.fixture(scope="module")
def old() -> dict[str, list[signing.PrivateKey]]:
    return {code: keys(1) for code in ("AA", "BB", "CC")}


@pytest.fixture(scope="module")
def new() -> dict[str, list[signing.PrivateKey]]:
    return {code: keys(1) for code in ("AA", "BB", "CC")}


@pytest.fixture(scope="module")
def v1(old) -> bytes:
    return roster_bytes(1, None, old)


def first(members, code: str) -> signing.PrivateKey:
    return members[code][0]


# --- the pure chain ---------------------------------------------------------------------------------


def test_the_pinned_roster_alone_is_trusted_and_can_check_its_own_threshold(v1, old) -> None:
    result = verify_roster_chain(v1, [], NOW)
    assert result.ok and result.trusted is not None and result.trusted.version == 1
    signed = verify_roster_chain(v1, [], NOW, pinned_envelopes=[sign(v1, first(old, "AA"), first(old, "BB"))])
    assert signed.ok
    short = verify_roster_chain(v1, [], NOW, pinned_envelopes=[sign(v1, first(old, "AA"))])
    assert short.reason is RosterFailure.NEW_THRESHOLD_NOT_MET and not short.ok


def test_a_correct_rotation_is_accepted(v1, old, new) -> None:
    v2 = roster_bytes(2, v1, new)
    envelope = sign(v2, first(old, "AA"), first(old, "CC"), first(new, "AA"), first(new, "BB"))
    result = verify_roster_chain(v1, [(v2, [envelope])], NOW)
    assert result.ok, result.detail
    assert result.trusted.version == 2 and result.trusted.digest == canonical.digest(v2)
    step = result.steps[-1]
    assert step.old.signed == ["AA", "CC"] and step.new.signed == ["AA", "BB"]
    # Separate envelopes per party pool together.
    pooled = [sign(v2, first(old, "AA"), first(new, "AA")), sign(v2, first(old, "BB"), first(new, "BB"))]
    assert verify_roster_chain(v1, [(v2, pooled)], NOW).ok


def test_a_rotation_signed_only_by_new_keys_is_refused(v1, new) -> None:
    v2 = roster_bytes(2, v1, new)
    result = verify_roster_chain(v1, [(v2, [sign(v2, *(first(new, c) for c in ("AA", "BB", "CC")))])], NOW)
    assert not result.ok
    assert result.reason is RosterFailure.OLD_THRESHOLD_NOT_MET and result.failed_version == 2
    assert "new keys" in result.detail
    assert result.trusted.version == 1


def test_revocations_declared_by_the_new_roster_apply_to_the_old_threshold(v1, old) -> None:
    members = {code: list(found) for code, found in old.items()}
    v2 = json.loads(roster_bytes(2, v1, members))
    v2["parties"][0]["keys"][0]["revoked_at"] = isoformat(START)  # AA's key, before the signature's iat
    v2 = canonical.canonical_bytes(v2)
    envelope = sign(v2, first(old, "AA"), first(old, "BB"), first(old, "CC"))
    result = verify_roster_chain(v1, [(v2, [envelope])], NOW)
    assert result.ok
    assert result.steps[-1].old.signed == ["BB", "CC"]
    assert [i.reason for i in result.steps[-1].old.invalid] == ["key_revoked"]


def test_a_rotation_signed_only_by_old_keys_is_refused(v1, old, new) -> None:
    v2 = roster_bytes(2, v1, new)
    result = verify_roster_chain(v1, [(v2, [sign(v2, *(first(old, c) for c in ("AA", "BB", "CC")))])], NOW)
    assert result.reason is RosterFailure.NEW_THRESHOLD_NOT_MET and "old keys" in result.detail


def test_one_party_alone_does_not_meet_a_threshold_of_two(v1, old) -> None:
    v2 = roster_bytes(2, v1, old)
    # The same party signing with two keys still counts once.
    members = {**old, "AA": [first(old, "AA"), *keys(1)]}
    v2 = roster_bytes(2, v1, members)
    result = verify_roster_chain(v1, [(v2, [sign(v2, *members["AA"])])], NOW)
    assert result.reason is RosterFailure.OLD_THRESHOLD_NOT_MET


def test_a_skipped_version_is_refused(v1, old) -> None:
    v3 = roster_bytes(3, v1, old)
    result = verify_roster_chain(v1, [(v3, [sign(v3, first(old, "AA"), first(old, "BB"))])], NOW)
    assert result.reason is RosterFailure.SKIPPED_VERSION


def test_a_replayed_version_and_a_wrong_previous_are_refused(v1, old) -> None:
    replay = verify_roster_chain(v1, [(v1, [sign(v1, first(old, "AA"), first(old, "BB"))])], NOW)
    assert replay.reason is RosterFailure.REPLAYED_VERSION
    stray = roster_bytes(2, b"some other roster", old)
    result = verify_roster_chain(v1, [(stray, [sign(stray, first(old, "AA"), first(old, "BB"))])], NOW)
    assert result.reason is RosterFailure.PREVIOUS_MISMATCH


def test_an_expired_roster_is_refused_but_an_expired_intermediate_one_is_not(old, new) -> None:
    v1 = roster_bytes(1, None, old, expires=START + timedelta(hours=1))
    alone = verify_roster_chain(v1, [], NOW)
    assert alone.reason is RosterFailure.EXPIRED and not alone.ok and alone.trusted.version == 1
    v2 = roster_bytes(2, v1, new)
    envelope = sign(v2, first(old, "AA"), first(old, "BB"), first(new, "AA"), first(new, "BB"))
    assert verify_roster_chain(v1, [(v2, [envelope])], NOW).ok
    assert verify_roster_chain(v1, [(v2, [envelope])], START + timedelta(days=366)).reason is RosterFailure.EXPIRED


def test_tampered_bytes_are_refused(v1, old) -> None:
    v2 = roster_bytes(2, v1, old)
    envelope = sign(v2, first(old, "AA"), first(old, "BB"))
    tampered = json.loads(v2)
    tampered["policies"]["roster"]["threshold"] = 1
    result = verify_roster_chain(v1, [(canonical.canonical_bytes(tampered), [envelope])], NOW)
    assert result.reason is RosterFailure.BAD_SIGNATURE and "digest_mismatch" in result.detail


def test_bytes_that_are_not_canonical_are_refused(v1, old) -> None:
    v2 = roster_bytes(2, v1, old)
    pretty = json.dumps(json.loads(v2), indent=1).encode()
    result = verify_roster_chain(v1, [(pretty, [sign(pretty, first(old, "AA"), first(old, "BB"))])], NOW)
    assert result.reason is RosterFailure.NOT_CANONICAL
    assert verify_roster_chain(pretty, [], NOW).reason is RosterFailure.NOT_CANONICAL


def test_a_signature_for_another_purpose_does_not_count(v1, old) -> None:
    v2 = roster_bytes(2, v1, old)
    other = signing.sign_detached(v2, [first(old, "AA"), first(old, "BB")], typ="entente-signoff+jws", iat=IAT)
    result = verify_roster_chain(v1, [(v2, [other])], NOW)
    assert result.reason is RosterFailure.BAD_SIGNATURE and "typ_mismatch" in result.detail


def test_a_malformed_envelope_is_reported_not_raised(v1, old) -> None:
    v2 = roster_bytes(2, v1, old)
    result = verify_roster_chain(v1, [(v2, [{"signatures": []}])], NOW)
    assert result.reason is RosterFailure.MALFORMED_ENVELOPE


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda o: o.update(type="x"), "/type"),
        (lambda o: o.update(version=0), "/version"),
        (lambda o: o.update(previous="sha256:00"), "/previous"),
        (lambda o: o.update(expires=o["issued"]), "/expires"),
        (lambda o: o.update(parties=[]), "/parties"),
        (lambda o: o["parties"].reverse(), "/parties"),
        (lambda o: o["policies"]["roster"].update(threshold=4), "/policies/roster/threshold"),
        (lambda o: o["policies"]["kinds"].update({"Bad Kind": {}}), "/policies/kinds/Bad Kind"),
        (lambda o: o["policies"].update(default={"all": False}), "/policies/default"),
        (lambda o: o["parties"][0]["keys"][0].update(d="AAAA"), "/parties/0/keys/0/d"),
        (lambda o: o["parties"][0]["keys"][0].update(kid="other"), "/parties/0/keys/0/kid"),
        (lambda o: o.update(extra=1), "/extra"),
    ],
)
def test_malformed_rosters_name_the_place(v1, change, pointer) -> None:
    obj = json.loads(v1)
    change(obj)
    with pytest.raises(chain.RosterError) as caught:
        chain.parse_roster(canonical.canonical_bytes(obj))
    assert caught.value.reason is RosterFailure.MALFORMED
    assert caught.value.field == pointer


@settings(max_examples=examples(40), deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_any_single_byte_change_of_a_roster_breaks_the_chain(v1, old, position, flip) -> None:
    v2 = roster_bytes(2, v1, old)
    envelope = sign(v2, first(old, "AA"), first(old, "BB"))
    data = bytearray(v2)
    data[position % len(data)] ^= flip
    assert not verify_roster_chain(v1, [(bytes(data), [envelope])], NOW).ok


def test_the_published_document_round_trips(v1, old) -> None:
    envelope = sign(v1, first(old, "AA"), first(old, "BB"))
    document = canonical.canonical_bytes(chain.roster_document(v1, envelope))
    assert v1 in document  # the signed bytes appear verbatim
    data, envelopes = chain.read_roster_document(document)
    assert data == v1 and envelopes == [envelope]
    broken = json.loads(document)
    broken["digest"] = canonical.digest(b"x")
    with pytest.raises(chain.RosterError):
        chain.read_roster_document(json.dumps(broken))


# --- through the API ----------------------------------------------------------------------------------


async def test_the_secretariat_proposes_roster_1_from_the_database(world) -> None:
    party_keys = await register_keys(world, "EE", "FR")
    proposal = await propose(world)
    assert proposal["version"] == 1 and proposal["status"] == "pending"
    roster = proposal["roster"]
    assert [p["code"] for p in roster["parties"]] == ["EE", "EU", "FR"]
    assert roster["previous"] is None and roster["policies"]["roster"] == {"threshold": 2}
    assert roster["policies"]["default"] == {"all": True, "threshold": None, "required": []}
    assert roster["expires"] == "2027-11-27T09:00:00Z"
    ee = next(p for p in roster["parties"] if p["code"] == "EE")
    assert [k["kid"] for k in ee["keys"]] == [party_keys["EE"].kid]
    payload = await (
        await world.client.get(
            f"/api/v1/roster/proposals/{proposal['id']}/payload", headers=await world.token("ee.drafter")
        )
    ).read()
    assert canonical.digest(payload) == proposal["digest"] and canonical.is_canonical(payload)
    assert json.loads(payload) == roster
    assert [t["roster_version"] for t in proposal["thresholds"]] == [1]


async def test_only_the_secretariat_proposes(world) -> None:
    response = await world.client.post("/api/v1/roster/proposals", json={}, headers=await world.token("ee.signatory"))
    await assert_problem(response, 403, "role_required")


async def test_proposal_options_are_checked(world) -> None:
    headers = await world.token("eu.secretariat")
    for body, code in (
        ({"threshold": 4}, "invalid_input"),
        ({"expires": "2026-01-01T00:00:00Z"}, "invalid_input"),
        ({"policies": {"joint_statement": {"all": False}}}, "invalid_input"),
        ({"policies": {"Joint": {}}}, "invalid_input"),
        ({"roster": {"type": "entente-roster"}}, "roster_malformed"),
        ({"roster": {}, "threshold": 2}, "invalid_input"),
    ):
        response = await world.client.post("/api/v1/roster/proposals", json=body, headers=headers)
        await assert_problem(response, 422, code)
    response = await world.client.post(
        "/api/v1/roster/proposals",
        json={
            "threshold": 3,
            "policies": {"joint_statement": {"all": False, "threshold": 2}},
            "default_policy": {"required": ["EU"]},
        },
        headers=headers,
    )
    roster = (await response.json())["roster"]
    assert roster["policies"] == {
        "roster": {"threshold": 3},
        "default": {"all": True, "threshold": None, "required": ["EU"]},
        "kinds": {"joint_statement": {"all": False, "threshold": 2, "required": []}},
    }


async def test_roster_1_takes_effect_when_its_threshold_signs_and_is_published(world) -> None:
    party_keys = await register_keys(world, "EE", "FR", "EU")
    proposal = await propose(world)
    first_signature = await submit(world, proposal, party_keys["EE"], "ee.signatory")
    assert first_signature.status == 200, await first_signature.text()
    body = await first_signature.json()
    assert body["status"] == "pending" and [s["party"] for s in body["signatures"]] == ["EE"]
    assert body["thresholds"] == [{"roster_version": 1, "threshold": 2, "signed": ["EE"], "met": False}]
    await assert_problem(
        await world.client.get("/.well-known/entente/roster/latest.json"), 404, "unknown_roster_version"
    )

    done = await submit(world, proposal, party_keys["FR"], "fr.signatory")
    body = await done.json()
    assert body["status"] == "adopted" and body["thresholds"][0]["met"]
    state = await (await world.client.get("/api/v1/roster", headers=await world.token("ee.drafter"))).json()
    assert state["proposal"] is None and state["current"]["roster"]["version"] == 1

    published = await world.client.get("/.well-known/entente/roster/1.json")
    assert published.status == 200
    assert published.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = published.headers["ETag"]
    text = await published.read()
    assert (await world.client.get("/.well-known/entente/roster/1.json", headers={"If-None-Match": etag})).status == 304
    latest = await world.client.get("/.well-known/entente/roster/latest.json")
    assert await latest.read() == text and latest.headers["Cache-Control"] == "public, max-age=60"
    data, envelopes = chain.read_roster_document(text)
    assert canonical.digest(data) == proposal["digest"]
    result = verify_roster_chain(data, [], world.clock(), pinned_envelopes=envelopes)
    assert result.ok and result.steps[0].new.signed == ["EE", "FR"]

    late = await submit(world, proposal, party_keys["EU"], "eu.signatory")
    await assert_problem(late, 409, "proposal_closed")
    async with world.sessions() as session:
        events = [e.event for e in (await session.execute(select(AuditEntry).order_by(AuditEntry.seq))).scalars()]
    assert [e for e in events if e.startswith("parties:roster")] == [
        "parties:roster:propose",
        "parties:roster:sign",
        "parties:roster:sign",
        "parties:roster:adopt",
    ]


async def test_well_known_names_that_are_not_versions_are_404(world) -> None:
    for name in ("7.json", "abc.json", "01.json", "1", "latest"):
        await assert_problem(
            await world.client.get(f"/.well-known/entente/roster/{name}"), 404, "unknown_roster_version"
        )


async def test_a_signature_must_be_by_a_key_of_the_submitting_party(world) -> None:
    party_keys = await register_keys(world, "EE", "FR")
    proposal = await propose(world)
    response = await submit(world, proposal, party_keys["FR"], "ee.signatory")
    body = await assert_problem(response, 422, "key_not_of_party")
    assert body["field"] == "/jws/signatures/0"
    unknown = await submit(world, proposal, signing.generate_private_key(), "ee.signatory")
    assert (await assert_problem(unknown, 422, "signature_invalid"))["reason"] == "unknown_key"
    assert await assert_problem(await submit(world, proposal, party_keys["EE"], "ee.drafter"), 403, "role_required")
    # The secretariat may transmit a party's signature.
    relayed = await submit(world, proposal, party_keys["FR"], "eu.secretariat", party="FR")
    assert relayed.status == 200


async def test_a_signature_over_other_bytes_or_far_in_time_is_refused(world) -> None:
    party_keys = await register_keys(world, "EE", "FR")
    world.clock.advance(timedelta(days=5))
    proposal = await propose(world)
    envelope = signing.sign_detached(
        b"{}", [party_keys["EE"]], typ=chain.ROSTER_JWS_TYPE, iat=int(world.clock().timestamp())
    )
    response = await world.client.post(
        f"/api/v1/roster/proposals/{proposal['id']}/signatures",
        json={"jws": envelope},
        headers=await world.token("ee.signatory"),
    )
    assert (await assert_problem(response, 422, "signature_invalid"))["reason"] == "digest_mismatch"
    stale = await submit(
        world, proposal, party_keys["EE"], "ee.signatory", iat=int((world.clock() - timedelta(days=3)).timestamp())
    )
    await assert_problem(stale, 422, "iat_out_of_range")
    future = await submit(
        world, proposal, party_keys["EE"], "ee.signatory", iat=int((world.clock() + timedelta(hours=1)).timestamp())
    )
    await assert_problem(future, 422, "iat_out_of_range")
    bad_shape = await world.client.post(
        f"/api/v1/roster/proposals/{proposal['id']}/signatures",
        json={"jws": {"signatures": []}},
        headers=await world.token("ee.signatory"),
    )
    await assert_problem(bad_shape, 422, "signature_invalid")
    missing = await world.client.post(
        "/api/v1/roster/proposals/999/signatures", json={"jws": envelope}, headers=await world.token("ee.signatory")
    )
    await assert_problem(missing, 404, "unknown_proposal")
    got = await (
        await world.client.get(f"/api/v1/roster/proposals/{proposal['id']}", headers=await world.token("ee.drafter"))
    ).json()
    assert got["signatures"] == []


async def test_a_new_proposal_withdraws_the_pending_one(world) -> None:
    await register_keys(world, "EE")
    first_proposal = await propose(world)
    second = await propose(world, {"threshold": 1})
    assert second["id"] != first_proposal["id"]
    got = await (
        await world.client.get(
            f"/api/v1/roster/proposals/{first_proposal['id']}", headers=await world.token("ee.drafter")
        )
    ).json()
    assert got["status"] == "withdrawn"
    state = await (await world.client.get("/api/v1/roster", headers=await world.token("ee.drafter"))).json()
    assert state["proposal"]["id"] == second["id"] and state["current"] is None


async def test_a_rotation_needs_the_old_and_the_new_threshold(world) -> None:
    v1_keys = await register_keys(world, "EE", "FR", "EU")
    v1 = await propose(world)
    for code in ("EE", "FR"):
        await submit(world, v1, v1_keys[code], f"{code.lower()}.signatory")
    world.clock.advance(timedelta(days=30))
    # EE and FR rotate: new keys registered, old ones revoked.
    fresh = await register_keys(world, "EE", "FR")
    for code in ("EE", "FR"):
        response = await world.client.post(
            f"/api/v1/parties/{code}/keys/{v1_keys[code].kid}/revoke",
            json={"reason": "rotation"},
            headers=await world.token("eu.secretariat"),
        )
        assert response.status == 200
    world.clock.advance(timedelta(minutes=1))
    v2 = await propose(world)
    assert v2["version"] == 2 and v2["roster"]["previous"] == v1["digest"]
    # New keys only: the proposal's own threshold is met, the old roster's is not.
    for code in ("EE", "FR"):
        body = await (await submit(world, v2, fresh[code], f"{code.lower()}.signatory")).json()
    assert body["status"] == "pending"
    assert [(t["roster_version"], t["signed"], t["met"]) for t in body["thresholds"]] == [
        (1, [], False),
        (2, ["EE", "FR"], True),
    ]
    # The revoked old keys cannot help any more (their revocation predates the signature)...
    late = await submit(world, v2, v1_keys["EE"], "ee.signatory")
    assert (await assert_problem(late, 422, "signature_invalid"))["reason"] == "key_revoked"
    # EU's key is in both rosters, but one party alone does not meet roster 1's threshold of 2:
    # revoking before rotating leaves the roster stuck, so rotate first, then revoke.
    one = await (await submit(world, v2, v1_keys["EU"], "eu.signatory")).json()
    assert [(t["signed"], t["met"]) for t in one["thresholds"]] == [(["EU"], False), (["EE", "EU", "FR"], True)]
    assert one["status"] == "pending"

    documents = [await (await world.client.get(f"/.well-known/entente/roster/{n}.json")).read() for n in (1,)]
    assert len(documents) == 1
    assert (await world.client.get("/.well-known/entente/roster/2.json")).status == 404


async def test_a_rotation_signed_by_both_thresholds_takes_effect_and_the_chain_verifies(world) -> None:
    v1_keys = await register_keys(world, "EE", "FR", "EU")
    v1 = await propose(world)
    for code in ("EE", "FR"):
        await submit(world, v1, v1_keys[code], f"{code.lower()}.signatory")
    world.clock.advance(timedelta(days=30))
    fresh = await register_keys(world, "EE")
    v2 = await propose(world)
    await submit(world, v2, fresh["EE"], "ee.signatory")
    await submit(world, v2, v1_keys["EE"], "ee.signatory")
    body = await (await submit(world, v2, v1_keys["FR"], "fr.signatory")).json()
    assert body["status"] == "adopted"
    documents = [await (await world.client.get(f"/.well-known/entente/roster/{n}.json")).read() for n in (1, 2)]
    pinned, pinned_envelopes = chain.read_roster_document(documents[0])
    result = verify_roster_chain(
        pinned, [chain.read_roster_document(documents[1])], world.clock(), pinned_envelopes=pinned_envelopes
    )
    assert result.ok and result.trusted.version == 2
    assert result.steps[-1].old.signed == ["EE", "FR"] and result.steps[-1].new.signed == ["EE", "FR"]
    state = await (await world.client.get("/api/v1/roster", headers=await world.token("fr.drafter"))).json()
    assert state["current"]["roster"]["version"] == 2


async def test_a_key_revoked_after_the_proposal_was_built_cannot_sign_it(world) -> None:
    party_keys = await register_keys(world, "EE", "FR")
    proposal = await propose(world)
    world.clock.advance(timedelta(minutes=5))
    revoked = await world.client.post(
        f"/api/v1/parties/EE/keys/{party_keys['EE'].kid}/revoke",
        json={"reason": "compromised"},
        headers=await world.token("ee.signatory"),
    )
    assert revoked.status == 200
    response = await submit(world, proposal, party_keys["EE"], "ee.signatory")
    assert (await assert_problem(response, 422, "signature_invalid"))["reason"] == "key_revoked"
