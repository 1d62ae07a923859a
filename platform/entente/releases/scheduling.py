"""Scheduling, holding, cancelling, lifting, and the time-driven ``publish_due``.

``schedule_release`` freezes the head version (the communiqué becomes ``scheduled``; its text can
no longer change), audits the commitment (version digest and embargo instant) and renders the public
artefact at once, so the embargo lifts at the instant with no work: the release predicate
(:func:`is_public`) is evaluated when content is read. ``publish_due`` does the side effects after
the instant, exactly once (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` serialises writers), and can be called any number of times.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import drafting
from entente.auth import Caller
from entente.clock import isoformat
from entente.drafting.access import Access
from entente.errors import ConflictError, InvalidInputError, PermissionDeniedError
from entente.models import Communique, CommuniqueParticipant, CommuniqueState, Release, ReleaseState
from entente.releases.artefact import render_artefact, with_embargo
from entente.releases.common import (
    admit,
    comms_access,
    find_open_release,
    is_public,
    load_responses,
    public_at,
    record,
    require_open_release,
    settle,
    waiting_for,
)
from entente.releases.pdfs import has_current_pdf
from entente.releases.publication import log_commitment, log_publication

__all__ = [
    "cancel_member",
    "lift_member",
    "reason_text",
    "require_unbundled",
    "schedule_member",
    "cancel_release",
    "find_scheduled",
    "hold_release",
    "lift_release",
    "public_instants",
    "publish_due",
    "require_withdrawable",
    "schedule_release",
]

SCHEDULER = "scheduler"


async def _record(
    session: AsyncSession,
    release: Release,
    action: str,
    *,
    actor: str,
    party: str | None,
    now: datetime,
    **details: Any,
) -> None:
    """:func:`record` a step, naming the release's bundle when it is a member of one."""
    if release.bundle_id is not None:
        details["bundle"] = release.bundle_id
    await record(session, action=action, release=release, actor=actor, party=party, now=now, **details)


async def _record_by(
    session: AsyncSession, release: Release, action: str, caller: Caller, now: datetime, **details: Any
) -> None:
    """:func:`_record` a step the caller took for its party."""
    await _record(session, release, action, actor=caller.username, party=caller.party, now=now, **details)


def require_unbundled(release: Release) -> None:
    """A bundle's member release is negotiated, scheduled, held, lifted and cancelled as the bundle only."""
    if release.bundle_id is not None:
        raise ConflictError(
            f"communiqué {release.communique_id} is released with bundle {release.bundle_id}: "
            f"act on the bundle (/api/v1/bundles/{release.bundle_id}/release)",
            code="release_in_bundle",
            extra={"bundle": release.bundle_id},
        )


def reason_text(reason: str) -> str:
    return _reason(reason)


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidInputError("say why", code="reason_required", field="/reason")
    return text


async def schedule_release(session: AsyncSession, *, communique_id: int, caller: Caller, now: datetime) -> Release:
    """Schedule an agreed release (or resume a held one): the head version is frozen and the public
    artefact rendered now."""
    access = await comms_access(session, communique_id, caller)
    release = await require_open_release(session, access.id)
    require_unbundled(release)
    return await schedule_member(session, access, release, caller=caller, now=now)


async def schedule_member(
    session: AsyncSession, access: Access, release: Release, *, caller: Caller, now: datetime
) -> Release:
    """Schedule one agreed (or held) release: the step of :func:`schedule_release`, and of each member of
    a bundle scheduled as one (``releases.schedule_bundle``)."""
    responses = await load_responses(session, release.id or 0)
    settle(release, responses, access.accepted_parties, now)
    resuming = release.state == ReleaseState.HELD
    if release.state == ReleaseState.PROPOSED:
        waiting = waiting_for(release, responses, access.accepted_parties)
        raise ConflictError(
            f"the instant is not agreed yet: waiting for {', '.join(waiting)}",
            code="release_not_agreed",
            extra={"waiting_for": waiting},
        )
    if release.state not in (ReleaseState.AGREED, ReleaseState.HELD):
        raise ConflictError(f"the release is {release.state} already", code=f"release_{release.state}")
    if release.embargo_at <= now:
        raise ConflictError(
            f"the agreed instant {isoformat(release.embargo_at)} has passed: "
            "cancel this release and propose a new instant",
            code="instant_not_in_future",
        )
    c = access.communique
    if c.head_digest is None or c.ready_digest != c.head_digest:
        raise ConflictError(
            f"the quorum of version {c.head_number} is not complete: it cannot be scheduled",
            code="quorum_incomplete",
        )
    if resuming and c.head_digest != release.version_digest:  # pragma: no cover - a held text cannot change
        raise ConflictError("the held version is no longer the head", code="version_superseded")
    version = await drafting.find_version(session, access.id, c.head_number)
    assert version is not None
    release.state = ReleaseState.SCHEDULED
    release.version_number, release.version_digest = version.number, version.digest
    release.scheduled_at = now
    release.public_body = await render_artefact(session, c, version, release.embargo_at)
    c.state = CommuniqueState.SCHEDULED
    c.updated_at = now
    session.add_all([release, c])
    await session.flush()
    await log_commitment(session, release, now)
    details = {"version": version.number, "digest": version.digest, "resumed": resuming}
    await _record_by(session, release, "schedule", caller, now, **details)
    return release


