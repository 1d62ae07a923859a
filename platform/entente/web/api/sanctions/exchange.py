"""Sanctions packages: the coordination view, the review list, exports and the CSV import."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from entente.errors import InvalidInputError, UnsupportedMediaTypeError
from entente.models import (
    CoordinationPublic,
    CoordinationRowPublic,
    ExitRampPublic,
    PackagePublic,
    ReviewPublic,
)
from entente.sanctions import operations
from entente.sanctions.chains import load_chain
from entente.sanctions.packages import get_package
from entente.sanctions.views import ExportFormat, coordination, export_package, reviews_due
from entente.web.bodies import json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

from .shapes import API, MAX_IMPORT_BYTES, ONE, TAG, limits, package_answer

routes = ApiRoutes(tag=TAG)


@routes.get(f"{ONE}/coordination", name="api-sanctions-coordination", response=CoordinationPublic)
async def coordination_view(ctx: Context) -> web.Response:
    """Designations against parties with each party's adoption state (gaps: no position yet)"""
    async with ctx.read() as session:
        package = await get_package(session, ctx.path_id("package"), ctx.caller)
    parties, rows = coordination(package)
    out = CoordinationPublic(
        package=package.id,
        parties=parties,
        rows=[
            CoordinationRowPublic(
                designation=r.designation.designation.id,
                name=r.designation.designation.display_name,
                proposed_by=r.designation.designation.proposed_by,
                states=r.states,
                same_as=[link.model_dump() for link in r.designation.designation.same_as],
            )
            for r in rows
        ],
        gaps=[
            {"designation": r.designation.designation.id, "party": party}
            for r in rows
            for party, state in r.states.items()
            if state in (None, "proposed")
        ],
    )
    return json_response(out)


@routes.get(
    f"{API}/sanctions/reviews",
    name="api-sanctions-reviews",
    response=ReviewPublic,
    response_list=True,
    errors=(422,),
)
async def reviews(ctx: Context) -> web.Response:
    """Designations in effect due for review within ?days= (default 30) across my packages, soonest first"""
    days_text = ctx.query.get("days", "30")
    if not days_text.isdigit() or not 0 <= int(days_text) <= 3650:
        raise InvalidInputError("days is a whole number from 0 to 3650", code="invalid_days", field="/days")
    async with ctx.read() as session:
        due = await reviews_due(session, ctx.caller, ctx.now, ladder=ctx.ladder, within=timedelta(days=int(days_text)))
    return json_response(
        [
            ReviewPublic(
                package=r.package.id,
                package_title=r.package.communique.title,
                designation=r.designation.id,
                name=r.designation.display_name,
                effective_at=r.designation.effective_at,
                review_at=r.designation.review_at,
                successor=r.successor.id if r.successor is not None else None,
                step=r.step.value if r.step is not None else None,
                exit_ramps=[
                    ExitRampPublic(tier=x.tier, id=x.ramp.id, kind=str(x.ramp.kind), description=x.ramp.description,
                                   days=x.ramp.days, met=x.met, due_at=x.due_at)
                    for x in r.exit_ramps
                ],
            )
            for r in due
        ]
    )


@routes.get(f"{ONE}/export", name="api-sanctions-export", content_type=("text/csv", "application/xml"), errors=(422,))
async def export(ctx: Context) -> web.Response:
    """Export ?format=eu-xml|ofac-xml|csv: what I may see (with evidence), or ?view=public for the public part"""
    try:
        fmt = ExportFormat(ctx.query.get("format", "csv"))
    except ValueError:
        raise InvalidInputError("format is eu-xml, ofac-xml or csv", code="invalid_format", field="/format") from None
    view = ctx.query.get("view", "party")
    if view not in ("party", "public"):
        raise InvalidInputError("view is party or public", code="invalid_view", field="/view")
    async with ctx.read() as session:
        package = await get_package(session, ctx.path_id("package"), ctx.caller)
        chain = await load_chain(session, package, now=ctx.now, ladder=ctx.ladder)
    body = export_package(package, fmt, public=view == "public", now=ctx.now, chain=chain)
    suffix = "csv" if fmt is ExportFormat.CSV else "xml"
    return web.Response(
        body=body,
        content_type=fmt.media_type,
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="sanctions-{package.id}-{fmt.value}.{suffix}"'},
    )


@routes.create(f"{ONE}/import", name="api-sanctions-upload", response=PackagePublic)
async def import_(ctx: Context) -> web.Response:
    """Import a flat CSV (text/csv body, UTF-8): all rows or none, errors with row and column; ?confirm=true"""
    request = ctx.request
    if request.content_type != "text/csv":
        raise UnsupportedMediaTypeError("send the CSV file as Content-Type: text/csv")
    if request.content_length is not None and request.content_length > MAX_IMPORT_BYTES:
        raise InvalidInputError("the CSV file is larger than 5 MiB", code="too_large")
    data = await request.read()
    async with ctx.write() as session:
        package = await operations.import_designations(
            session,
            package_id=ctx.path_id("package"),
            caller=ctx.caller,
            data=data,
            confirm=ctx.query.get("confirm") == "true",
            ladder=ctx.ladder,
            **limits(ctx),
        )
        return await package_answer(ctx, session, package, status=201)
