"""Keys, JWK thumbprints, and detached JWS: the only module that touches signature primitives.

Sign-offs are JWS (RFC 7515) in General JSON Serialization with a *detached* payload (Appendix F):
the payload is the canonical version bytes, published beside the envelope rather than inside it.
The payload is base64url-encoded into the signing input as plain RFC 7515 says (not RFC 7797's
``b64: false``), so jwcrypto, joserfc or ``openssl pkeyutl -verify -rawin`` check our signatures
without knowing anything about Entente.

Two key types exist: Ed25519 (signed as ``alg: "Ed25519"``, RFC 9864; ``EdDSA`` is accepted on
verify) and ECDSA P-256 (``ES256``, raw ``R||S`` signatures, for hardware without Ed25519). A key's
``kid`` is its RFC 7638 thumbprint; its ``fingerprint`` names the key material itself, which is what
quorum counting uses.

Verification never trusts the header to pick the algorithm: each key accepts only its own ``alg``,
``none`` and HMAC are refused outright, any ``crit`` is refused (we understand no extension), and the
header must repeat the payload digest, so a signature cannot be replayed over other bytes. Each
signature yields a :class:`SignatureCheck` with a stable reason code instead of an exception, so a
sign-off with one bad signature among 32 still reports the other 31.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from . import canonical
from .errors import InvalidInputError, MalformedInputError, SignatureError

__all__ = [
    "Algorithm",
    "PreparedPayload",
    "PrivateKey",
    "PublicKey",
    "Reason",
    "SignatureCheck",
    "envelope_bytes",
    "ed25519_private_key_from_seed",
    "generate_private_key",
    "load_private_key",
    "load_private_key_pem",
    "parse_envelope",
    "prepare_payload",
    "private_key_pem",
    "protected_headers",
    "public_key_from_jwk",
    "save_private_key",
    "sign_bytes",
    "sign_detached",
    "thumbprint",
    "verify_bytes",
    "verify_detached",
]

MAX_PROTECTED_HEADER_CHARS = 8192
"""Protected headers are a few hundred characters; anything near this is an attack, not a header."""

RESERVED_HEADER_NAMES = frozenset({"alg", "kid", "typ", "iat", "digest", "crit", "b64"})
"""Header names ``sign_detached`` sets (or must never set); ``extra`` may not use them."""


class Algorithm(StrEnum):
    ED25519 = "Ed25519"
    EDDSA = "EdDSA"
    ES256 = "ES256"


class Reason(StrEnum):
    """Why a signature entry was not accepted; stable codes shown to users and stored."""

    MALFORMED_HEADER = "malformed_header"
    MALFORMED_SIGNATURE = "malformed_signature"
    ALG_NONE = "alg_none"
    ALG_UNSUPPORTED = "alg_unsupported"
    ALG_MISMATCH = "alg_mismatch"
    CRIT_UNSUPPORTED = "crit_unsupported"
    PAYLOAD_MISMATCH = "payload_mismatch"
    DIGEST_MISMATCH = "digest_mismatch"
    TYP_MISMATCH = "typ_mismatch"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"


# --- key types --------------------------------------------------------------------------------

CryptoPublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
CryptoPrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey

# Edwards25519 arithmetic for the one check OpenSSL skips: that a raw public key decodes to a
# point of large order (RFC 8032 section 5.1.3). Small-order keys verify forged signatures in
# lenient implementations; the y-coordinates below are those of the eight small-order points.
_ED_P = 2**255 - 19
_ED_D = (-121665 * pow(121666, _ED_P - 2, _ED_P)) % _ED_P
_ED_SMALL_ORDER_Y = frozenset(
    {
        0,
        1,
        _ED_P - 1,
        2707385501144840649318225287225658788936804267575313519463743609750303402022,
        _ED_P - 2707385501144840649318225287225658788936804267575313519463743609750303402022,
    }
)


def _is_large_order_edwards_point(raw: bytes) -> bool:
    """True when ``raw`` is the canonical encoding of a curve point not of small order."""
    encoded = int.from_bytes(raw, "little")
    y, x_is_odd = encoded & ((1 << 255) - 1), encoded >> 255
    if y >= _ED_P or y in _ED_SMALL_ORDER_Y:
        return False
    x2 = (y * y - 1) * pow(_ED_D * y * y + 1, _ED_P - 2, _ED_P) % _ED_P
    if x2 == 0:
        return not x_is_odd
    return pow(x2, (_ED_P - 1) // 2, _ED_P) == 1  # Euler's criterion: x^2 has a square root


def _jwk_bytes(jwk: Mapping[str, Any], name: str, size: int) -> bytes:
    value = jwk.get(name)
    try:
        raw = canonical.b64url_decode(value)
    except MalformedInputError:
        raise InvalidInputError(f"JWK member {name!r} is not base64url", field=name) from None
    if len(raw) != size:
        raise InvalidInputError(f"JWK member {name!r} must be {size} bytes", field=name)
    return raw


class _KeyType(ABC):
    """What differs between Ed25519 and P-256: one instance of each subclass below."""

    kty: ClassVar[str]
    crv: ClassVar[str]
    alg: ClassVar[Algorithm]
    accepts: ClassVar[frozenset[str]]

    @abstractmethod
    def sign(self, key: Any, data: bytes) -> bytes: ...

    @abstractmethod
    def verify(self, key: Any, data: bytes, signature: bytes) -> None:
        """Raise ``InvalidSignature`` unless ``signature`` is valid."""

    @abstractmethod
    def jwk_members(self, key: Any) -> dict[str, str]:
        """The RFC 7638 required members of the public JWK."""

    @abstractmethod
    def key_from_jwk(self, jwk: Mapping[str, Any]) -> CryptoPublicKey: ...

    @abstractmethod
    def generate(self) -> CryptoPrivateKey: ...


class _Ed25519(_KeyType):
    kty, crv, alg = "OKP", "Ed25519", Algorithm.ED25519
    accepts = frozenset({Algorithm.ED25519, Algorithm.EDDSA})

    def sign(self, key: ed25519.Ed25519PrivateKey, data: bytes) -> bytes:
        return key.sign(data)

    def verify(self, key: ed25519.Ed25519PublicKey, data: bytes, signature: bytes) -> None:
        key.verify(signature, data)

    def jwk_members(self, key: ed25519.Ed25519PublicKey) -> dict[str, str]:
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"crv": self.crv, "kty": self.kty, "x": canonical.b64url_encode(raw)}

    def key_from_jwk(self, jwk: Mapping[str, Any]) -> ed25519.Ed25519PublicKey:
        raw = _jwk_bytes(jwk, "x", 32)
        if not _is_large_order_edwards_point(raw):
            raise InvalidInputError("JWK 'x' is not a valid Ed25519 public key", field="x")
        return ed25519.Ed25519PublicKey.from_public_bytes(raw)

    def generate(self) -> ed25519.Ed25519PrivateKey:
        return ed25519.Ed25519PrivateKey.generate()


class _P256(_KeyType):
    kty, crv, alg = "EC", "P-256", Algorithm.ES256
    accepts = frozenset({Algorithm.ES256})
    _size = 32

    def sign(self, key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(self._size, "big") + s.to_bytes(self._size, "big")

    def verify(self, key: ec.EllipticCurvePublicKey, data: bytes, signature: bytes) -> None:
        if len(signature) != 2 * self._size:
            raise InvalidSignature
        r = int.from_bytes(signature[: self._size], "big")
        s = int.from_bytes(signature[self._size :], "big")
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))

    def jwk_members(self, key: ec.EllipticCurvePublicKey) -> dict[str, str]:
        numbers = key.public_numbers()
        x = canonical.b64url_encode(numbers.x.to_bytes(self._size, "big"))
        y = canonical.b64url_encode(numbers.y.to_bytes(self._size, "big"))
        return {"crv": self.crv, "kty": self.kty, "x": x, "y": y}

    def key_from_jwk(self, jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
        x = int.from_bytes(_jwk_bytes(jwk, "x", self._size), "big")
        y = int.from_bytes(_jwk_bytes(jwk, "y", self._size), "big")
        try:
            return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        except ValueError:
            raise InvalidInputError("JWK 'x'/'y' is not a point on P-256", field="x") from None

    def generate(self) -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())


_ED25519, _P256_TYPE = _Ed25519(), _P256()
_KEY_TYPES_BY_KTY = {t.kty: t for t in (_ED25519, _P256_TYPE)}
_KEY_TYPES_BY_ALG = {alg: t for t in (_ED25519, _P256_TYPE) for alg in t.accepts}


def _key_type_of(key: Any) -> _KeyType:
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return _ED25519
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)) and isinstance(key.curve, ec.SECP256R1):
        return _P256_TYPE
    raise InvalidInputError(f"unsupported key type {type(key).__name__}: use Ed25519 or P-256")


# --- keys -------------------------------------------------------------------------------------


_THUMBPRINT_MEMBERS = {"OKP": ("crv", "kty", "x"), "EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}


def _jwk_kty(jwk: Any) -> str | None:
    if not isinstance(jwk, Mapping):
        raise InvalidInputError("a JWK is a JSON object")
    kty = jwk.get("kty")
    return kty if isinstance(kty, str) else None


def thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 SHA-256 thumbprint: over the required members only, whatever else the JWK holds."""
    members = _THUMBPRINT_MEMBERS.get(_jwk_kty(jwk) or "")
    if members is None:
        raise InvalidInputError(f"unsupported JWK kty {jwk.get('kty')!r}", field="kty")
    required = {}
    for name in members:
        if not isinstance(jwk.get(name), str):
            raise InvalidInputError(f"JWK member {name!r} is missing", field=name)
        required[name] = jwk[name]
    return canonical.b64url_encode(hashlib.sha256(canonical.canonical_bytes(required)).digest())


