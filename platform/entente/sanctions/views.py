"""Reading sanctions packages: what was in force at an instant, the coordination grid, reviews, exports.

Everything here starts from :func:`.packages.get_package` / drafting's version reads, so every item
went through drafting's disclosure filter first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from entente import incidents
from entente.auth import Caller
from entente.disclosure import Viewer
from entente.ladder import Ladder

from .chains import Chain, load_chain
from .eu_fsf import export_eu_xml
from .flat_csv import export_csv
from .lifecycle import DEFAULT_REVIEW_NOTICE, due_for_review
from .model import Designation
from .ofac_sdn import export_ofac_xml
from .packages import Package, PlacedDesignation, find_designation, get_package, list_package_ids
from .parts import ReviewStep

__all__ = ["ExportFormat", "Review", "coordination", "export_package", "reviews_due"]


class ExportFormat(StrEnum):
    EU_XML = "eu-xml"
    OFAC_XML = "ofac-xml"
    CSV = "csv"

    @property
    def media_type(self) -> str:
        return "text/csv" if self is ExportFormat.CSV else "application/xml"


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


@dataclass(frozen=True)
class Review:
    """A designation in effect due for review: the latest released package holding it, where it stands,
    and the open successor package (with the step it records, if any) where the review is being drafted;
    ``exit_ramps``: the ladder's exit ramps for the tier the measures were taken at, met or not, on the
    package's incident (what the review weighs: lifting is on the table once a ramp is met)."""

    package: Package
    designation: Designation
    successor: Package | None
    step: ReviewStep | None
    exit_ramps: tuple[incidents.RampStatus, ...] = ()


async def reviews_due(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    *,
    ladder: Ladder,
    within: timedelta = DEFAULT_REVIEW_NOTICE,
) -> list[Review]:
    """Designations in effect due for review by ``now + within`` across the caller's chains, soonest first."""
    reviews: list[Review] = []
    seen: set[int] = set()
    for package_id in await list_package_ids(session, caller):
        if package_id in seen:
            continue
        package = await get_package(session, package_id, caller)
        chain = await load_chain(session, package, now=now, ladder=ladder)
        seen.update(chain.ids)
        latest = chain.latest_released
        if latest is None:
            continue
        successor = chain.open_successor
        standing = [h for h in (chain.standing(p.designation.id, now) for p in latest.designations) if h is not None]
        communique = latest.communique
        ramps: tuple[incidents.RampStatus, ...] = ()
        if communique.incident_id is not None and communique.tier is not None:
            ramps = await incidents.ramps_for_measures(
                session, incident_id=communique.incident_id, caller=caller, ladder=ladder, tier=communique.tier
            )
        for d in due_for_review(standing, now, within=within):
            placed = find_designation(successor.designations, d.id) if successor is not None else None
            step = placed.designation.step if placed is not None else None
            reviews.append(Review(latest, d, successor, step, ramps))
    return sorted(reviews, key=lambda r: (r.designation.review_at, r.package.id, r.designation.id))


def export_package(package: Package, fmt: ExportFormat, *, public: bool, now: datetime, chain: Chain) -> bytes:
    """The package as the caller may see it (its evidence included), or only its public part; once the
    package is released, each designation as its release made it (effective instant, review date)."""
    placed = [p for p in package.designations if p.marking.public] if public else list(package.designations)
    released_at = chain.released.get(package.id)
    chosen = [
        (chain.standing(p.designation.id, released_at) if released_at is not None else None) or p.designation
        for p in placed
    ]
    evidence = not public
    viewer = Viewer(package.access.caller.party)
    if fmt is ExportFormat.CSV:
        return export_csv(chosen, include_evidence=evidence, viewer=viewer)
    if fmt is ExportFormat.EU_XML:
        return export_eu_xml(chosen, generated_at=now, include_evidence=evidence, viewer=viewer)
    return export_ofac_xml(chosen, generated_at=now, include_evidence=evidence, viewer=viewer)
