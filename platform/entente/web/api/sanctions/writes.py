"""Sanctions packages: create, read (as_of), designations, adoption by each party, lifecycle steps."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente.appkeys import caller_key, ladder_key, sessionmaker_key
from entente.auth import require_caller
from entente.errors import NotFoundError
from entente.models import (
    AdoptionCreate,
    AmendmentCreate,
    DesignationPublic,
    DesignationWrite,
    EffectCreate,
    PackageCreate,
    PackagePublic,
)
from entente.sanctions import AdoptionState, operations
from entente.sanctions.packages import create_package, get_package
from entente.sanctions.views import as_of
from entente.web.bodies import json_response, read_json
from entente.web.openapi import ApiRoutes

from .shapes import API, BASE, DESIGNATION, ONE, TAG, package_id_of, package_public, parse_instant, request_context

routes = ApiRoutes()


@routes.route(
    "POST",
    f"{API}/incidents/{{incident}}/sanctions-packages",
    name="api-sanctions-package-create",
    summary="Start a sanctions package for an incident (decided tier allows sanctions, legal review cleared)",
    tag=TAG,
    request=PackageCreate,
    response=PackagePublic,
    status=201,
    errors=(403, 404, 409),
)
async def create(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    text = request.match_info["incident"]
    if not text.isdigit() or len(text) > 12:
        raise NotFoundError("no such incident")
    data = await read_json(request, PackageCreate)
    async with request.app[sessionmaker_key].begin() as session:
        package = await create_package(
            session,
            caller=caller,
            incident_id=int(text),
            title=data.title.strip(),
            participants=data.participants,
            ladder=request.app[ladder_key],
            **request_context(request),
        )
    return json_response(package_public(package), status=201, headers={"Location": f"{BASE}/{package.id}"})


@routes.route(
    "GET",
    ONE,
    name="api-sanctions-package",
    summary="A sanctions package as I may see it; ?as_of=<instant> lists what was in force then",
    tag=TAG,
    response=PackagePublic,
    errors=(404, 422),
)
async def read(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    at_text = request.query.get("as_of")
    at = parse_instant(at_text, "/as_of") if at_text is not None else None
    async with request.app[sessionmaker_key]() as session:
        package = await get_package(session, package_id_of(request), caller)
        chosen = await as_of(session, package, at) if at is not None else None
    return json_response(package_public(package, at=at, chosen=chosen))


@routes.route(
    "GET",
    f"{ONE}/designations",
    name="api-sanctions-designations",
    summary="The designations of a package I may see (with the evidence I may see)",
    tag=TAG,
    response=DesignationPublic,
    response_list=True,
    errors=(404,),
)
async def list_designations(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        package = await get_package(session, package_id_of(request), caller)
    return json_response(package_public(package).designations)


@routes.route(
    "POST",
    f"{ONE}/designations",
    name="api-sanctions-designation-add",
    summary='Add a designation (a new version); 409 probable_duplicate lists candidates unless "confirm": true',
    tag=TAG,
    request=DesignationWrite,
    response=PackagePublic,
    status=201,
    errors=(403, 404, 409, 412),
)
async def add(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    data = await read_json(request, DesignationWrite)
    async with request.app[sessionmaker_key].begin() as session:
        package = await operations.add_designation(
            session,
            package_id=package_id_of(request),
            caller=caller,
            content=data.designation,
            marking=data.marking.model_dump(exclude={"tlp"}) if data.marking else None,
            confirm=data.confirm,
            ladder=request.app[ladder_key],
            **request_context(request),
        )
    return json_response(package_public(package), status=201)


@routes.route(
    "PUT",
    DESIGNATION,
    name="api-sanctions-designation-update",
    summary="Replace a designation's content (a new version; positions and lifecycle kept)",
    tag=TAG,
    request=DesignationWrite,
    response=PackagePublic,
    errors=(403, 404, 409),
)
async def update(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    data = await read_json(request, DesignationWrite)
    async with request.app[sessionmaker_key].begin() as session:
        package = await operations.update_designation(
            session,
            package_id=package_id_of(request),
            designation_id=request.match_info["designation"],
            caller=caller,
            content=data.designation,
            marking=data.marking.model_dump(exclude={"tlp"}) if data.marking else None,
            confirm=data.confirm,
            ladder=request.app[ladder_key],
            **request_context(request),
        )
    return json_response(package_public(package))


@routes.route(
    "POST",
    f"{DESIGNATION}/adoption",
    name="api-sanctions-adoption",
    summary="A party adopts (legal act), declines (reason), lifts or reconsiders a designation",
    tag=TAG,
    request=AdoptionCreate,
    response=PackagePublic,
    errors=(403, 404, 409),
)
async def adoption(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    data = await read_json(request, AdoptionCreate)
    async with request.app[sessionmaker_key].begin() as session:
        package = await operations.record_adoption(
            session,
            package_id=package_id_of(request),
            designation_id=request.match_info["designation"],
            caller=caller,
            party=data.party,
            state=AdoptionState(data.state),
            legal_act=data.legal_act,
            legal_basis=data.legal_basis,
            reason=data.reason,
            on=data.on,
            **request_context(request),
        )
    return json_response(package_public(package))


@routes.route(
    "POST",
    f"{ONE}/effect",
    name="api-sanctions-effect",
    summary="The package's designations take effect at the release instant (review after the tier's period)",
    tag=TAG,
    request=EffectCreate,
    response=PackagePublic,
    errors=(403, 404, 409),
)
async def effect(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    data = await read_json(request, EffectCreate)
    context = request_context(request)
    async with request.app[sessionmaker_key].begin() as session:
        package = await operations.take_effect_package(
            session,
            package_id=package_id_of(request),
            caller=caller,
            at=data.at or context["now"],
            ladder=request.app[ladder_key],
            **context,
        )
    return json_response(package_public(package))


def _lifecycle_route(step: str, summary: str, request_model: Any = None):
    @routes.route(
        "POST",
        f"{DESIGNATION}/{step}",
        name=f"api-sanctions-{step}",
        summary=summary,
        tag=TAG,
        request=request_model,
        response=PackagePublic,
        errors=(403, 404, 409),
    )
    async def handler(request: web.Request) -> web.Response:
        caller = require_caller(request[caller_key])
        common: dict[str, Any] = {
            "package_id": package_id_of(request),
            "designation_id": request.match_info["designation"],
            "caller": caller,
            **request_context(request),
        }
        if step == "amend":
            common["reasons"] = (await read_json(request, AmendmentCreate)).reasons
        async with request.app[sessionmaker_key].begin() as session:
            if step == "renew":
                package = await operations.renew_designation(session, ladder=request.app[ladder_key], **common)
            elif step == "amend":
                package = await operations.amend_designation(session, **common)
            else:
                package = await operations.lift_designation(session, **common)
        return json_response(package_public(package))

    return handler


renew = _lifecycle_route("renew", "Renew a designation in effect for another review period (a new version)")
amend = _lifecycle_route("amend", "Amend a designation in effect: rewritten statement of reasons", AmendmentCreate)
lift = _lifecycle_route("lift", "Lift a designation for the coalition (a new version; nothing is deleted)")