class PublicKey:
    """A verification key with the names derived from it (immutable; equal when the material is).

    ``kid`` is the RFC 7638 thumbprint, what headers carry to say which key to try. ``fingerprint``
    is ``sha256:`` + hex of the DER SubjectPublicKeyInfo (``openssl pkey -pubin -outform DER |
    sha256sum``): quorum counts these, so a key is one key whatever it is called.
    """

    __slots__ = ("_key", "_type", "_members", "_kid", "_fingerprint")

    def __init__(self, key: CryptoPublicKey) -> None:
        self._type = _key_type_of(key)
        self._key = key
        self._members = self._type.jwk_members(key)
        self._kid = thumbprint(self._members)
        spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self._fingerprint = canonical.digest(spki)

    @property
    def alg(self) -> Algorithm:
        return self._type.alg

    @property
    def kid(self) -> str:
        return self._kid

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def jwk(self) -> dict[str, str]:
        """The public JWK as published: required members plus ``kid``, ``alg`` and ``use``."""
        return {**self._members, "kid": self._kid, "alg": str(self.alg), "use": "sig"}

    def accepts(self, alg: str) -> bool:
        """Whether a header ``alg`` belongs to this key type (the algorithm-confusion guard)."""
        return alg in self._type.accepts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PublicKey) and other._fingerprint == self._fingerprint

    def __hash__(self) -> int:
        return hash(self._fingerprint)

    def __repr__(self) -> str:
        return f"PublicKey(alg={self.alg.value!r}, kid={self._kid!r})"


