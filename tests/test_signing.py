"""Keys, thumbprints, PKCS#8 files, and detached JWS: interoperability and the classic pitfalls."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws as joserfc_jws
from joserfc.jwk import ECKey, OKPKey
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws

from entente import canonical, signing
from entente.errors import CanonicalFormError, InvalidInputError, SignatureError
from entente.signing import Algorithm
from tests.support.examples import examples

# See tests/test_canonical.py: keep Hypothesis's cache out of the collected tree.

TYP = "entente-signoff+jws"
IAT = 1_800_000_000
PAYLOAD = canonical.canonical_bytes({"communique": "c-1", "version": 3, "title": "Joint statement", "prev": None})

# RFC 8037 Appendix A.1 and A.4.
RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_SIGNING_INPUT = b"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
RFC8037_SIGNATURE = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

# RFC 7638 section 3.1.
RFC7638_N = (
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZC"
    "iFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9"
    "c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1"
    "jF44-csFCur-kEgU8awapJzKnqDKgw"
)

ED_KEY = signing.generate_private_key()
EC_KEY = signing.generate_private_key(Algorithm.ES256)
BOTH_KEYS = pytest.mark.parametrize("key", [ED_KEY, EC_KEY], ids=["Ed25519", "ES256"])


def _only(*keys: signing.PrivateKey | signing.PublicKey) -> Any:
    """A candidates callable that offers the given keys for any header."""
    public = [key.public_key if isinstance(key, signing.PrivateKey) else key for key in keys]
    return lambda header: public


def _entry(key: signing.PrivateKey, header: dict[str, Any], payload: bytes = PAYLOAD) -> dict[str, str]:
    """A signature entry over a header we choose, to build envelopes our signer would refuse to."""
    protected = canonical.b64url_encode(json.dumps(header).encode())
    signing_input = f"{protected}.{canonical.b64url_encode(payload)}".encode()
    return {"protected": protected, "signature": canonical.b64url_encode(signing.sign_bytes(key, signing_input))}


def _header(key: signing.PrivateKey, **changes: Any) -> dict[str, Any]:
    header = {"alg": str(key.alg), "kid": key.kid, "typ": TYP, "iat": IAT, "digest": canonical.digest(PAYLOAD)}
    header.update(changes)
    return {name: value for name, value in header.items() if value is not None}


def _reasons(envelope: dict[str, Any], candidates: Any, payload: bytes = PAYLOAD, **kwargs: Any) -> list[str | None]:
    return [check.reason for check in signing.verify_detached(payload, envelope, candidates, **kwargs)]


# --- RFC test values ----------------------------------------------------------------------------


def test_rfc8037_ed25519_thumbprint() -> None:
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X}
    assert signing.thumbprint(jwk) == RFC8037_THUMBPRINT
    assert signing.public_key_from_jwk(jwk).kid == RFC8037_THUMBPRINT


def test_rfc8037_ed25519_signature_is_reproduced() -> None:
    key = signing.PrivateKey(ed25519.Ed25519PrivateKey.from_private_bytes(canonical.b64url_decode(RFC8037_D)))
    assert key.jwk["x"] == RFC8037_X
    assert key.kid == RFC8037_THUMBPRINT
    signature = signing.sign_bytes(key, RFC8037_SIGNING_INPUT)
    assert canonical.b64url_encode(signature) == RFC8037_SIGNATURE
    assert signing.verify_bytes(key.public_key, RFC8037_SIGNING_INPUT, signature)
    assert not signing.verify_bytes(key.public_key, RFC8037_SIGNING_INPUT + b"x", signature)


def test_rfc7638_rsa_thumbprint_ignores_other_members() -> None:
    jwk = {"kty": "RSA", "n": RFC7638_N, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"}
    assert signing.thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_thumbprint_refuses_incomplete_or_unknown_jwks() -> None:
    with pytest.raises(InvalidInputError):
        signing.thumbprint({"kty": "OKP", "crv": "Ed25519"})
    with pytest.raises(InvalidInputError):
        signing.thumbprint({"kty": "oct", "k": "AAAA"})


# --- keys ---------------------------------------------------------------------------------------


def test_published_jwks() -> None:
    assert set(ED_KEY.jwk) == {"crv", "kty", "x", "kid", "alg", "use"}
    assert (ED_KEY.jwk["kty"], ED_KEY.jwk["crv"], ED_KEY.jwk["alg"], ED_KEY.jwk["use"]) == (
        "OKP",
        "Ed25519",
        "Ed25519",
        "sig",
    )
    assert set(EC_KEY.jwk) == {"crv", "kty", "x", "y", "kid", "alg", "use"}
    assert (EC_KEY.jwk["kty"], EC_KEY.jwk["crv"], EC_KEY.jwk["alg"]) == ("EC", "P-256", "ES256")
    assert len(canonical.b64url_decode(EC_KEY.jwk["x"])) == 32 == len(canonical.b64url_decode(EC_KEY.jwk["y"]))


@BOTH_KEYS
def test_kid_is_the_thumbprint_of_the_required_members(key: signing.PrivateKey) -> None:
    assert key.kid == signing.thumbprint(key.jwk)
    required = {name: key.jwk[name] for name in ("crv", "kty", "x", "y") if name in key.jwk}
    assert key.kid == canonical.b64url_encode(hashlib.sha256(canonical.canonical_bytes(required)).digest())
    assert key.kid == jwcrypto_jwk.JWK(**key.jwk).thumbprint()


@BOTH_KEYS
def test_fingerprint_is_the_sha256_of_the_subject_public_key_info(key: signing.PrivateKey) -> None:
    spki = key.public_key._key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert key.fingerprint == "sha256:" + hashlib.sha256(spki).hexdigest()


@BOTH_KEYS
def test_public_key_round_trips_through_jwk(key: signing.PrivateKey) -> None:
    again = signing.public_key_from_jwk(key.jwk)
    assert again == key.public_key
    assert hash(again) == hash(key.public_key)
    assert (again.kid, again.fingerprint, again.alg) == (key.kid, key.fingerprint, key.alg)


def test_generated_keys_differ_and_repr_shows_no_secret() -> None:
    other = signing.generate_private_key()
    assert other.fingerprint != ED_KEY.fingerprint and other.public_key != ED_KEY.public_key
    assert repr(other) == f"PrivateKey(alg='Ed25519', kid={other.kid!r})"


def test_eddsa_generates_an_ed25519_key() -> None:
    assert signing.generate_private_key(Algorithm.EDDSA).alg == Algorithm.ED25519


def test_other_key_types_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        signing.PrivateKey(rsa.generate_private_key(public_exponent=65537, key_size=1024))  # type: ignore[arg-type]


def _ed_jwk(raw: bytes) -> dict[str, str]:
    return {"kty": "OKP", "crv": "Ed25519", "x": canonical.b64url_encode(raw)}


@pytest.mark.parametrize(
    ("jwk", "field"),
    [
        ({**ED_KEY.jwk, "d": RFC8037_D}, "d"),
        ({"kty": "oct", "k": "AAAA"}, "kty"),
        ({"kty": "OKP", "crv": "X25519", "x": RFC8037_X}, "crv"),
        ({"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"}, "crv"),
        ({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X[:-1]}, "x"),  # 31 bytes... or bad b64
        ({"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X + "="}, "x"),
        ({"kty": "OKP", "crv": "Ed25519"}, "x"),
        (_ed_jwk(bytes(32)), "x"),  # small order (y = 0)
        (_ed_jwk(b"\x01" + bytes(31)), "x"),  # the identity point
        (_ed_jwk(b"\xff" * 31 + b"\x7f"), "x"),  # y >= p: not a canonical encoding
        (_ed_jwk(b"\x02" + bytes(31)), "x"),  # y = 2 has no x on the curve
        ({**EC_KEY.jwk, "y": canonical.b64url_encode(bytes(31) + b"\x01")}, "x"),  # not on P-256
        ({**EC_KEY.jwk, "y": canonical.b64url_encode(bytes(33))}, "y"),
        ({**ED_KEY.jwk, "kid": "my-key"}, "kid"),
        ({**ED_KEY.jwk, "alg": "ES256"}, "alg"),
        ({**ED_KEY.jwk, "use": "enc"}, "use"),
        ({**ED_KEY.jwk, "kty": ["OKP"]}, "kty"),
        ({**ED_KEY.jwk, "alg": ["Ed25519"]}, "alg"),
        ({**ED_KEY.jwk, "x": 12}, "x"),
    ],
)
def test_public_key_from_jwk_is_strict(jwk: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        signing.public_key_from_jwk(jwk)
    assert caught.value.field == field


def test_public_key_from_jwk_refuses_non_objects() -> None:
    with pytest.raises(InvalidInputError):
        signing.public_key_from_jwk([("kty", "OKP")])  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        signing.thumbprint("OKP")  # type: ignore[arg-type]


def test_public_key_from_jwk_explains_a_private_key() -> None:
    with pytest.raises(InvalidInputError, match="private key"):
        signing.public_key_from_jwk({**ED_KEY.jwk, "d": RFC8037_D})


def test_public_key_from_jwk_accepts_the_eddsa_alg_and_no_optional_members() -> None:
    assert signing.public_key_from_jwk({**ED_KEY.jwk, "alg": "EdDSA"}) == ED_KEY.public_key
    bare = {name: EC_KEY.jwk[name] for name in ("kty", "crv", "x", "y")}
    assert signing.public_key_from_jwk(bare) == EC_KEY.public_key


# --- private keys on disk -----------------------------------------------------------------------


@BOTH_KEYS
def test_private_key_file_round_trip(key: signing.PrivateKey, tmp_path: Path) -> None:
    path = tmp_path / "party.key"
    signing.save_private_key(key, path, "correct horse")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = signing.load_private_key(path, "correct horse")
    assert loaded.fingerprint == key.fingerprint
    envelope = signing.sign_detached(PAYLOAD, [loaded], typ=TYP, iat=IAT)
    assert signing.verify_detached(PAYLOAD, envelope, _only(key))[0].valid


def test_save_private_key_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "party.key"
    path.write_bytes(b"precious")
    with pytest.raises(InvalidInputError, match="refusing to overwrite"):
        signing.save_private_key(ED_KEY, path, "pass")
    assert path.read_bytes() == b"precious"


def test_save_private_key_ignores_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0o000)
    try:
        signing.save_private_key(ED_KEY, tmp_path / "k", "pass")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k").stat().st_mode) == 0o600


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "party.key"
    signing.save_private_key(ED_KEY, path, "correct horse")
    with pytest.raises(InvalidInputError, match="wrong passphrase") as caught:
        signing.load_private_key(path, "battery staple")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_unencrypted_or_missing_keys_are_refused(tmp_path: Path) -> None:
    plain = ED_KEY._key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidInputError, match="not encrypted"):
        signing.load_private_key_pem(plain, "pass")
    with pytest.raises(InvalidInputError, match="cannot read"):
        signing.load_private_key(tmp_path / "absent.key", "pass")
    with pytest.raises(InvalidInputError, match="passphrase"):
        signing.private_key_pem(ED_KEY, "")


# --- signing ------------------------------------------------------------------------------------


def test_sign_detached_shape_and_headers() -> None:
    envelope = signing.sign_detached(PAYLOAD, [ED_KEY, EC_KEY], typ=TYP, iat=IAT, extra={"party": "FR"})
    assert set(envelope) == {"signatures"}
    assert [set(entry) for entry in envelope["signatures"]] == [{"protected", "signature"}] * 2
    headers = [canonical.parse_strict(canonical.b64url_decode(e["protected"])) for e in envelope["signatures"]]
    assert headers[0] == {
        "alg": "Ed25519",
        "kid": ED_KEY.kid,
        "typ": TYP,
        "iat": IAT,
        "digest": canonical.digest(PAYLOAD),
        "party": "FR",
    }
    assert headers[1]["alg"] == "ES256" and headers[1]["kid"] == EC_KEY.kid
    assert [len(canonical.b64url_decode(e["signature"])) for e in envelope["signatures"]] == [64, 64]
    assert canonical.is_canonical(canonical.b64url_decode(envelope["signatures"][0]["protected"]))


def test_envelope_bytes_are_minified_json() -> None:
    envelope = signing.sign_detached(PAYLOAD, [ED_KEY], typ=TYP, iat=IAT)
    data = signing.envelope_bytes(envelope)
    assert b" " not in data and json.loads(data) == envelope
    assert signing.parse_envelope(data) == envelope


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"keys": []}, "keys"),
        ({"keys": [ED_KEY, ED_KEY]}, "keys"),
        ({"keys": [ED_KEY.public_key]}, "keys"),
        ({"typ": ""}, "typ"),
        ({"iat": True}, "iat"),
        ({"iat": -1}, "iat"),
        ({"iat": 2**53}, "iat"),
        ({"extra": {"kid": "other"}}, "extra"),
        ({"extra": {"crit": ["x"]}}, "extra"),
    ],
)
def test_sign_detached_refuses_bad_arguments(kwargs: dict[str, Any], field: str) -> None:
    arguments: dict[str, Any] = {"keys": [ED_KEY], "typ": TYP, "iat": IAT, **kwargs}
    with pytest.raises(InvalidInputError) as caught:
        signing.sign_detached(PAYLOAD, arguments.pop("keys"), **arguments)
    assert caught.value.field == field


def test_sign_detached_refuses_extra_values_that_are_not_canonical() -> None:
    with pytest.raises(CanonicalFormError):
        signing.sign_detached(PAYLOAD, [ED_KEY], typ=TYP, iat=IAT, extra={"weight": 0.5})


# --- interoperability ---------------------------------------------------------------------------


def _joserfc_key(key: signing.PrivateKey | signing.PublicKey) -> Any:
    return (OKPKey if key.alg == Algorithm.ED25519 else ECKey).import_key(key.jwk)


JOSERFC_REGISTRY = joserfc_jws.JWSRegistry(algorithms=["Ed25519", "EdDSA", "ES256"], strict_check_header=False)


@BOTH_KEYS
def test_our_signatures_verify_with_jwcrypto(key: signing.PrivateKey) -> None:
    envelope = signing.sign_detached(PAYLOAD, [key], typ=TYP, iat=IAT)
    token = jwcrypto_jws.JWS()
    token.deserialize(json.dumps(envelope))
    token.verify(jwcrypto_jwk.JWK(**key.jwk), detached_payload=PAYLOAD)
    assert token.is_valid
    with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
        token.verify(jwcrypto_jwk.JWK(**key.jwk), detached_payload=PAYLOAD + b" ")


@BOTH_KEYS
def test_our_signatures_verify_with_joserfc(key: signing.PrivateKey) -> None:
    # joserfc verifies RFC 7515 Appendix F by putting the detached payload back.
    envelope = signing.sign_detached(PAYLOAD, [key], typ=TYP, iat=IAT)
    attached = {**envelope, "payload": canonical.b64url_encode(PAYLOAD)}
    result = joserfc_jws.deserialize_json(attached, _joserfc_key(key), registry=JOSERFC_REGISTRY)
    assert result.payload == PAYLOAD
    tampered = {**envelope, "payload": canonical.b64url_encode(PAYLOAD + b" ")}
    with pytest.raises(joserfc_jws.BadSignatureError):
        joserfc_jws.deserialize_json(tampered, _joserfc_key(key), registry=JOSERFC_REGISTRY)


def test_a_multi_party_envelope_verifies_signature_by_signature_elsewhere() -> None:
    envelope = signing.sign_detached(PAYLOAD, [ED_KEY, EC_KEY], typ=TYP, iat=IAT)
    for key, entry in zip([ED_KEY, EC_KEY], envelope["signatures"], strict=True):
        token = jwcrypto_jws.JWS()
        token.deserialize(json.dumps(entry))
        token.verify(jwcrypto_jwk.JWK(**key.jwk), detached_payload=PAYLOAD)
        attached = {**entry, "payload": canonical.b64url_encode(PAYLOAD)}
        joserfc_jws.deserialize_json(attached, _joserfc_key(key), registry=JOSERFC_REGISTRY)


def _foreign_header(kid: str, alg: str) -> dict[str, Any]:
    return {"alg": alg, "kid": kid, "typ": TYP, "iat": IAT, "digest": canonical.digest(PAYLOAD)}


@pytest.mark.parametrize(
    ("kty", "crv", "alg"), [("OKP", "Ed25519", "Ed25519"), ("OKP", "Ed25519", "EdDSA"), ("EC", "P-256", "ES256")]
)
def test_jwcrypto_signatures_verify_with_ours(kty: str, crv: str, alg: str) -> None:
    foreign = jwcrypto_jwk.JWK.generate(kty=kty, crv=crv)
    public = signing.public_key_from_jwk(json.loads(foreign.export_public()))
    token = jwcrypto_jws.JWS(PAYLOAD)
    token.add_signature(foreign, None, protected=json.dumps(_foreign_header(public.kid, alg)))
    token.detach_payload()
    checks = signing.verify_detached(PAYLOAD, json.loads(token.serialize()), _only(public))
    assert [(c.valid, c.key) for c in checks] == [(True, public)]


@pytest.mark.parametrize(
    ("make", "alg"),
    [(lambda: OKPKey.generate_key("Ed25519"), "Ed25519"), (lambda: ECKey.generate_key("P-256"), "ES256")],
)
def test_joserfc_signatures_verify_with_ours(make: Any, alg: str) -> None:
    foreign = make()
    public = signing.public_key_from_jwk(foreign.as_dict(private=False))
    value = joserfc_jws.serialize_json(
        {"protected": _foreign_header(public.kid, alg)}, PAYLOAD, foreign, registry=JOSERFC_REGISTRY
    )
    # With the payload member (equal to the detached bytes) and without it.
    assert signing.verify_detached(PAYLOAD, value, _only(public))[0].valid
    assert signing.verify_detached(PAYLOAD, joserfc_jws.detach_content(value), _only(public))[0].valid


def test_openssl_pkeyutl_rawin_verifies_an_ed25519_signature(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    usage = subprocess.run(["openssl", "pkeyutl", "-help"], capture_output=True, text=True, check=False)
    if "-rawin" not in usage.stdout + usage.stderr:
        pytest.skip("this openssl has no pkeyutl -rawin (OpenSSL 3.0 or newer has)")
    envelope = signing.sign_detached(PAYLOAD, [ED_KEY], typ=TYP, iat=IAT)
    entry = envelope["signatures"][0]
    (tmp_path / "input").write_bytes(f"{entry['protected']}.{canonical.b64url_encode(PAYLOAD)}".encode())
    (tmp_path / "sig").write_bytes(canonical.b64url_decode(entry["signature"]))
    (tmp_path / "pub.pem").write_bytes(
        ED_KEY.public_key._key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    command = [
        "openssl",
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        "pub.pem",
        "-rawin",
        "-in",
        "input",
        "-sigfile",
        "sig",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (tmp_path / "input").write_bytes(b"x" + (tmp_path / "input").read_bytes())
    assert subprocess.run(command, cwd=tmp_path, capture_output=True, check=False).returncode != 0


# --- verification and its pitfalls ----------------------------------------------------------------


@BOTH_KEYS
def test_verify_detached_accepts_good_signatures(key: signing.PrivateKey) -> None:
    envelope = signing.sign_detached(PAYLOAD, [key], typ=TYP, iat=IAT)
    (check,) = signing.verify_detached(PAYLOAD, envelope, _only(key), typ=TYP)
    assert (check.valid, check.reason, check.kid, check.iat, check.key, check.index) == (
        True,
        None,
        key.kid,
        IAT,
        key.public_key,
        0,
    )
    assert check.header["digest"] == canonical.digest(PAYLOAD)


def test_the_same_key_under_two_kids_verifies_both_times_with_one_key() -> None:
    # Counting once is quorum's job; here both signatures are simply valid, by the same key.
    envelope = {"signatures": [_entry(ED_KEY, _header(ED_KEY)), _entry(ED_KEY, _header(ED_KEY, kid="legacy-fr-1"))]}
    aliases = {ED_KEY.kid: [ED_KEY.public_key], "legacy-fr-1": [ED_KEY.public_key]}
    checks = signing.verify_detached(PAYLOAD, envelope, lambda header: aliases.get(header["kid"], []))
    assert [(c.valid, c.kid) for c in checks] == [(True, ED_KEY.kid), (True, "legacy-fr-1")]
    assert len({c.key.fingerprint for c in checks if c.key}) == 1


def test_the_same_signature_twice_is_reported_twice() -> None:
    entry = signing.sign_detached(PAYLOAD, [ED_KEY], typ=TYP, iat=IAT)["signatures"][0]
    checks = signing.verify_detached(PAYLOAD, {"signatures": [entry, entry]}, _only(ED_KEY))
    assert [(c.index, c.valid) for c in checks] == [(0, True), (1, True)]


def test_an_es256_header_on_an_ed25519_key_is_an_alg_mismatch() -> None:
    envelope = {"signatures": [_entry(ED_KEY, _header(ED_KEY, alg="ES256"))]}
    assert _reasons(envelope, _only(ED_KEY)) == ["alg_mismatch"]


def test_an_ed25519_header_on_a_p256_key_is_an_alg_mismatch() -> None:
    envelope = {"signatures": [_entry(EC_KEY, _header(EC_KEY, alg="Ed25519"))]}
    assert _reasons(envelope, _only(EC_KEY)) == ["alg_mismatch"]


def test_the_eddsa_alias_is_accepted_for_ed25519_keys() -> None:
    envelope = {"signatures": [_entry(ED_KEY, _header(ED_KEY, alg="EdDSA"))]}
    assert _reasons(envelope, _only(ED_KEY)) == [None]


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_alg_none_is_refused(alg: str) -> None:
    protected = canonical.b64url_encode(json.dumps(_header(ED_KEY, alg=alg)).encode())
    envelope = {"signatures": [{"protected": protected, "signature": ""}]}
    assert _reasons(envelope, _only(ED_KEY)) == ["alg_none"]


def test_hs256_with_the_public_key_as_hmac_secret_is_refused() -> None:
    header = canonical.b64url_encode(json.dumps(_header(ED_KEY, alg="HS256")).encode())
    signing_input = f"{header}.{canonical.b64url_encode(PAYLOAD)}".encode()
    for secret in (canonical.b64url_decode(ED_KEY.jwk["x"]), json.dumps(ED_KEY.jwk).encode()):
        forged = hmac.new(secret, signing_input, hashlib.sha256).digest()
        envelope = {"signatures": [{"protected": header, "signature": canonical.b64url_encode(forged)}]}
        assert _reasons(envelope, _only(ED_KEY)) == ["alg_unsupported"]


@pytest.mark.parametrize("alg", ["RS256", "ES384", "PS256", "Ed448", "ed25519", ""])
def test_other_algorithms_are_unsupported(alg: str) -> None:
    envelope = {"signatures": [_entry(ED_KEY, _header(ED_KEY, alg=alg))]}
    assert _reasons(envelope, _only(ED_KEY)) == ["alg_unsupported"]


def test_a_payload_member_must_equal_the_detached_bytes() -> None:
    envelope = signing.sign_detached(PAYLOAD, [ED_KEY, EC_KEY], typ=TYP, iat=IAT)
    other = {**envelope, "payload": canonical.b64url_encode(b'{"other":"text"}')}
    assert _reasons(other, _only(ED_KEY, EC_KEY)) == ["payload_mismatch", "payload_mismatch"]
    same = {**envelope, "payload": canonical.b64url_encode(PAYLOAD)}
    assert _reasons(same, _only(ED_KEY, EC_KEY)) == [None, None]
    empty = {**envelope, "payload": ""}
    assert _reasons(empty, _only(ED_KEY, EC_KEY)) == [None, None]


@pytest.mark.parametrize("crit", [["exp"], ["iat"], [], "iat"])
def test_any_crit_header_is_refused(crit: Any) -> None:
    envelope = {"signatures": [_entry(ED_KEY, _header(ED_KEY, crit=crit, exp=1))]}
    assert _reasons(envelope, _only(ED_KEY)) == ["crit_unsupported"]


def test_a_header_digest_of_other_bytes_is_refused() -> None:
    envelope = {"signatures": [_entry(ED_KEY, _header(ED_KEY, digest=canonical.digest(b"other")))]}
    assert _reasons(envelope, _only(ED_KEY)) == ["digest_mismatch"]


@pytest.mark.parametrize(
    "changes",
    [
        {"kid": None},
        {"iat": None},
        {"digest": None},
        {"alg": None},
        {"kid": ""},
        {"kid": 7},
        {"iat": "1800000000"},
        {"iat": -5},
        {"iat": True},
        {"digest": 1},
    ],
    ids=str,
)
def test_incomplete_headers_are_malformed(changes: dict[str, Any]) -> None:
    envelope = {"signatures": [_entry(ED_KEY, _header(ED_KEY, **changes))]}
    assert _reasons(envelope, _only(ED_KEY)) == ["malformed_header"]


@pytest.mark.parametrize(
    "protected",
    [
        canonical.b64url_encode(b"[1, 2]"),
        canonical.b64url_encode(b'{"alg": "Ed25519", "alg": "ES256"}'),
        canonical.b64url_encode(b'{"alg": "Ed25519", "iat": 1.5}'),
        canonical.b64url_encode(b"\xff"),
        "eyJhbGciOiJFZDI1NTE5In0=",
        "not base64!",
        "A" * (signing.MAX_PROTECTED_HEADER_CHARS + 4),
    ],
)
def test_undecodable_headers_are_malformed(protected: str) -> None:
    envelope = {"signatures": [{"protected": protected, "signature": "AAAA"}]}
    assert _reasons(envelope, _only(ED_KEY)) == ["malformed_header"]


def test_bad_signature_unknown_key_and_malformed_signature() -> None:
    entry = signing.sign_detached(PAYLOAD, [ED_KEY], typ=TYP, iat=IAT)["signatures"][0]
    raw = bytearray(canonical.b64url_decode(entry["signature"]))
    raw[0] ^= 1
    flipped = {**entry, "signature": canonical.b64url_encode(bytes(raw))}
    assert _reasons({"signatures": [flipped]}, _only(ED_KEY)) == ["bad_signature"]
    assert _reasons({"signatures": [entry]}, _only(signing.generate_private_key())) == ["bad_signature"]
    assert _reasons({"signatures": [entry]}, _only()) == ["unknown_key"]
    short = {**entry, "signature": entry["signature"][:-1]}
    assert _reasons({"signatures": [short]}, _only(ED_KEY)) == ["malformed_signature"]


def test_the_first_candidate_that_verifies_wins() -> None:
    envelope = signing.sign_detached(PAYLOAD, [ED_KEY], typ=TYP, iat=IAT)
    checks = signing.verify_detached(PAYLOAD, envelope, _only(signing.generate_private_key(), EC_KEY, ED_KEY))
    assert checks[0].valid and checks[0].key == ED_KEY.public_key


def test_a_signature_for_another_purpose_is_refused_when_typ_is_given() -> None:
    envelope = signing.sign_detached(PAYLOAD, [ED_KEY], typ="entente-withdrawal+jws", iat=IAT)
    assert _reasons(envelope, _only(ED_KEY), typ=TYP) == ["typ_mismatch"]
    assert _reasons(envelope, _only(ED_KEY)) == [None]


def test_one_bad_signature_does_not_hide_the_good_ones() -> None:
    envelope = signing.sign_detached(PAYLOAD, [ED_KEY, EC_KEY], typ=TYP, iat=IAT)
    envelope["signatures"].insert(1, _entry(ED_KEY, _header(ED_KEY, alg="none")))
    assert _reasons(envelope, _only(ED_KEY, EC_KEY)) == [None, "alg_none", None]


# --- envelope shape ---------------------------------------------------------------------------


def test_parse_envelope_accepts_the_flattened_form() -> None:
    entry = signing.sign_detached(PAYLOAD, [ED_KEY], typ=TYP, iat=IAT)["signatures"][0]
    assert signing.parse_envelope(entry) == {"signatures": [entry]}
    with_payload = {**entry, "payload": canonical.b64url_encode(PAYLOAD)}
    assert signing.parse_envelope(json.dumps(with_payload)) == {
        "signatures": [entry],
        "payload": with_payload["payload"],
    }
    assert signing.verify_detached(PAYLOAD, with_payload, _only(ED_KEY))[0].valid


@pytest.mark.parametrize(
    ("envelope", "field"),
    [
        ([], ""),
        ({}, ""),
        ({"signatures": []}, "/signatures"),
        ({"signatures": {}}, "/signatures"),
        ({"signatures": ["x"]}, "/signatures/0"),
        ({"signatures": [{"protected": "e30", "signature": "", "header": {"kid": "x"}}]}, "/signatures/0/header"),
        ({"signatures": [{"protected": 1, "signature": ""}]}, "/signatures/0/protected"),
        ({"signatures": [{"protected": "e30"}]}, "/signatures/0/signature"),
        ({"signatures": [{"protected": "e30", "signature": ""}], "payload": 5}, "/payload"),
        ({"signatures": [{"protected": "e30", "signature": ""}], "extra": 1}, "/extra"),
        ({"protected": "e30", "signature": "", "header": {}}, "/header"),
    ],
)
def test_parse_envelope_is_strict(envelope: Any, field: str) -> None:
    with pytest.raises(SignatureError) as caught:
        signing.parse_envelope(json.dumps(envelope))
    assert caught.value.field == field


def test_parse_envelope_explains_unprotected_headers() -> None:
    with pytest.raises(SignatureError, match="every header must be signed"):
        signing.parse_envelope({"protected": "e30", "signature": "", "header": {"kid": "x"}})


def test_parse_envelope_text_goes_through_the_strict_reader() -> None:
    with pytest.raises(CanonicalFormError):
        signing.parse_envelope('{"signatures": [], "signatures": []}')


# --- payloads: what canonical bytes refuse never reaches a signature --------------------------


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        (b'{"title":"a","title":"b"}', "/title"),
        (b'{"sections":[{"weight":0.5}]}', "/sections/0/weight"),
        (b'{"n":9007199254740992}', "/n"),
        (b'{"title":"\\udead"}', "/title"),
    ],
)
def test_payloads_that_are_not_canonical_json_are_refused_even_when_signed(payload: bytes, pointer: str) -> None:
    # The signature is over bytes and verifies; the verifier's canonical check refuses the payload.
    envelope = signing.sign_detached(payload, [ED_KEY], typ=TYP, iat=IAT)
    assert signing.verify_detached(payload, envelope, _only(ED_KEY))[0].valid
    with pytest.raises(CanonicalFormError) as caught:
        canonical.require_canonical(payload)
    assert caught.value.field == pointer


def test_non_nfc_payload_text_is_normalised_before_signing() -> None:
    version = {"title": "De\u0301claration commune"}
    payload = canonical.canonical_bytes(version)
    assert "D\u00e9claration".encode() in payload
    assert not canonical.is_canonical(json.dumps(version, ensure_ascii=False, separators=(",", ":")).encode())
    envelope = signing.sign_detached(payload, [ED_KEY], typ=TYP, iat=IAT)
    assert signing.verify_detached(payload, envelope, _only(ED_KEY))[0].valid


# --- properties ---------------------------------------------------------------------------------


@settings(max_examples=examples(60), deadline=None)
@given(payload=st.binary(min_size=1, max_size=300), position=st.integers(min_value=0), flip=st.integers(1, 255))
def test_any_single_byte_change_invalidates_every_signature(payload: bytes, position: int, flip: int) -> None:
    envelope = signing.sign_detached(payload, [ED_KEY, EC_KEY], typ=TYP, iat=IAT)
    changed = bytearray(payload)
    changed[position % len(payload)] ^= flip
    checks = signing.verify_detached(bytes(changed), envelope, _only(ED_KEY, EC_KEY))
    assert [c.valid for c in checks] == [False, False]
    # The digest in the header catches it first; the signatures themselves fail as well.
    segment = canonical.b64url_encode(bytes(changed))
    for key, entry in zip([ED_KEY, EC_KEY], envelope["signatures"], strict=True):
        signing_input = f"{entry['protected']}.{segment}".encode()
        assert not signing.verify_bytes(key.public_key, signing_input, canonical.b64url_decode(entry["signature"]))
