"""Detached JWS (RFC 7515, General JSON Serialization): signing, parsing and checking envelopes.

Sign-offs are JWS with a *detached* payload (Appendix F): the payload is the canonical version
bytes, published beside the envelope rather than inside it. The payload is base64url-encoded into
the signing input as plain RFC 7515 says (not RFC 7797's ``b64: false``), so jwcrypto, joserfc or
``openssl pkeyutl -verify -rawin`` check our signatures without knowing anything about Entente.

Verification never trusts the header to pick the algorithm: each key accepts only its own ``alg``,
``none`` and HMAC are refused outright, any ``crit`` is refused (we understand no extension), and the
header must repeat the payload digest, so a signature cannot be replayed over other bytes. Each
signature yields a :class:`SignatureCheck` with a stable reason code instead of an exception, so a
sign-off with one bad signature among 32 still reports the other 31.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from entente import canonical
from entente.errors import InvalidInputError, MalformedInputError, SignatureError
from entente.signing.keys import SUPPORTED_ALGS, PrivateKey, PublicKey, sign_bytes, verify_bytes

__all__ = [
    "MAX_PROTECTED_HEADER_CHARS",
    "RESERVED_HEADER_NAMES",
    "PreparedPayload",
    "Reason",
    "SignatureCheck",
    "envelope_bytes",
    "envelope_from_compact",
    "parse_envelope",
    "prepare_payload",
    "protected_headers",
    "sign_detached",
    "verify_detached",
]

MAX_PROTECTED_HEADER_CHARS = 8192
"""Protected headers are a few hundred characters; anything near this is an attack, not a header."""

RESERVED_HEADER_NAMES = frozenset({"alg", "kid", "typ", "iat", "digest", "crit", "b64"})
"""Header names ``sign_detached`` sets (or must never set); ``extra`` may not use them."""


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


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def envelope_from_compact(text: str) -> dict[str, Any]:
    """The general JSON form of a compact JWS (RFC 7515 section 7.1): ``protected.payload.signature``.

    A detached payload leaves the middle part empty (``protected..signature``, appendix F), as
    WebCrypto snippets and most JOSE libraries write it; an attached one is kept as ``payload`` for
    :func:`verify_detached` to compare with the detached bytes.
    """
    parts = text.strip().split(".")
    if len(parts) != 3 or not parts[0] or not parts[2] or not all(set(p) <= _B64URL for p in parts):
        raise SignatureError("a compact JWS is three base64url parts joined by '.'", field="")
    envelope: dict[str, Any] = {"signatures": [{"protected": parts[0], "signature": parts[2]}]}
    if parts[1]:
        envelope["payload"] = parts[1]
    return envelope


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
    if alg not in SUPPORTED_ALGS:
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
    header: dict[str, Any], signing_input: bytes, signature: bytes, keys: Iterable[PublicKey], *, recorded: bool = False
) -> PublicKey:
    keys = list(keys)
    if not keys:
        raise _Rejected(Reason.UNKNOWN_KEY)
    usable = [key for key in keys if key.accepts(header["alg"])]
    if not usable:
        raise _Rejected(Reason.ALG_MISMATCH)
    if recorded and len(usable) == 1:  # verified over these bytes by this key when it was recorded
        return usable[0]
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
    recorded: bool = False,
) -> SignatureCheck:
    header: dict[str, Any] = {}
    try:
        header = _decode_header(entry["protected"])
        _check_header(header, payload, attached_ok, typ)
        signature = _decode_signature(entry["signature"])
        signing_input = _signing_input(entry["protected"], payload)
        key = _verifying_key(header, signing_input, signature, candidates(header), recorded=recorded)
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
    recorded: bool = False,
) -> list[SignatureCheck]:
    """Check every signature of ``envelope`` over the detached ``payload``.

    ``candidates(header)`` returns the keys to try for a header (the caller resolves ``kid`` and
    party); a signature is valid when one of them with a matching key type verifies it. When
    ``typ`` is given, a signature made for another purpose (another ``typ``) is not accepted.
    An envelope whose shape is wrong raises :class:`~entente.errors.SignatureError`; everything
    about a single signature is reported in its :class:`SignatureCheck`.

    ``recorded=True`` is for an envelope whose signatures were verified over these very bytes when
    it was recorded (a stored sign-off): the header checks run again and each signature's key is
    resolved, but the signature itself is not verified again unless several keys could have made it.
    What can change since (a key revoked, its window) is judged by the caller from the key's record.
    """
    prepared = prepare_payload(payload)
    parsed = parse_envelope(envelope)
    attached = parsed.get("payload")
    # An empty payload member is how several libraries mark "detached" (RFC 7515 Appendix F).
    attached_ok = not attached or attached.encode("utf-8") == prepared.segment
    return [
        _check_entry(index, entry, prepared, attached_ok, candidates, typ, recorded)
        for index, entry in enumerate(parsed["signatures"])
    ]