class PrivateKey:
    """A signing key. Parties hold these; the server never stores one unencrypted."""

    __slots__ = ("_key", "_public")

    def __init__(self, key: CryptoPrivateKey) -> None:
        _key_type_of(key)
        self._key = key
        self._public = PublicKey(key.public_key())

    @property
    def public_key(self) -> PublicKey:
        return self._public

    @property
    def alg(self) -> Algorithm:
        return self._public.alg

    @property
    def kid(self) -> str:
        return self._public.kid

    @property
    def fingerprint(self) -> str:
        return self._public.fingerprint

    @property
    def jwk(self) -> dict[str, str]:
        """The *public* JWK; there is deliberately no way to export the private one as JWK."""
        return self._public.jwk

    def __repr__(self) -> str:
        return f"PrivateKey(alg={self.alg.value!r}, kid={self.kid!r})"


def generate_private_key(alg: Algorithm = Algorithm.ED25519) -> PrivateKey:
    key_type = _KEY_TYPES_BY_ALG.get(alg)
    if key_type is None:
        raise InvalidInputError(f"unsupported algorithm {alg!r}", field="alg")
    return PrivateKey(key_type.generate())


def ed25519_private_key_from_seed(seed: bytes) -> PrivateKey:
    """The Ed25519 key of a raw 32-byte RFC 8032 seed (signed-note signer keys carry one)."""
    if not isinstance(seed, bytes) or len(seed) != 32:
        raise InvalidInputError("an Ed25519 seed is 32 bytes")
    return PrivateKey(ed25519.Ed25519PrivateKey.from_private_bytes(seed))


