"""Proposing roster N+1: built from the parties and keys registered, or given whole.

One proposal is pending at a time: a new one withdraws the previous (``parties:roster:withdraw``).
Audited as ``parties:roster:propose``. :func:`seed_roster` makes roster 1 for the demo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit, auth, canonical, quorum, signing
from entente.clock import isoformat
from entente.errors import InvalidInputError
from entente.models import Party, PartyKey, PartyStatus, Role, RosterProposal, RosterProposalStatus, RosterVersion
from entente.parties import chain
from entente.parties.keys import jwk_with_validity
from entente.parties.roster import find_current_roster, find_pending_proposal, lock_roster, submit_roster_signatures

__all__ = ["DEFAULT_ROSTER_DAYS", "build_roster", "create_proposal", "propose_roster", "seed_roster"]

DEFAULT_ROSTER_DAYS = 365
_KIND = re.compile(r"[a-z][a-z0-9_]{0,63}")


def _policy(value: Mapping[str, Any], pointer: str) -> dict[str, Any]:
    try:
        return quorum.Policy.from_dict(value).to_dict()
    except InvalidInputError as exc:
        raise InvalidInputError(exc.detail, field=f"{pointer}/{exc.field}".rstrip("/")) from None


async def build_roster(
    session: AsyncSession,
    *,
    version: int,
    previous: str | None,
    now: datetime,
    expires: datetime | None = None,
    threshold: int | None = None,
    default_policy: Mapping[str, Any] | None = None,
    policies: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Roster object ``version`` from the active parties and every key registered to them."""
    now = now.replace(microsecond=0)
    parties = (
        (await session.execute(select(Party).where(Party.status == PartyStatus.ACTIVE).order_by(Party.code)))
        .scalars()
        .all()
    )
    if not parties:
        raise InvalidInputError("the coalition has no active party", code="roster_empty")
    keys = (await session.execute(select(PartyKey).order_by(col(PartyKey.id)))).scalars().all()
    by_party: dict[str, list[dict[str, Any]]] = {}
    for key in keys:
        by_party.setdefault(key.party_code, []).append(jwk_with_validity(key))
    threshold = threshold if threshold is not None else chain.default_threshold(len(parties))
    if threshold > len(parties):
        raise InvalidInputError(f"the threshold cannot exceed the {len(parties)} parties", field="/threshold")
    expires = (expires or now + timedelta(days=DEFAULT_ROSTER_DAYS)).replace(microsecond=0)
    if expires <= now:
        raise InvalidInputError("a roster must expire in the future", field="/expires")
    kinds = {}
    for kind, policy in sorted((policies or {}).items()):
        if not _KIND.fullmatch(kind):
            raise InvalidInputError(f"{kind!r} is not a communiqué kind", field=f"/policies/{kind}")
        kinds[kind] = _policy(policy, f"/policies/{kind}")
    return {
        "type": chain.ROSTER_TYPE,
        "version": version,
        "previous": previous,
        "issued": isoformat(now),
        "expires": isoformat(expires),
        "parties": [
            {
                "code": party.code,
                "name": party.name,
                "kind": str(party.kind),
                "timezone": party.timezone,
                "keys": by_party.get(party.code, []),
            }
            for party in parties
        ],
        "policies": {
            "roster": {"threshold": threshold},
            "default": _policy(default_policy or {}, "/default_policy"),
            "kinds": kinds,
        },
    }


async def create_proposal(
    session: AsyncSession, *, obj: Mapping[str, Any], actor: str, now: datetime
) -> RosterProposal:
    """Store ``obj`` as the pending proposal for the next version (no role check)."""
    await lock_roster(session)
    current = await find_current_roster(session)
    try:
        candidate = chain.parse_roster(canonical.canonical_bytes(obj))
    except chain.RosterError as exc:
        raise InvalidInputError(exc.detail, code=exc.code, field=f"/roster{exc.field or ''}") from None
    expected = current.version + 1 if current else 1
    if candidate.version != expected:
        raise InvalidInputError(
            f"the next roster is version {expected}, not {candidate.version}",
            code="roster_skipped_version",
            field="/roster/version",
        )
    if candidate.previous != (current.digest if current else None):
        raise InvalidInputError(
            "'previous' must be the digest of the effective roster",
            code="roster_previous_mismatch",
            field="/roster/previous",
        )
    if candidate.is_expired(now):
        raise InvalidInputError("the roster has expired already", code="roster_expired", field="/roster/expires")
    pending = await find_pending_proposal(session)
    if pending is not None:
        pending.status, pending.closed_at = RosterProposalStatus.WITHDRAWN, now
        session.add(pending)
        await audit.record_by(
            session,
            actor,
            "parties:roster:withdraw",
            f"roster-proposal:{pending.id}",
            at=now,
            details={"version": pending.version},
        )
    proposal = RosterProposal(
        **candidate.stored(), status=RosterProposalStatus.PENDING, created_by=actor, created_at=now
    )
    session.add(proposal)
    await session.flush()
    await audit.record_by(
        session,
        actor,
        "parties:roster:propose",
        f"roster-proposal:{proposal.id}",
        at=now,
        details={
            "version": candidate.version,
            "digest": candidate.digest,
            "parties": candidate.codes,
            "threshold": candidate.threshold,
        },
    )
    return proposal


async def propose_roster(
    session: AsyncSession,
    caller: auth.Caller | None,
    *,
    now: datetime,
    roster: Mapping[str, Any] | None = None,
    **options: Any,
) -> RosterProposal:
    """The secretariat proposes the next roster: ``roster`` as given, or built from the database
    with ``options`` (``expires``, ``threshold``, ``default_policy``, ``policies``)."""
    caller = auth.require_role(caller, Role.SECRETARIAT)
    if roster is not None and any(value is not None for value in options.values()):
        raise InvalidInputError("give either a whole roster or options to build one, not both", field="/roster")
    if roster is None:
        current = await find_current_roster(session)
        roster = await build_roster(
            session,
            version=current.version + 1 if current else 1,
            previous=current.digest if current else None,
            now=now,
            **{name: value for name, value in options.items() if value is not None},
        )
    return await create_proposal(session, obj=roster, actor=caller.username, now=now)


# --- the demo ------------------------------------------------------------------------------------


async def seed_roster(
    session: AsyncSession, *, keys: Mapping[str, signing.PrivateKey], actor: str, now: datetime
) -> RosterVersion | None:
    """Make roster version 1 from the database, signed with ``keys`` (party code -> private key).

    Does nothing (returns None) when a roster is already effective: re-running never adds one.
    """
    if await find_current_roster(session) is not None:
        return None
    obj = await build_roster(session, version=1, previous=None, now=now)
    proposal = await create_proposal(session, obj=obj, actor=actor, now=now)
    iat = int(now.timestamp())
    envelopes = {
        party: signing.sign_detached(proposal.body, [key], typ=chain.ROSTER_JWS_TYPE, iat=iat)
        for party, key in sorted(keys.items())
    }
    return await submit_roster_signatures(session, proposal=proposal, envelopes=envelopes, actor=actor, now=now)
