"""Marked items of an incident: evidence (and its marking), attribution assessments."""

from __future__ import annotations

from aiohttp import web

from entente import auth, incidents
from entente.appkeys import caller_key, clock_key, sessionmaker_key
from entente.incidents.access import NO_EVIDENCE
from entente.models import (
    IncidentAttributionPublic,
    IncidentAttributionUpdate,
    IncidentEvidenceCreate,
    IncidentEvidencePublic,
    IncidentMarkingUpdate,
)
from entente.web.bodies import json_response, read_json
from entente.web.openapi import ApiRoutes

from .shapes import ONE, attribution_public, etag, evidence_public, expected_version, incident_id_of, path_id

routes = ApiRoutes()


@routes.route(
    "GET",
    f"{ONE}/evidence",
    name="api-incident-evidence",
    tag="incidents",
    response=IncidentEvidencePublic,
    response_list=True,
    errors=(404,),
    summary="The evidence items I may see",
)
async def list_evidence(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    async with request.app[sessionmaker_key]() as session:
        rows = await incidents.list_evidence(session, incident_id=incident_id, caller=caller)
    return json_response([evidence_public(e) for e in rows])


@routes.route(
    "POST",
    f"{ONE}/evidence",
    name="api-incident-evidence-add",
    tag="incidents",
    request=IncidentEvidenceCreate,
    response=IncidentEvidencePublic,
    status=201,
    errors=(403, 404, 409),
    summary="Add an evidence item, marked public or releasable to named participating parties",
)
async def add_evidence(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    data = await read_json(request, IncidentEvidenceCreate)
    async with request.app[sessionmaker_key].begin() as session:
        evidence = await incidents.add_evidence(
            session, incident_id=incident_id, caller=caller, data=data, now=request.app[clock_key]()
        )
    location = request.app.router["api-incident-evidence-item"].url_for(
        incident_id=str(incident_id), evidence_id=str(evidence.id)
    )
    return json_response(
        evidence_public(evidence), status=201, headers=etag(evidence.version) | {"Location": str(location)}
    )


@routes.route(
    "GET",
    f"{ONE}/evidence/{{evidence_id}}",
    name="api-incident-evidence-item",
    tag="incidents",
    response=IncidentEvidencePublic,
    errors=(404,),
    summary="One evidence item",
)
async def get_evidence(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    evidence_id = path_id(request, "evidence_id", NO_EVIDENCE)
    async with request.app[sessionmaker_key]() as session:
        evidence = await incidents.get_evidence(
            session, incident_id=incident_id, evidence_id=evidence_id, caller=caller
        )
    return json_response(evidence_public(evidence), headers=etag(evidence.version))


@routes.route(
    "PUT",
    f"{ONE}/evidence/{{evidence_id}}/marking",
    name="api-incident-evidence-marking",
    tag="incidents",
    request=IncidentMarkingUpdate,
    response=IncidentEvidencePublic,
    errors=(403, 404, 409),
    summary="Change an evidence marking: any participant may narrow it, only its author's party widen it "
    "(204 when the caller narrowed it out of its own sight)",
)
async def change_marking(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    evidence_id = path_id(request, "evidence_id", NO_EVIDENCE)
    data = await read_json(request, IncidentMarkingUpdate)
    expected = expected_version(request, data.version)
    async with request.app[sessionmaker_key].begin() as session:
        evidence = await incidents.change_evidence_marking(
            session,
            incident_id=incident_id,
            evidence_id=evidence_id,
            caller=caller,
            marking=data.marking,
            expected_version=expected,
            now=request.app[clock_key](),
        )
    if not incidents.is_evidence_visible(evidence, caller):
        return web.Response(status=204)  # narrowed out of the caller's own sight
    return json_response(evidence_public(evidence), headers=etag(evidence.version))


@routes.route(
    "PUT",
    f"{ONE}/attribution",
    name="api-incident-attribution",
    tag="incidents",
    request=IncidentAttributionUpdate,
    response=IncidentAttributionPublic,
    errors=(403, 404, 409, 428),
    summary="Record or replace my party's attribution assessment (replacing names its version)",
)
async def set_attribution(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    data = await read_json(request, IncidentAttributionUpdate)
    expected = expected_version(request, data.version)
    async with request.app[sessionmaker_key].begin() as session:
        attribution = await incidents.set_attribution(
            session,
            incident_id=incident_id,
            caller=caller,
            data=data,
            expected_version=expected,
            now=request.app[clock_key](),
        )
    return json_response(attribution_public(attribution), headers=etag(attribution.version))
