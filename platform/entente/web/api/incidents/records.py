"""Incidents themselves: list, open, read, update, invite, close, history."""

from __future__ import annotations

from aiohttp import web

from entente import auth, incidents
from entente.appkeys import caller_key, clock_key, ladder_key, sessionmaker_key
from entente.errors import InvalidInputError
from entente.models import (
    IncidentChangePublic,
    IncidentClose,
    IncidentCreate,
    IncidentInvite,
    IncidentPublic,
    IncidentState,
    IncidentSummary,
    IncidentUpdate,
)
from entente.web.bodies import json_response, read_json
from entente.web.openapi import ApiRoutes

from .shapes import API, ONE, answer_incident, expected_version, incident_id_of

routes = ApiRoutes()


@routes.route(
    "GET",
    f"{API}/incidents",
    name="api-incidents",
    tag="incidents",
    response=IncidentSummary,
    response_list=True,
    summary="Incidents my party takes part in (the secretariat: all); ?state=open",
)
async def list_incidents(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    state = request.query.get("state")
    if state is not None and state not in set(IncidentState):
        raise InvalidInputError(f"state is one of: {', '.join(IncidentState)}", field="state")
    async with request.app[sessionmaker_key]() as session:
        rows = await incidents.list_incidents(session, caller=caller, state=IncidentState(state) if state else None)
    return json_response(
        [
            IncidentSummary(
                id=r.incident.id,
                title=r.incident.title,
                state=r.incident.state,
                version=r.incident.version,
                lead=r.incident.lead,
                participants=list(r.participants),
                recommended_tier=r.incident.recommended_tier,
                my_decided_tier=r.my_decided_tier,
                opened_at=r.incident.opened_at,
                updated_at=r.incident.updated_at,
            )
            for r in rows
        ]
    )


@routes.route(
    "POST",
    f"{API}/incidents",
    name="api-incident-open",
    tag="incidents",
    request=IncidentCreate,
    response=IncidentPublic,
    status=201,
    errors=(403,),
    summary="Open an incident (a drafter; the caller's party leads), inviting participants",
)
async def open_incident(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    data = await read_json(request, IncidentCreate)
    async with request.app[sessionmaker_key].begin() as session:
        incident = await incidents.open_incident(
            session, caller=caller, data=data, ladder=request.app[ladder_key], now=request.app[clock_key]()
        )
        response = await answer_incident(request, session, caller, incident.id, status=201)
    response.headers["Location"] = str(request.app.router["api-incident"].url_for(incident_id=str(incident.id)))
    return response


@routes.route(
    "GET",
    ONE,
    name="api-incident",
    tag="incidents",
    response=IncidentPublic,
    errors=(404,),
    summary="One incident: metrics, recommendation, decided tiers, reviews, and what I may see of it",
)
async def get_incident(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    async with request.app[sessionmaker_key]() as session:
        return await answer_incident(request, session, caller, incident_id)


@routes.route(
    "PATCH",
    ONE,
    name="api-incident-update",
    tag="incidents",
    request=IncidentUpdate,
    response=IncidentPublic,
    errors=(403, 404, 409, 428),
    summary="Change title, description or metrics of the version named by If-Match or version",
)
async def update_incident(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    data = await read_json(request, IncidentUpdate)
    expected = expected_version(request, data.version)
    async with request.app[sessionmaker_key].begin() as session:
        await incidents.update_incident(
            session,
            incident_id=incident_id,
            caller=caller,
            data=data,
            expected_version=expected,
            ladder=request.app[ladder_key],
            now=request.app[clock_key](),
        )
        return await answer_incident(request, session, caller, incident_id)


@routes.route(
    "POST",
    f"{ONE}/participants",
    name="api-incident-invite",
    tag="incidents",
    request=IncidentInvite,
    response=IncidentPublic,
    errors=(403, 404, 409),
    summary="Invite parties to take part (the lead's drafters or the secretariat)",
)
async def invite(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    data = await read_json(request, IncidentInvite)
    async with request.app[sessionmaker_key].begin() as session:
        await incidents.invite_parties(
            session,
            incident_id=incident_id,
            caller=caller,
            parties=data.parties,
            ladder=request.app[ladder_key],
            now=request.app[clock_key](),
        )
        return await answer_incident(request, session, caller, incident_id)


@routes.route(
    "POST",
    f"{ONE}/close",
    name="api-incident-close",
    tag="incidents",
    request=IncidentClose,
    response=IncidentPublic,
    errors=(403, 404, 409),
    summary="Close the incident (the lead's drafters or the secretariat)",
)
async def close(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    data = await read_json(request, IncidentClose)
    expected = expected_version(request, data.version)
    async with request.app[sessionmaker_key].begin() as session:
        await incidents.close_incident(
            session,
            incident_id=incident_id,
            caller=caller,
            reason=data.reason,
            expected_version=expected,
            ladder=request.app[ladder_key],
            now=request.app[clock_key](),
        )
        return await answer_incident(request, session, caller, incident_id)


@routes.route(
    "GET",
    f"{ONE}/history",
    name="api-incident-history",
    tag="incidents",
    response=IncidentChangePublic,
    response_list=True,
    errors=(404,),
    summary="Every change I may see, oldest first, with the incident version it made",
)
async def history(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    async with request.app[sessionmaker_key]() as session:
        changes = await incidents.list_history(session, incident_id=incident_id, caller=caller)
    return json_response([IncidentChangePublic.model_validate(c, from_attributes=True) for c in changes])
