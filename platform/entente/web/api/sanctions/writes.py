"""Sanctions packages: create, read (as_of), designations, adoption by each party, lifecycle steps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from entente.models import (
    AdoptionCreate,
    AmendmentCreate,
    DesignationPublic,
    DesignationWrite,
    MarkingInput,
    PackageCreate,
    PackagePublic,
    SuccessorCreate,
)
from entente.sanctions import AdoptionState, operations
from entente.sanctions.chains import load_chain, supersede_package
from entente.sanctions.lifecycle import in_force_on
from entente.sanctions.packages import Package, create_package, get_package
from entente.web.bodies import json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

from .shapes import API, BASE, DESIGNATION, ONE, TAG, limits, package_answer, package_public, parse_instant

routes = ApiRoutes(tag=TAG)


async def _package_write(
    ctx: Context, step: Callable[..., Awaitable[Package]], *, status: int = 200, located: bool = False, **fields: Any
) -> web.Response:
    """A write to the package in the path (``fields`` from the body and the rules), answered with the
    package; a ``located`` answer (a new package) names its address."""
    async with ctx.write() as session:
        package = await step(session, package_id=ctx.path_id("package"), caller=ctx.caller, **fields)
        headers = {"Location": f"{BASE}/{package.id}"} if located else None
        return await package_answer(ctx, session, package, status=status, headers=headers)


def _marking(marking: MarkingInput | None) -> dict[str, Any] | None:
    """A marking as the package writes take it: without its TLP label."""
    return marking.model_dump(exclude={"tlp"}) if marking else None


def _designation(ctx: Context) -> dict[str, Any]:
    """A designation as written (content, marking, ``confirm``) and the rules its write applies."""
    data = ctx.body
    marking = _marking(data.marking)
    return {
        "content": data.designation,
        "marking": marking,
        "confirm": data.confirm,
        "ladder": ctx.ladder,
        **limits(ctx),
    }


@routes.create(
    f"{API}/incidents/{{incident}}/sanctions-packages",
    name="api-sanctions-package-create",
    request=PackageCreate,
    response=PackagePublic,
)
async def create(ctx: Context) -> web.Response:
    """Start a sanctions package for an incident (decided tier allows sanctions, legal review cleared)"""
    incident_id = ctx.path_id("incident")
    async with ctx.write() as session:
        package = await create_package(
            session,
            caller=ctx.caller,
            incident_id=incident_id,
            title=ctx.body.title.strip(),
            participants=ctx.body.participants,
            ladder=ctx.ladder,
            **limits(ctx),
        )
        return await package_answer(ctx, session, package, status=201, headers={"Location": f"{BASE}/{package.id}"})


@routes.get(ONE, name="api-sanctions-package", response=PackagePublic, errors=(422,))
async def read(ctx: Context) -> web.Response:
    """A sanctions package as I may see it; ?as_of=<instant> lists what was in force then"""
    at_text = ctx.query.get("as_of")
    at = parse_instant(at_text, "/as_of") if at_text is not None else None
    async with ctx.read() as session:
        package = await get_package(session, ctx.path_id("package"), ctx.caller)
        chain = await load_chain(session, package, now=ctx.now, ladder=ctx.ladder)
    chosen = in_force_on(chain.record.values(), at) if at is not None else None
    return json_response(package_public(package, chain, now=ctx.now, at=at, chosen=chosen))


@routes.get(f"{ONE}/designations", name="api-sanctions-designations", response=DesignationPublic, response_list=True)
async def list_designations(ctx: Context) -> web.Response:
    """The designations of a package I may see (with the evidence I may see)"""
    async with ctx.read() as session:
        package = await get_package(session, ctx.path_id("package"), ctx.caller)
        chain = await load_chain(session, package, now=ctx.now, ladder=ctx.ladder)
    return json_response(package_public(package, chain, now=ctx.now).designations)


@routes.create(
    f"{ONE}/designations",
    name="api-sanctions-designation-add",
    request=DesignationWrite,
    response=PackagePublic,
    errors=(412,),
)
async def add(ctx: Context) -> web.Response:
    """Add a designation (a new version); 409 probable_duplicate lists candidates unless "confirm": true"""
    return await _package_write(ctx, operations.add_designation, status=201, **_designation(ctx))


@routes.put(DESIGNATION, name="api-sanctions-designation-update", request=DesignationWrite, response=PackagePublic)
async def update(ctx: Context) -> web.Response:
    """Replace a designation's content (a new version; positions and lifecycle kept)"""
    designation_id = ctx.segment("designation")
    return await _package_write(ctx, operations.update_designation, designation_id=designation_id, **_designation(ctx))


@routes.post(f"{DESIGNATION}/adoption", name="api-sanctions-adoption", request=AdoptionCreate, response=PackagePublic)
async def adoption(ctx: Context) -> web.Response:
    """A party adopts (legal act), declines (reason), lifts or reconsiders a designation"""
    data = ctx.body
    return await _package_write(
        ctx,
        operations.record_adoption,
        designation_id=ctx.segment("designation"),
        party=data.party,
        state=AdoptionState(data.state),
        legal_act=data.legal_act,
        legal_basis=data.legal_basis,
        reason=data.reason,
        reason_marking=_marking(data.reason_marking),
        on=data.on,
        **limits(ctx),
    )


@routes.create(f"{ONE}/successor", name="api-sanctions-successor", request=SuccessorCreate, response=PackagePublic)
async def successor(ctx: Context) -> web.Response:
    """Start the package superseding a released one, carrying its designations as they stand"""
    title = ctx.body.title
    return await _package_write(
        ctx, supersede_package, status=201, located=True, title=title, now=ctx.now, ladder=ctx.ladder
    )


def _review_route(action: str, summary: str, request_model: Any = None):
    @routes.post(
        f"{DESIGNATION}/{action}",
        name=f"api-sanctions-{action}",
        summary=summary,
        request=request_model,
        response=PackagePublic,
        errors=(404, 409, 422),
    )
    async def handler(ctx: Context) -> web.Response:
        reasons = ctx.body.reasons if ctx.body is not None else None
        designation_id = ctx.segment("designation")
        return await _package_write(
            ctx,
            operations.review_designation,
            designation_id=designation_id,
            action=action,
            reasons=reasons,
            **limits(ctx),
        )

    return handler


renew = _review_route("renew", "In a successor package: renew a designation in effect at its release")
amend = _review_route(
    "amend", "In a successor package: rewrite the statement of reasons, in effect at its release", AmendmentCreate
)
lift = _review_route("lift", "In a successor package: lift a designation at its release (nothing is deleted)")
keep = _review_route("keep", "In a successor package: carry a designation unchanged (take back renew or lift)")
