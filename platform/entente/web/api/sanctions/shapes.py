"""Shared pieces of the sanctions API: paths, path segments and the public shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from entente.appkeys import clock_key, settings_key
from entente.disclosure import Marking
from entente.errors import InvalidInputError, NotFoundError
from entente.models import (
    DesignationPublic,
    MarkingPublic,
    PackagePublic,
    VersionRef,
)
from entente.sanctions import Designation
from entente.sanctions.packages import Package

API = "/api/v1"
BASE = f"{API}/sanctions/packages"
ONE = f"{BASE}/{{package}}"
DESIGNATION = f"{ONE}/designations/{{designation}}"
TAG = "sanctions"
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def package_id_of(request: web.Request) -> int:
    text = request.match_info["package"]
    if not text.isdigit() or len(text) > 12:
        raise NotFoundError(f"no sanctions package {text[:20]}")
    return int(text)


def parse_instant(text: str, field: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError("an instant like 2026-11-27T09:00:00Z", code="invalid_instant", field=field) from None
    if value.tzinfo is None:
        raise InvalidInputError("an instant carries its UTC offset", code="invalid_instant", field=field)
    return value


def designation_public(designation: Designation, item: str, marking: Any) -> DesignationPublic:
    return DesignationPublic(
        item=item, marking=MarkingPublic.model_validate(marking.to_dict()), designation=designation.to_annex_content()
    )


def package_public(
    package: Package, *, at: datetime | None = None, chosen: list[Designation] | None = None
) -> PackagePublic:
    c = package.communique
    placed = {p.designation.id: p for p in package.designations}
    if chosen is None:
        shown = [designation_public(p.designation, p.item_id, p.marking) for p in package.designations]
    else:
        shown = [
            designation_public(
                d, placed[d.id].item_id if d.id in placed else "", placed[d.id].marking if d.id in placed else _public()
            )
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
        as_of=at,
        designations=shown,
        withheld=package.view.withheld.annex,
    )


def _public() -> Marking:
    return Marking.everyone()


def request_context(request: web.Request) -> dict[str, Any]:
    return {
        "now": request.app[clock_key](),
        "max_sections": request.app[settings_key].limits.max_sections,
    }
