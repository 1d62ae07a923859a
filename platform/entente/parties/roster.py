"""The signed roster in the database: effective versions, signatures on proposals, adoption.

Signatories submit JWS over a proposal's exact bytes; each signature is checked against the keys
of that party in roster N or N+1; the proposal becomes effective by itself as soon as the TUF root
rule holds (:func:`entente.parties.chain.check_step`, the very rule verifiers apply). Proposals
are made in :mod:`entente.parties.proposals`. Audited as ``parties:roster:sign|adopt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit, auth, canonical
from entente.errors import ConflictError, NotFoundError, SignatureError
from entente.models import (
    Role,
    RosterDocument,
    RosterProposal,
    RosterProposalPublic,
    RosterProposalStatus,
    RosterSignature,
    RosterSignaturePublic,
    RosterThresholdPublic,
    RosterVersion,
)
from entente.parties import chain
from entente.parties.keys import canonical_envelope, key_records, verify_party_envelope

__all__ = [
    "adopt_if_complete",
    "describe_proposal",
    "document_model",
    "find_current_roster",
    "find_pending_proposal",
    "get_proposal",
    "get_roster_version",
    "lock_roster",
    "open_rosters",
    "record_signatures",
    "roster_document",
    "roster_document_bytes",
    "sign_proposal",
    "submit_roster_signature",
    "submit_roster_signatures",
]

_PG_ROSTER_LOCK = 0x726F7374  # "rost": one roster writer at a time across server instances


async def lock_roster(session: AsyncSession) -> None:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_ROSTER_LOCK})


# --- reading -------------------------------------------------------------------------------------


async def find_current_roster(session: AsyncSession) -> RosterVersion | None:
    """The effective roster: the highest adopted version."""
    query = select(RosterVersion).order_by(RosterVersion.version.desc()).limit(1)  # type: ignore[attr-defined]
    return (await session.execute(query)).scalars().first()


async def get_roster_version(session: AsyncSession, version: int) -> RosterVersion:
    row = await session.get(RosterVersion, version)
    if row is None:
        raise NotFoundError(f"no effective roster version {version}", code="unknown_roster_version")
    return row


async def find_pending_proposal(session: AsyncSession) -> RosterProposal | None:
    query = select(RosterProposal).where(RosterProposal.status == RosterProposalStatus.PENDING)
    return (await session.execute(query.order_by(RosterProposal.id.desc()))).scalars().first()  # type: ignore[union-attr]


async def get_proposal(session: AsyncSession, proposal_id: int, *, for_update: bool = False) -> RosterProposal:
    query = select(RosterProposal).where(RosterProposal.id == proposal_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).scalars().first()
    if row is None:
        raise NotFoundError(f"no roster proposal {proposal_id}", code="unknown_proposal")
    return row


async def _signatures(session: AsyncSession, proposal_id: int) -> list[RosterSignature]:
    query = (
        select(RosterSignature).where(col(RosterSignature.proposal_id) == proposal_id).order_by(col(RosterSignature.id))
    )
    return list((await session.execute(query)).scalars().all())


def roster_document(row: RosterVersion) -> dict[str, Any]:
    """The published document of an effective version (see :func:`chain.roster_document`)."""
    return chain.roster_document(row.body, canonical.parse_strict(row.envelope))


def roster_document_bytes(row: RosterVersion) -> bytes:
    """Canonical bytes of the document: the roster's exact bytes appear in it verbatim."""
    return canonical.canonical_bytes(roster_document(row))


# --- signing and adoption ----------------------------------------------------------------------------


async def _rosters(session: AsyncSession, proposal: RosterProposal) -> tuple[chain.Roster | None, chain.Roster]:
    current = await find_current_roster(session)
    previous = chain.parse_roster(current.body) if current is not None else None
    return previous, chain.parse_roster(proposal.body)


async def record_signatures(
    session: AsyncSession,
    proposal: RosterProposal,
    previous: chain.Roster | None,
    candidate: chain.Roster,
    *,
    party: str,
    envelope: Any,
    actor: str,
    now: datetime,
) -> None:
    keys = (previous.keys if previous else []) + candidate.keys
    accepted = verify_party_envelope(
        proposal.body,
        envelope,
        party=party,
        keys=keys,
        typ=chain.ROSTER_JWS_TYPE,
        now=now,
        earliest=proposal.created_at,
    )
    registered = await key_records(session, [party])
    for signature in accepted:
        moment = int(signature.iat.timestamp())
        if any(r.key.fingerprint == signature.fingerprint and r.is_revoked_at(moment) for r in registered):
            # Revoked since the proposal was built: the registry knows better than the roster bytes.
            raise SignatureError(
                f"key {signature.kid} of {party} is revoked", field="/jws", extra={"reason": "key_revoked"}
            )
    known = {row.fingerprint for row in await _signatures(session, proposal.id or 0)}
    for signature in accepted:
        if signature.fingerprint in known:
            continue  # the same key signing again changes nothing
        known.add(signature.fingerprint)
        session.add(
            RosterSignature(
                proposal_id=proposal.id or 0,
                party_code=party,
                kid=signature.kid,
                fingerprint=signature.fingerprint,
                entry=signature.entry,
                iat=signature.iat,
                submitted_by=actor,
                created_at=now,
            )
        )
        await audit.record_by(
            session,
            actor,
            "parties:roster:sign",
            f"roster-proposal:{proposal.id}",
            at=now,
            party=party,
            details={"version": proposal.version, "kid": signature.kid},
        )
    await session.flush()


