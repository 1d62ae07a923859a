"""What every release step shares: the open release, instants, the comms-officer gate, agreement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit, drafting
from entente.auth import Caller, require_role
from entente.clock import check_instant, isoformat
from entente.drafting.access import Access
from entente.errors import ConflictError, NotFoundError, PermissionDeniedError
from entente.models import Release, ReleaseBundleMember, ReleaseResponse, ReleaseState, Role

__all__ = [
    "PUBLIC_STATES",
    "find_bundle_of",
    "comms_access",
    "find_open_release",
    "is_public",
    "load_responses",
    "public_at",
    "record",
    "require_future",
    "require_instant",
    "require_open_release",
    "settle",
    "waiting_for",
]

PUBLIC_STATES = (ReleaseState.SCHEDULED, ReleaseState.RELEASED)


def is_public(release: Release, now: datetime) -> bool:
    """The release predicate: scheduled or released, and the instant has come (held/cancelled never)."""
    return release.state in PUBLIC_STATES and now >= release.embargo_at


def public_at(now: datetime) -> sa.ColumnElement[bool]:
    """:func:`is_public` as a query condition on ``Release``."""
    return sa.and_(col(Release.state).in_(PUBLIC_STATES), col(Release.embargo_at) <= now)


def require_instant(at: datetime, *, field: str = "/at") -> datetime:
    """An instant with an offset, in UTC (the one rule, :func:`entente.clock.check_instant`)."""
    return check_instant(at, field=field)


def require_future(at: datetime, now: datetime, *, field: str = "/at") -> datetime:
    """An instant strictly after ``now`` (409 ``instant_not_in_future`` otherwise)."""
    at = require_instant(at, field=field)
    if at <= now:
        raise ConflictError(
            f"the embargo instant {isoformat(at)} is not in the future (now {isoformat(now)})",
            code="instant_not_in_future",
            field=field,
        )
    return at


async def comms_access(session: AsyncSession, communique_id: int, caller: Caller) -> Access:
    """The communiqué, locked, for a comms officer of a party that takes part in it (accepted; a party
    that joined after agreement negotiates before it may read the text).

    A caller who may not reach the communiqué gets the same 404 as for a missing one.
    """
    access = await drafting.get_access(session, communique_id, caller, lock=True)
    require_role(caller, Role.COMMS)
    if not access.joined:
        raise PermissionDeniedError(
            f"{caller.party} has not accepted to take part in this communiqué", code="not_participating"
        )
    return access


def admit(session: AsyncSession, access: Access, parties: Sequence[str] | None = None) -> None:
    """Parties that joined after agreement read the text once they accepted an instant (``parties``),
    or once there is no agreed instant left to bind them (``None``: every party, on cancel)."""
    for participant in access.participants:
        if participant.awaits_instant and (parties is None or participant.party in parties):
            participant.awaits_instant = False
            session.add(participant)


async def find_open_release(session: AsyncSession, communique_id: int) -> Release | None:
    """The communiqué's release that is not cancelled, if any (at most one)."""
    query = (
        select(Release)
        .where(Release.communique_id == communique_id, Release.state != ReleaseState.CANCELLED)
        .order_by(Release.id.desc())  # type: ignore[union-attr]
        .limit(1)
    )
    return (await session.execute(query)).scalars().first()


async def find_bundle_of(session: AsyncSession, communique_id: int) -> int | None:
    """The bundle the communiqué is a member of, if any (at most one)."""
    query = select(ReleaseBundleMember.bundle_id).where(ReleaseBundleMember.communique_id == communique_id).limit(1)
    return (await session.execute(query)).scalar()


async def require_open_release(session: AsyncSession, communique_id: int) -> Release:
    release = await find_open_release(session, communique_id)
    if release is None:
        raise NotFoundError(f"communiqué {communique_id} has no release in negotiation", code="no_release")
    return release


async def load_responses(session: AsyncSession, release_id: int) -> list[ReleaseResponse]:
    query = select(ReleaseResponse).where(ReleaseResponse.release_id == release_id).order_by(ReleaseResponse.party)
    return list((await session.execute(query)).scalars().all())


def waiting_for(release: Release, responses: Sequence[ReleaseResponse], parties: Sequence[str]) -> list[str]:
    """The accepted participating parties that have not accepted the current instant."""
    accepted = {r.party for r in responses if r.instant == release.embargo_at}
    return sorted(set(parties) - accepted)


def settle(release: Release, responses: Sequence[ReleaseResponse], parties: Sequence[str], now: datetime) -> bool:
    """Move a release in negotiation to ``agreed`` when every party accepted the current instant, or
    back to ``proposed`` when one has not (a party that joined later); True when it became agreed."""
    if release.state not in (ReleaseState.PROPOSED, ReleaseState.AGREED):
        return False
    if waiting_for(release, responses, parties):
        release.state, release.agreed_at = ReleaseState.PROPOSED, None
        return False
    was = release.state
    release.state = ReleaseState.AGREED
    release.agreed_at = release.agreed_at or now
    return was != ReleaseState.AGREED


async def record(
    session: AsyncSession,
    *,
    action: str,
    release: Release,
    actor: str,
    party: str | None,
    now: datetime,
    **details: object,
) -> None:
    """Audit ``releases:release:<action>`` on the communiqué, in the caller's transaction."""
    await audit.record(
        session,
        at=now,
        actor=actor,
        party=party,
        event=f"releases:release:{action}",
        object=f"communique:{release.communique_id}",
        details={"release": release.id, "state": release.state, "embargo_at": isoformat(release.embargo_at), **details},
    )
