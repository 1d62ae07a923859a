"""A roster version as an object and as bytes: its shape, strict parsing, the published document.

A roster version is a JSON object serialised with RFC 8785 (its exact bytes are what is signed):

```
{"type": "entente-roster", "version": 2, "previous": "sha256:<digest of version 1>",
 "issued": "2026-11-27T09:00:00Z", "expires": "2027-11-27T09:00:00Z",
 "parties": [{"code": "EE", "name": "...", "kind": "state", "timezone": "Europe/Tallinn",
              "keys": [{<public JWK: kty, crv, x, (y), kid, alg, use>,
                        "not_before": "...", "not_after": "..." (optional),
                        "revoked_at": "...", "revocation_reason": "..." (optional)}]}, ...],
 "policies": {"roster": {"threshold": 2},
              "default": {"all": true, "threshold": null, "required": []},
              "kinds": {"<communique kind>": {<quorum.Policy dict>}}}}
```

Published as ``{"roster": <object>, "digest": "sha256:...", "jws": <detached general JWS>}``
(:func:`roster_document`); the chain rules are in :mod:`entente.parties.chain`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from entente import canonical, quorum, signing
from entente.clock import InstantError, as_utc, parse_instant
from entente.errors import EntenteError, InvalidInputError

__all__ = [
    "ROSTER_JWS_TYPE",
    "ROSTER_TYPE",
    "Roster",
    "RosterError",
    "RosterFailure",
    "RosterParty",
    "default_threshold",
    "key_record_from_jwk",
    "parse_roster",
    "read_roster_document",
    "roster_document",
]

ROSTER_TYPE = "entente-roster"
ROSTER_JWS_TYPE = "entente-roster+jws"
_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")
_ROSTER_MEMBERS = {"type", "version", "previous", "issued", "expires", "parties", "policies"}
_PARTY_MEMBERS = {"code", "name", "kind", "timezone", "keys"}


class RosterFailure(StrEnum):
    """Why a roster (or a step of the chain) is refused; stable codes."""

    NOT_CANONICAL = "not_canonical"
    MALFORMED = "malformed"
    MALFORMED_ENVELOPE = "malformed_envelope"
    SKIPPED_VERSION = "skipped_version"
    REPLAYED_VERSION = "replayed_version"
    PREVIOUS_MISMATCH = "previous_mismatch"
    BAD_SIGNATURE = "bad_signature"
    OLD_THRESHOLD_NOT_MET = "old_threshold_not_met"
    NEW_THRESHOLD_NOT_MET = "new_threshold_not_met"
    EXPIRED = "expired"


class RosterError(InvalidInputError):
    """A roster refused; ``code`` is a :class:`RosterFailure` value prefixed ``roster_``."""

    def __init__(self, reason: RosterFailure, detail: str, **kwargs: Any) -> None:
        super().__init__(detail, code=f"roster_{reason.value}", **kwargs)
        self.reason = reason


@dataclass(frozen=True)
class RosterParty:
    code: str
    name: str
    kind: str
    timezone: str
    keys: tuple[quorum.KeyRecord, ...]


@dataclass(frozen=True)
class Roster:
    """A parsed roster version. ``data`` are its exact bytes; ``obj`` the parsed object."""

    data: bytes
    digest: str
    obj: dict[str, Any] = field(repr=False)
    version: int
    previous: str | None
    issued: datetime
    expires: datetime
    parties: tuple[RosterParty, ...]
    threshold: int
    default_policy: quorum.Policy
    policies: Mapping[str, quorum.Policy] = field(repr=False)

    @property
    def codes(self) -> list[str]:
        return [party.code for party in self.parties]

    @property
    def keys(self) -> list[quorum.KeyRecord]:
        return [key for party in self.parties for key in party.keys]

    def policy_for(self, kind: str) -> quorum.Policy:
        return self.policies.get(kind, self.default_policy)

    def is_expired(self, now: datetime) -> bool:
        return as_utc(now) >= self.expires

    def stored(self) -> dict[str, Any]:
        """The columns a roster proposal and an adopted roster version both keep: the exact bytes,
        and what they are found and checked by."""
        return {"version": self.version, "body": self.data, "digest": self.digest, "expires": self.expires}


def default_threshold(party_count: int) -> int:
    """A strict majority of the roster's parties."""
    return party_count // 2 + 1


# --- parsing ---------------------------------------------------------------------------------------


def _malformed(detail: str, pointer: str) -> RosterError:
    return RosterError(RosterFailure.MALFORMED, detail, field=pointer)


def _instant(value: Any, pointer: str, *, optional: bool = False) -> datetime | None:
    if value is None and optional:
        return None
    try:
        return parse_instant(value)
    except InstantError as exc:
        raise _malformed(exc.detail, pointer) from None


