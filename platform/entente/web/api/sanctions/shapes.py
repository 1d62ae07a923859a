"""Shared pieces of the sanctions API: paths, path segments and the public shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from entente import clock
from entente.models import (
    DesignationPublic,
    MarkingPublic,
    PackagePublic,
    StandingPublic,
    TransliterationSuggestionPublic,
    VersionRef,
)
from entente.sanctions import Designation
from entente.sanctions.chains import Chain, load_chain
from entente.sanctions.lifecycle import is_in_force
from entente.sanctions.packages import Package
from entente.web.bodies import from_fields, json_response
from entente.web.context import Context

API = "/api/v1"
BASE = f"{API}/sanctions/packages"
ONE = f"{BASE}/{{package}}"
DESIGNATION = f"{ONE}/designations/{{designation}}"
TAG = "sanctions"
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def parse_instant(text: str, field: str) -> datetime:
    return clock.parse_instant(text, field=field)


def standing_public(standing: Designation | None, now: datetime) -> StandingPublic | None:
    if standing is None or standing.effective_at is None or standing.version_at is None:
        return None
    in_force = is_in_force(standing, now)
    return from_fields(StandingPublic, standing, since=standing.version_at, in_force=in_force)


def designation_public(
    designation: Designation, item: str, marking: Any, standing: StandingPublic | None = None
) -> DesignationPublic:
    return DesignationPublic(
        item=item,
        marking=MarkingPublic.model_validate(marking.to_dict()),
        designation=designation.to_annex_content(),
        standing=standing,
        suggestions=[
            TransliterationSuggestionPublic(pointer=s.pointer, value=s.value.model_dump(mode="json", exclude_none=True))
            for s in designation.transliteration_suggestions()
        ],
    )


def package_public(
    package: Package,
    chain: Chain,
    *,
    now: datetime,
    at: datetime | None = None,
    chosen: list[Designation] | None = None,
) -> PackagePublic:
    """The package as its caller sees it; each designation with where it stands now (``chosen``: the
    versions in force at ``at`` instead)."""
    c = package.communique
    # A designation shown as of an instant may come from another package of the chain: its marking
    # there, this package's when it holds it too.
    placed = {p.designation.id: p for member in [*chain.packages.values(), package] for p in member.designations}
    if chosen is None:
        shown = [
            designation_public(
                p.designation, p.item_id, p.marking, standing_public(chain.standing(p.designation.id, now), now)
            )
            for p in package.designations
        ]
    else:
        shown = [
            designation_public(d, placed[d.id].item_id, placed[d.id].marking, standing_public(d, at or now))
            for d in chosen
        ]
    return from_fields(
        PackagePublic,
        c,  # its title, lead, state and tier
        id=package.id,
        incident=c.incident_id,
        head=VersionRef(number=c.head_number, digest=c.head_digest) if c.head_digest else None,
        parties=package.access.accepted_parties,
        supersedes=c.supersedes_id,
        superseded_by=chain.successor_of(package.id),
        released_at=chain.released.get(package.id),
        as_of=at,
        designations=shown,
        withheld=package.view.withheld.annex,
    )


async def package_answer(
    ctx: Context, session: AsyncSession, package: Package, *, status: int = 200, **extra: Any
) -> web.Response:
    """The JSON answer for a package: loads its chain for the record."""
    chain = await load_chain(session, package, now=ctx.now, ladder=ctx.ladder)
    return json_response(package_public(package, chain, now=ctx.now), status=status, **extra)


def limits(ctx: Context) -> dict[str, Any]:
    """The instant and the section limit every package write takes."""
    return {"now": ctx.now, "max_sections": ctx.settings.limits.max_sections}
