"""A package's chain: the package, the one it supersedes, the one superseding it, and so on.

A released package is never edited. Its designations are reviewed by a *successor*: a new sanctions
package that supersedes it and carries every designation as it then stood (effective instant,
review date), where the drafters renew, amend or lift them and add new ones. The successor is
signed off and released like any communiqué; at its release instant what it says takes effect.

The in-force record (:func:`.lifecycle.release_record`) is computed from the chain's released
packages and their release instants whenever it is read; nothing is copied into a register that
could drift from what was signed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import audit, disclosure, drafting, releases
from entente.auth import Caller
from entente.disclosure import Marking, Viewer
from entente.drafting.versions import ANNEX, Item, StoredItem, make_item
from entente.errors import ConflictError, NotFoundError, PermissionDeniedError
from entente.ladder import Ladder
from entente.models import Communique, CommuniqueState

from .annex import assemble
from .lifecycle import release_record, standing_of, version_at
from .model import ANNEX_KIND, Designation
from .packages import Package, get_package

__all__ = ["Chain", "chain_ids", "load_chain", "supersede_package"]


@dataclass(frozen=True)
class Chain:
    """A package's chain as one caller sees it: every id (oldest first), the packages it may reach,
    the released ones with their instants, and the in-force record (from what it may see of the
    packages it reaches, and the public part of released ones it does not take part in)."""

    ids: list[int]
    packages: dict[int, Package]
    released: dict[int, datetime]
    record: dict[str, list[Designation]]

    def standing(self, designation_id: str, at: datetime) -> Designation | None:
        """The version of the record that applied at ``at`` (None: not released by then)."""
        history = self.record.get(designation_id)
        return version_at(history, at) if history else None

    def _shown(self, package_id: int) -> int | None:
        """A chain member the caller may know of: one it takes part in, or one released (public)."""
        return package_id if package_id in self.packages or package_id in self.released else None

    def successor_of(self, package_id: int) -> int | None:
        index = self.ids.index(package_id)
        return self._shown(self.ids[index + 1]) if index + 1 < len(self.ids) else None

    def predecessor_of(self, package_id: int) -> int | None:
        index = self.ids.index(package_id)
        return self._shown(self.ids[index - 1]) if index > 0 else None

    @property
    def latest_released(self) -> Package | None:
        found = [self.packages[i] for i in self.ids if i in self.packages and i in self.released]
        return found[-1] if found else None

    @property
    def open_successor(self) -> Package | None:
        """The newest package, when the caller takes part in it, it is not released yet and it
        supersedes a released one."""
        last = self.packages.get(self.ids[-1])
        if last is None or last.id in self.released or last.communique.supersedes_id is None:
            return None
        return last


async def chain_ids(session: AsyncSession, communique_id: int) -> list[int]:
    """Every communiqué of the chain through ``communique_id``, oldest first (withdrawn successors left out)."""
    back: list[int] = []
    current: int | None = communique_id
    while current is not None and current not in back:
        back.append(current)
        current = await session.scalar(select(Communique.supersedes_id).where(Communique.id == current))
    ids = list(reversed(back))
    while True:
        found = await drafting.find_successor(session, ids[-1])
        if found is None or found.id is None or found.id in ids:
            return ids
        ids.append(found.id)


async def _public_designations(session: AsyncSession, communique_id: int) -> list[Designation]:
    """What anyone may see of a released package's designations (its public annex items)."""
    communique = await session.get(Communique, communique_id)
    assert communique is not None
    annex = await _head_annex(session, communique)
    return [p.designation for p in assemble(disclosure.visible(annex, Viewer.public(), _marking, admitted=True))]


def _marking(stored: StoredItem) -> Marking:
    return stored.item.marking


