"""De-escalation through the ladder's exit ramps: what applies, conditions met, step-down proposals."""

from __future__ import annotations

from aiohttp import web

from entente import incidents
from entente.models import (
    DeescalationPublic,
    ExitRampMeet,
    ExitRampPublic,
    IncidentRampMet,
    RampMetPublic,
    StepDownCreate,
    StepDownDecide,
    StepDownPublic,
)
from entente.web.api.incidents.shapes import ONE, RECORD_WRITE, record_step
from entente.web.bodies import from_fields, json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

routes = ApiRoutes(tag="incidents")
record_write = routes.family("POST", **RECORD_WRITE)


def met_public(row: IncidentRampMet) -> RampMetPublic:
    return RampMetPublic.model_validate(row, from_attributes=True)


def step_down_public(view: incidents.StepDownView) -> StepDownPublic:
    s = view.step_down
    return from_fields(StepDownPublic, s, id=s.id or 0, ramps=list(s.ramps), waiting_for=list(view.waiting_for))


def deescalation_public(view: incidents.Deescalation) -> DeescalationPublic:
    return DeescalationPublic(
        incident_id=view.incident.id,
        decided_tiers=view.decided_tiers,
        last_recurrence_at=view.last_recurrence_at,
        exit_ramps=[
            ExitRampPublic(tier=r.tier, id=r.ramp.id, kind=str(r.ramp.kind), description=r.ramp.description,
                           days=r.ramp.days, met=r.met, due_at=r.due_at)
            for r in view.ramps
        ],
        met=[met_public(m) for m in view.met],
        step_downs=[step_down_public(s) for s in view.step_downs],
    )


async def _step_down_answer(ctx: Context, session, incident_id: int, step_down_id: int) -> StepDownPublic:
    view = await incidents.get_deescalation(session, incident_id=incident_id, caller=ctx.caller, ladder=ctx.ladder)
    return step_down_public(next(s for s in view.step_downs if s.step_down.id == step_down_id))


@routes.get(f"{ONE}/de-escalation", name="api-incident-deescalation", response=DeescalationPublic, errors=(404,))
async def get_deescalation(ctx: Context) -> web.Response:
    """The exit ramps of the tiers decided on the incident, those recorded as met, and step-down proposals"""
    async with ctx.read() as session:
        view = await incidents.get_deescalation(
            session, incident_id=ctx.path_id("incident_id"), caller=ctx.caller, ladder=ctx.ladder
        )
    return json_response(deescalation_public(view))


@record_write(f"{ONE}/exit-ramps", name="api-incident-exit-ramp", request=ExitRampMeet, response=RampMetPublic)
async def meet_exit_ramp(ctx: Context) -> web.Response:
    """Record that an exit ramp of the ladder is met on the incident, and what shows it"""
    return await record_step(ctx, incidents.record_ramp_met, met_public, data=ctx.body, ladder=ctx.ladder)


@record_write(f"{ONE}/step-downs", name="api-incident-step-down", request=StepDownCreate, response=StepDownPublic)
async def propose_step_down(ctx: Context) -> web.Response:
    """Propose stepping the incident down one tier from my party's decided tier, citing exit ramps met"""
    incident_id = ctx.path_id("incident_id")
    async with ctx.write() as session:
        step_down = await incidents.propose_step_down(
            session, incident_id=incident_id, caller=ctx.caller, data=ctx.body, ladder=ctx.ladder, now=ctx.now
        )
        body = await _step_down_answer(ctx, session, incident_id, step_down.id or 0)
    return json_response(body, status=201)


@record_write(
    f"{ONE}/step-downs/{{step_down}}/decisions",
    name="api-incident-step-down-decide",
    request=StepDownDecide,
    response=StepDownPublic,
)
async def decide_step_down(ctx: Context) -> web.Response:
    """My party decides the step-down's lower tier (a decided tier, with its justification)"""
    incident_id = ctx.path_id("incident_id")
    step_down_id = ctx.path_id("step_down")
    async with ctx.write() as session:
        step_down, _ = await incidents.decide_step_down(
            session, incident_id=incident_id, step_down_id=step_down_id, caller=ctx.caller, data=ctx.body,
            ladder=ctx.ladder, now=ctx.now,
        )
        body = await _step_down_answer(ctx, session, incident_id, step_down.id or 0)
    return json_response(body, status=201)
