"""After-action reviews of closed incidents: the timeline from the audit trail, lessons, ladder changes."""

from __future__ import annotations

from aiohttp import web

from entente import incidents, oversight
from entente.models import (
    AfterActionLesson,
    AfterActionPublic,
    LadderProposal,
    LadderProposalCreate,
    LadderProposalPublic,
    LessonCreate,
    LessonPublic,
    MilestonePublic,
    PartyTimingPublic,
    TimelineStepPublic,
)
from entente.web.api.incidents.shapes import ONE, RECORD_WRITE, marking_public, record_step
from entente.web.bodies import from_fields, json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

routes = ApiRoutes(tag="incidents")
record_write = routes.family("POST", **RECORD_WRITE)


def lesson_public(lesson: AfterActionLesson) -> LessonPublic:
    return from_fields(LessonPublic, lesson, marking=marking_public(lesson.marking, lesson.author_party))


def proposal_public(proposal: LadderProposal) -> LadderProposalPublic:
    return LadderProposalPublic.model_validate(proposal, from_attributes=True)


def after_action_public(review: oversight.AfterAction) -> AfterActionPublic:
    incident = review.incident
    return AfterActionPublic(
        incident_id=incident.id,
        title=incident.title,
        state=str(incident.state),
        opened_at=incident.opened_at,
        closed_at=incident.closed_at,
        duration=oversight.seconds(incident.closed_at, incident.opened_at) if incident.closed_at else None,
        milestones=[MilestonePublic(name=m.name, at=m.at, after_open=m.after_open) for m in review.milestones],
        parties=[
            PartyTimingPublic(party=p.party, decided_tier=p.decided_tier,
                              first_decision_after_open=p.first_decision_after_open,
                              legal_reviews=p.legal_reviews, signoffs=list(p.signoffs))
            for p in review.parties
        ],
        timeline=[
            TimelineStepPublic(
                seq=s.entry.seq, at=s.entry.at, event=s.entry.event, what=s.what, party=s.entry.party,
                actor=s.entry.actor, object=s.entry.object, communique=s.communique, details=s.details,
                since_previous=s.since_previous, since_open=s.since_open,
            )
            for s in review.steps
        ],
        lessons=[lesson_public(lesson) for lesson in review.lessons],
        ladder_proposals=[proposal_public(p) for p in review.proposals],
    )


@routes.get(f"{ONE}/after-action", name="api-incident-after-action", response=AfterActionPublic, errors=(404, 409))
async def get_after_action(ctx: Context) -> web.Response:
    """The after-action review of a closed incident: timeline from the audit trail, durations, lessons"""
    async with ctx.read() as session:
        review = await oversight.after_action_review(
            session, incident_id=ctx.path_id("incident_id"), caller=ctx.caller
        )
    return json_response(after_action_public(review))


@record_write(f"{ONE}/after-action/lessons", name="api-incident-lesson", request=LessonCreate, response=LessonPublic)
async def add_lesson(ctx: Context) -> web.Response:
    """Add my party's lesson (on thresholds, messages or tools) to a closed incident, marked like any text"""
    return await record_step(ctx, incidents.add_lesson, lesson_public, data=ctx.body)


@record_write(
    f"{ONE}/after-action/ladder-proposals",
    name="api-incident-ladder-proposal",
    request=LadderProposalCreate,
    response=LadderProposalPublic,
)
async def propose_ladder_change(ctx: Context) -> web.Response:
    """Propose a change to config/ladder.toml from a closed incident: the whole new file, answered as a diff"""
    return await record_step(
        ctx, incidents.propose_ladder_change, proposal_public, data=ctx.body, ladder=ctx.ladder, templates=ctx.templates
    )
