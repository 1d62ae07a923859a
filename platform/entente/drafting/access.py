"""Who may see a communiqué at all, and reading its rows: the container gate of ``disclosure.py``.

A communiqué exists, for a caller, only when the caller's party is on its roster (invited or
accepted) and the caller holds a reading role; otherwise every path answers the same
``NotFoundError`` a missing communiqué answers. An invited party sees the communiqué's metadata
(to decide whether to take part); its text only once it accepted (``admitted``). Item markings are
then decided by :func:`entente.disclosure.may_see` with that ``admitted`` flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import disclosure
from entente.auth import Caller
from entente.disclosure import Marking, Viewer
from entente.drafting.versions import SECTION, Item, StoredItem, decode_item
from entente.errors import NotFoundError, PermissionDeniedError
from entente.models import Communique, CommuniqueParticipant, CommuniqueVersion, Role, VersionItem

__all__ = [
    "EDIT_ROLES",
    "READ_ROLES",
    "Access",
    "find_version",
    "get_access",
    "get_version",
    "items_of",
    "find_versions",
    "load_items",
    "load_items_of",
    "not_found",
    "require_admitted",
    "require_editor",
    "visible_items",
]

READ_ROLES = (Role.DRAFTER, Role.COMMS, Role.SIGNATORY, Role.SECRETARIAT, Role.OVERSIGHT)
EDIT_ROLES = (Role.DRAFTER, Role.SECRETARIAT)


def not_found(communique_id: int) -> NotFoundError:
    """The one answer for "no such communiqué" and "not yours to see"."""
    return NotFoundError(f"no communiqué {communique_id}")


@dataclass
class Access:
    """A communiqué as one caller may reach it."""

    communique: Communique
    participants: list[CommuniqueParticipant]
    caller: Caller

    @property
    def id(self) -> int:
        assert self.communique.id is not None
        return self.communique.id

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.caller.party)

    @property
    def joined(self) -> bool:
        """The caller's party accepted to take part (it may still await the agreed release instant)."""
        return any(p.party == self.caller.party and p.accepted for p in self.participants)

    @property
    def admitted(self) -> bool:
        """The caller's party may read the text: it joined and accepted the release instant if it had to."""
        return any(p.party == self.caller.party and p.accepted and not p.awaits_instant for p in self.participants)

    @property
    def roster(self) -> set[str]:
        return {p.party for p in self.participants}

    @property
    def accepted_parties(self) -> list[str]:
        return sorted(p.party for p in self.participants if p.accepted)

    def may_see(self, marking: Marking) -> bool:
        return disclosure.may_see(marking, self.viewer, admitted=self.admitted)


async def get_access(session: AsyncSession, communique_id: int, caller: Caller, *, lock: bool = False) -> Access:
    """The communiqué if the caller's party is on its roster; ``lock`` serialises writers on it.

    On PostgreSQL ``lock`` takes ``SELECT ... FOR UPDATE`` on the communiqué row (re-read after
    the wait, so a writer always starts from the latest head); SQLite transactions already begin
    ``IMMEDIATE``, which serialises writers for the whole database.
    """
    if not caller.has_role(*READ_ROLES):
        raise not_found(communique_id)
    query = (
        select(Communique, CommuniqueParticipant)
        .join(CommuniqueParticipant, col(CommuniqueParticipant.communique_id) == col(Communique.id))
        .where(Communique.id == communique_id)
        .order_by(col(CommuniqueParticipant.invited_at), col(CommuniqueParticipant.party))
    )
    if lock:
        query = query.with_for_update(of=Communique).execution_options(populate_existing=True)
    rows = (await session.execute(query)).all()
    if not rows:
        raise not_found(communique_id)
    communique = rows[0][0]
    participants = [row[1] for row in rows]
    access = Access(communique, participants, caller)
    if caller.party not in access.roster:
        raise not_found(communique_id)
    return access


def require_admitted(access: Access) -> Access:
    """Text needs acceptance: before it, the communiqué's versions answer like missing ones."""
    if not access.admitted:
        raise not_found(access.id)
    return access


def require_editor(access: Access) -> Access:
    require_admitted(access)
    if not access.caller.has_role(*EDIT_ROLES):
        raise PermissionDeniedError("editing needs the drafter role", code="role_required")
    return access


async def find_version(session: AsyncSession, communique_id: int, ref: int | str) -> CommuniqueVersion | None:
    """A version by number or by digest, within one communiqué."""
    query = select(CommuniqueVersion).where(CommuniqueVersion.communique_id == communique_id)
    if isinstance(ref, int):
        query = query.where(CommuniqueVersion.number == ref)
    else:
        query = query.where(CommuniqueVersion.digest == ref)
    return (await session.execute(query)).scalar_one_or_none()


async def get_version(session: AsyncSession, access: Access, ref: int | str) -> CommuniqueVersion:
    require_admitted(access)
    version = await find_version(session, access.id, ref)
    if version is None:
        raise NotFoundError(f"no version {ref} of communiqué {access.id}")
    return version


_ITEM_COLUMNS = (
    col(VersionItem.part),
    col(VersionItem.item_id),
    col(VersionItem.disclosure),
    col(VersionItem.marking),
    col(VersionItem.origin),
    col(VersionItem.content_hash),
    col(VersionItem.digest),
    col(VersionItem.marking_disclosure),
)


async def load_items(session: AsyncSession, version_id: int) -> tuple[list[StoredItem], list[StoredItem]]:
    """The sections and annex items of a version, in order."""
    return (await load_items_of(session, [version_id]))[version_id]


async def load_items_of(
    session: AsyncSession, version_ids: Sequence[int]
) -> dict[int, tuple[list[StoredItem], list[StoredItem]]]:
    """The sections and annex items of several versions, in one query."""
    found: dict[int, tuple[list[StoredItem], list[StoredItem]]] = {vid: ([], []) for vid in version_ids}
    rows = (
        await session.execute(
            sa.select(col(VersionItem.version_id), *_ITEM_COLUMNS)
            .where(VersionItem.version_id.in_(sorted(set(version_ids))))  # type: ignore[attr-defined]
            .order_by(col(VersionItem.version_id), col(VersionItem.part), col(VersionItem.position))
        )
    ).all()
    for row in rows:
        sections, annex = found[row[0]]
        (sections if row[1] == SECTION else annex).append(decode_item(*row[1:]))
    return found


async def find_versions(session: AsyncSession, communique_id: int, digest: str, number: int) -> list[CommuniqueVersion]:
    """The version with ``digest`` and the one numbered ``number`` (one or two rows, one query)."""
    query = select(CommuniqueVersion).where(
        CommuniqueVersion.communique_id == communique_id,
        sa.or_(col(CommuniqueVersion.digest) == digest, col(CommuniqueVersion.number) == number),
    )
    return list((await session.execute(query)).scalars().all())


def visible_items(access: Access, items: Sequence[StoredItem]) -> list[StoredItem]:
    """The one filter every read of items goes through."""
    return disclosure.visible(items, access.viewer, lambda s: s.item.marking, admitted=access.admitted)


def items_of(stored: Sequence[StoredItem]) -> list[Item]:
    return [s.item for s in stored]
