"""Release bundles: several communiqués released as one.

A joint statement and the national statements that go with it, or a statement and a sanctions
package, must reach the public at one instant and stop together: a bundle gives them one negotiated
instant, one schedule, one hold, one lift or cancel. Each member keeps its own release row (its own
frozen version, commitment, public record, PDF and publication entry), so each is verifiable alone and
``publish_due`` needs nothing new; the bundle only drives them together:

- a comms officer gathers communiqués its party takes part in (:func:`create_bundle`); comms officers
  of other parties of the bundle add theirs (:func:`add_bundle_member`), or take theirs out again before
  it is scheduled (:func:`remove_bundle_member`);
- the instant is negotiated once for the bundle (:func:`propose_bundle`, :func:`respond_bundle`): every
  party taking part in any member accepts it; each member's release records the acceptances of its own
  parties, so the per-communiqué view reads as before;
- :func:`schedule_bundle` schedules every member in one transaction, or none (one member's incomplete
  quorum refuses the whole bundle); :func:`cancel_bundle` and :func:`lift_bundle` act on every member;
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

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit
from entente.auth import Caller, require_role
from entente.clock import isoformat
from entente.drafting.access import READ_ROLES, Access
from entente.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from entente.models import (
    BundleMemberPublic,
    BundlePublic,
    BundleState,
    Communique,
    CommuniqueParticipant,
    CommuniqueState,
    PublicBundle,
    Release,
    ReleaseBundle,
    ReleaseBundleMember,
    ReleaseDecision,
    ReleaseState,
    ResponseDecision,
    Role,
)
from entente.releases.common import (
    PUBLIC_STATES,
    admit,
    comms_access,
    find_bundle_of,
    find_open_release,
    is_public,
    load_responses,
    record,
    require_future,
    require_instant,
    settle,
    waiting_for,
)
from entente.releases.negotiation import require_open_communique, upsert_response
from entente.releases.scheduling import (
    cancel_member,
    lift_member,
    reason_text,
    require_lift_allowed,
    schedule_member,
)

__all__ = [
    "Bundle",
    "add_bundle_member",
    "bundle_public",
    "cancel_bundle",
    "create_bundle",
    "get_bundle",
    "get_public_bundle",
    "lift_bundle",
    "list_bundles",
    "propose_bundle",
    "remove_bundle_member",
    "respond_bundle",
    "schedule_bundle",
]

MAX_MEMBERS = 32


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


def _require_comms(bundle: Bundle) -> None:
    require_role(bundle.caller, Role.COMMS)


async def _require_joinable(session: AsyncSession, access: Access) -> None:
    require_open_communique(access)
    if access.communique.state in (CommuniqueState.SCHEDULED, CommuniqueState.HELD):
        raise ConflictError(
            f"communiqué {access.id} is {access.communique.state}: it is in a release of its own",
            code="release_exists",
        )
    bundle = await find_bundle_of(session, access.id)
    if bundle is not None:
        raise ConflictError(
            f"communiqué {access.id} is in bundle {bundle} already",
            code="communique_in_bundle",
            extra={"bundle": bundle},
        )
    existing = await find_open_release(session, access.id)
    if existing is not None:
        raise ConflictError(
            f"communiqué {access.id} has a release of its own ({existing.state}): cancel it first",
            code="release_exists",
            extra={"embargo_at": isoformat(existing.embargo_at), "state": existing.state},
        )


async def _audit(
    session: AsyncSession, bundle: ReleaseBundle, *, action: str, caller: Caller, now: datetime, **details: object
) -> None:
    await audit.record(
        session,
        at=now,
        actor=caller.username,
        party=caller.party,
        event=f"releases:bundle:{action}",
        object=f"bundle:{bundle.id}",
        details={"title": bundle.title, **details},
    )


async def create_bundle(
    session: AsyncSession, *, caller: Caller, title: str, members: Sequence[int], now: datetime
) -> Bundle:
    """A comms officer gathers communiqués its party takes part in, none released, scheduled or in a
    release of its own yet."""
    require_role(caller, Role.COMMS)
    title = title.strip()
    if not title:
        raise InvalidInputError("a title is needed", code="invalid_text", field="/title")
    if len(set(members)) != len(members):
        raise InvalidInputError("a communiqué is named twice", code="invalid_input", field="/members")
    accesses = []
    for cid in members:
        access = await comms_access(session, cid, caller)
        await _require_joinable(session, access)
        accesses.append(access)
    row = ReleaseBundle(title=title, lead=caller.party, created_by=caller.username, created_at=now)
    session.add(row)
    await session.flush()
    for position, access in enumerate(accesses):
        session.add(
            ReleaseBundleMember(
                bundle_id=row.id or 0,
                communique_id=access.id,
                position=position,
                added_by=caller.username,
                added_party=caller.party,
                added_at=now,
            )
        )
    await session.flush()
    await _audit(session, row, action="create", caller=caller, now=now, members=list(members))
    return await get_bundle(session, row.id or 0, caller)


def _state_conflict(state: BundleState, detail: str) -> ConflictError:
    code = (
        "bundle_held"
        if state is BundleState.HELD
        else "bundle_released"
        if state is BundleState.RELEASED
        else "bundle_scheduled"
    )
    return ConflictError(detail, code=code)


def _require_negotiable(bundle: Bundle, waiting: Sequence[str], step: str) -> BundleState:
    state = bundle.state(waiting)
    if state not in (BundleState.OPEN, BundleState.PROPOSED, BundleState.AGREED):
        raise _state_conflict(state, f"the bundle is {state}: members cannot be {step}")
    return state


async def add_bundle_member(
    session: AsyncSession, *, bundle_id: int, caller: Caller, communique_id: int, now: datetime
) -> Bundle:
    """A comms officer of a party of the bundle adds a communiqué its party takes part in, before the
    bundle is scheduled. If an instant is in negotiation, the new member's release is proposed at it,
    accepted by the caller's party only: the bundle is agreed again once its other parties accept."""
    bundle = await get_bundle(session, bundle_id, caller, lock=True)
    _require_comms(bundle)
    _require_negotiable(bundle, await bundle.waiting(session), "added")
    if len(bundle.members) >= MAX_MEMBERS:
        raise ConflictError(f"a bundle holds at most {MAX_MEMBERS} communiqués", code="bundle_full")
    access = await comms_access(session, communique_id, caller)
    await _require_joinable(session, access)
    session.add(
        ReleaseBundleMember(
            bundle_id=bundle.id,
            communique_id=access.id,
            position=max((m.position for m in await _positions(session, bundle.id)), default=-1) + 1,
            added_by=caller.username,
            added_party=caller.party,
            added_at=now,
        )
    )
    await session.flush()
    at = bundle.embargo_at
    if at is not None:
        release = await _open_member_release(session, access, bundle, at, caller, now)
        await record(
            session,
            action="propose",
            release=release,
            actor=caller.username,
            party=caller.party,
            now=now,
            bundle=bundle.id,
        )
    await _audit(session, bundle.bundle, action="add", caller=caller, now=now, communique=access.id)
    return await get_bundle(session, bundle.id, caller)