async def cancel_release(
    session: AsyncSession, *, communique_id: int, caller: Caller, reason: str, now: datetime
) -> Release:
    """Cancel a release that is not public yet; the communiqué becomes editable again."""
    access = await comms_access(session, communique_id, caller)
    reason = _reason(reason)
    release = await require_open_release(session, access.id)
    require_unbundled(release)
    return await cancel_member(session, access, release, caller=caller, reason=reason, now=now)


async def cancel_member(
    session: AsyncSession, access: Access, release: Release, *, caller: Caller, reason: str, now: datetime
) -> Release:
    """Cancel one release that is not public yet (a lone one, or a bundle's member)."""
    if release.state == ReleaseState.RELEASED or is_public(release, now):
        raise ConflictError("the release is public already: it cannot be cancelled", code="release_public")
    previous = release.state
    release.state = ReleaseState.CANCELLED
    release.cancelled_at, release.reason = now, reason
    release.public_body = None
    c = access.communique
    if c.state in (CommuniqueState.SCHEDULED, CommuniqueState.HELD):
        c.state = CommuniqueState.SIGNING
        c.updated_at = now
    admit(session, access)
    session.add_all([release, c])
    await session.flush()
    await _record_by(session, release, "cancel", caller, now, reason=reason, previous=previous)
    return release


async def lift_release(
    session: AsyncSession, *, communique_id: int, caller: Caller, reason: str, now: datetime, policy: str = "any"
) -> Release:
    """Lift the embargo of a scheduled release now (after a leak): it is public from ``now``.

    ``policy`` (the setting ``release.lift_policy``) says who may do this on the party's own: ``any``
    participating comms officer, only the ``lead`` party's, or ``none``. Audited with the reason; the
    participating parties are noticed from the audit entry.
    """
    access = await comms_access(session, communique_id, caller)
    require_lift_allowed(policy, caller, lead=access.communique.lead)
    reason = _reason(reason)
    release = await require_open_release(session, access.id)
    require_unbundled(release)
    return await lift_member(session, release, caller=caller, reason=reason, now=now, policy=policy)


def require_lift_allowed(policy: str, caller: Caller, *, lead: str) -> None:
    """Whether ``caller``'s party may lift an embargo early on its own under ``policy`` (the setting
    ``release.lift_policy``): ``any`` participating comms officer, only the ``lead`` party's, or ``none``."""
    if policy == "none":
        raise PermissionDeniedError(
            "no party may lift this embargo early on its own (release.lift_policy = none): "
            "cancel the release and agree a new instant",
            code="lift_not_allowed",
        )
    if policy == "lead" and caller.party != lead:
        raise PermissionDeniedError(
            f"only the lead party ({lead}) may lift this embargo early (release.lift_policy = lead)",
            code="lift_not_allowed",
        )


async def lift_member(
    session: AsyncSession, release: Release, *, caller: Caller, reason: str, now: datetime, policy: str = "any"
) -> Release:
    """Lift the embargo of one scheduled release now (a lone one, or a bundle's member)."""
    if release.state != ReleaseState.SCHEDULED:
        raise ConflictError(
            f"the release is {release.state}: only a scheduled one can be lifted", code="release_not_scheduled"
        )
    if release.embargo_at <= now:
        raise ConflictError("the embargo has passed already", code="release_public")
    previous = release.embargo_at
    at = now.replace(microsecond=0)  # instants are whole seconds: the public record and PDF print it
    release.embargo_at, release.lifted_at, release.reason = at, now, reason
    assert release.public_body is not None
    release.public_body = with_embargo(release.public_body, at)
    session.add(release)
    await session.flush()
    await _record_by(session, release, "lift", caller, now, reason=reason, previous=isoformat(previous), policy=policy)
    return release


# --- hooks of sign-off withdrawal ---------------------------------------------------------------


async def require_withdrawable(session: AsyncSession, communique: Communique, now: datetime) -> None:
    """A sign-off cannot be withdrawn once the release is public (the instant has come)."""
    if communique.state != CommuniqueState.SCHEDULED or communique.id is None:
        return
    release = await find_open_release(session, communique.id)
    if release is not None and is_public(release, now):
        raise ConflictError(
            f"communiqué {communique.id} is public since {isoformat(release.embargo_at)}: "
            "sign-offs can no longer be withdrawn",
            code="released",
        )


async def hold_release(
    session: AsyncSession, *, communique: Communique, actor: str, party: str, now: datetime, reason: str
) -> Release | None:
    """Hold a scheduled communiqué and its release (a signatory withdrew, a key was revoked): nothing
    becomes public until its quorum is restored and the release is scheduled again."""
    assert communique.id is not None
    communique.state = CommuniqueState.HELD
    session.add(communique)
    release = await find_open_release(session, communique.id)
    if release is None or release.state != ReleaseState.SCHEDULED:
        return None
    release.state, release.held_at = ReleaseState.HELD, now
    release.reason = reason
    session.add(release)
    await session.flush()
    await _record(session, release, "hold", actor=actor, party=party, now=now, reason=reason)
    if release.bundle_id is not None:
        await _hold_partners(session, release, actor=actor, party=party, now=now, reason=reason)
    return release


