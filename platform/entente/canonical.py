"""Strict JSON, RFC 8785 canonical bytes, digests, and salted disclosures.

Everything Entente signs or publishes is a JSON value turned into bytes here, and only here.
Verifiers outside the server re-derive those bytes with any RFC 8785 (JCS) implementation, so the
values we accept are restricted to what JCS maps to one byte string without surprises:

- no floats at all (``1.0`` and ``1e3`` included): number formatting is where implementations
  drift, and our documents never need fractions;
- integers within +/-(2^53 - 1), the range every JSON implementation reads exactly;
- no duplicate keys (two readers may keep different members), no lone surrogates (not encodable
  as UTF-8), no nesting deeper than a limit;
- text normalised to NFC, so the same words typed on two keyboards give the same bytes.

Refusals raise :class:`~entente.errors.CanonicalFormError` with ``field`` set to the RFC 6901 JSON
Pointer of the offending place, so an editor can point at it.

Selective disclosure follows SD-JWT (RFC 9901): a disclosure is the base64url of the JSON array
``[salt, name, value]`` and its digest is the base64url SHA-256 of that base64url text, exactly as
given (never re-canonicalised: RFC 9901 hashes what the issuer wrote).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import rfc8785

from .errors import CanonicalFormError, InvalidInputError, MalformedInputError

__all__ = [
    "MAX_SAFE_INTEGER",
    "Disclosure",
    "DisclosureCheck",
    "b64url_decode",
    "b64url_encode",
    "canonical_bytes",
    "check_disclosures",
    "decode_disclosure",
    "digest",
    "digest_of",
    "is_canonical",
    "make_disclosure",
    "normalize",
    "parse_strict",
    "random_salt",
    "require_canonical",
    "require_disclosures",
]

MAX_SAFE_INTEGER = 2**53 - 1
DEFAULT_MAX_DEPTH = 64
SALT_BYTES = 32

_MAX_SAFE_DIGITS = len(str(MAX_SAFE_INTEGER))
_SURROGATE = re.compile("[\ud800-\udfff]")
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


# --- the strict reader ------------------------------------------------------------------------


class _Unacceptable:
    """Placed in the parsed tree by a ``json.loads`` hook instead of a value we refuse.

    The hooks cannot know where they are in the document; the tree walk that follows does, so it
    turns the marker into an error with the right JSON Pointer. ``token`` names the member inside
    the marked object that is at fault (the second of two duplicate keys).
    """

    __slots__ = ("reason", "token")

    def __init__(self, reason: str, token: str | None = None) -> None:
        self.reason = reason
        self.token = token


class _Refusal(Exception):
    """Internal: raised deep in the walk; each enclosing container adds its path token on the way
    out, so the success path pays nothing for pointer bookkeeping."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tokens: list[str | int] = []

    def to_error(self) -> CanonicalFormError:
        return CanonicalFormError(self.reason, field=_pointer(reversed(self.tokens)))


def _pointer(tokens: Iterable[str | int]) -> str:
    """RFC 6901 pointer; lone surrogates are shown escaped so the pointer itself stays encodable."""
    parts = []
    for token in tokens:
        text = str(token).replace("~", "~0").replace("/", "~1")
        parts.append("/" + text.encode("utf-8", "backslashreplace").decode("utf-8"))
    return "".join(parts)


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> Any:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _Unacceptable(f"duplicate key {key!r}", token=key)
        seen.add(key)
    raise AssertionError("unreachable: a shorter dict implies a repeated key")  # pragma: no cover


def _parse_int(text: str) -> Any:
    # Length first: int() of a huge literal is slow (and capped by Python's digit limit).
    digits = text[1:] if text.startswith("-") else text
    if len(digits) <= _MAX_SAFE_DIGITS:
        number = int(text)
        if -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
            return number
    return _Unacceptable(f"integer {text[:24]} is outside +/-(2^53-1)")


def _parse_float(text: str) -> _Unacceptable:
    return _Unacceptable(f"number {text[:24]} is not an integer (floats are not accepted)")


def _parse_constant(text: str) -> _Unacceptable:
    return _Unacceptable(f"{text} is not JSON (floats are not accepted)")


def _check_text(text: str) -> str:
    """A string's value checks: no lone surrogates; returned NFC-normalised."""
    if text.isascii():
        return text
    if _SURROGATE.search(text):
        raise _Refusal("text contains a lone surrogate (not encodable as UTF-8)")
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def _check_key(key: Any) -> str:
    if not isinstance(key, str):
        raise _Refusal(f"object key {key!r} is not a string")
    return _check_text(str.__str__(key))