async def _positions(session: AsyncSession, bundle_id: int) -> list[ReleaseBundleMember]:
    return list(
        (await session.execute(select(ReleaseBundleMember).where(ReleaseBundleMember.bundle_id == bundle_id)))
        .scalars()
        .all()
    )


async def remove_bundle_member(
    session: AsyncSession, *, bundle_id: int, caller: Caller, communique_id: int, reason: str, now: datetime
) -> Bundle:
    """A comms officer of a party taking part in the member takes it out of a bundle not scheduled yet;
    its release in negotiation, if any, is cancelled (audited reason)."""
    reason = reason_text(reason)
    bundle = await get_bundle(session, bundle_id, caller, lock=True)
    _require_comms(bundle)
    _require_negotiable(bundle, await bundle.waiting(session), "removed")
    member = next((m for m in bundle.members if m.access.id == communique_id), None)
    if member is None or not member.access.joined:
        raise NotFoundError(f"no communiqué {communique_id} in bundle {bundle_id}")
    if member.release is not None:
        await cancel_member(session, member.access, member.release, caller=caller, reason=reason, now=now)
    row = await session.get(ReleaseBundleMember, (bundle.id, communique_id))
    assert row is not None
    await session.delete(row)
    await session.flush()
    await _audit(
        session, bundle.bundle, action="remove", caller=caller, now=now, communique=communique_id, reason=reason
    )
    bundle.members.remove(member)  # the caller's party may take part in no member any more: no re-read
    return bundle


