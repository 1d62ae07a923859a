"""Reading sanctions packages: what was in force at an instant, the coordination grid, reviews, exports.

Everything here starts from :func:`.packages.get_package` / drafting's version reads, so every item
went through drafting's disclosure filter first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import drafting
from entente.auth import Caller
from entente.disclosure import Viewer
from entente.drafting.access import load_items_of
from entente.models import CommuniqueVersion

from .eu_fsf import export_eu_xml
from .flat_csv import export_csv
from .lifecycle import DEFAULT_REVIEW_NOTICE, due_for_review, in_force_on
from .model import Designation
from .ofac_sdn import export_ofac_xml
from .packages import Package, PlacedDesignation, assemble, package_designations

__all__ = ["ExportFormat", "as_of", "coordination", "export_package", "reviews_due"]


class ExportFormat(StrEnum):
    EU_XML = "eu-xml"
    OFAC_XML = "ofac-xml"
    CSV = "csv"

    @property
    def media_type(self) -> str:
        return "text/csv" if self is ExportFormat.CSV else "application/xml"


async def as_of(session: AsyncSession, package: Package, at: datetime) -> list[Designation]:
    """The designations in force at ``at``, from the versions of the package the caller may see."""
    versions = list(
        (
            await session.execute(
                select(CommuniqueVersion.id).where(CommuniqueVersion.communique_id == package.id)  # type: ignore[call-overload]
            )
        ).scalars()
    )
    loaded = await load_items_of(session, versions)
    histories: dict[str, dict[int, Designation]] = {}
    for _, annex in loaded.values():
        for placed in assemble(drafting.visible_items(package.access, annex)):
            d = placed.designation
            histories.setdefault(d.id, {}).setdefault(d.version, d)
    return in_force_on([list(h.values()) for h in histories.values()], at)


@dataclass(frozen=True)
class CoordinationRow:
    designation: PlacedDesignation
    states: dict[str, str | None]


def coordination(package: Package) -> tuple[list[str], list[CoordinationRow]]:
    """Designations against the participating parties, with each party's adoption state (None: no position)."""
    parties = package.access.accepted_parties
    rows = []
    for placed in package.designations:
        states: dict[str, str | None] = {}
        for party in parties:
            position = placed.designation.position(party)
            states[party] = position.state.value if position is not None else None
        rows.append(CoordinationRow(placed, states))
    return parties, rows


async def reviews_due(
    session: AsyncSession, caller: Caller, now: datetime, *, within: timedelta = DEFAULT_REVIEW_NOTICE
) -> list[tuple[Package, Designation]]:
    """Designations in effect due for review by ``now + within`` across the caller's packages, soonest first."""
    found = await package_designations(session, caller)
    where = {id(placed.designation): package for package, placed in found}
    due = due_for_review([placed.designation for _, placed in found], now, within=within)
    return [(where[id(d)], d) for d in due]


def export_package(package: Package, fmt: ExportFormat, *, public: bool, now: datetime) -> bytes:
    """The package as the caller may see it (its evidence included), or only its public part."""
    if public:
        chosen = [p.designation for p in package.designations if p.marking.public]
        evidence = False
    else:
        chosen = [p.designation for p in package.designations]
        evidence = True
    viewer = Viewer(package.access.caller.party)
    if fmt is ExportFormat.CSV:
        return export_csv(chosen, include_evidence=evidence, viewer=viewer)
    if fmt is ExportFormat.EU_XML:
        return export_eu_xml(chosen, generated_at=now, include_evidence=evidence, viewer=viewer)
    return export_ofac_xml(chosen, generated_at=now, include_evidence=evidence, viewer=viewer)
