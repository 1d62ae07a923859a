"""Release bundles: several communiqués released as one.

A joint statement and the national statements that go with it, or a statement and a sanctions
package, must reach the public at one instant and stop together: a bundle gives them one negotiated
instant, one schedule, one hold, one lift or cancel. Each member keeps its own release row (its own
frozen version, commitment, public record, PDF and publication entry), so each is verifiable alone and
``publish_due`` needs nothing new; the bundle only drives them together:

- :mod:`.bundle_members`: a comms officer gathers communiqués its party takes part in (``create_bundle``);
  comms officers of other parties of the bundle add theirs (``add_bundle_member``), or take theirs out
  again before it is scheduled (``remove_bundle_member``);
- :mod:`.bundle_release`: the instant is negotiated once for the bundle (``propose_bundle``, ``respond_bundle``): every
  party taking part in any member accepts it; each member's release records the acceptances of its own
  parties, so the per-communiqué view reads as before;
- ``schedule_bundle`` schedules every member in one transaction, or none (one member's incomplete
  quorum refuses the whole bundle); ``cancel_bundle`` and ``lift_bundle`` act on every member;
- a hold of any member (a sign-off withdrawn, a key revoked) holds every member
  (``scheduling.hold_release``); scheduling the bundle again resumes them all.

A member's own release steps (``/communiques/{id}/release/...``) answer 409 ``release_in_bundle``.

Who sees a bundle: callers whose party takes part (accepted) in at least one member. A member the
caller's party does not take part in shows only its kind, lead party and state, never its id or title.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit
from entente.auth import Caller, require_role
from entente.drafting.access import READ_ROLES, Access
from entente.errors import ConflictError, NotFoundError
from entente.models import (
    BundleMemberPublic,
    BundlePublic,
    BundleState,
    Communique,
    CommuniqueParticipant,
    PublicBundle,
    Release,
    ReleaseBundle,
    ReleaseBundleMember,
    ReleaseState,
    Role,
)
from entente.releases.common import (
    find_open_release,
    is_public,
    load_responses,
    public_at,
    record,
    waiting_for,
)


def _not_found(bundle_id: int) -> NotFoundError:
    return NotFoundError(f"no bundle {bundle_id}")


@dataclass
class Member:
    access: Access
    release: Release | None


@dataclass
class Bundle:
    """A bundle as one caller reaches it: its members (each with its open release, if any)."""

    bundle: ReleaseBundle
    members: list[Member]
    caller: Caller

    @property
    def id(self) -> int:
        assert self.bundle.id is not None
        return self.bundle.id

    @property
    def parties(self) -> list[str]:
        """Every party taking part (accepted) in any member: each must accept the instant."""
        return sorted({p for m in self.members for p in m.access.accepted_parties})

    @property
    def releases(self) -> list[tuple[Member, Release]]:
        return [(m, m.release) for m in self.members if m.release is not None]

    async def waiting(self, session: AsyncSession) -> list[str]:
        out: set[str] = set()
        for member, release in self.releases:
            if release.state in (ReleaseState.PROPOSED, ReleaseState.AGREED):
                responses = await load_responses(session, release.id or 0)
                out.update(waiting_for(release, responses, member.access.accepted_parties))
        return sorted(out)

    def state(self, waiting: Sequence[str]) -> BundleState:
        states = {ReleaseState(r.state) for _, r in self.releases}
        if not states:
            return BundleState.OPEN
        if ReleaseState.HELD in states:
            return BundleState.HELD
        if states == {ReleaseState.RELEASED}:
            return BundleState.RELEASED
        if states <= {ReleaseState.SCHEDULED, ReleaseState.RELEASED}:
            return BundleState.SCHEDULED
        if (
            len(self.releases) == len(self.members)
            and not waiting
            and states
            <= {
                ReleaseState.PROPOSED,
                ReleaseState.AGREED,
            }
        ):
            return BundleState.AGREED
        return BundleState.PROPOSED

    @property
    def embargo_at(self) -> datetime | None:
        instants = [r.embargo_at for _, r in self.releases]
        return instants[0] if instants else None


async def _load_members(session: AsyncSession, bundle_id: int, caller: Caller, *, lock: bool) -> list[Member]:
    rows = (
        (
            await session.execute(
                select(ReleaseBundleMember.communique_id)
                .where(ReleaseBundleMember.bundle_id == bundle_id)
                .order_by(col(ReleaseBundleMember.position))
            )
        )
        .scalars()
        .all()
    )
    members = []
    for cid in rows:
        query = select(Communique).where(Communique.id == cid)
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        communique = (await session.execute(query)).scalar_one()
        participants = (
            (
                await session.execute(
                    select(CommuniqueParticipant)
                    .where(CommuniqueParticipant.communique_id == cid)
                    .order_by(col(CommuniqueParticipant.invited_at), col(CommuniqueParticipant.party))
                )
            )
            .scalars()
            .all()
        )
        access = Access(communique, list(participants), caller)
        members.append(Member(access, await find_open_release(session, cid)))
    return members


async def get_bundle(session: AsyncSession, bundle_id: int, caller: Caller, *, lock: bool = False) -> Bundle:
    """The bundle, for a caller whose party takes part in one of its members; otherwise 404."""
    if not caller.has_role(*READ_ROLES):
        raise _not_found(bundle_id)
    row = await session.get(ReleaseBundle, bundle_id, with_for_update=lock)
    if row is None:
        raise _not_found(bundle_id)
    bundle = Bundle(row, await _load_members(session, bundle_id, caller, lock=lock), caller)
    if caller.party not in bundle.parties:
        raise _not_found(bundle_id)
    return bundle


def require_comms(bundle: Bundle) -> None:
    require_role(bundle.caller, Role.COMMS)


async def audit_bundle(
    session: AsyncSession, bundle: ReleaseBundle, *, action: str, caller: Caller, now: datetime, **details: object
) -> None:
    await audit.record_by(
        session,
        caller,
        f"releases:bundle:{action}",
        f"bundle:{bundle.id}",
        at=now,
        details={"title": bundle.title, **details},
    )


async def record_member(
    session: AsyncSession, bundle: Bundle, release: Release, action: str, *, now: datetime, party: str, **details: Any
) -> None:
    """A member's release step, audited as a lone release's is (``releases:release:<action>``), naming the bundle."""
    details = {"bundle": bundle.id, **details}
    await record(session, action=action, release=release, actor=bundle.caller.username, party=party, now=now, **details)


def state_conflict(state: BundleState, detail: str) -> ConflictError:
    code = (
        "bundle_held"
        if state is BundleState.HELD
        else "bundle_released"
        if state is BundleState.RELEASED
        else "bundle_scheduled"
    )
    return ConflictError(detail, code=code)


def require_negotiable(bundle: Bundle, waiting: Sequence[str], step: str) -> BundleState:
    state = bundle.state(waiting)
    if state not in (BundleState.OPEN, BundleState.PROPOSED, BundleState.AGREED):
        raise state_conflict(state, f"the bundle is {state}: members cannot be {step}")
    return state


async def bundle_public(session: AsyncSession, bundle: Bundle, now: datetime) -> BundlePublic:
    """The bundle as its caller sees it."""
    waiting = await bundle.waiting(session)
    state = bundle.state(waiting)
    members = []
    reason = None
    for member in bundle.members:
        c = member.access.communique
        mine = member.access.joined
        release = member.release
        member_waiting: list[str] = []
        if release is not None and release.state in (ReleaseState.PROPOSED, ReleaseState.AGREED):
            member_waiting = waiting_for(
                release, await load_responses(session, release.id or 0), member.access.accepted_parties
            )
        if release is not None and release.state == ReleaseState.HELD and mine:
            reason = reason or release.reason
        members.append(
            BundleMemberPublic(
                communique=c.id if mine else None,
                title=c.title if mine else None,
                kind=c.kind,
                lead=c.lead,
                state=c.state,
                release_state=ReleaseState(release.state) if release is not None else None,
                ready_for_release=c.head_digest is not None and c.ready_digest == c.head_digest,
                waiting_for=member_waiting,
            )
        )
    at = bundle.embargo_at
    return BundlePublic(
        id=bundle.id,
        title=bundle.bundle.title,
        lead=bundle.bundle.lead,
        state=state,
        embargo_at=at.astimezone(UTC) if at is not None else None,
        public=bool(bundle.releases) and all(is_public(r, now) for _, r in bundle.releases),
        parties=bundle.parties,
        waiting_for=waiting if state is BundleState.PROPOSED else [],
        created_by=bundle.bundle.created_by,
        created_at=bundle.bundle.created_at,
        reason=reason if state is BundleState.HELD else None,
        members=members,
    )


async def list_bundles(session: AsyncSession, caller: Caller, *, limit: int = 200) -> list[Bundle]:
    """The bundles the caller's party takes part in, newest first."""
    if not caller.has_role(*READ_ROLES):
        return []
    ids = (
        (
            await session.execute(
                select(ReleaseBundleMember.bundle_id)
                .join(CommuniqueParticipant, CommuniqueParticipant.communique_id == ReleaseBundleMember.communique_id)  # type: ignore[arg-type]
                .where(CommuniqueParticipant.party == caller.party, CommuniqueParticipant.accepted.is_(True))  # type: ignore[attr-defined]
                .distinct()
                .order_by(ReleaseBundleMember.bundle_id.desc())  # type: ignore[attr-defined]
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    return [await get_bundle(session, bid, caller) for bid in ids]


async def get_public_bundle(session: AsyncSession, bundle_id: int, now: datetime) -> PublicBundle:
    """A bundle whose members are public at ``now``: its title, instant and the public members (each
    verifiable alone at ``/api/v1/public/communiques/{id}``); otherwise 404 like a missing one."""
    row = await session.get(ReleaseBundle, bundle_id)
    rows = (
        await session.execute(
            select(Release.communique_id, Release.embargo_at)
            .where(Release.bundle_id == bundle_id, public_at(now))
            .order_by(col(Release.communique_id))
        )
    ).all()
    if row is None or not rows:
        raise NotFoundError(f"no public bundle {bundle_id}")
    return PublicBundle(id=bundle_id, title=row.title, embargo_at=rows[0][1], members=[cid for cid, _ in rows])