def public_key_from_jwk(jwk: Mapping[str, Any]) -> PublicKey:
    """Import a public JWK strictly: known kty/crv, exact lengths, a valid point, and consistent
    optional members (``use`` is ``sig``, ``alg`` fits the key, ``kid`` is the thumbprint)."""
    key_type = _KEY_TYPES_BY_KTY.get(_jwk_kty(jwk) or "")
    if "d" in jwk:
        raise InvalidInputError("this JWK contains a private key ('d'); register the public key only", field="d")
    if key_type is None:
        raise InvalidInputError(f"unsupported JWK kty {jwk.get('kty')!r}", field="kty")
    if jwk.get("crv") != key_type.crv:
        raise InvalidInputError(f"unsupported curve {jwk.get('crv')!r} for {key_type.kty}", field="crv")
    key = PublicKey(key_type.key_from_jwk(jwk))
    _check_optional_jwk_members(jwk, key)
    return key


def _check_optional_jwk_members(jwk: Mapping[str, Any], key: PublicKey) -> None:
    if "use" in jwk and jwk["use"] != "sig":
        raise InvalidInputError("JWK 'use' must be 'sig'", field="use")
    if "alg" in jwk and not (isinstance(jwk["alg"], str) and key.accepts(jwk["alg"])):
        raise InvalidInputError(f"JWK 'alg' {jwk['alg']!r} does not fit a {key.alg} key", field="alg")
    if "kid" in jwk and jwk["kid"] != key.kid:
        raise InvalidInputError("JWK 'kid' must be its RFC 7638 thumbprint", field="kid")


# --- private keys on disk ---------------------------------------------------------------------


def _passphrase_bytes(passphrase: str) -> bytes:
    if not isinstance(passphrase, str) or not passphrase:
        raise InvalidInputError("a non-empty passphrase is required", field="passphrase")
    return passphrase.encode("utf-8")


def private_key_pem(key: PrivateKey, passphrase: str) -> bytes:
    """PKCS#8 PEM encrypted with the passphrase (cryptography's best available scheme)."""
    return key._key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase_bytes(passphrase)),
    )


def load_private_key_pem(data: bytes, passphrase: str) -> PrivateKey:
    """Read an encrypted PKCS#8 PEM key; unencrypted keys are refused, not silently accepted."""
    password = _passphrase_bytes(passphrase)
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except TypeError:
        raise InvalidInputError("the private key is not encrypted; keys must be passphrase-protected PKCS#8") from None
    except (ValueError, UnsupportedAlgorithm):
        raise InvalidInputError("cannot decrypt the private key: wrong passphrase, or not a PEM private key") from None
    return PrivateKey(key)  # type: ignore[arg-type]  # other key types are refused inside


def save_private_key(key: PrivateKey, path: str | os.PathLike[str], passphrase: str) -> None:
    """Write the encrypted key to a new file readable by its owner only; never overwrite."""
    pem = private_key_pem(key, passphrase)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        raise InvalidInputError(f"{path} already exists; refusing to overwrite a key file") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)  # the umask may have taken bits away, never adds
            handle.write(pem)
    except BaseException:
        os.unlink(path)  # never leave half a key behind
        raise


def load_private_key(path: str | os.PathLike[str], passphrase: str) -> PrivateKey:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read key file {path}: {exc.strerror}") from None
    return load_private_key_pem(data, passphrase)


# --- raw signatures ---------------------------------------------------------------------------


def sign_bytes(key: PrivateKey, data: bytes) -> bytes:
    """Sign raw bytes (Ed25519, or ES256 as raw ``R||S``)."""
    return key._public._type.sign(key._key, data)


