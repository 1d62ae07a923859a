"""Decided tiers, legal reviews, and starting a communiqué from a crisis template."""

from __future__ import annotations

from aiohttp import web

from entente import auth, incidents
from entente.appkeys import caller_key, clock_key, ladder_key, sessionmaker_key, templates_key
from entente.models import (
    DraftStartCreate,
    DraftStartPublic,
    LegalReviewCreate,
    LegalReviewPublic,
    TierDecisionCreate,
    TierDecisionPublic,
)
from entente.web.bodies import json_response, read_json
from entente.web.openapi import ApiRoutes

from .shapes import ONE, decision_public, draft_public, incident_id_of, review_public

routes = ApiRoutes()


@routes.route(
    "POST",
    f"{ONE}/decisions",
    name="api-incident-decide",
    tag="incidents",
    request=TierDecisionCreate,
    response=TierDecisionPublic,
    status=201,
    errors=(403, 404, 409),
    summary="Record my party's decided tier, with its justification",
)
async def decide(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    data = await read_json(request, TierDecisionCreate)
    async with request.app[sessionmaker_key].begin() as session:
        decision = await incidents.decide_tier(
            session,
            incident_id=incident_id,
            caller=caller,
            tier=data.tier,
            justification=data.justification,
            party=data.party,
            ladder=request.app[ladder_key],
            now=request.app[clock_key](),
        )
    return json_response(decision_public(decision), status=201)


@routes.route(
    "POST",
    f"{ONE}/legal-reviews",
    name="api-incident-legal-review",
    tag="incidents",
    request=LegalReviewCreate,
    response=LegalReviewPublic,
    status=201,
    errors=(403, 404, 409),
    summary="Record my party's legal review of a tier: cleared or not cleared",
)
async def legal_review(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    data = await read_json(request, LegalReviewCreate)
    async with request.app[sessionmaker_key].begin() as session:
        review = await incidents.record_legal_review(
            session,
            incident_id=incident_id,
            caller=caller,
            data=data,
            ladder=request.app[ladder_key],
            now=request.app[clock_key](),
        )
    return json_response(review_public(review), status=201)


@routes.route(
    "POST",
    f"{ONE}/communique-drafts",
    name="api-incident-draft",
    tag="incidents",
    request=DraftStartCreate,
    response=DraftStartPublic,
    errors=(403, 404, 409),
    summary="Render a crisis template allowed at my party's decided tier: the sections of a first draft",
)
async def start_draft(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    incident_id = incident_id_of(request)
    data = await read_json(request, DraftStartCreate)
    template = incidents.find_template(request.app[templates_key], data.template)
    async with request.app[sessionmaker_key]() as session:
        draft = await incidents.start_draft(
            session,
            incident_id=incident_id,
            caller=caller,
            template=template,
            params=data.params,
            participants=data.participants,
            ladder=request.app[ladder_key],
            parties=await incidents.party_names(session),
        )
    return json_response(draft_public(draft))