def _check_object(obj: dict[Any, Any], depth: int, max_depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in obj.items():
        try:
            name = _check_key(key)
            if name in out:
                raise _Refusal(f"duplicate key {name!r} after NFC normalisation")
            out[name] = _check(item, depth, max_depth)
        except _Refusal as refusal:
            refusal.tokens.append(key if isinstance(key, str) else repr(key))
            raise
    return out


def _check_array(items: list[Any] | tuple[Any, ...], depth: int, max_depth: int) -> list[Any]:
    out = []
    for index, item in enumerate(items):
        try:
            out.append(_check(item, depth, max_depth))
        except _Refusal as refusal:
            refusal.tokens.append(index)
            raise
    return out


def _check(value: Any, depth: int, max_depth: int) -> Any:
    """Validate and normalise one value; ``depth`` counts the containers around it."""
    kind = type(value)
    if kind is str:
        return _check_text(value)
    if value is None or kind is bool:
        return value
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        raise _Refusal(f"integer {value} is outside +/-(2^53-1)")
    if kind is dict or kind is list or kind is tuple:
        if depth >= max_depth:
            raise _Refusal(f"nesting is deeper than {max_depth} levels")
        if kind is dict:
            return _check_object(value, depth + 1, max_depth)
        return _check_array(value, depth + 1, max_depth)
    return _check_other(value, depth, max_depth)


def _check_other(value: Any, depth: int, max_depth: int) -> Any:
    """The rare cases: parse markers, floats, and subclasses of the JSON types (StrEnum, ...)."""
    if isinstance(value, _Unacceptable):
        refusal = _Refusal(value.reason)
        if value.token is not None:
            refusal.tokens.append(value.token)
        raise refusal
    if isinstance(value, float):
        raise _Refusal(f"number {value!r} is not an integer (floats are not accepted)")
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return _check(int(value), depth, max_depth)
    if isinstance(value, str):
        return _check_text(str.__str__(value))
    if isinstance(value, dict):
        return _check(dict(value), depth, max_depth)
    if isinstance(value, list):
        return _check(list(value), depth, max_depth)
    raise _Refusal(f"a {type(value).__name__} is not a JSON value")


def _validated(value: Any, max_depth: int) -> Any:
    try:
        return _check(value, 0, max_depth)
    except _Refusal as refusal:
        raise refusal.to_error() from None


def _decode_utf8(data: bytes | bytearray | memoryview) -> str:
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CanonicalFormError(f"invalid UTF-8 at byte {exc.start}", field="", extra={"offset": exc.start}) from None


def parse_strict(data: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Read JSON text, refusing everything that would not canonicalise to one byte string.

    Bytes must be UTF-8 (no BOM). Returned text (keys and values) is NFC-normalised; two keys that
    become equal under NFC count as duplicates.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        text = _decode_utf8(data)
    elif isinstance(data, str):
        text = data
    else:
        raise CanonicalFormError(f"expected JSON text, got {type(data).__name__}", field="")
    try:
        raw = json.loads(
            text,
            object_pairs_hook=_object_from_pairs,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as exc:
        raise CanonicalFormError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            field="",
            extra={"offset": exc.pos},
        ) from None
    except RecursionError:
        # The C scanner gives up long before our limit would matter for real documents.
        raise CanonicalFormError(f"nesting is deeper than {max_depth} levels", field="") from None
    return _validated(raw, max_depth)


def normalize(value: Any, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Check a value built in code as the strict reader would, and return it NFC-normalised.

    Tuples become lists and str/int subclasses (``StrEnum`` members) become plain values.
    """
    return _validated(value, max_depth)


# --- canonical bytes and digests --------------------------------------------------------------


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 bytes of ``value`` after the strict checks and NFC normalisation."""
    return rfc8785.dumps(normalize(value))


def require_canonical(data: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse ``data`` strictly and insist it is already canonical; return the parsed value.

    This is what a verifier does with published bytes: one parse, one re-serialisation.
    """
    value = parse_strict(data, max_depth=max_depth)
    again = rfc8785.dumps(value)
    if again != data:
        offset = next(
            (i for i, (a, b) in enumerate(zip(again, data, strict=False)) if a != b),
            min(len(again), len(data)),
        )
        raise CanonicalFormError(
            f"not in RFC 8785 canonical form (first difference at byte {offset})",
            field="",
            extra={"offset": offset},
        )
    return value


def is_canonical(data: bytes) -> bool:
    """True when ``data`` passes the strict reader and re-canonicalising it changes nothing."""
    try:
        require_canonical(data)
    except CanonicalFormError:
        return False
    return True


def digest(data: bytes) -> str:
    """The version digest format: ``sha256:`` and lowercase hex."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def digest_of(value: Any) -> str:
    return digest(canonical_bytes(value))


# --- base64url --------------------------------------------------------------------------------


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url: no padding, no other characters, and only the one canonical spelling.

    Refusing non-zero trailing bits means every byte string has exactly one encoding, so two
    different strings can never carry the same signature or disclosure.
    """
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise MalformedInputError("not unpadded base64url text")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):  # pragma: no cover - excluded by the checks above
        raise MalformedInputError("not unpadded base64url text") from None
    if b64url_encode(data) != text:
        raise MalformedInputError("base64url text has non-zero padding bits")
    return data


def random_salt() -> str:
    """A fresh 256-bit salt, base64url (RFC 9901 asks for at least 128 bits)."""
    return b64url_encode(secrets.token_bytes(SALT_BYTES))


# --- selective disclosure (RFC 9901) -----------------------------------------------------------


@dataclass(frozen=True)
class Disclosure:
    """One disclosed member: ``encoded`` is what travels, ``digest`` what the signed object lists."""

    salt: str
    name: str
    value: Any
    encoded: str
    digest: str


def _disclosure_digest(encoded: str) -> str:
    return b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


def make_disclosure(name: str, value: Any, *, salt: str | None = None) -> Disclosure:
    """Build the disclosure ``[salt, name, value]``; the value is checked and NFC-normalised first.

    The array is written by an ordinary JSON serializer (UTF-8, RFC 9901's own spelling); the
    digest covers exactly those bytes.
    """
    salt = random_salt() if salt is None else salt
    if not isinstance(salt, str) or not salt:
        raise InvalidInputError("a disclosure salt must be a non-empty string", field="salt")
    if not isinstance(name, str):
        raise InvalidInputError("a disclosure name must be a string", field="name")
    salt, name, value = normalize([salt, name, value])
    text = json.dumps([salt, name, value], ensure_ascii=False)
    encoded = b64url_encode(text.encode("utf-8"))
    return Disclosure(salt, name, value, encoded, _disclosure_digest(encoded))


def decode_disclosure(encoded: str) -> Disclosure:
    """Read a disclosure strictly: a 3-element array with a non-empty string salt and string name."""
    content = parse_strict(b64url_decode(encoded))
    if not isinstance(content, list) or len(content) != 3:
        raise CanonicalFormError("a disclosure is a JSON array [salt, name, value]", field="")
    salt, name, value = content
    if not isinstance(salt, str) or not salt:
        raise CanonicalFormError("the disclosure salt must be a non-empty string", field="/0")
    if not isinstance(name, str):
        raise CanonicalFormError("the disclosure name must be a string", field="/1")
    return Disclosure(salt, name, value, encoded, _disclosure_digest(encoded))


@dataclass
class DisclosureCheck:
    """The outcome of matching disclosures against the digests a signed object lists.

    ``duplicates`` holds digests listed or disclosed more than once, ``name_conflicts`` names that
    two matched disclosures both claim (RFC 9901 section 7.1 rejects both cases).
    """

    matched: dict[str, Disclosure] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    malformed: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    name_conflicts: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unknown or self.malformed or self.duplicates or self.name_conflicts)


def check_disclosures(encoded: Iterable[str], digests: Iterable[str]) -> DisclosureCheck:
    """Match each encoded disclosure to a listed digest; never raises for bad disclosures."""
    listed = Counter(digests)
    result = DisclosureCheck(duplicates=sorted(d for d, n in listed.items() if n > 1))
    names: set[str] = set()
    for item in encoded:
        try:
            disclosure = decode_disclosure(item)
        except MalformedInputError as exc:
            result.malformed.append((item, str(exc)))
            continue
        if disclosure.digest in result.matched:
            result.duplicates.append(disclosure.digest)
        elif disclosure.digest not in listed:
            result.unknown.append(item)
        else:
            if disclosure.name in names:
                result.name_conflicts.append(disclosure.name)
            names.add(disclosure.name)
            result.matched[disclosure.digest] = disclosure
    return result


def require_disclosures(encoded: Iterable[str], digests: Iterable[str]) -> dict[str, Disclosure]:
    """Like :func:`check_disclosures` but raise unless every disclosure is sound and listed."""
    result = check_disclosures(encoded, digests)
    if result.malformed:
        _, reason = result.malformed[0]
        raise CanonicalFormError(
            f"{len(result.malformed)} malformed disclosure(s); first: {reason}",
            field="disclosures",
            extra={"malformed": [m for m, _ in result.malformed]},
        )
    if not result.ok:
        raise InvalidInputError(
            "disclosures do not match the signed object",
            field="disclosures",
            extra={
                "unknown": result.unknown,
                "duplicates": result.duplicates,
                "name_conflicts": result.name_conflicts,
            },
        )
    return result.matched