async def load_chain(session: AsyncSession, package: Package, *, now: datetime, ladder: Ladder) -> Chain:
    """The chain through ``package`` as its caller may see it, with the in-force record as of ``now``'s releases."""
    ids = await chain_ids(session, package.id)
    packages: dict[int, Package] = {package.id: package}
    for package_id in ids:
        if package_id in packages:
            continue
        try:
            packages[package_id] = await get_package(session, package_id, package.access.caller)
        except NotFoundError:
            continue  # a package of the chain the caller's party does not take part in
    released = await releases.public_instants(session, ids, now)
    sources: list[tuple[datetime, list[Designation]]] = []
    for package_id, at in released.items():
        if package_id in packages:
            sources.append((at, [placed.designation for placed in packages[package_id].designations]))
        else:
            sources.append((at, await _public_designations(session, package_id)))
    record = {}
    if any(designations for _, designations in sources):
        record = release_record(sources, review_days=package.tier(ladder).review_days)
    return Chain(ids, packages, released, record)


# --- superseding a released package --------------------------------------------------------------


async def _head_annex(session: AsyncSession, communique: Communique) -> list[StoredItem]:
    """A package's head annex as stored (every item, whoever may see it): filter before showing it."""
    assert communique.id is not None
    version = await drafting.find_version(session, communique.id, communique.head_number)
    assert version is not None and version.id is not None
    return (await drafting.load_items(session, version.id))[1]


async def _stored_designations(session: AsyncSession, communique: Communique) -> tuple[list[Item], list[Designation]]:
    """A package's head annex items and designations as stored. Server-side only: used to carry items
    into a successor, never shown to a caller."""
    items = [stored.item for stored in await _head_annex(session, communique)]
    designations = [Designation.from_annex_content(i.value["content"]) for i in items if i.value["kind"] == ANNEX_KIND]
    return items, designations


async def supersede_package(
    session: AsyncSession,
    *,
    package_id: int,
    caller: Caller,
    title: str | None,
    now: datetime,
    ladder: Ladder,
) -> Package:
    """Start the successor of a released package: every designation carried as it now stands in the
    record (effective instant, review date, lifted or not), with its evidence and markings."""
    package = await get_package(session, package_id, caller, lock=True)
    if not caller.has_role(*drafting.EDIT_ROLES):
        raise PermissionDeniedError("starting a successor package needs the drafter role", code="role_required")
    ids = await chain_ids(session, package.id)
    released = await releases.public_instants(session, ids, now)
    if package.id not in released:
        raise ConflictError(
            f"sanctions package {package.id} is not released: change its designations in the package itself",
            code="package_not_released",
        )
    communiques = {
        c.id: c
        for c in (await session.execute(select(Communique).where(Communique.id.in_(ids)))).scalars()  # type: ignore[union-attr]
    }
    stored: dict[int, tuple[list[Item], list[Designation]]] = {}
    for cid in ids:
        if cid in released:
            stored[cid] = await _stored_designations(session, communiques[cid])
    record = release_record(
        ((released[cid], stored[cid][1]) for cid in stored), review_days=package.tier(ladder).review_days
    )
    annex: list[Item] = []
    for item in stored[package.id][0]:
        if item.value["kind"] == ANNEX_KIND:
            carried = Designation.from_annex_content(item.value["content"])
            snapshot = standing_of(carried, record[carried.id][-1])
            item = make_item(
                ANNEX, item.id, {"kind": ANNEX_KIND, "content": snapshot.to_annex_content()}, item.marking, item.origin
            )
        annex.append(item)
    communique, version = await drafting.create_successor(
        session,
        predecessor=package.access,
        caller=caller,
        title=title if title is not None else package.communique.title,
        annex=annex,
        now=now,
    )
    await audit.record_by(
        session,
        caller,
        "sanctions:package:supersede",
        f"communique:{communique.id}",
        at=now,
        details={"supersedes": package.id, "digest": version.digest, "released_at": released[package.id].isoformat()},
    )
    assert communique.id is not None
    return await get_package(session, communique.id, caller)


def require_not_frozen(package: Package) -> None:
    """Designations of a scheduled or released package change only through a successor."""
    if not CommuniqueState(package.communique.state).editable:
        raise ConflictError(
            f"sanctions package {package.id} is {package.communique.state}: its designations change only through "
            f"a successor package (POST /api/v1/sanctions/packages/{package.id}/successor once it is released)",
            code="communique_frozen",
        )
