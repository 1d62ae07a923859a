"""A release bundle's one instant, negotiated, scheduled, cancelled or lifted for every member at once
(see :mod:`entente.releases.bundles`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from entente.auth import Caller
from entente.clock import isoformat
from entente.errors import ConflictError, NotFoundError, PermissionDeniedError
from entente.models import (
    BundleState,
    ReleaseDecision,
    ReleaseState,
    ResponseDecision,
)
from entente.releases.bundles import (
    Bundle,
    get_bundle,
    record_member,
    require_comms,
    require_negotiable,
    state_conflict,
)
from entente.releases.common import (
    admit,
    is_public,
    load_responses,
    require_future,
    require_instant,
    settle,
)
from entente.releases.negotiation import open_release, require_open_communique, upsert_response
from entente.releases.scheduling import (
    cancel_member,
    lift_member,
    reason_text,
    require_lift_allowed,
    schedule_member,
)


async def propose_bundle(
    session: AsyncSession, *, bundle_id: int, caller: Caller, at: datetime, now: datetime
) -> Bundle:
    """Propose the bundle's instant: every member gets a release at it; the caller's party accepts it."""
    bundle = await get_bundle(session, bundle_id, caller, lock=True)
    require_comms(bundle)
    at = require_instant(at)
    if not bundle.members:
        raise ConflictError("the bundle has no members", code="bundle_empty")
    if bundle.releases:
        raise ConflictError(
            f"the bundle's release is in negotiation already ({isoformat(bundle.embargo_at or now)}): "
            "counter-propose another instant instead",
            code="release_exists",
        )
    at = require_future(at, now)
    for member in bundle.members:
        require_open_communique(member.access)
        member.release = await open_release(session, member.access, at, caller, now, bundle_id=bundle.id)
        await record_member(session, bundle, member.release, "propose", now=now, party=caller.party)
        if member.release.state == ReleaseState.AGREED:
            await record_member(session, bundle, member.release, "agree", now=now, party=caller.party)
    return bundle


async def respond_bundle(
    session: AsyncSession,
    *,
    bundle_id: int,
    caller: Caller,
    party: str,
    decision: ReleaseDecision,
    at: datetime,
    now: datetime,
) -> Bundle:
    """``party`` accepts the bundle's instant for every member it takes part in, or counter-proposes
    ``at`` for the whole bundle (every other party's acceptance is cleared on every member)."""
    bundle = await get_bundle(session, bundle_id, caller, lock=True)
    require_comms(bundle)
    if caller.party != party:
        raise PermissionDeniedError(f"only a comms officer of {party} may answer for it", code="wrong_party")
    at = require_instant(at)
    state = require_negotiable(bundle, await bundle.waiting(session), "answered")
    if state is BundleState.OPEN:
        raise NotFoundError(f"bundle {bundle_id} has no release in negotiation", code="no_release")
    current = bundle.embargo_at
    assert current is not None
    if decision is ReleaseDecision.ACCEPT:
        if at != current:
            raise ConflictError(
                f"the proposed instant is now {isoformat(current)}, not {isoformat(at)}",
                code="release_instant_changed",
                field="/at",
                extra={"embargo_at": isoformat(current)},
            )
        if current <= now:
            raise ConflictError(
                f"the proposed instant {isoformat(current)} has passed: counter-propose another",
                code="instant_not_in_future",
                field="/at",
            )
    else:
        at = require_future(at, now)
    for member, release in bundle.releases:
        responses = await load_responses(session, release.id or 0)
        takes_part = party in member.access.accepted_parties
        if decision is ReleaseDecision.ACCEPT:
            if not takes_part:
                continue
            session.add(upsert_response(responses, release, party, ResponseDecision.ACCEPTED, caller.username, now))
            details: dict[str, str] = {}
        else:
            release.embargo_at = at
            for other in [r for r in responses if r.party != party]:
                await session.delete(other)
                responses.remove(other)
            if takes_part:
                session.add(
                    upsert_response(responses, release, party, ResponseDecision.COUNTERED, caller.username, now)
                )
            else:
                for own in list(responses):
                    await session.delete(own)
                    responses.remove(own)
            release.state, release.agreed_at = ReleaseState.PROPOSED, None
            details = {"previous": isoformat(current)}
        if takes_part:
            admit(session, member.access, [party])
        agreed = settle(release, responses, member.access.accepted_parties, now)
        session.add(release)
        await session.flush()
        action = "accept" if decision is ReleaseDecision.ACCEPT else "counter"
        await record_member(session, bundle, release, action, now=now, party=party, **details)
        if agreed:
            await record_member(session, bundle, release, "agree", now=now, party=party)
    return bundle


async def schedule_bundle(session: AsyncSession, *, bundle_id: int, caller: Caller, now: datetime) -> Bundle:
    """Schedule every member at the agreed instant (or resume a held bundle), all or none: a member
    whose quorum is not complete refuses the whole bundle (409 naming it)."""
    bundle = await get_bundle(session, bundle_id, caller, lock=True)
    require_comms(bundle)
    waiting = await bundle.waiting(session)
    state = bundle.state(waiting)
    if state is BundleState.OPEN:
        raise NotFoundError(f"bundle {bundle_id} has no release in negotiation", code="no_release")
    if state is BundleState.PROPOSED:
        raise ConflictError(
            f"the bundle's instant is not agreed yet: waiting for {', '.join(waiting) or 'every member'}",
            code="release_not_agreed",
            extra={"waiting_for": waiting},
        )
    if state not in (BundleState.AGREED, BundleState.HELD):
        raise state_conflict(state, f"the bundle is {state} already")
    for member, release in bundle.releases:
        if release.state not in (ReleaseState.AGREED, ReleaseState.HELD, ReleaseState.PROPOSED):
            continue
        c = member.access.communique
        if c.head_digest is None or c.ready_digest != c.head_digest:
            raise ConflictError(
                f"the quorum of communiqué {c.id} ({c.title}) is not complete: the bundle cannot be scheduled",
                code="quorum_incomplete",
                extra={"communique": c.id},
            )
        await schedule_member(session, member.access, release, caller=caller, now=now)
    return bundle


async def cancel_bundle(session: AsyncSession, *, bundle_id: int, caller: Caller, reason: str, now: datetime) -> Bundle:
    """Cancel the bundle's release (every member), before it is public; the members stay in the bundle,
    editable again, and a new instant can be proposed."""
    reason = reason_text(reason)
    bundle = await get_bundle(session, bundle_id, caller, lock=True)
    require_comms(bundle)
    if not bundle.releases:
        raise NotFoundError(f"bundle {bundle_id} has no release in negotiation", code="no_release")
    if any(r.state == ReleaseState.RELEASED or is_public(r, now) for _, r in bundle.releases):
        raise ConflictError("the bundle is public already: it cannot be cancelled", code="release_public")
    for member, release in bundle.releases:
        await cancel_member(session, member.access, release, caller=caller, reason=reason, now=now)
        member.release = None
    return bundle


async def lift_bundle(
    session: AsyncSession, *, bundle_id: int, caller: Caller, reason: str, now: datetime, policy: str = "any"
) -> Bundle:
    """Lift the embargo of every member of a scheduled bundle now (after a leak); ``policy`` as for a
    lone release (``release.lift_policy``), the bundle's lead party standing for the lead."""
    reason = reason_text(reason)
    bundle = await get_bundle(session, bundle_id, caller, lock=True)
    require_comms(bundle)
    require_lift_allowed(policy, caller, lead=bundle.bundle.lead)
    state = bundle.state(await bundle.waiting(session))
    if state is not BundleState.SCHEDULED:
        raise ConflictError(f"the bundle is {state}: only a scheduled one can be lifted", code="release_not_scheduled")
    if any(is_public(r, now) for _, r in bundle.releases):
        raise ConflictError("the embargo has passed already", code="release_public")
    for _, release in bundle.releases:
        await lift_member(session, release, caller=caller, reason=reason, now=now, policy=policy)
    return bundle
