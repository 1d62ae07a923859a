"""Negotiating the embargo instant: propose, accept or counter-propose, agreement; reading a release.

Agreement is counted against the communiqué's *accepted* participating parties at the time of each
step: a party that joins after the release was agreed has not accepted the instant, so the release
goes back to ``proposed`` (persisted at the next release step, shown at once by every read) and
cannot be scheduled until that party's comms officer accepts it. Joining also writes a new version
listing the party, so the quorum must be completed again on it before scheduling.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entente import drafting
from entente.auth import Caller
from entente.clock import isoformat
from entente.drafting.access import Access
from entente.errors import ConflictError, PermissionDeniedError
from entente.models import (
    CommuniqueState,
    Party,
    Release,
    ReleaseDecision,
    ReleasePartyPublic,
    ReleasePublic,
    ReleaseResponse,
    ReleaseState,
    ReleaseVersionPublic,
    ResponseDecision,
)
from entente.releases.common import (
    admit,
    comms_access,
    find_bundle_of,
    find_open_release,
    is_public,
    load_responses,
    record,
    require_future,
    require_instant,
    require_open_release,
    settle,
    waiting_for,
)
from entente.releases.scheduling import require_unbundled

__all__ = [
    "require_open_communique",
    "upsert_response",
    "get_release",
    "propose_release",
    "read_release",
    "release_public",
    "respond_release",
]


def require_open_communique(access: Access) -> None:
    state = access.communique.state
    if state in (CommuniqueState.RELEASED, CommuniqueState.WITHDRAWN):
        raise ConflictError(
            f"communiqué {access.id} is {state}: it cannot be released again", code=f"communique_{state}"
        )


def upsert_response(
    responses: list[ReleaseResponse], release: Release, party: str, decision: ResponseDecision, by: str, now: datetime
) -> ReleaseResponse:
    mine = next((r for r in responses if r.party == party), None)
    if mine is None:
        mine = ReleaseResponse(
            release_id=release.id or 0, party=party, decision=decision, instant=release.embargo_at, by=by, at=now
        )
        responses.append(mine)
    else:
        mine.decision, mine.instant, mine.by, mine.at = decision, release.embargo_at, by, now
    return mine


async def open_release(
    session: AsyncSession, access: Access, at: datetime, caller: Caller, now: datetime, *, bundle_id: int | None = None
) -> Release:
    """A release proposed at ``at`` by the caller, accepted by its party when that takes part (agreed at
    once when it is the only party); ``bundle_id``: the bundle it is a member's release of."""
    release = Release(
        communique_id=access.id,
        bundle_id=bundle_id,
        state=ReleaseState.PROPOSED,
        embargo_at=at,
        proposed_by=caller.username,
        proposed_party=caller.party,
        created_at=now,
    )
    session.add(release)
    await session.flush()
    responses: list[ReleaseResponse] = []
    if caller.party in access.accepted_parties:
        session.add(upsert_response(responses, release, caller.party, ResponseDecision.ACCEPTED, caller.username, now))
    settle(release, responses, access.accepted_parties, now)
    session.add(release)
    await session.flush()
    return release


async def propose_release(
    session: AsyncSession, *, communique_id: int, caller: Caller, at: datetime, now: datetime
) -> Release:
    """A comms officer of a participating party proposes an embargo instant; its party accepts it."""
    access = await comms_access(session, communique_id, caller)
    at = require_instant(at)
    require_open_communique(access)
    bundle = await find_bundle_of(session, access.id)
    if bundle is not None:
        raise ConflictError(
            f"communiqué {access.id} is a member of bundle {bundle}: propose the bundle's instant "
            f"(/api/v1/bundles/{bundle}/release)",
            code="release_in_bundle",
            extra={"bundle": bundle},
        )
    existing = await find_open_release(session, access.id)
    if existing is not None:
        raise ConflictError(
            f"communiqué {access.id} already has a release ({existing.state}, {isoformat(existing.embargo_at)}): "
            "counter-propose another instant instead",
            code="release_exists",
            extra={"embargo_at": isoformat(existing.embargo_at), "state": existing.state},
        )
    at = require_future(at, now)
    release = await open_release(session, access, at, caller, now)
    await record(session, action="propose", release=release, actor=caller.username, party=caller.party, now=now)
    if release.state == ReleaseState.AGREED:
        await record(session, action="agree", release=release, actor=caller.username, party=caller.party, now=now)
    return release


