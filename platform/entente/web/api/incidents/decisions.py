"""Decided tiers, legal reviews, and starting a communiqué from a crisis template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiohttp import web

from entente import incidents
from entente.crisis import CrisisTemplate
from entente.models import (
    DraftStartCreate,
    DraftStartPublic,
    LegalReviewCreate,
    LegalReviewPublic,
    TierDecisionCreate,
    TierDecisionPublic,
)
from entente.web.bodies import fields_of, json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

from .shapes import ONE, RECORD_WRITE, decision_public, draft_public, record_step, review_public

routes = ApiRoutes(tag="incidents")
record_write = routes.family("POST", **RECORD_WRITE)


@record_write(f"{ONE}/decisions", name="api-incident-decide", request=TierDecisionCreate, response=TierDecisionPublic)
async def decide(ctx: Context) -> web.Response:
    """Record my party's decided tier, with its justification"""
    return await record_step(ctx, incidents.decide_tier, decision_public, ladder=ctx.ladder, **fields_of(ctx.body))


@record_write(
    f"{ONE}/legal-reviews",
    name="api-incident-legal-review",
    request=LegalReviewCreate,
    response=LegalReviewPublic,
)
async def legal_review(ctx: Context) -> web.Response:
    """Record my party's legal review of a tier: cleared or not cleared"""
    return await record_step(ctx, incidents.record_legal_review, review_public, data=ctx.body, ladder=ctx.ladder)


@routes.post(f"{ONE}/communique-drafts", name="api-incident-draft", request=DraftStartCreate, response=DraftStartPublic)
async def start_draft(ctx: Context) -> web.Response:
    """Render a crisis template allowed at my party's decided tier: the sections of a first draft"""
    incident_id = ctx.path_id("incident_id")
    data = ctx.body
    template = incidents.find_template(ctx.templates, data.template)
    draft = await render_draft(ctx, incident_id, template, params=data.params, participants=data.participants)
    return json_response(draft_public(draft))


async def render_draft(
    ctx: Context,
    incident_id: int,
    template: CrisisTemplate,
    *,
    params: Mapping[str, object],
    participants: Sequence[str],
) -> incidents.DraftStart:
    """The first draft ``template`` gives the caller's party on the incident, by the ladder (nothing stored):
    this route's answer and the incident page's preview."""
    async with ctx.read() as session:
        return await incidents.start_draft(
            session,
            incident_id=incident_id,
            caller=ctx.caller,
            template=template,
            params=params,
            participants=participants,
            ladder=ctx.ladder,
        )
