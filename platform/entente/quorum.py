"""Threshold policies and their results: who signed, who is missing, which signatures failed and why.

Pure: no database, no clock. The caller passes the payload bytes, the envelopes, the registered
keys of the coalition and the participating parties; :func:`evaluate` answers with a
:class:`QuorumResult` and :func:`require_quorum` raises when the policy is not met.

Counting rules (DESIGN.md, "Trust and cryptography"):

- A signature counts for the party whose *registered key material* verifies it. The header
  ``kid`` only selects which keys to try; it never decides who signed.
- Parties and key fingerprints are counted, never ``kid`` strings. The same signature repeated,
  the same key registered under two kids, or two keys of one party all count once for that party.
  Such repeats are not reported as invalid (nothing false was claimed); ``keys`` in the result
  shows the distinct key fingerprints each party signed with.
- A key registered to two different parties is ambiguous: its signatures count for neither
  (reason ``key_ambiguous``), since one signature must never stand for two governments.
- A signature counts only when its party participates and its ``iat`` lies within the key's
  validity window ``[not_before, not_after]`` and strictly before any revocation of that key
  material. ``iat`` is asserted by the signer: callers that record sign-offs should also refuse an
  ``iat`` far from the time they received it, so a stolen key cannot backdate.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from . import signing
from .clock import as_utc
from .errors import InvalidInputError, SignatureError

__all__ = [
    "InvalidSignature",
    "KeyRecord",
    "Policy",
    "QuorumReason",
    "QuorumResult",
    "evaluate",
    "require_quorum",
]


class QuorumReason(StrEnum):
    """Why a cryptographically valid signature still does not count."""

    NOT_PARTICIPATING = "not_participating"
    KEY_NOT_YET_VALID = "key_not_yet_valid"
    KEY_EXPIRED = "key_expired"
    KEY_REVOKED = "key_revoked"
    KEY_AMBIGUOUS = "key_ambiguous"


@dataclass(frozen=True)
class Policy:
    """A signing policy. Active rules combine: the policy is met only when every one holds.

    ``all_participants``: every participating party signed. ``threshold``: at least that many
    distinct participating parties signed. ``required``: each named party signed. A k-of-n policy
    is therefore ``Policy(all_participants=False, threshold=k)``.
    """

    all_participants: bool = True
    threshold: int | None = None
    required: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not isinstance(self.all_participants, bool):
            raise InvalidInputError("'all' must be true or false", field="all")
        if self.threshold is not None and (type(self.threshold) is not int or self.threshold < 1):
            raise InvalidInputError("'threshold' must be a whole number of at least 1", field="threshold")
        required = self.required
        if isinstance(required, str) or not all(isinstance(p, str) and p for p in required):
            raise InvalidInputError("'required' must list party codes", field="required")
        object.__setattr__(self, "required", frozenset(required))
        if not (self.all_participants or self.threshold or self.required):
            raise InvalidInputError("a policy needs at least one rule", field="")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """Read the stored form ``{"all": bool, "threshold": int | null, "required": [codes]}``.

        Missing members take the dataclass defaults (so ``{}`` is "every participant signs").
        """
        if not isinstance(data, Mapping):
            raise InvalidInputError("a policy is a JSON object", field="")
        unknown = sorted(set(data) - {"all", "threshold", "required"}, key=str)
        if unknown:
            raise InvalidInputError(f"unknown policy member {unknown[0]!r}", field=str(unknown[0]))
        required = data.get("required", [])
        if not isinstance(required, (list, tuple)):
            raise InvalidInputError("'required' must list party codes", field="required")
        return cls(
            all_participants=data.get("all", True),
            threshold=data.get("threshold"),
            required=required,  # type: ignore[arg-type]  # checked and frozen in __post_init__
        )

    def to_dict(self) -> dict[str, Any]:
        return {"all": self.all_participants, "threshold": self.threshold, "required": sorted(self.required)}


@dataclass(frozen=True)
class KeyRecord:
    """A party's registered public key and its life: validity window and revocation.

    ``kid`` is set only when the key was registered under a name other than its thumbprint
    (an imported key); the thumbprint always finds the key too.
    """

    party: str
    key: signing.PublicKey
    not_before: datetime | None
    not_after: datetime | None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    kid: str | None = None

    def is_revoked_at(self, iat: int) -> bool:
        return self.revoked_at is not None and iat >= as_utc(self.revoked_at).timestamp()

    def window_reason(self, iat: int) -> QuorumReason | None:
        """Why a signature made at ``iat`` falls outside this key's validity window, if it does."""
        if self.not_before is not None and iat < as_utc(self.not_before).timestamp():
            return QuorumReason.KEY_NOT_YET_VALID
        if self.not_after is not None and iat > as_utc(self.not_after).timestamp():
            return QuorumReason.KEY_EXPIRED
        return None


