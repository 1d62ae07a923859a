"""Incident answers: the data models of incidents and their items, with the version as ETag."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from entente import incidents
from entente.incidents.access import stored_marking
from entente.ladder import Ladder
from entente.models import (
    DraftStartPublic,
    IncidentAttribution,
    IncidentAttributionPublic,
    IncidentDecision,
    IncidentEvidence,
    IncidentEvidencePublic,
    IncidentLegalReview,
    IncidentPublic,
    LegalReviewPublic,
    MarkingPublic,
    TierDecisionPublic,
)
from entente.web.api.steps import written
from entente.web.bodies import from_fields, json_response
from entente.web.context import Context
from entente.web.etags import etag

API = "/api/v1"
ONE = f"{API}/incidents/{{incident_id}}"
T = TypeVar("T")
#: How a write to the incident's record is declared: answered with what it recorded (201), refused
#: with 403, 404 or 409.
RECORD_WRITE: dict[str, Any] = {"status": 201, "errors": (403, 404, 409)}


def marking_public(value: dict, author: str) -> MarkingPublic:
    return MarkingPublic.model_validate(stored_marking(value, author).to_dict())


def evidence_public(evidence: IncidentEvidence) -> IncidentEvidencePublic:
    return from_fields(
        IncidentEvidencePublic, evidence, marking=marking_public(evidence.marking, evidence.author_party)
    )


def attribution_public(attribution: IncidentAttribution) -> IncidentAttributionPublic:
    marking = marking_public(attribution.marking, attribution.party)
    return from_fields(IncidentAttributionPublic, attribution, marking=marking)


def decision_public(decision: IncidentDecision) -> TierDecisionPublic:
    return TierDecisionPublic.model_validate(decision, from_attributes=True)


def review_public(review: IncidentLegalReview) -> LegalReviewPublic:
    return LegalReviewPublic.model_validate(review, from_attributes=True)


def incident_public(view: incidents.IncidentView, ladder: Ladder) -> IncidentPublic:
    incident = view.incident
    return from_fields(
        IncidentPublic,
        incident,
        participants=list(view.participants),
        recommendation=incidents.assessment_public(ladder, incident.assessment),
        decisions=[decision_public(d) for d in view.decisions],
        legal_reviews=[review_public(r) for r in view.legal_reviews],
        attributions=[attribution_public(a) for a in view.attributions],
        evidence=[evidence_public(e) for e in view.evidence],
    )


async def record_step(
    ctx: Context, step: Callable[..., Awaitable[T]], shape: Callable[[T], Any], *, status: int = 201, **fields: Any
) -> web.Response:
    """One write to the incident in the path (``fields`` from the body and the rules), answered with
    what it recorded in its public shape."""
    return await written(ctx, step, shape, status=status, incident_id=ctx.path_id("incident_id"), **fields)


async def answer_incident(ctx: Context, session: AsyncSession, incident_id: int, *, status: int = 200) -> web.Response:
    """The incident as the caller sees it (read in the session that may just have changed it)."""
    view = await incidents.get_incident_view(session, incident_id=incident_id, caller=ctx.caller)
    body = incident_public(view, ctx.ladder)
    return json_response(body, status=status, headers=etag(view.incident.version))


def draft_public(draft: incidents.DraftStart) -> DraftStartPublic:
    return DraftStartPublic.model_validate(
        {
            "incident_id": draft.incident_id,
            "tier": draft.tier,
            "lead": draft.lead,
            "participants": list(draft.participants),
            "template": draft.template_ref.to_dict(),
            "params": {k: list(v) if isinstance(v, tuple) else v for k, v in draft.params.items()},
            "sections": [
                {"id": s.id, "heading": s.heading, "body": s.body, "marking": s.marking.to_dict()}
                for s in draft.sections
            ],
        }
    )