def _members(obj: Any, required: set[str], optional: set[str], pointer: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise _malformed("a JSON object is expected", pointer)
    missing = sorted(required - set(obj))
    if missing:
        raise _malformed(f"member {missing[0]!r} is missing", f"{pointer}/{missing[0]}")
    unknown = sorted(set(obj) - required - optional)
    if unknown:
        raise _malformed(f"unknown member {unknown[0]!r}", f"{pointer}/{unknown[0]}")
    return obj


def key_record_from_jwk(code: str, entry: Any, pointer: str = "") -> quorum.KeyRecord:
    """A published key (a public JWK with optional RFC 3339 ``not_before``, ``not_after``,
    ``revoked_at``, ``revocation_reason``) as a :class:`quorum.KeyRecord` of party ``code``."""
    if not isinstance(entry, dict):
        raise _malformed("a key is a JWK object", pointer)
    try:
        key = signing.public_key_from_jwk(entry)
    except InvalidInputError as exc:
        raise _malformed(f"not a usable public key: {exc.detail}", f"{pointer}/{exc.field or ''}") from None
    not_before = _instant(entry.get("not_before"), f"{pointer}/not_before", optional=True)
    not_after = _instant(entry.get("not_after"), f"{pointer}/not_after", optional=True)
    revoked_at = _instant(entry.get("revoked_at"), f"{pointer}/revoked_at", optional=True)
    if not_before and not_after and not_after <= not_before:
        raise _malformed("not_after must be after not_before", f"{pointer}/not_after")
    reason = entry.get("revocation_reason")
    if reason is not None and not isinstance(reason, str):
        raise _malformed("revocation_reason is text", f"{pointer}/revocation_reason")
    return quorum.KeyRecord(code, key, not_before, not_after, revoked_at, reason)


def _party(entry: Any, pointer: str) -> RosterParty:
    entry = _members(entry, _PARTY_MEMBERS, set(), pointer)
    for name in ("code", "name", "kind", "timezone"):
        if not isinstance(entry[name], str) or not entry[name]:
            raise _malformed(f"{name!r} must be non-empty text", f"{pointer}/{name}")
    if not isinstance(entry["keys"], list):
        raise _malformed("'keys' must be an array", f"{pointer}/keys")
    keys = tuple(key_record_from_jwk(entry["code"], key, f"{pointer}/keys/{i}") for i, key in enumerate(entry["keys"]))
    return RosterParty(entry["code"], entry["name"], entry["kind"], entry["timezone"], keys)


def _policy(value: Any, pointer: str) -> quorum.Policy:
    try:
        return quorum.Policy.from_dict(value)
    except InvalidInputError as exc:
        raise _malformed(f"not a signing policy: {exc.detail}", f"{pointer}/{exc.field or ''}".rstrip("/")) from None


def _policies(value: Any, party_count: int) -> tuple[int, quorum.Policy, dict[str, quorum.Policy]]:
    value = _members(value, {"roster", "default", "kinds"}, set(), "/policies")
    roster = _members(value["roster"], {"threshold"}, set(), "/policies/roster")
    threshold = roster["threshold"]
    if type(threshold) is not int or not 1 <= threshold <= party_count:
        raise _malformed(f"the roster threshold must be between 1 and {party_count}", "/policies/roster/threshold")
    if not isinstance(value["kinds"], dict):
        raise _malformed("'kinds' maps communiqué kinds to policies", "/policies/kinds")
    kinds = {}
    for kind, policy in value["kinds"].items():
        if not _KIND.fullmatch(kind):
            raise _malformed(f"{kind!r} is not a communiqué kind", f"/policies/kinds/{kind}")
        kinds[kind] = _policy(policy, f"/policies/kinds/{kind}")
    return threshold, _policy(value["default"], "/policies/default"), kinds


def parse_roster(data: bytes) -> Roster:
    """Read roster bytes: they must be RFC 8785 canonical and the object well formed."""
    try:
        obj = canonical.require_canonical(bytes(data))
    except EntenteError as exc:
        raise RosterError(
            RosterFailure.NOT_CANONICAL, f"the roster bytes are not canonical JSON: {exc.detail}"
        ) from None
    obj = _members(obj, _ROSTER_MEMBERS, set(), "")
    if obj["type"] != ROSTER_TYPE:
        raise _malformed(f"'type' must be {ROSTER_TYPE!r}", "/type")
    version = obj["version"]
    if type(version) is not int or version < 1:
        raise _malformed("'version' is a whole number from 1", "/version")
    previous = obj["previous"]
    if (version == 1) != (previous is None) or not (previous is None or isinstance(previous, str)):
        raise _malformed("'previous' is the digest of the version before (null only for version 1)", "/previous")
    issued = _instant(obj["issued"], "/issued")
    expires = _instant(obj["expires"], "/expires")
    assert issued is not None and expires is not None
    if expires <= issued:
        raise _malformed("'expires' must be after 'issued'", "/expires")
    if not isinstance(obj["parties"], list) or not obj["parties"]:
        raise _malformed("'parties' lists at least one party", "/parties")
    parties = tuple(_party(entry, f"/parties/{i}") for i, entry in enumerate(obj["parties"]))
    codes = [party.code for party in parties]
    if codes != sorted(set(codes)):
        raise _malformed("parties are listed once each, ordered by code", "/parties")
    threshold, default, kinds = _policies(obj["policies"], len(parties))
    return Roster(
        data=bytes(data),
        digest=canonical.digest(bytes(data)),
        obj=obj,
        version=version,
        previous=previous,
        issued=issued,
        expires=expires,
        parties=parties,
        threshold=threshold,
        default_policy=default,
        policies=kinds,
    )


# --- the published document ------------------------------------------------------------------------


def roster_document(data: bytes, envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The published form: ``{"roster": <object>, "digest": ..., "jws": <detached general JWS>}``."""
    return {"roster": canonical.parse_strict(data), "digest": canonical.digest(data), "jws": dict(envelope)}


def read_roster_document(text: bytes | str) -> tuple[bytes, list[Any]]:
    """``(roster bytes, [envelope])`` from a published document; the bytes are RFC 8785 of ``roster``."""
    document = canonical.parse_strict(text)
    if not isinstance(document, dict) or not isinstance(document.get("roster"), dict):
        raise RosterError(RosterFailure.MALFORMED, 'not a roster document: {"roster": ..., "jws": ...}')
    data = canonical.canonical_bytes(document["roster"])
    if "digest" in document and document["digest"] != canonical.digest(data):
        raise RosterError(RosterFailure.MALFORMED, "the document's digest is not the digest of its roster")
    envelope = document.get("jws")
    return data, [envelope] if envelope is not None else []
