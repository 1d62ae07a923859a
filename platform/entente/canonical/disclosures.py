"""Selective disclosure (SD-JWT, RFC 9901): salted disclosures, their digests, and the checks.

A disclosure is the base64url of the JSON array ``[salt, name, value]`` and its digest is the
base64url SHA-256 of that base64url text, exactly as given (never re-canonicalised: RFC 9901
hashes what the issuer wrote).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from entente.canonical.jcs import b64url_decode, b64url_encode, random_salt
from entente.canonical.strict import normalize, parse_strict
from entente.errors import CanonicalFormError, InvalidInputError, MalformedInputError

__all__ = [
    "Disclosure",
    "DisclosureCheck",
    "check_disclosures",
    "decode_disclosure",
    "disclosure_digest",
    "make_disclosure",
    "require_disclosures",
]


# --- selective disclosure (RFC 9901) -----------------------------------------------------------


@dataclass(frozen=True)
class Disclosure:
    """One disclosed member: ``encoded`` is what travels, ``digest`` what the signed object lists."""

    salt: str
    name: str
    value: Any
    encoded: str
    digest: str


def disclosure_digest(encoded: str) -> str:
    """The digest a signed object lists for the disclosure ``encoded`` (as given, never decoded)."""
    return b64url_encode(hashlib.sha256(encoded.encode("ascii")).digest())


_disclosure_digest = disclosure_digest
# RFC 9901's own spelling of the array (``json.dumps`` with these options, once).
_encode_array = json.JSONEncoder(ensure_ascii=False).encode


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
    text = _encode_array([salt, name, value])
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
