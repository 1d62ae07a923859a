"""Incidents themselves: list, open, read, update, invite, close, history."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from entente import incidents
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
from entente.web.bodies import json_response
from entente.web.context import Context
from entente.web.etags import expected_version
from entente.web.openapi import ApiRoutes

from .shapes import API, ONE, answer_incident

routes = ApiRoutes(tag="incidents")


async def _change(
    ctx: Context, step: Callable[..., Awaitable[object]], *, versioned: bool = False, **fields: Any
) -> web.Response:
    """A change to the incident in the path (``fields`` from the body), answered with the incident;
    a ``versioned`` change names the version it edits (If-Match or the body's ``version``)."""
    incident_id = ctx.path_id("incident_id")
    expected = {"expected_version": expected_version(ctx.request, ctx.body.version)} if versioned else {}
    async with ctx.write() as session:
        await step(
            session, incident_id=incident_id, caller=ctx.caller, ladder=ctx.ladder, now=ctx.now, **fields, **expected
        )
        return await answer_incident(ctx, session, incident_id)


@routes.get(f"{API}/incidents", name="api-incidents", response=IncidentSummary, response_list=True)
async def list_incidents(ctx: Context) -> web.Response:
    """Incidents my party takes part in (the secretariat: all); ?state=open"""
    state = ctx.query.get("state")
    if state is not None and state not in set(IncidentState):
        raise InvalidInputError(f"state is one of: {', '.join(IncidentState)}", field="state")
    async with ctx.read() as session:
        rows = await incidents.list_incidents(session, caller=ctx.caller, state=IncidentState(state) if state else None)
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


@routes.create(f"{API}/incidents", name="api-incident-open", request=IncidentCreate, response=IncidentPublic)
async def open_incident(ctx: Context) -> web.Response:
    """Open an incident (a drafter; the caller's party leads), inviting participants"""
    async with ctx.write() as session:
        incident = await incidents.open_incident(
            session, caller=ctx.caller, data=ctx.body, ladder=ctx.ladder, now=ctx.now
        )
        response = await answer_incident(ctx, session, incident.id, status=201)
    response.headers["Location"] = ctx.url("api-incident", incident_id=str(incident.id))
    return response


@routes.get(ONE, name="api-incident", response=IncidentPublic)
async def get_incident(ctx: Context) -> web.Response:
    """One incident: metrics, recommendation, decided tiers, reviews, and what I may see of it"""
    incident_id = ctx.path_id("incident_id")
    async with ctx.read() as session:
        return await answer_incident(ctx, session, incident_id)


@routes.patch(ONE, name="api-incident-update", request=IncidentUpdate, response=IncidentPublic, errors=(412, 428))
async def update_incident(ctx: Context) -> web.Response:
    """Change title, description or metrics of the version named by If-Match or version"""
    return await _change(ctx, incidents.update_incident, versioned=True, data=ctx.body)


@routes.post(f"{ONE}/participants", name="api-incident-invite", request=IncidentInvite, response=IncidentPublic)
async def invite(ctx: Context) -> web.Response:
    """Invite parties to take part (the lead's drafters or the secretariat)"""
    return await _change(ctx, incidents.invite_parties, parties=ctx.body.parties)


@routes.post(
    f"{ONE}/close",
    name="api-incident-close",
    request=IncidentClose,
    response=IncidentPublic,
    errors=(412, 428),
)
async def close(ctx: Context) -> web.Response:
    """Close the incident (the lead's drafters or the secretariat)"""
    return await _change(ctx, incidents.close_incident, versioned=True, reason=ctx.body.reason)


@routes.get(f"{ONE}/history", name="api-incident-history", response=IncidentChangePublic, response_list=True)
async def history(ctx: Context) -> web.Response:
    """Every change I may see, oldest first, with the incident version it made"""
    async with ctx.read() as session:
        changes = await incidents.list_history(session, incident_id=ctx.path_id("incident_id"), caller=ctx.caller)
    return json_response([IncidentChangePublic.model_validate(c, from_attributes=True) for c in changes])
