"""The escalation ladder and its rubric, for any signed-in user of the coalition."""

from __future__ import annotations

from aiohttp import web

from entente.incidents import describe_ladder, score_metrics
from entente.models import LadderAssessmentPublic, LadderPublic, LadderScoreRequest
from entente.web.bodies import json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

API = "/api/v1"
LADDER = f"{API}/ladder"
routes = ApiRoutes(tag="ladder")


@routes.get(LADDER, name="api-ladder", response=LadderPublic)
async def get_ladder(ctx: Context) -> web.Response:
    """The escalation ladder: tiers, what lifts an incident to each, what each permits; the metrics"""
    return json_response(describe_ladder(ctx.ladder))


@routes.post(f"{LADDER}/score", name="api-ladder-score", request=LadderScoreRequest, response=LadderAssessmentPublic)
async def score(ctx: Context) -> web.Response:
    """Score metrics with the rubric: recommended tier, reasons, what the next tier lacks"""
    return json_response(score_metrics(ctx.ladder, ctx.body.metrics))
