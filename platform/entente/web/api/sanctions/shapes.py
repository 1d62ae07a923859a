"""Shared pieces of the sanctions API: paths, path segments and the public shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from entente import clock
from entente.appkeys import clock_key, ladder_key, settings_key
from entente.errors import NotFoundError
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
from entente.web.bodies import json_response
from entente.web.paths import parse_id

API = "/api/v1"
BASE = f"{API}/sanctions/packages"
ONE = f"{BASE}/{{package}}"
DESIGNATION = f"{ONE}/designations/{{designation}}"
TAG = "sanctions"
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def package_id_of(request: web.Request) -> int:
    text = request.match_info["package"]
    if (value := parse_id(text)) is None:
        raise NotFoundError(f"no sanctions package {text[:20]}")
    return value


def parse_instant(text: str, field: str) -> datetime:
    return clock.parse_instant(text, field=field)


def standing_public(standing: Designation | None, now: datetime) -> StandingPublic | None:
    if standing is None or standing.effective_at is None or standing.version_at is None:
        return None
    return StandingPublic(
        version=standing.version,
        since=standing.version_at,
        effective_at=standing.effective_at,
        review_at=standing.review_at,
        lifted_at=standing.lifted_at,
        in_force=is_in_force(standing, now),
    )


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
    return PackagePublic(
        id=package.id,
        title=c.title,
        lead=c.lead,
        state=c.state,
        incident=c.incident_id,
        tier=c.tier,
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
    session: AsyncSession, request: web.Request, package: Package, *, status: int = 200, **extra: Any
) -> web.Response:
    """The JSON answer for a package: loads its chain for the record."""
    now = request.app[clock_key]()
    chain = await load_chain(session, package, now=now, ladder=request.app[ladder_key])
    return json_response(package_public(package, chain, now=now), status=status, **extra)


def request_context(request: web.Request) -> dict[str, Any]:
    return {
        "now": request.app[clock_key](),
        "max_sections": request.app[settings_key].limits.max_sections,
    }