async def open_rosters(
    session: AsyncSession, proposal: RosterProposal, now: datetime
) -> tuple[chain.Roster | None, chain.Roster]:
    await lock_roster(session)
    if proposal.status != RosterProposalStatus.PENDING:
        raise ConflictError(f"roster proposal {proposal.id} is {proposal.status}", code="proposal_closed")
    if proposal.expires <= now:
        raise ConflictError(f"roster proposal {proposal.id} has expired", code="proposal_expired")
    previous, candidate = await _rosters(session, proposal)
    if candidate.version != (previous.version + 1 if previous else 1):
        raise ConflictError("the effective roster changed since this proposal was made", code="proposal_stale")
    return previous, candidate


async def submit_roster_signature(
    session: AsyncSession,
    *,
    proposal: RosterProposal,
    party: str,
    envelope: Any,
    actor: str,
    now: datetime,
) -> RosterVersion | None:
    """Record ``party``'s signature(s) on ``proposal``; adopt it when both thresholds are met.

    Returns the new effective version when this signature completed it. No role check.
    """
    return await submit_roster_signatures(session, proposal=proposal, envelopes={party: envelope}, actor=actor, now=now)


async def submit_roster_signatures(
    session: AsyncSession, *, proposal: RosterProposal, envelopes: Mapping[str, Any], actor: str, now: datetime
) -> RosterVersion | None:
    """Record each party's envelope on ``proposal``, in order, then adopt it when both thresholds are met."""
    previous, candidate = await open_rosters(session, proposal, now)
    for party, envelope in envelopes.items():
        await record_signatures(
            session, proposal, previous, candidate, party=party, envelope=envelope, actor=actor, now=now
        )
    return await adopt_if_complete(session, proposal, previous, candidate, now=now, actor=actor)


async def adopt_if_complete(
    session: AsyncSession,
    proposal: RosterProposal,
    previous: chain.Roster | None,
    candidate: chain.Roster,
    *,
    now: datetime,
    actor: str,
) -> RosterVersion | None:
    entries = [row.entry for row in await _signatures(session, proposal.id or 0)]
    if not entries:
        return None
    envelope = canonical_envelope(entries)
    try:
        chain.check_step(previous, candidate, [envelope])
    except chain.RosterError as exc:
        if exc.reason in (chain.RosterFailure.OLD_THRESHOLD_NOT_MET, chain.RosterFailure.NEW_THRESHOLD_NOT_MET):
            return None
        raise
    row = RosterVersion(**candidate.stored(), envelope=envelope, proposal_id=proposal.id or 0, adopted_at=now)
    proposal.status, proposal.closed_at = RosterProposalStatus.ADOPTED, now
    session.add_all([row, proposal])
    try:
        await session.flush()
    except sa.exc.IntegrityError:
        raise ConflictError(f"roster version {candidate.version} is already effective", code="proposal_stale") from None
    await audit.record_by(
        session,
        actor,
        "parties:roster:adopt",
        f"roster:{candidate.version}",
        at=now,
        details={"version": candidate.version, "digest": candidate.digest, "signatures": len(entries)},
    )
    return row


async def sign_proposal(
    session: AsyncSession,
    caller: auth.Caller | None,
    *,
    proposal_id: int,
    envelope: Any,
    now: datetime,
    party: str | None = None,
) -> tuple[RosterProposal, RosterVersion | None]:
    """A signatory submits its party's JWS (the secretariat may submit for any party)."""
    proposal = await get_proposal(session, proposal_id, for_update=True)
    caller = auth.require_caller(caller)
    party = party or caller.party
    caller = auth.require_party_role(caller, party, Role.SIGNATORY)
    adopted = await submit_roster_signature(
        session, proposal=proposal, party=party, envelope=envelope, actor=caller.username, now=now
    )
    return proposal, adopted


async def describe_proposal(session: AsyncSession, proposal: RosterProposal) -> RosterProposalPublic:
    """The proposal with its signatures and how each threshold stands."""
    rows = await _signatures(session, proposal.id or 0)
    candidate = chain.parse_roster(proposal.body)
    previous = None
    if proposal.status == RosterProposalStatus.PENDING:
        previous, _ = await _rosters(session, proposal)
    elif proposal.version > 1:
        previous_row = await session.get(RosterVersion, proposal.version - 1)
        previous = chain.parse_roster(previous_row.body) if previous_row is not None else None
    envelopes = [canonical_envelope(row.entry for row in rows)] if rows else []
    thresholds = []
    for roster in (previous, candidate):
        if roster is None:
            continue
        result = chain.threshold_result(roster, candidate, envelopes) if envelopes else None
        signed = result.signed if result else []
        thresholds.append(
            RosterThresholdPublic(
                roster_version=roster.version,
                threshold=roster.threshold,
                signed=signed,
                met=len(signed) >= roster.threshold,
            )
        )
    signatures = [
        RosterSignaturePublic.model_validate(row, from_attributes=True, update={"party": row.party_code})
        for row in rows
    ]
    return RosterProposalPublic.model_validate(
        proposal,
        from_attributes=True,
        update={"roster": candidate.obj, "signatures": signatures, "thresholds": thresholds},
    )


def document_model(row: RosterVersion) -> RosterDocument:
    return RosterDocument(**roster_document(row))