async def _hold_partners(
    session: AsyncSession, held: Release, *, actor: str, party: str, now: datetime, reason: str
) -> None:
    """One hold for the whole bundle: every other scheduled member is held with the one that lost its quorum."""
    partners = (
        await session.execute(
            select(Release, Communique)
            .join(Communique, Communique.id == Release.communique_id)  # type: ignore[arg-type]
            .where(
                Release.bundle_id == held.bundle_id,
                Release.id != held.id,
                Release.state == ReleaseState.SCHEDULED,
            )
            .order_by(col(Release.communique_id))
            .with_for_update(of=Release)
        )
    ).all()
    why = f"held with communiqué {held.communique_id} of its bundle: {reason}"
    for release, communique in partners:
        communique.state, communique.updated_at = CommuniqueState.HELD, now
        release.state, release.held_at, release.reason = ReleaseState.HELD, now, why
        session.add_all([release, communique])
        await session.flush()
        await _record(session, release, "hold", actor=actor, party=party, now=now, reason=why)


async def find_scheduled(
    session: AsyncSession, *, party: str, now: datetime
) -> list[tuple[Communique, list[CommuniqueParticipant]]]:
    """The scheduled communiqués ``party`` takes part in whose release is not public yet, with their
    participants (for re-checking their quorum after a key revocation)."""
    query = (
        select(Communique)
        .join(Release, Release.communique_id == Communique.id)  # type: ignore[arg-type]
        .join(CommuniqueParticipant, CommuniqueParticipant.communique_id == Communique.id)  # type: ignore[arg-type]
        .where(
            Release.state == ReleaseState.SCHEDULED,
            Release.embargo_at > now,
            CommuniqueParticipant.party == party,
            CommuniqueParticipant.accepted.is_(True),  # type: ignore[attr-defined]
        )
        .order_by(col(Communique.id))
        .with_for_update(of=Communique)
    )
    out = []
    for communique in (await session.execute(query)).scalars().all():
        participants = await session.execute(
            select(CommuniqueParticipant)
            .where(CommuniqueParticipant.communique_id == communique.id)
            .order_by(col(CommuniqueParticipant.invited_at), col(CommuniqueParticipant.party))
        )
        out.append((communique, list(participants.scalars().all())))
    return out


# --- the time-driven part ------------------------------------------------------------------------


async def publish_due(session: AsyncSession, now: datetime, *, require_pdf: bool = False) -> list[int]:
    """Mark released every scheduled release whose instant has come and that is not published yet,
    with its communiqué, and log its publication entry in the transparency log; audited. Returns the
    communiqué ids released by this call. With ``require_pdf`` a release whose public PDF is not stored
    yet waits for the next call (the entry names the PDF's digest); its record is public all the same.

    Idempotent: a second call finds nothing. On PostgreSQL the rows are taken ``FOR UPDATE SKIP
    LOCKED`` (the release and its communiqué), so several instances never release one twice and a
    release being held, cancelled or lifted at that moment is left to the next tick.
    """
    query = (
        select(Release, Communique)
        .join(Communique, Communique.id == Release.communique_id)  # type: ignore[arg-type]
        .where(
            Release.state == ReleaseState.SCHEDULED,
            Release.embargo_at <= now,
            Release.published_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(Release.embargo_at, Release.id)  # type: ignore[arg-type]
        .execution_options(populate_existing=True)
    )
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    released: list[int] = []
    for release, communique in (await session.execute(query)).all():
        if release.commitment_index is None:  # scheduled before the log existed: commit now, before publishing
            await log_commitment(session, release, now)
        if require_pdf and not await has_current_pdf(session, release):
            continue
        release.state, release.published_at = ReleaseState.RELEASED, now
        communique.state, communique.updated_at = CommuniqueState.RELEASED, now
        session.add_all([release, communique])
        await session.flush()
        await log_publication(session, release, now)
        await record(
            session,
            action="publish",
            release=release,
            actor=SCHEDULER,
            party=None,
            now=now,
            version=release.version_number,
            digest=release.version_digest,
        )
        released.append(release.communique_id)
    return released


async def public_instants(session: AsyncSession, communique_ids: Iterable[int], now: datetime) -> dict[int, datetime]:
    """For each of ``communique_ids`` whose release predicate holds at ``now``: its embargo instant."""
    ids = sorted(set(communique_ids))
    if not ids:
        return {}
    rows = (
        await session.execute(
            select(Release.communique_id, Release.embargo_at).where(
                Release.communique_id.in_(ids),  # type: ignore[attr-defined]
                public_at(now),
            )
        )
    ).all()
    return {cid: at for cid, at in rows}