def verify_bytes(public_key: PublicKey, data: bytes, signature: bytes) -> bool:
    try:
        public_key._type.verify(public_key._key, data, signature)
    except InvalidSignature:
        return False
    return True


# --- detached JWS -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PreparedPayload:
    """A detached payload with what every signature check needs, computed once per payload."""

    data: bytes
    segment: bytes
    """base64url of ``data``: the payload part of every signing input."""
    digest: str


def prepare_payload(payload: bytes | PreparedPayload) -> PreparedPayload:
    if isinstance(payload, PreparedPayload):
        return payload
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise InvalidInputError("a detached payload is bytes")
    data = bytes(payload)
    return PreparedPayload(data, canonical.b64url_encode(data).encode("ascii"), canonical.digest(data))


def _signing_input(protected: str, payload: PreparedPayload) -> bytes:
    return b"".join((protected.encode("ascii"), b".", payload.segment))


def _check_sign_arguments(keys: Sequence[PrivateKey], typ: str, iat: int, extra: Mapping[str, Any] | None) -> None:
    if not keys or not all(isinstance(key, PrivateKey) for key in keys):
        raise InvalidInputError("sign with at least one PrivateKey", field="keys")
    if len({key.fingerprint for key in keys}) != len(keys):
        raise InvalidInputError("the same key is given twice", field="keys")
    if not isinstance(typ, str) or not typ:
        raise InvalidInputError("'typ' must be a non-empty string", field="typ")
    if type(iat) is not int or not 0 <= iat <= canonical.MAX_SAFE_INTEGER:
        raise InvalidInputError("'iat' must be whole seconds since the epoch", field="iat")
    clash = sorted(RESERVED_HEADER_NAMES & set(extra or ()))
    if clash:
        raise InvalidInputError(f"header {clash[0]!r} cannot be set through 'extra'", field="extra")


