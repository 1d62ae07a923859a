"""The roster chain: the TUF root rule, shared by the server and every verifier (pure).

Version N+1 takes effect only when signed (JWS, detached payload = its bytes, ``typ``
:data:`ROSTER_JWS_TYPE`) by ``policies.roster.threshold`` parties of roster N with roster N's keys
(minus any revocation N+1 declares for them), AND by the threshold of N+1 with N+1's keys;
versions increase by exactly one and ``previous`` names the digest of N. A verifier pins a first
roster and walks forward with :func:`verify_roster_chain`; the newest roster it reaches must not
have expired. The roster object itself is described in :mod:`entente.parties.roster_object`
(re-exported here).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from entente import quorum, signing
from entente.clock import isoformat
from entente.errors import EntenteError
from entente.parties.roster_object import (
    ROSTER_JWS_TYPE,
    ROSTER_TYPE,
    Roster,
    RosterError,
    RosterFailure,
    RosterParty,
    default_threshold,
    key_record_from_jwk,
    parse_roster,
    read_roster_document,
    roster_document,
)

__all__ = [
    "ROSTER_JWS_TYPE",
    "ROSTER_TYPE",
    "ChainStep",
    "Roster",
    "RosterChainResult",
    "RosterError",
    "RosterFailure",
    "RosterParty",
    "check_step",
    "default_threshold",
    "key_record_from_jwk",
    "parse_roster",
    "read_roster_document",
    "roster_document",
    "threshold_result",
    "verify_roster_chain",
]

# Signature reasons that mean "no (valid) key of this roster made it", as opposed to a signature
# that is wrong in itself.
_NOT_FAULTY = {
    str(signing.Reason.UNKNOWN_KEY),
    *(str(r) for r in quorum.QuorumReason),
}


@dataclass(frozen=True)
class ChainStep:
    """The signature checks of one roster version: against its predecessor's threshold (``old``,
    None for a pinned roster) and against its own (``new``)."""

    version: int
    digest: str
    old: quorum.QuorumResult | None
    new: quorum.QuorumResult | None


@dataclass
class RosterChainResult:
    """The outcome of walking a chain. ``trusted`` is the newest roster reached (even when the walk
    stopped at a later one); ``ok`` only when every step held and ``trusted`` has not expired."""

    ok: bool
    trusted: Roster | None
    reason: RosterFailure | None = None
    detail: str | None = None
    failed_version: int | None = None
    steps: list[ChainStep] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "version": self.trusted.version if self.trusted else None,
            "digest": self.trusted.digest if self.trusted else None,
            "expires": isoformat(self.trusted.expires) if self.trusted else None,
            "reason": str(self.reason) if self.reason else None,
            "detail": self.detail,
            "failed_version": self.failed_version,
            "steps": [
                {
                    "version": step.version,
                    "digest": step.digest,
                    "old": step.old.to_dict() if step.old else None,
                    "new": step.new.to_dict() if step.new else None,
                }
                for step in self.steps
            ],
        }


def _with_revocations(keys: list[quorum.KeyRecord], candidate: Roster) -> list[quorum.KeyRecord]:
    """``keys`` with the revocations ``candidate`` declares for the same key material applied: a new
    roster can only make its predecessor's keys count less, never more."""
    revoked = {r.key.fingerprint: r for r in candidate.keys if r.revoked_at is not None}
    out = []
    for record in keys:
        later = revoked.get(record.key.fingerprint)
        if later is not None and (record.revoked_at is None or later.revoked_at < record.revoked_at):  # type: ignore[operator]
            record = dataclasses.replace(record, revoked_at=later.revoked_at, revocation_reason=later.revocation_reason)
        out.append(record)
    return out


def threshold_result(roster: Roster, candidate: Roster, envelopes: Sequence[Any]) -> quorum.QuorumResult:
    """How ``roster``'s threshold stands on ``candidate``'s bytes: its parties, its keys (with any
    revocation ``candidate`` declares for them)."""
    policy = quorum.Policy(all_participants=False, threshold=roster.threshold)
    keys = roster.keys if roster is candidate else _with_revocations(roster.keys, candidate)
    return quorum.evaluate(
        candidate.data, envelopes, keys=keys, participants=roster.codes, policy=policy, typ=ROSTER_JWS_TYPE
    )


def _faulty(result: quorum.QuorumResult) -> list[quorum.InvalidSignature]:
    return [item for item in result.invalid if item.reason not in _NOT_FAULTY]