async def respond_release(
    session: AsyncSession,
    *,
    communique_id: int,
    caller: Caller,
    party: str,
    decision: ReleaseDecision,
    at: datetime,
    now: datetime,
) -> Release:
    """``party``'s comms officer accepts the current instant (``at`` must name it) or counter-proposes
    ``at``, which replaces the proposal and clears every other party's acceptance."""
    access = await comms_access(session, communique_id, caller)
    if caller.party != party:
        raise PermissionDeniedError(f"only a comms officer of {party} may answer for it", code="wrong_party")
    at = require_instant(at)
    release = await require_open_release(session, access.id)
    require_unbundled(release)
    if release.state not in (ReleaseState.PROPOSED, ReleaseState.AGREED):
        raise ConflictError(
            f"the release is {release.state}: cancel it and propose again to change the instant",
            code=f"release_{release.state}",
        )
    responses = await load_responses(session, release.id or 0)
    previous = release.embargo_at
    if decision is ReleaseDecision.ACCEPT:
        if at != release.embargo_at:
            raise ConflictError(
                f"the proposed instant is now {isoformat(release.embargo_at)}, not {isoformat(at)}",
                code="release_instant_changed",
                field="/at",
                extra={"embargo_at": isoformat(release.embargo_at)},
            )
        if release.embargo_at <= now:
            raise ConflictError(
                f"the proposed instant {isoformat(release.embargo_at)} has passed: counter-propose another",
                code="instant_not_in_future",
                field="/at",
            )
        mine = upsert_response(responses, release, party, ResponseDecision.ACCEPTED, caller.username, now)
        session.add(mine)
        action = "accept"
    else:
        release.embargo_at = require_future(at, now)
        for other in [r for r in responses if r.party != party]:
            await session.delete(other)
            responses.remove(other)
        session.add(upsert_response(responses, release, party, ResponseDecision.COUNTERED, caller.username, now))
        release.state, release.agreed_at = ReleaseState.PROPOSED, None
        action = "counter"
    admit(session, access, [party])  # it accepted an instant: the agreed one, or its own proposal
    agreed = settle(release, responses, access.accepted_parties, now)
    session.add(release)
    await session.flush()
    details = {"previous": isoformat(previous)} if action == "counter" else {}
    await record(session, action=action, release=release, actor=caller.username, party=party, now=now, **details)
    if agreed:
        await record(session, action="agree", release=release, actor=caller.username, party=party, now=now)
    return release


async def get_release(session: AsyncSession, communique_id: int, caller: Caller) -> Release:
    """The communiqué's open release, for a caller who may see the communiqué (``no_release`` if none)."""
    await drafting.get_access(session, communique_id, caller)
    return await require_open_release(session, communique_id)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def release_public(session: AsyncSession, access: Access, release: Release, now: datetime) -> ReleasePublic:
    """The release as its parties see it: each accepted party's zone, the instant there, its answer."""
    responses = await load_responses(session, release.id or 0)
    parties = access.accepted_parties
    state = ReleaseState(release.state)
    if state in (ReleaseState.PROPOSED, ReleaseState.AGREED):
        state = ReleaseState.PROPOSED if waiting_for(release, responses, parties) else ReleaseState.AGREED
    query = sa.select(col(Party.code), col(Party.timezone)).where(col(Party.code).in_(parties))
    zones: dict[str, str] = {code: zone for code, zone in (await session.execute(query)).all()}
    by_party = {r.party: r for r in responses}
    rows = []
    for party in parties:
        zone = zones.get(party, "UTC")
        answer = by_party.get(party)
        rows.append(
            ReleasePartyPublic(
                party=party,
                timezone=zone,
                embargo_local=release.embargo_at.astimezone(_zone(zone)),
                accepted=answer is not None and answer.instant == release.embargo_at,
                decision=ResponseDecision(answer.decision) if answer else None,
                instant=answer.instant if answer else None,
                by=answer.by if answer else None,
                at=answer.at if answer else None,
            )
        )
    version = (
        ReleaseVersionPublic(number=release.version_number, digest=release.version_digest)
        if release.version_number is not None and release.version_digest is not None
        else None
    )
    return ReleasePublic(
        id=release.id or 0,
        communique=release.communique_id,
        state=state,
        embargo_at=release.embargo_at.astimezone(UTC),
        public=is_public(release, now),
        proposed_by=release.proposed_by,
        proposed_party=release.proposed_party,
        version=version,
        created_at=release.created_at,
        agreed_at=release.agreed_at if state is not ReleaseState.PROPOSED else None,
        scheduled_at=release.scheduled_at,
        published_at=release.published_at,
        held_at=release.held_at,
        lifted_at=release.lifted_at,
        reason=release.reason,
        waiting_for=waiting_for(release, responses, parties) if state is ReleaseState.PROPOSED else [],
        parties=rows,
    )


async def read_release(session: AsyncSession, *, communique_id: int, caller: Caller, now: datetime) -> ReleasePublic:
    """``GET .../release``: the open release for anyone who may see the communiqué."""
    access = await drafting.get_access(session, communique_id, caller)
    release = await require_open_release(session, access.id)
    return await release_public(session, access, release, now)