def sign_detached(
    payload: bytes,
    keys: Sequence[PrivateKey],
    *,
    typ: str,
    iat: int,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One JWS signature per key over the detached ``payload`` (General JSON Serialization).

    The protected header is ``alg``, ``kid``, ``typ``, ``iat`` and ``digest`` (plus ``extra``),
    serialized canonically. The returned envelope has no ``payload`` member.
    """
    _check_sign_arguments(keys, typ, iat, extra)
    prepared = prepare_payload(payload)
    base = {**(extra or {}), "typ": typ, "iat": iat, "digest": prepared.digest}
    signatures = []
    for key in keys:
        header = {**base, "alg": key.alg, "kid": key.kid}
        protected = canonical.b64url_encode(canonical.canonical_bytes(header))
        signature = sign_bytes(key, _signing_input(protected, prepared))
        signatures.append({"protected": protected, "signature": canonical.b64url_encode(signature)})
    return {"signatures": signatures}


def envelope_bytes(envelope: Mapping[str, Any]) -> bytes:
    """The stored and published form of an envelope: minified (canonical) JSON."""
    return canonical.canonical_bytes(envelope)


_ENVELOPE_MEMBERS = frozenset({"signatures", "payload"})
_FLATTENED_MEMBERS = frozenset({"protected", "signature", "payload"})
_ENTRY_MEMBERS = ("protected", "signature")


def _refuse_unknown_members(obj: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(obj) - allowed, key=str)
    if not unknown:
        return
    name = unknown[0]
    hint = " (unprotected headers are refused: every header must be signed)" if name == "header" else ""
    raise SignatureError(f"unexpected member {name!r} in a JWS envelope{hint}", field=f"{where}/{name}")


def _parse_entry(entry: Any, where: str) -> dict[str, str]:
    if not isinstance(entry, Mapping):
        raise SignatureError("a signature entry is a JSON object", field=where)
    _refuse_unknown_members(entry, frozenset(_ENTRY_MEMBERS), where)
    for name in _ENTRY_MEMBERS:
        if not isinstance(entry.get(name), str):
            raise SignatureError(f"{name!r} must be a string", field=f"{where}/{name}")
    return {name: entry[name] for name in _ENTRY_MEMBERS}


def _as_general(envelope: Mapping[str, Any]) -> Mapping[str, Any]:
    """Turn the flattened serialization (one signature, members at top level) into the general."""
    if "signatures" in envelope:
        return envelope
    if "signature" not in envelope:
        raise SignatureError("not a JWS JSON serialization: no 'signatures' member", field="")
    _refuse_unknown_members(envelope, _FLATTENED_MEMBERS, "")
    general: dict[str, Any] = {"signatures": [{k: envelope[k] for k in _ENTRY_MEMBERS if k in envelope}]}
    if "payload" in envelope:
        general["payload"] = envelope["payload"]
    return general


def parse_envelope(data: bytes | str | Mapping[str, Any]) -> dict[str, Any]:
    """Check the shape of a JWS JSON envelope and return it in general form.

    Only ``protected`` and ``signature`` are allowed per entry. A ``payload`` member is kept for
    :func:`verify_detached` to compare with the detached bytes.
    """
    envelope = data if isinstance(data, Mapping) else canonical.parse_strict(data)
    if not isinstance(envelope, Mapping):
        raise SignatureError("a JWS envelope is a JSON object", field="")
    envelope = _as_general(envelope)
    _refuse_unknown_members(envelope, _ENVELOPE_MEMBERS, "")
    entries = envelope["signatures"]
    if not isinstance(entries, list) or not entries:
        raise SignatureError("'signatures' must be a non-empty array", field="/signatures")
    parsed: dict[str, Any] = {"signatures": [_parse_entry(e, f"/signatures/{i}") for i, e in enumerate(entries)]}
    if "payload" in envelope:
        if not isinstance(envelope["payload"], str):
            raise SignatureError("'payload' must be a string", field="/payload")
        parsed["payload"] = envelope["payload"]
    return parsed


def protected_headers(envelope: Mapping[str, Any]) -> list[dict[str, Any] | None]:
    """The decoded protected header of each signature entry of a general JWS envelope, in order (None
    for one that cannot be read). For reading who signed; verification decodes on its own."""
    headers: list[dict[str, Any] | None] = []
    for entry in envelope.get("signatures", []):
        try:
            header = canonical.parse_strict(canonical.b64url_decode(entry["protected"]))
        except (MalformedInputError, InvalidInputError, KeyError, TypeError):
            header = None
        headers.append(header if isinstance(header, dict) else None)
    return headers


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one signature entry. ``key`` is the key that verified it, when valid."""

    index: int
    kid: str | None
    header: dict[str, Any]
    key: PublicKey | None
    valid: bool
    reason: str | None
    iat: int | None


class _Rejected(Exception):
    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason = reason


def _decode_header(protected: str) -> dict[str, Any]:
    if len(protected) > MAX_PROTECTED_HEADER_CHARS:
        raise _Rejected(Reason.MALFORMED_HEADER)
    try:
        header = canonical.parse_strict(canonical.b64url_decode(protected))
    except MalformedInputError:
        raise _Rejected(Reason.MALFORMED_HEADER) from None
    if not isinstance(header, dict):
        raise _Rejected(Reason.MALFORMED_HEADER)
    return header


def _check_header(header: dict[str, Any], payload: PreparedPayload, attached_ok: bool, typ: str | None) -> None:
    alg = header.get("alg")
    if not isinstance(alg, str):
        raise _Rejected(Reason.MALFORMED_HEADER)
    if alg.lower() == "none":
        raise _Rejected(Reason.ALG_NONE)
    if alg not in _KEY_TYPES_BY_ALG:
        raise _Rejected(Reason.ALG_UNSUPPORTED)
    if "crit" in header:
        raise _Rejected(Reason.CRIT_UNSUPPORTED)
    if _header_kid(header) is None or _header_iat(header) is None or not isinstance(header.get("digest"), str):
        raise _Rejected(Reason.MALFORMED_HEADER)
    if not attached_ok:
        raise _Rejected(Reason.PAYLOAD_MISMATCH)
    if header["digest"] != payload.digest:
        raise _Rejected(Reason.DIGEST_MISMATCH)
    if typ is not None and header.get("typ") != typ:
        raise _Rejected(Reason.TYP_MISMATCH)


def _header_kid(header: Mapping[str, Any]) -> str | None:
    kid = header.get("kid")
    return kid if isinstance(kid, str) and kid else None


def _header_iat(header: Mapping[str, Any]) -> int | None:
    iat = header.get("iat")
    return iat if type(iat) is int and iat >= 0 else None


def _decode_signature(text: str) -> bytes:
    try:
        return canonical.b64url_decode(text)
    except MalformedInputError:
        raise _Rejected(Reason.MALFORMED_SIGNATURE) from None


def _verifying_key(
    header: dict[str, Any], signing_input: bytes, signature: bytes, keys: Iterable[PublicKey]
) -> PublicKey:
    keys = list(keys)
    if not keys:
        raise _Rejected(Reason.UNKNOWN_KEY)
    usable = [key for key in keys if key.accepts(header["alg"])]
    if not usable:
        raise _Rejected(Reason.ALG_MISMATCH)
    for key in usable:
        if verify_bytes(key, signing_input, signature):
            return key
    raise _Rejected(Reason.BAD_SIGNATURE)


def _check_entry(
    index: int,
    entry: Mapping[str, str],
    payload: PreparedPayload,
    attached_ok: bool,
    candidates: Callable[[dict[str, Any]], Iterable[PublicKey]],
    typ: str | None,
) -> SignatureCheck:
    header: dict[str, Any] = {}
    try:
        header = _decode_header(entry["protected"])
        _check_header(header, payload, attached_ok, typ)
        signature = _decode_signature(entry["signature"])
        signing_input = _signing_input(entry["protected"], payload)
        key = _verifying_key(header, signing_input, signature, candidates(header))
    except _Rejected as rejected:
        return SignatureCheck(
            index, _header_kid(header), header, None, False, str(rejected.reason), _header_iat(header)
        )
    return SignatureCheck(index, header["kid"], header, key, True, None, header["iat"])


def verify_detached(
    payload: bytes | PreparedPayload,
    envelope: bytes | str | Mapping[str, Any],
    candidates: Callable[[dict[str, Any]], Iterable[PublicKey]],
    *,
    typ: str | None = None,
) -> list[SignatureCheck]:
    """Check every signature of ``envelope`` over the detached ``payload``.

    ``candidates(header)`` returns the keys to try for a header (the caller resolves ``kid`` and
    party); a signature is valid when one of them with a matching key type verifies it. When
    ``typ`` is given, a signature made for another purpose (another ``typ``) is not accepted.
    An envelope whose shape is wrong raises :class:`~entente.errors.SignatureError`; everything
    about a single signature is reported in its :class:`SignatureCheck`.
    """
    prepared = prepare_payload(payload)
    parsed = parse_envelope(envelope)
    attached = parsed.get("payload")
    # An empty payload member is how several libraries mark "detached" (RFC 7515 Appendix F).
    attached_ok = not attached or attached.encode("utf-8") == prepared.segment
    return [
        _check_entry(index, entry, prepared, attached_ok, candidates, typ)
        for index, entry in enumerate(parsed["signatures"])
    ]


# --- the platform's PDF signing certificate ------------------------------------------------------


def self_signed_certificate(key: PrivateKey, common_name: str, *, not_before: Any, days: int = 3650) -> bytes:
    """A self-signed X.509 certificate (PEM) for a P-256 key: the platform's PDF signing identity.

    PDF readers and poppler's ``pdfsig`` do not accept Ed25519, so the PDF signature (PAdES) uses
    ECDSA P-256; the certificate is published at ``/.well-known/entente/pdf-signing.pem``.
    """
    from datetime import timedelta

    from cryptography import x509
    from cryptography.x509.oid import NameOID

    if key.alg != Algorithm.ES256:
        raise InvalidInputError("the PDF signing key must be ECDSA P-256", field="alg")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    public = key._key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    certificate = builder.sign(key._key, hashes.SHA256())  # type: ignore[arg-type]
    return certificate.public_bytes(serialization.Encoding.PEM)


def private_key_der(key: PrivateKey) -> bytes:
    """The key as unencrypted PKCS#8 DER, only to hand it to a PDF rendering worker process of this
    server (never written anywhere)."""
    return key._key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
