"""Sanctions packages on the server: a communiqué of kind ``sanctions_package`` whose annex holds designations.

Every change is a NEW communiqué version saved through :func:`entente.drafting.save_version` (with
the head as the edited version), so history, merging, markings and sign-off work as for any
communiqué; nothing here writes version rows or deletes anything.

How designations, their evidence and their links are stored as annex items is :mod:`.annex`. A
reader's designation is reassembled from the items it may see: a designation it may not see does
not exist for it (404 like a missing one); evidence and links it may not see are simply absent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entente import audit, drafting
from entente.auth import Caller, require_party_role, require_role
from entente.disclosure import Marking
from entente.errors import ConflictError, InvalidInputError, NotFoundError
from entente.incidents import access as incident_access
from entente.incidents.decisions import current_decisions, has_legal_clearance
from entente.ladder import Ladder, ResponseCategory, Tier
from entente.models import Communique, CommuniqueCreate, CommuniqueKind, Role, VersionSave

from .annex import EVIDENCE_KIND, LinkKey, PlacedDesignation, assemble, rewrite
from .lifecycle import check_measures
from .matching import DUPLICATE_SCORE, MATCH_THRESHOLD, find_matches, match
from .model import Designation

__all__ = [
    "EVIDENCE_KIND",
    "Package",
    "PlacedDesignation",
    "create_package",
    "find_designation",
    "get_package",
    "link_marking",
    "list_package_ids",
    "package_designations",
    "save_designations",
]

@dataclass
class Package:
    """A sanctions package as one caller may reach it, at its head version."""

    access: drafting.Access
    view: drafting.VersionView
    designations: list[PlacedDesignation]

    @property
    def id(self) -> int:
        return self.access.id

    @property
    def communique(self) -> Communique:
        return self.access.communique

    def tier(self, ladder: Ladder) -> Tier:
        """The tier the package was started at (a package written as a plain communiqué has none)."""
        if self.communique.tier is None:
            raise ConflictError(
                f"sanctions package {self.id} was not started from an incident: no tier allows its measures; "
                "start it with POST /api/v1/incidents/{id}/sanctions-packages",
                code="sanctions_not_allowed",
            )
        return ladder.tier(self.communique.tier)

    def get(self, designation_id: str) -> PlacedDesignation:
        found = find_designation(self.designations, designation_id)
        if found is None:
            raise NotFoundError(f"no designation {designation_id} in sanctions package {self.id}")
        return found


def find_designation(placed: Sequence[PlacedDesignation], designation_id: str) -> PlacedDesignation | None:
    return next((p for p in placed if p.designation.id == designation_id), None)


async def get_package(session: AsyncSession, package_id: int, caller: Caller, *, lock: bool = False) -> Package:
    """The package at its head as the caller sees it; anything but an admitted sanctions package is 404."""
    access = drafting.require_admitted(await drafting.get_access(session, package_id, caller, lock=lock))
    if access.communique.kind != CommuniqueKind.SANCTIONS_PACKAGE:
        raise NotFoundError(f"no sanctions package {package_id}")
    view = await drafting.read_version(session, access, access.communique.head_number)
    return Package(access, view, assemble(view.annex))


async def list_package_ids(session: AsyncSession, caller: Caller) -> list[int]:
    """The sanctions packages the caller's party takes part in (accepted), by id."""
    found = await drafting.list_communiques(session, caller)
    return sorted(a.id for a in found if a.communique.kind == CommuniqueKind.SANCTIONS_PACKAGE and a.admitted)


async def package_designations(session: AsyncSession, caller: Caller) -> list[tuple[Package, PlacedDesignation]]:
    """Every designation the caller may see, across its packages."""
    out: list[tuple[Package, PlacedDesignation]] = []
    for package_id in await list_package_ids(session, caller):
        package = await get_package(session, package_id, caller)
        out.extend((package, placed) for placed in package.designations)
    return out


# --- creating a package -------------------------------------------------------------------------


async def create_package(
    session: AsyncSession,
    *,
    caller: Caller,
    incident_id: int,
    title: str,
    participants: Sequence[str],
    now: datetime,
    ladder: Ladder,
    max_sections: int,
) -> Package:
    """A package for an incident, led by the caller's party, only when that party's decided tier allows
    sanctions (409 ``sanctions_not_allowed``) and its cleared legal review of that tier is recorded
    (409 ``legal_review_required``)."""
    require_role(caller, Role.DRAFTER, Role.SECRETARIAT)
    loaded = await incident_access.load(session, incident_id, caller)
    incident_access.require_participant(caller, loaded, Role.DRAFTER)
    incident_access.require_open(loaded)
    decision = (await current_decisions(session, loaded.id)).get(caller.party)
    if decision is None:
        raise ConflictError(
            f"{caller.party} has not decided a tier for this incident",
            code="sanctions_not_allowed",
            extra={"tier": None},
        )
    tier = ladder.tier(decision.tier)
    if not ladder.allows_response(tier.number, ResponseCategory.SANCTIONS):
        raise ConflictError(
            f"tier {tier.number} ({caller.party}'s decided tier) does not allow sanctions",
            code="sanctions_not_allowed",
            extra={"tier": tier.number},
        )
    if not await has_legal_clearance(session, loaded.id, party=caller.party, tier=tier.number):
        raise ConflictError(
            f"sanctions at tier {tier.number} need a cleared legal review by {caller.party}",
            code="legal_review_required",
            extra={"tier": tier.number, "party": caller.party},
        )
    incident_access.require_taking_part(loaded, participants, field="/participants")
    data = CommuniqueCreate(
        kind=CommuniqueKind.SANCTIONS_PACKAGE, title=title, participants=list(participants), incident=loaded.id
    )
    communique, _ = await drafting.create_communique(
        session, caller=caller, data=data, now=now, max_sections=max_sections, templates={}, ladder=ladder
    )
    communique.tier = tier.number
    session.add(communique)
    await session.flush()
    await audit.record_by(
        session,
        caller,
        "sanctions:package:add",
        f"communique:{communique.id}",
        at=now,
        details={"incident": loaded.id, "tier": tier.number, "participants": list(participants)},
    )
    return await get_package(session, communique.id or 0, caller)