@dataclass(frozen=True)
class InvalidSignature:
    """A signature that does not count: ``envelope`` and ``index`` say where it is."""

    party: str | None
    kid: str | None
    reason: str
    envelope: int = 0
    index: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class QuorumResult:
    """The outcome of a quorum evaluation.

    ``missing`` are parties whose signature a rule requires and that have not signed;
    ``needed`` is how many more distinct parties the threshold still wants; ``unsigned`` lists
    every participating party without a counted signature; ``keys`` maps each signed party to the
    fingerprints of the keys that signed; ``checks[e][i]`` is signature ``i`` of envelope ``e``.
    """

    met: bool
    signed: list[str]
    missing: list[str]
    invalid: list[InvalidSignature]
    unsigned: list[str] = field(default_factory=list)
    needed: int = 0
    keys: dict[str, list[str]] = field(default_factory=dict)
    checks: list[list[signing.SignatureCheck]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "met": self.met,
            "signed": self.signed,
            "missing": self.missing,
            "unsigned": self.unsigned,
            "needed": self.needed,
            "invalid": [item.to_dict() for item in self.invalid],
            "keys": self.keys,
        }


class _KeyIndex:
    """The registered keys, found by kid (thumbprint or registered alias) and by fingerprint."""

    def __init__(self, records: Iterable[KeyRecord]) -> None:
        self._by_kid: dict[str, dict[str, signing.PublicKey]] = {}
        self._parties_by_kid: dict[str, set[str]] = {}
        self._by_fingerprint: dict[str, list[KeyRecord]] = {}
        for record in records:
            kids = {record.key.kid} if record.kid is None else {record.key.kid, record.kid}
            for kid in kids:
                self._by_kid.setdefault(kid, {})[record.key.fingerprint] = record.key
                self._parties_by_kid.setdefault(kid, set()).add(record.party)
            self._by_fingerprint.setdefault(record.key.fingerprint, []).append(record)

    def candidates(self, header: Mapping[str, Any]) -> list[signing.PublicKey]:
        kid = header.get("kid")
        return list(self._by_kid.get(kid, {}).values()) if isinstance(kid, str) else []

    def party_for_kid(self, kid: str | None) -> str | None:
        parties = self._parties_by_kid.get(kid, set()) if kid is not None else set()
        return next(iter(parties)) if len(parties) == 1 else None

    def records_for(self, key: signing.PublicKey) -> list[KeyRecord]:
        return self._by_fingerprint.get(key.fingerprint, [])

    @property
    def shape(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Which key material each kid finds: all that :meth:`candidates` depends on."""
        return tuple(sorted((kid, tuple(sorted(keys))) for kid, keys in self._by_kid.items()))


class _RecordedChecks:
    """The checks of recorded envelopes, bounded (oldest forgotten first).

    With ``recorded=True`` no signature is verified: a check is the parse of the envelope and of its
    headers and the choice of key by kid, a pure function of the envelope bytes, the payload digest,
    ``typ`` and which key material each kid finds. A sign-off re-evaluates the quorum from the
    earlier sign-offs' envelopes, so the same bytes come back each time: parse them once.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._checks: OrderedDict[tuple[object, ...], list[signing.SignatureCheck]] = OrderedDict()

    def check(
        self,
        prepared: signing.PreparedPayload,
        envelope: Mapping[str, Any] | bytes | str,
        index: _KeyIndex,
        shape: tuple[object, ...],
        typ: str | None,
    ) -> list[signing.SignatureCheck]:
        if not isinstance(envelope, (bytes, str)):
            return signing.verify_detached(prepared, envelope, index.candidates, typ=typ, recorded=True)
        key = (envelope, prepared.digest, typ, shape)
        found = self._checks.get(key)
        if found is None:
            found = signing.verify_detached(prepared, envelope, index.candidates, typ=typ, recorded=True)
            self._checks[key] = found
            if len(self._checks) > self.size:
                self._checks.popitem(last=False)
        else:
            self._checks.move_to_end(key)
        return list(found)


_recorded_checks = _RecordedChecks(8192)


def _verdict(
    check: signing.SignatureCheck, index: _KeyIndex, participating: frozenset[str]
) -> tuple[str | None, str | None]:
    """``(party, reason)`` for one signature; a ``None`` reason means it counts for ``party``."""
    if not check.valid or check.key is None or check.iat is None:
        return index.party_for_kid(check.kid), str(check.reason)
    records = index.records_for(check.key)
    parties = {record.party for record in records}
    if len(parties) != 1:
        return None, QuorumReason.KEY_AMBIGUOUS
    party = parties.pop()
    if party not in participating:
        return party, QuorumReason.NOT_PARTICIPATING
    if any(record.is_revoked_at(check.iat) for record in records):
        return party, QuorumReason.KEY_REVOKED
    reasons = [record.window_reason(check.iat) for record in records]
    return party, None if None in reasons else reasons[0]


def _participating(participants: Iterable[str]) -> frozenset[str]:
    if isinstance(participants, str):
        raise InvalidInputError("participants is a collection of party codes", field="participants")
    parties = list(participants)
    if not parties or not all(isinstance(p, str) and p for p in parties):
        raise InvalidInputError("a quorum needs at least one participating party", field="participants")
    return frozenset(parties)


def evaluate(
    payload: bytes,
    envelopes: Iterable[Mapping[str, Any] | bytes | str],
    *,
    keys: Sequence[KeyRecord],
    participants: Iterable[str],
    policy: Policy,
    typ: str | None = None,
    recorded: bool = False,
) -> QuorumResult:
    """Verify every signature of every envelope over ``payload`` and apply ``policy``.

    A sign-off may arrive as one envelope or as several (one per party); all are pooled. Pass
    ``typ`` to count only signatures made for that purpose. Envelopes of the wrong shape raise
    :class:`~entente.errors.SignatureError`. ``recorded=True``: every envelope was verified over
    ``payload`` when it was recorded, so its signatures are not verified again (the quorum is
    recomputed from those results); each key's party, revocation and validity window still are.
    """
    participating = _participating(participants)
    index = _KeyIndex(keys)
    prepared = signing.prepare_payload(payload)
    if recorded:
        shape = index.shape
        checks = [_recorded_checks.check(prepared, env, index, shape, typ) for env in envelopes]
    else:
        checks = [signing.verify_detached(prepared, env, index.candidates, typ=typ) for env in envelopes]
    signers: dict[str, set[str]] = {}
    invalid: list[InvalidSignature] = []
    for envelope_number, envelope_checks in enumerate(checks):
        for check in envelope_checks:
            party, reason = _verdict(check, index, participating)
            if reason is None and party is not None and check.key is not None:
                signers.setdefault(party, set()).add(check.key.fingerprint)
            else:
                invalid.append(InvalidSignature(party, check.kid, str(reason), envelope_number, check.index))
    return _result(policy, participating, signers, invalid, checks)


def _result(
    policy: Policy,
    participating: frozenset[str],
    signers: dict[str, set[str]],
    invalid: list[InvalidSignature],
    checks: list[list[signing.SignatureCheck]],
) -> QuorumResult:
    signed = set(signers)
    must_sign = (participating if policy.all_participants else frozenset()) | policy.required
    missing = sorted(must_sign - signed)
    needed = max(0, policy.threshold - len(signed)) if policy.threshold else 0
    return QuorumResult(
        met=not missing and needed == 0,
        signed=sorted(signed),
        missing=missing,
        invalid=invalid,
        unsigned=sorted(participating - signed),
        needed=needed,
        keys={party: sorted(fingerprints) for party, fingerprints in sorted(signers.items())},
        checks=checks,
    )


def require_quorum(
    payload: bytes,
    envelopes: Iterable[Mapping[str, Any] | bytes | str],
    *,
    keys: Sequence[KeyRecord],
    participants: Iterable[str],
    policy: Policy,
    typ: str | None = None,
) -> QuorumResult:
    """:func:`evaluate`, raising :class:`~entente.errors.SignatureError` when the policy is not met."""
    result = evaluate(payload, envelopes, keys=keys, participants=participants, policy=policy, typ=typ)
    if result.met:
        return result
    parts = []
    if result.missing:
        parts.append("missing signatures of " + ", ".join(result.missing))
    if result.needed:
        parts.append(f"{result.needed} more part{'y' if result.needed == 1 else 'ies'} must sign")
    if result.invalid:
        parts.append(f"{len(result.invalid)} signature(s) refused")
    raise SignatureError("quorum not met: " + "; ".join(parts), extra=result.to_dict())
