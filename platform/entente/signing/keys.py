"""Keys: the two key types, JWK import and RFC 7638 thumbprints, raw signatures, PKCS#8 files.

Two key types exist: Ed25519 (signed as ``alg: "Ed25519"``, RFC 9864; ``EdDSA`` is accepted on
verify) and ECDSA P-256 (``ES256``, raw ``R||S`` signatures, for hardware without Ed25519). A key's
``kid`` is its RFC 7638 thumbprint; its ``fingerprint`` names the key material itself, which is what
quorum counting uses. Each key accepts only its own ``alg``.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
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

from entente import canonical
from entente.errors import InvalidInputError, MalformedInputError

__all__ = [
    "Algorithm",
    "PrivateKey",
    "SUPPORTED_ALGS",
    "PublicKey",
    "ed25519_private_key_from_seed",
    "generate_private_key",
    "load_private_key",
    "load_private_key_pem",
    "private_key_pem",
    "public_key_from_jwk",
    "save_private_key",
    "sign_bytes",
    "thumbprint",
    "verify_bytes",
]


class Algorithm(StrEnum):
    ED25519 = "Ed25519"
    EDDSA = "EdDSA"
    ES256 = "ES256"


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
    if not isinstance(value, str):
        raise InvalidInputError(f"JWK member {name!r} is not base64url", field=name)
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
SUPPORTED_ALGS = frozenset(_KEY_TYPES_BY_ALG)
"""Every ``alg`` some key type accepts (a JWS naming another is refused before any key is tried)."""


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