# --- saving designations as a new version --------------------------------------------------------


async def save_designations(
    session: AsyncSession,
    package: Package,
    *,
    caller: Caller,
    changed: Sequence[tuple[Designation, Marking | None]],
    now: datetime,
    max_sections: int,
    event: str,
    links: Mapping[LinkKey, Marking] | None = None,
) -> Package:
    """Save a new version with ``changed`` (see :func:`.annex.rewrite`; ``links``: the markings of the
    changed designations' links, when they changed). ``caller`` edits as itself; a signatory recording
    its party's adoption edits with the drafting role for that one save."""
    annex = rewrite(package.view.annex, changed, links=links, participants=package.access.accepted_parties)
    editor = caller
    if not caller.has_role(*drafting.EDIT_ROLES):
        editor = dataclasses.replace(caller, roles=caller.roles | {Role.DRAFTER})
    await drafting.save_version(
        session,
        communique_id=package.id,
        caller=editor,
        base_digest=package.communique.head_digest,
        data=VersionSave(annex=annex),
        now=now,
        max_sections=max_sections,
    )
    await audit.record_by(
        session,
        caller,
        f"sanctions:designation:{event}",
        f"communique:{package.id}",
        at=now,
        details={"designations": sorted(d.id for d, _ in changed)},
    )
    return await get_package(session, package.id, caller)


# --- checks on a designation entering a package ---------------------------------------------------


def link_marking(package: Package, linked: Package, placed: PlacedDesignation, *, author: str) -> Marking:
    """Who may see a link from a designation of ``package`` to ``placed`` in ``linked``: the parties of
    both packages that may see the linked designation there (never the public)."""
    readers = set(linked.access.accepted_parties) & set(package.access.accepted_parties)
    if not placed.marking.public:
        readers &= placed.marking.parties
    return Marking.releasable_to(readers, author=author)


def check_designation(
    package: Package,
    designation: Designation,
    *,
    ladder: Ladder,
    others: Sequence[tuple[int, Designation]],
    confirm: bool,
) -> None:
    """Measures allowed at the package's tier; never the same subject twice in one package; a probable
    duplicate (here or in another package the caller sees) needs ``confirm`` unless the drafter linked
    it (``same_as``: the same subject designated in another package)."""
    check_measures(designation, package.tier(ladder))
    here = [p.designation for p in package.designations if p.designation.id != designation.id]
    for existing in here:
        found = match(designation, existing)
        if found is not None and found.score >= DUPLICATE_SCORE:
            raise ConflictError(
                f"{designation.display_name} is already in this package as {existing.id}: {'; '.join(found.reasons)}",
                code="duplicate_designation",
                extra={"existing": existing.id, "score": found.score, "reasons": list(found.reasons)},
            )
    reachable = {(package_id, existing.id) for package_id, existing in others if package_id != package.id}
    linked = set()
    for index, link in enumerate(designation.same_as):
        if (link.package, link.designation) not in reachable:
            raise InvalidInputError(
                f"no designation {link.designation} in another sanctions package {link.package} you take part in",
                code="unknown_link",
                field=f"/designation/same_as/{index}",
            )
        linked.add((link.package, link.designation))
    if confirm:
        return
    candidates: list[dict[str, Any]] = [
        {"package": package.id, "designation": m.existing_id, "score": m.score, "reasons": list(m.reasons)}
        for m in find_matches(designation, here, threshold=MATCH_THRESHOLD)
    ]
    for package_id, existing in others:
        if package_id == package.id or (package_id, existing.id) in linked:
            continue
        found = match(designation, existing)
        if found is not None and found.score >= MATCH_THRESHOLD:
            candidates.append(
                {
                    "package": package_id,
                    "designation": existing.id,
                    "score": found.score,
                    "reasons": list(found.reasons),
                }
            )
    if candidates:
        candidates.sort(key=lambda c: (-c["score"], c["package"], c["designation"]))
        raise ConflictError(
            f"{designation.display_name} probably matches {len(candidates)} existing designation"
            f'{"s" if len(candidates) > 1 else ""}; link each that is the same subject ("same_as") '
            'or, if none is, send again with "confirm": true',
            code="probable_duplicate",
            extra={"candidates": candidates},
        )


def require_adopter(caller: Caller, party: str) -> Caller:
    """A party's adoption is recorded by that party's drafters or signatories (or the secretariat)."""
    return require_party_role(caller, party, Role.DRAFTER, Role.SIGNATORY)
