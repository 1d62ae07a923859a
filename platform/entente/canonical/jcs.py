"""RFC 8785 canonical bytes, the ``sha256:`` digests over them, strict base64url, salts.

Everything Entente signs or publishes is a JSON value turned into bytes here, and only here.
Verifiers outside the server re-derive those bytes with any RFC 8785 (JCS) implementation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from typing import Any

import rfc8785

from entente.canonical.strict import DEFAULT_MAX_DEPTH, normalize, parse_strict
from entente.errors import CanonicalFormError, MalformedInputError

__all__ = [
    "SALT_BYTES",
    "b64url_decode",
    "b64url_encode",
    "canonical_bytes",
    "digest",
    "digest_of",
    "is_canonical",
    "random_salt",
    "require_canonical",
]

SALT_BYTES = 32

_B64URL = re.compile(r"[A-Za-z0-9_-]*")


# --- canonical bytes and digests --------------------------------------------------------------

# For a value the strict checks passed (strings, safe integers, booleans, null, lists, objects
# with string keys; no floats, no lone surrogates), Python's encoder writes RFC 8785's bytes:
# the same string escapes (the short forms, other controls as lowercase \u00xx, nothing else),
# integers in decimal, no whitespace. Only the order of object keys can differ: RFC 8785 sorts
# by UTF-16 code units, Python by code points, which disagree only when a character beyond
# U+FFFF meets one in U+E000..U+FFFF. A text holding any character beyond U+FFFF goes to the
# reference implementation instead.
_encode = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False, check_circular=False
).encode
_BEYOND_BMP = re.compile("[\U00010000-\U0010ffff]")


def _jcs(value: Any) -> bytes:
    """RFC 8785 bytes of a value that already passed :func:`normalize` (or the strict reader)."""
    text = _encode(value)
    if not text.isascii() and _BEYOND_BMP.search(text):
        return rfc8785.dumps(value)
    return text.encode("utf-8")


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 bytes of ``value`` after the strict checks and NFC normalisation."""
    return _jcs(normalize(value))


def require_canonical(data: bytes, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse ``data`` strictly and insist it is already canonical; return the parsed value.

    This is what a verifier does with published bytes: one parse, one re-serialisation.
    """
    value = parse_strict(data, max_depth=max_depth)
    again = _jcs(value)
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


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 section 2)."""
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


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
