"""Quorum policies and results: who signed, who is missing, and why a signature does not count."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from entente import canonical, signing
from entente.errors import InvalidInputError, SignatureError
from entente.quorum import KeyRecord, Policy, evaluate, require_quorum

TYP = "entente-signoff+jws"
PAYLOAD = canonical.canonical_bytes({"communique": "c-7", "version": 1, "title": "Joint statement"})
NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
IAT = int(NOW.timestamp())
PARTIES = ["DE", "FR", "IT", "PL"]
KEYS = {party: signing.generate_private_key() for party in PARTIES}
KEYS["PL"] = signing.generate_private_key(signing.Algorithm.ES256)  # hardware without Ed25519


def record(party: str, key: signing.PrivateKey | None = None, **window: Any) -> KeyRecord:
    key = key or KEYS[party]
    fields: dict[str, Any] = {"not_before": NOW - timedelta(days=365), "not_after": NOW + timedelta(days=365)}
    fields.update(window)
    return KeyRecord(party=party, key=key.public_key, **fields)


REGISTRY = [record(party) for party in PARTIES]


def signoff(*parties: str, iat: int = IAT, payload: bytes = PAYLOAD) -> dict[str, Any]:
    return signing.sign_detached(payload, [KEYS[p] for p in parties], typ=TYP, iat=iat)


def run(
    envelopes: list[dict[str, Any]],
    policy: Policy = Policy(),
    *,
    keys: list[KeyRecord] | None = None,
    participants: list[str] | None = None,
    **kwargs: Any,
) -> Any:
    return evaluate(
        PAYLOAD,
        envelopes,
        keys=REGISTRY if keys is None else keys,
        participants=PARTIES if participants is None else participants,
        policy=policy,
        **kwargs,
    )


def reasons(result: Any) -> list[tuple[str | None, str]]:
    return [(item.party, item.reason) for item in result.invalid]


# --- policies -----------------------------------------------------------------------------------


def test_all_participants_met() -> None:
    result = run([signoff(*PARTIES)])
    assert (result.met, result.signed, result.missing, result.invalid, result.needed) == (True, PARTIES, [], [], 0)


def test_all_participants_lists_the_missing() -> None:
    result = run([signoff("FR", "DE")])
    assert not result.met
    assert result.signed == ["DE", "FR"]
    assert result.missing == ["IT", "PL"] == result.unsigned


def test_k_of_n() -> None:
    two_of_four = Policy(all_participants=False, threshold=2)
    met = run([signoff("IT", "PL")], two_of_four)
    assert (met.met, met.missing, met.needed, met.unsigned) == (True, [], 0, ["DE", "FR"])
    short = run([signoff("IT")], two_of_four)
    assert (short.met, short.missing, short.needed) == (False, [], 1)


def test_required_parties() -> None:
    policy = Policy(all_participants=False, threshold=2, required=frozenset({"FR"}))
    without_fr = run([signoff("DE", "IT", "PL")], policy)
    assert (without_fr.met, without_fr.missing, without_fr.needed) == (False, ["FR"], 0)
    assert run([signoff("FR", "PL")], policy).met
    alone = run([signoff("FR")], policy)
    assert (alone.met, alone.missing, alone.needed) == (False, [], 1)


def test_required_only() -> None:
    policy = Policy(all_participants=False, required=frozenset({"DE", "FR"}))
    assert run([signoff("DE", "FR")], policy).met
    assert run([signoff("DE", "IT", "PL")], policy).missing == ["FR"]


def test_all_participants_combined_with_a_threshold_and_required() -> None:
    policy = Policy(all_participants=True, threshold=3, required=frozenset({"FR"}))
    assert run([signoff(*PARTIES)], policy).met
    partial = run([signoff("FR", "DE", "IT")], policy)
    assert (partial.met, partial.missing, partial.needed) == (False, ["PL"], 0)
    # A required party that does not participate can never sign: the policy cannot be met.
    policy = Policy(all_participants=False, threshold=1, required=frozenset({"UK"}))
    assert run([signoff("FR")], policy).missing == ["UK"]


def test_a_threshold_above_the_participants_is_never_met() -> None:
    result = run([signoff(*PARTIES)], Policy(all_participants=False, threshold=5))
    assert (result.met, result.needed) == (False, 1)


# --- envelopes ----------------------------------------------------------------------------------


def test_one_envelope_per_party_is_pooled() -> None:
    result = run([signoff(p) for p in PARTIES])
    assert result.met and result.signed == PARTIES
    assert [len(checks) for checks in result.checks] == [1, 1, 1, 1]


def test_envelopes_may_be_stored_bytes() -> None:
    result = run([signing.envelope_bytes(signoff("FR", "DE")), json.dumps(signoff("IT", "PL"))])
    assert result.met


def test_a_malformed_envelope_raises() -> None:
    with pytest.raises(SignatureError):
        run([{"signatures": []}])


# --- signatures that do not count ---------------------------------------------------------------


def test_a_signature_by_a_non_participating_party() -> None:
    result = run([signoff("FR", "DE", "IT", "PL")], participants=["FR", "DE", "IT"])
    assert result.met
    assert reasons(result) == [("PL", "not_participating")]


def test_a_signature_by_an_expired_key() -> None:
    keys = [*REGISTRY[:1], record("FR", not_after=NOW - timedelta(seconds=1)), *REGISTRY[2:]]
    result = run([signoff(*PARTIES)], keys=keys)
    assert (result.met, result.missing, reasons(result)) == (False, ["FR"], [("FR", "key_expired")])


def test_a_signature_before_not_before() -> None:
    keys = [*REGISTRY[:1], record("FR", not_before=NOW + timedelta(seconds=1)), *REGISTRY[2:]]
    result = run([signoff(*PARTIES)], keys=keys)
    assert reasons(result) == [("FR", "key_not_yet_valid")]


def test_the_validity_window_is_inclusive() -> None:
    keys = [*REGISTRY[:1], record("FR", not_before=NOW, not_after=NOW), *REGISTRY[2:]]
    assert run([signoff(*PARTIES)], keys=keys).met
    open_ended = [*REGISTRY[:1], record("FR", not_before=None, not_after=None), *REGISTRY[2:]]
    assert run([signoff(*PARTIES)], keys=open_ended).met


def test_a_signature_by_a_revoked_key() -> None:
    at_iat = [*REGISTRY[:1], record("FR", revoked_at=NOW, revocation_reason="compromised"), *REGISTRY[2:]]
    result = run([signoff(*PARTIES)], keys=at_iat)
    assert (result.met, reasons(result)) == (False, [("FR", "key_revoked")])
    # Made strictly before the revocation, it still counts (revocation is not retroactive by iat).
    later = [*REGISTRY[:1], record("FR", revoked_at=NOW + timedelta(seconds=1)), *REGISTRY[2:]]
    assert run([signoff(*PARTIES)], keys=later).met


def test_revocation_follows_the_key_material_across_records() -> None:
    revoked_copy = record("FR", revoked_at=NOW - timedelta(days=1))
    result = run([signoff(*PARTIES)], keys=[*REGISTRY, revoked_copy])
    assert reasons(result) == [("FR", "key_revoked")]


def test_naive_datetimes_are_read_as_utc() -> None:
    naive = (NOW + timedelta(seconds=1)).replace(tzinfo=None)
    keys = [*REGISTRY[:1], record("FR", not_before=naive), *REGISTRY[2:]]
    assert reasons(run([signoff(*PARTIES)], keys=keys)) == [("FR", "key_not_yet_valid")]


def test_cryptographic_failures_name_the_party_when_the_kid_does() -> None:
    envelope = signoff("FR", "DE")
    entry = envelope["signatures"][0]
    raw = bytearray(canonical.b64url_decode(entry["signature"]))
    raw[-1] ^= 0x01
    entry["signature"] = canonical.b64url_encode(bytes(raw))
    stranger = signing.sign_detached(PAYLOAD, [signing.generate_private_key()], typ=TYP, iat=IAT)
    result = run([envelope, stranger])
    assert reasons(result) == [("FR", "bad_signature"), (None, "unknown_key")]
    assert result.invalid[1].envelope == 1 and result.invalid[1].kid is not None
    assert result.signed == ["DE"]


def test_a_signature_over_other_bytes_does_not_count() -> None:
    result = run([signoff("FR", payload=PAYLOAD + b" ")])
    assert reasons(result) == [("FR", "digest_mismatch")]


def test_a_key_registered_to_two_parties_counts_for_neither() -> None:
    shared = [*REGISTRY, record("IT", KEYS["FR"])]
    result = run([signoff(*PARTIES)], keys=shared)
    assert reasons(result) == [(None, "key_ambiguous")]
    assert result.signed == ["DE", "IT", "PL"]


def test_typ_filters_signatures_made_for_another_purpose() -> None:
    withdrawal = signing.sign_detached(PAYLOAD, [KEYS["FR"]], typ="entente-withdrawal+jws", iat=IAT)
    result = run([withdrawal], Policy(all_participants=False, threshold=1), typ=TYP)
    assert (result.met, reasons(result)) == (False, [("FR", "typ_mismatch")])


# --- counting distinct parties and keys, never kids ------------------------------------------


def _aliased_signature(key: signing.PrivateKey, kid: str) -> dict[str, str]:
    header = {"alg": str(key.alg), "kid": kid, "typ": TYP, "iat": IAT, "digest": canonical.digest(PAYLOAD)}
    protected = canonical.b64url_encode(canonical.canonical_bytes(header))
    signing_input = f"{protected}.{canonical.b64url_encode(PAYLOAD)}".encode()
    return {"protected": protected, "signature": canonical.b64url_encode(signing.sign_bytes(key, signing_input))}


def test_the_same_key_under_two_kids_counts_once() -> None:
    alias = KeyRecord("FR", KEYS["FR"].public_key, None, None, kid="fr-2026")
    envelope = {"signatures": [*signoff("FR")["signatures"], _aliased_signature(KEYS["FR"], "fr-2026")]}
    result = run([envelope], Policy(all_participants=False, threshold=2), keys=[*REGISTRY, alias])
    assert (result.met, result.signed, result.needed, result.invalid) == (False, ["FR"], 1, [])
    assert result.keys == {"FR": [KEYS["FR"].fingerprint]}
    assert all(check.valid for check in result.checks[0])


def test_two_keys_of_one_party_count_as_one_party() -> None:
    second = signing.generate_private_key(signing.Algorithm.ES256)
    keys = [*REGISTRY, record("FR", second)]
    envelope = signing.sign_detached(PAYLOAD, [KEYS["FR"], second], typ=TYP, iat=IAT)
    result = run([envelope], Policy(all_participants=False, threshold=2), keys=keys)
    assert (result.met, result.signed, result.needed, result.invalid) == (False, ["FR"], 1, [])
    assert result.keys == {"FR": sorted([KEYS["FR"].fingerprint, second.fingerprint])}


def test_a_repeated_signature_counts_once_and_is_not_invalid() -> None:
    envelope = signoff("FR")
    doubled = {"signatures": envelope["signatures"] * 2}
    result = run([envelope, envelope, doubled], Policy(all_participants=False, threshold=2))
    assert (result.signed, result.needed, result.invalid) == (["FR"], 1, [])


def test_the_same_key_registered_twice_for_one_party_counts_once() -> None:
    result = run([signoff(*PARTIES)], keys=[*REGISTRY, record("FR", not_before=None)])
    assert (result.met, result.invalid, result.keys["FR"]) == (True, [], [KEYS["FR"].fingerprint])


# --- results and errors ---------------------------------------------------------------------------


def test_result_to_dict_is_plain_json() -> None:
    result = run([signoff("FR"), signoff("DE", iat=0)])
    data = result.to_dict()
    assert canonical.parse_strict(canonical.canonical_bytes(data)) == data
    assert data["signed"] == ["FR"] and data["missing"] == ["DE", "IT", "PL"]
    assert data["invalid"] == [
        {"party": "DE", "kid": KEYS["DE"].kid, "reason": "key_not_yet_valid", "envelope": 1, "index": 0}
    ]


def test_require_quorum_raises_with_what_is_missing() -> None:
    with pytest.raises(SignatureError) as caught:
        require_quorum(PAYLOAD, [signoff("FR")], keys=REGISTRY, participants=PARTIES, policy=Policy())
    assert "DE, IT, PL" in caught.value.detail
    assert caught.value.extra["missing"] == ["DE", "IT", "PL"]
    result = require_quorum(PAYLOAD, [signoff(*PARTIES)], keys=REGISTRY, participants=PARTIES, policy=Policy())
    assert result.met


def test_require_quorum_explains_a_short_threshold() -> None:
    with pytest.raises(SignatureError, match="2 more parties must sign"):
        require_quorum(
            PAYLOAD,
            [signoff("FR")],
            keys=REGISTRY,
            participants=PARTIES,
            policy=Policy(all_participants=False, threshold=3),
        )


@pytest.mark.parametrize("participants", [[], "FR", [""], [1], [["FR"]]])
def test_participants_must_be_party_codes(participants: Any) -> None:
    with pytest.raises(InvalidInputError):
        run([signoff("FR")], participants=participants)


# --- policy storage -------------------------------------------------------------------------------


def test_policy_round_trips_through_its_stored_form() -> None:
    policy = Policy(all_participants=False, threshold=2, required=frozenset({"FR", "DE"}))
    assert policy.to_dict() == {"all": False, "threshold": 2, "required": ["DE", "FR"]}
    assert Policy.from_dict(policy.to_dict()) == policy
    assert Policy.from_dict({}) == Policy()
    assert Policy(required={"FR"}).required == frozenset({"FR"})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"threshold": 0}, "threshold"),
        ({"threshold": True}, "threshold"),
        ({"threshold": "2"}, "threshold"),
        ({"all": "yes"}, "all"),
        ({"required": "FR"}, "required"),
        ({"required": [1]}, "required"),
        ({"required": [""]}, "required"),
        ({"required": [["FR"]]}, "required"),
        ({"quorum": 2}, "quorum"),
        ({"all": False}, ""),
        ({"all": False, "required": []}, ""),
    ],
)
def test_policy_from_dict_validates(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Policy.from_dict(data)
    assert caught.value.field == field


def test_policy_from_dict_refuses_non_objects() -> None:
    with pytest.raises(InvalidInputError):
        Policy.from_dict([("all", True)])  # type: ignore[arg-type]
