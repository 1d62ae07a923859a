"""Marked items of an incident: evidence (and its marking), attribution assessments."""

from __future__ import annotations

from aiohttp import web

from entente import incidents
from entente.models import (
    IncidentAttributionPublic,
    IncidentAttributionUpdate,
    IncidentEvidenceCreate,
    IncidentEvidencePublic,
    IncidentMarkingUpdate,
)
from entente.web.bodies import json_response
from entente.web.context import Context
from entente.web.etags import etag, expected_version
from entente.web.openapi import ApiRoutes

from .shapes import ONE, attribution_public, evidence_public

routes = ApiRoutes(tag="incidents")
EVIDENCE = f"{ONE}/evidence"


@routes.get(EVIDENCE, name="api-incident-evidence", response=IncidentEvidencePublic, response_list=True)
async def list_evidence(ctx: Context) -> web.Response:
    """The evidence items I may see"""
    async with ctx.read() as session:
        rows = await incidents.list_evidence(session, incident_id=ctx.path_id("incident_id"), caller=ctx.caller)
    return json_response([evidence_public(e) for e in rows])


@routes.create(
    EVIDENCE,
    name="api-incident-evidence-add",
    request=IncidentEvidenceCreate,
    response=IncidentEvidencePublic,
)
async def add_evidence(ctx: Context) -> web.Response:
    """Add an evidence item, marked public or releasable to named participating parties"""
    incident_id = ctx.path_id("incident_id")
    async with ctx.write() as session:
        evidence = await incidents.add_evidence(
            session, incident_id=incident_id, caller=ctx.caller, data=ctx.body, now=ctx.now
        )
    location = ctx.url("api-incident-evidence-item", incident_id=str(incident_id), evidence_id=str(evidence.id))
    return json_response(evidence_public(evidence), status=201, headers=etag(evidence.version) | {"Location": location})


@routes.get(f"{EVIDENCE}/{{evidence_id}}", name="api-incident-evidence-item", response=IncidentEvidencePublic)
async def get_evidence(ctx: Context) -> web.Response:
    """One evidence item"""
    incident_id, evidence_id = ctx.path_id("incident_id"), ctx.path_id("evidence_id")
    async with ctx.read() as session:
        evidence = await incidents.get_evidence(
            session, incident_id=incident_id, evidence_id=evidence_id, caller=ctx.caller
        )
    return json_response(evidence_public(evidence), headers=etag(evidence.version))


@routes.put(
    f"{EVIDENCE}/{{evidence_id}}/marking",
    name="api-incident-evidence-marking",
    request=IncidentMarkingUpdate,
    response=IncidentEvidencePublic,
    errors=(412, 428),
)
async def change_marking(ctx: Context) -> web.Response:
    """Change an evidence marking: any participant may narrow it, only its author's party widen it (204 when the caller
    narrowed it out of its own sight)"""
    incident_id, evidence_id = ctx.path_id("incident_id"), ctx.path_id("evidence_id")
    expected = expected_version(ctx.request, ctx.body.version)
    async with ctx.write() as session:
        evidence = await incidents.change_evidence_marking(
            session,
            incident_id=incident_id,
            evidence_id=evidence_id,
            caller=ctx.caller,
            marking=ctx.body.marking,
            expected_version=expected,
            now=ctx.now,
        )
    if not incidents.is_evidence_visible(evidence, ctx.caller):
        return web.Response(status=204)  # narrowed out of the caller's own sight
    return json_response(evidence_public(evidence), headers=etag(evidence.version))


@routes.put(
    f"{ONE}/attribution",
    name="api-incident-attribution",
    request=IncidentAttributionUpdate,
    response=IncidentAttributionPublic,
    errors=(412, 428),
)
async def set_attribution(ctx: Context) -> web.Response:
    """Record or replace my party's attribution assessment (replacing names its version)"""
    incident_id = ctx.path_id("incident_id")
    expected = expected_version(ctx.request, ctx.body.version)
    async with ctx.write() as session:
        attribution = await incidents.set_attribution(
            session, incident_id=incident_id, caller=ctx.caller, data=ctx.body, expected_version=expected, now=ctx.now
        )
    return json_response(attribution_public(attribution), headers=etag(attribution.version))