def _unmet(result: quorum.QuorumResult, roster: Roster, which: str) -> str:
    signed = ", ".join(result.signed) or "no party"
    return (
        f"roster {roster.version}'s threshold is {roster.threshold} of {len(roster.parties)} parties; "
        f"{which} keys of {signed} signed"
    )


def check_step(previous: Roster | None, candidate: Roster, envelopes: Sequence[Any]) -> ChainStep:
    """Check ``candidate`` against ``previous`` (or alone, when pinned); raise :class:`RosterError`.

    The checks, in order: version (exactly one more), ``previous`` digest, signatures against the
    previous roster's keys and threshold, then against the candidate's own.
    """
    if previous is not None:
        if candidate.version > previous.version + 1:
            raise RosterError(
                RosterFailure.SKIPPED_VERSION,
                f"roster {candidate.version} follows {previous.version}: versions must increase by exactly one",
            )
        if candidate.version <= previous.version:
            raise RosterError(
                RosterFailure.REPLAYED_VERSION,
                f"roster {candidate.version} is not newer than the trusted roster {previous.version}",
            )
        if candidate.previous != previous.digest:
            raise RosterError(
                RosterFailure.PREVIOUS_MISMATCH,
                f"roster {candidate.version} names {candidate.previous} as previous, not {previous.digest}",
            )
    try:
        old = threshold_result(previous, candidate, envelopes) if previous is not None else None
        new = threshold_result(candidate, candidate, envelopes)
    except EntenteError as exc:
        raise RosterError(RosterFailure.MALFORMED_ENVELOPE, f"a JWS envelope is malformed: {exc}") from None
    step = ChainStep(candidate.version, candidate.digest, old, new)
    for result, roster, reason, which in (
        (old, previous, RosterFailure.OLD_THRESHOLD_NOT_MET, "old"),
        (new, candidate, RosterFailure.NEW_THRESHOLD_NOT_MET, "its own"),
    ):
        if result is None or roster is None or result.met:
            continue
        faulty = _faulty(result)
        if faulty:
            reasons = ", ".join(sorted({item.reason for item in faulty}))
            raise RosterError(
                RosterFailure.BAD_SIGNATURE,
                f"roster {candidate.version}: {len(faulty)} signature(s) do not verify ({reasons}); "
                + _unmet(result, roster, which),
                extra={"step": _step_dict(step)},
            )
        hint = " (signed only by new keys?)" if which == "old" else " (signed only by old keys?)"
        raise RosterError(
            reason,
            f"roster {candidate.version}: " + _unmet(result, roster, which) + hint,
            extra={"step": _step_dict(step)},
        )
    return step


def _step_dict(step: ChainStep) -> dict[str, Any]:
    return {
        "version": step.version,
        "old": step.old.to_dict() if step.old else None,
        "new": step.new.to_dict() if step.new else None,
    }


def verify_roster_chain(
    pinned_bytes: bytes,
    chain: Sequence[tuple[bytes, Sequence[Any]]],
    now: datetime,
    *,
    pinned_envelopes: Sequence[Any] | None = None,
) -> RosterChainResult:
    """Walk from the pinned roster through ``chain`` (``(bytes, envelopes)`` per version, oldest
    first) and report the newest roster trusted, or the first failure with its reason.

    The pinned roster is trusted as given; when ``pinned_envelopes`` are passed, its own threshold
    is checked too. Expiry is checked on the newest roster reached only (as TUF does).
    """
    result = RosterChainResult(ok=False, trusted=None)
    try:
        pinned = parse_roster(pinned_bytes)
        if pinned_envelopes is not None:
            result.steps.append(check_step(None, pinned, pinned_envelopes))
    except RosterError as exc:
        return _failed(result, exc, None)
    result.trusted = pinned
    for data, envelopes in chain:
        try:
            candidate = parse_roster(data)
            result.steps.append(check_step(result.trusted, candidate, envelopes))
        except RosterError as exc:
            return _failed(result, exc, result.trusted.version + 1)
        result.trusted = candidate
    if result.trusted.is_expired(now):
        result.reason = RosterFailure.EXPIRED
        result.detail = f"roster {result.trusted.version} expired at {isoformat(result.trusted.expires)}"
        result.failed_version = result.trusted.version
        return result
    result.ok = True
    return result


def _failed(result: RosterChainResult, exc: RosterError, version: int | None) -> RosterChainResult:
    result.reason, result.detail, result.failed_version = exc.reason, exc.detail, version
    return result
