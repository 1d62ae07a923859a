"""Sanctions packages: create, read (as_of), designations, adoption by each party, lifecycle steps."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente.appkeys import caller_key, clock_key, ladder_key, sessionmaker_key
from entente.auth import require_caller
from entente.errors import NotFoundError
from entente.models import (
    AdoptionCreate,
    AmendmentCreate,
    DesignationPublic,
    DesignationWrite,
    PackageCreate,
    PackagePublic,
    SuccessorCreate,
)
from entente.sanctions import AdoptionState, operations
from entente.sanctions.chains import load_chain, supersede_package
from entente.sanctions.lifecycle import in_force_on
from entente.sanctions.packages import create_package, get_package
from entente.web.bodies import json_response, read_json
from entente.web.openapi import ApiRoutes
from entente.web.paths import parse_id

from .shapes import (
    API,
    BASE,
    DESIGNATION,
    ONE,
    TAG,
    package_answer,
    package_id_of,
    package_public,
    parse_instant,
    request_context,
)

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
    incident_id = parse_id(request.match_info["incident"])
    if incident_id is None:
        raise NotFoundError("no such incident")
    data = await read_json(request, PackageCreate)
    async with request.app[sessionmaker_key].begin() as session:
        package = await create_package(
            session,
            caller=caller,
            incident_id=incident_id,
            title=data.title.strip(),
            participants=data.participants,
            ladder=request.app[ladder_key],
            **request_context(request),
        )
        return await package_answer(session, request, package, status=201, headers={"Location": f"{BASE}/{package.id}"})


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
    now = request.app[clock_key]()
    async with request.app[sessionmaker_key]() as session:
        package = await get_package(session, package_id_of(request), caller)
        chain = await load_chain(session, package, now=now, ladder=request.app[ladder_key])
    chosen = in_force_on(chain.record.values(), at) if at is not None else None
    return json_response(package_public(package, chain, now=now, at=at, chosen=chosen))


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
    now = request.app[clock_key]()
    async with request.app[sessionmaker_key]() as session:
        package = await get_package(session, package_id_of(request), caller)
        chain = await load_chain(session, package, now=now, ladder=request.app[ladder_key])
    return json_response(package_public(package, chain, now=now).designations)


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
        return await package_answer(session, request, package, status=201)


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
        return await package_answer(session, request, package)


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
            reason_marking=data.reason_marking.model_dump(exclude={"tlp"}) if data.reason_marking else None,
            on=data.on,
            **request_context(request),
        )
        return await package_answer(session, request, package)


@routes.route(
    "POST",
    f"{ONE}/successor",
    name="api-sanctions-successor",
    summary="Start the package superseding a released one, carrying its designations as they stand",
    tag=TAG,
    request=SuccessorCreate,
    response=PackagePublic,
    status=201,
    errors=(403, 404, 409),
)
async def successor(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    data = await read_json(request, SuccessorCreate)
    async with request.app[sessionmaker_key].begin() as session:
        package = await supersede_package(
            session,
            package_id=package_id_of(request),
            caller=caller,
            title=data.title,
            now=request.app[clock_key](),
            ladder=request.app[ladder_key],
        )
        return await package_answer(session, request, package, status=201, headers={"Location": f"{BASE}/{package.id}"})


def _review_route(action: str, summary: str, request_model: Any = None):
    @routes.route(
        "POST",
        f"{DESIGNATION}/{action}",
        name=f"api-sanctions-{action}",
        summary=summary,
        tag=TAG,
        request=request_model,
        response=PackagePublic,
        errors=(403, 404, 409, 422),
    )
    async def handler(request: web.Request) -> web.Response:
        caller = require_caller(request[caller_key])
        reasons = (await read_json(request, AmendmentCreate)).reasons if request_model is not None else None
        async with request.app[sessionmaker_key].begin() as session:
            package = await operations.review_designation(
                session,
                package_id=package_id_of(request),
                designation_id=request.match_info["designation"],
                caller=caller,
                action=action,
                reasons=reasons,
                **request_context(request),
            )
            return await package_answer(session, request, package)

    return handler


renew = _review_route("renew", "In a successor package: renew a designation in effect at its release")
amend = _review_route(
    "amend", "In a successor package: rewrite the statement of reasons, in effect at its release", AmendmentCreate
)
lift = _review_route("lift", "In a successor package: lift a designation at its release (nothing is deleted)")
keep = _review_route("keep", "In a successor package: carry a designation unchanged (take back renew or lift)")
