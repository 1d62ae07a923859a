"""Gathering a release bundle: which communiqués it holds (see :mod:`entente.releases.bundles`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente.auth import Caller, require_role
from entente.clock import isoformat
from entente.drafting.access import Access
from entente.errors import ConflictError, InvalidInputError, NotFoundError
from entente.models import (
    CommuniqueState,
    ReleaseBundle,
    ReleaseBundleMember,
    Role,
)
from entente.releases.bundles import Bundle, audit_bundle, get_bundle, record_member, require_comms, require_negotiable
from entente.releases.common import (
    comms_access,
    find_bundle_of,
    find_open_release,
)
from entente.releases.negotiation import open_release, require_open_communique
from entente.releases.scheduling import (
    cancel_member,
    reason_text,
)

MAX_MEMBERS = 32


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
    await audit_bundle(session, row, action="create", caller=caller, now=now, members=list(members))
    return await get_bundle(session, row.id or 0, caller)


async def add_bundle_member(
    session: AsyncSession, *, bundle_id: int, caller: Caller, communique_id: int, now: datetime
) -> Bundle:
    """A comms officer of a party of the bundle adds a communiqué its party takes part in, before the
    bundle is scheduled. If an instant is in negotiation, the new member's release is proposed at it,
    accepted by the caller's party only: the bundle is agreed again once its other parties accept."""
    bundle = await get_bundle(session, bundle_id, caller, lock=True)
    require_comms(bundle)
    require_negotiable(bundle, await bundle.waiting(session), "added")
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
        release = await open_release(session, access, at, caller, now, bundle_id=bundle.id)
        await record_member(session, bundle, release, "propose", now=now, party=caller.party)
    await audit_bundle(session, bundle.bundle, action="add", caller=caller, now=now, communique=access.id)
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
    require_comms(bundle)
    require_negotiable(bundle, await bundle.waiting(session), "removed")
    member = next((m for m in bundle.members if m.access.id == communique_id), None)
    if member is None or not member.access.joined:
        raise NotFoundError(f"no communiqué {communique_id} in bundle {bundle_id}")
    if member.release is not None:
        await cancel_member(session, member.access, member.release, caller=caller, reason=reason, now=now)
    row = await session.get(ReleaseBundleMember, (bundle.id, communique_id))
    assert row is not None
    await session.delete(row)
    await session.flush()
    await audit_bundle(
        session, bundle.bundle, action="remove", caller=caller, now=now, communique=communique_id, reason=reason
    )
    bundle.members.remove(member)  # the caller's party may take part in no member any more: no re-read
    return bundle