async def _open_member_release(
    session: AsyncSession, access: Access, bundle: Bundle, at: datetime, caller: Caller, now: datetime
) -> Release:
    release = Release(
        communique_id=access.id,
        bundle_id=bundle.id,
        state=ReleaseState.PROPOSED,
        embargo_at=at,
        proposed_by=caller.username,
        proposed_party=caller.party,
        created_at=now,
    )
    session.add(release)
    await session.flush()
    responses = []
    if caller.party in access.accepted_parties:
        responses.append(upsert_response([], release, caller.party, ResponseDecision.ACCEPTED, caller.username, now))
        session.add(responses[0])
    settle(release, responses, access.accepted_parties, now)
    session.add(release)
    await session.flush()
    return release


async def propose_bundle(
    session: AsyncSession, *, bundle_id: int, caller: Caller, at: datetime, now: datetime
) -> Bundle:
    """Propose the bundle's instant: every member gets a release at it; the caller's party accepts it."""
    bundle = await get_bundle(session, bundle_id, caller, lock=True)
    _require_comms(bundle)
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
        member.release = await _open_member_release(session, member.access, bundle, at, caller, now)
        await record(
            session,
            action="propose",
            release=member.release,
            actor=caller.username,
            party=caller.party,
            now=now,
            bundle=bundle.id,
        )
        if member.release.state == ReleaseState.AGREED:
            await record(
                session,
                action="agree",
                release=member.release,
                actor=caller.username,
                party=caller.party,
                now=now,
                bundle=bundle.id,
            )
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
    _require_comms(bundle)
    if caller.party != party:
        raise PermissionDeniedError(f"only a comms officer of {party} may answer for it", code="wrong_party")
    at = require_instant(at)
    state = _require_negotiable(bundle, await bundle.waiting(session), "answered")
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
        await record(
            session,
            action="accept" if decision is ReleaseDecision.ACCEPT else "counter",
            release=release,
            actor=caller.username,
            party=party,
            now=now,
            bundle=bundle.id,
            **details,
        )
        if agreed:
            await record(
                session, action="agree", release=release, actor=caller.username, party=party, now=now, bundle=bundle.id
            )
    return bundle


async def schedule_bundle(session: AsyncSession, *, bundle_id: int, caller: Caller, now: datetime) -> Bundle:
    """Schedule every member at the agreed instant (or resume a held bundle), all or none: a member
    whose quorum is not complete refuses the whole bundle (409 naming it)."""
    bundle = await get_bundle(session, bundle_id, caller, lock=True)
    _require_comms(bundle)
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
        raise _state_conflict(state, f"the bundle is {state} already")
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
    _require_comms(bundle)
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
    _require_comms(bundle)
    require_lift_allowed(policy, caller, lead=bundle.bundle.lead)
    state = bundle.state(await bundle.waiting(session))
    if state is not BundleState.SCHEDULED:
        raise ConflictError(f"the bundle is {state}: only a scheduled one can be lifted", code="release_not_scheduled")
    if any(is_public(r, now) for _, r in bundle.releases):
        raise ConflictError("the embargo has passed already", code="release_public")
    for _, release in bundle.releases:
        await lift_member(session, release, caller=caller, reason=reason, now=now, policy=policy)
    return bundle


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
            .where(
                Release.bundle_id == bundle_id,
                col(Release.state).in_(PUBLIC_STATES),
                Release.embargo_at <= now,
            )
            .order_by(col(Release.communique_id))
        )
    ).all()
    if row is None or not rows:
        raise NotFoundError(f"no public bundle {bundle_id}")
    return PublicBundle(id=bundle_id, title=row.title, embargo_at=rows[0][1], members=[cid for cid, _ in rows])
