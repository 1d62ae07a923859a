"""Form posts on an incident: each re-renders the incident page with the reason when refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from entente import incidents
from entente.appkeys import clock_key, ladder_key, sessionmaker_key
from entente.errors import InvalidInputError, NotFoundError
from entente.incidents.access import NO_EVIDENCE
from entente.models import IncidentAttributionUpdate, IncidentEvidenceCreate, IncidentUpdate, LegalReviewCreate
from entente.web import forms
from entente.web.bodies import validate
from entente.web.pages import require_page_caller
from entente.web.paths import parse_id
from entente.web.problems import status_for

from .reading import (
    SHOWN_ERRORS,
    errors_of,
    incident_id_of,
    marking_fields,
    marking_from_form,
    metric_fields,
    metrics_from_form,
)
from .views import render_view


async def _act(
    request: web.Request, form_name: str, fields: set[str] | Callable[[Any], set[str]], action: Any
) -> web.StreamResponse:
    """Read the form, run ``action(session, caller, incident_id, form)``, then back to the incident;
    a refusal re-renders the incident page with the reason beside the form."""
    caller = require_page_caller(request)
    incident_id = incident_id_of(request)
    async with request.app[sessionmaker_key]() as session:
        view = await incidents.get_incident_view(session, incident_id=incident_id, caller=caller)
    allowed = fields(view) if callable(fields) else fields
    form = await forms.read_form(request, allowed | {"csrf_token"})
    try:
        async with request.app[sessionmaker_key].begin() as session:
            await action(session, caller, incident_id, form, view)
    except SHOWN_ERRORS as exc:
        return await render_view(
            request,
            caller,
            incident_id,
            form_name=form_name,
            values=form,
            errors=errors_of(exc),
            status=status_for(exc),
        )
    location = request.app.router["incident"].url_for(incident_id=str(incident_id))
    raise web.HTTPSeeOther(location=f"{location}#{form_name}")


async def incident_update(request: web.Request) -> web.StreamResponse:
    ladder = request.app[ladder_key]

    async def action(session, caller, incident_id, form, view):
        data = validate(
            IncidentUpdate,
            {
                "title": form.get("title", ""),
                "description": form.get("description", ""),
                "metrics": metrics_from_form(ladder, form),
            },
        )
        version = forms.integer(form, "version", minimum=1)
        await incidents.update_incident(
            session,
            incident_id=incident_id,
            caller=caller,
            data=data,
            expected_version=version,
            ladder=ladder,
            now=request.app[clock_key](),
        )

    return await _act(request, "update", metric_fields(ladder) | {"title", "description", "version"}, action)


async def evidence_add(request: web.Request) -> web.StreamResponse:
    async def action(session, caller, incident_id, form, view):
        data = validate(
            IncidentEvidenceCreate,
            {
                "kind": form.get("kind", ""),
                "title": form.get("title", ""),
                "body": form.get("body", ""),
                "source": form.get("source", ""),
                "marking": marking_from_form(form, view.participants).model_dump(exclude_none=True),
            },
        )
        await incidents.add_evidence(
            session, incident_id=incident_id, caller=caller, data=data, now=request.app[clock_key]()
        )

    return await _act(
        request, "evidence", lambda v: {"kind", "title", "body", "source"} | marking_fields(v.participants), action
    )


async def evidence_marking(request: web.Request) -> web.StreamResponse:
    evidence_id = parse_id(request.match_info["evidence_id"])
    if evidence_id is None:
        raise NotFoundError(NO_EVIDENCE)

    async def action(session, caller, incident_id, form, view):
        await incidents.change_evidence_marking(
            session,
            incident_id=incident_id,
            evidence_id=evidence_id,
            caller=caller,
            marking=marking_from_form(form, view.participants),
            expected_version=forms.integer(form, "version", minimum=1),
            now=request.app[clock_key](),
        )

    return await _act(
        request, f"evidence-{evidence_id}", lambda v: {"version"} | marking_fields(v.participants), action
    )


async def attribution_set(request: web.Request) -> web.StreamResponse:
    async def action(session, caller, incident_id, form, view):
        data = validate(
            IncidentAttributionUpdate,
            {
                "suspected_actor": form.get("suspected_actor", ""),
                "confidence": form.get("confidence", ""),
                "state_backing": form.get("state_backing") or None,
                "reasoning": form.get("reasoning", ""),
                "marking": marking_from_form(form, view.participants).model_dump(exclude_none=True),
            },
        )
        version = forms.integer(form, "version", minimum=1) if form.get("version") else None
        await incidents.set_attribution(
            session,
            incident_id=incident_id,
            caller=caller,
            data=data,
            expected_version=version,
            now=request.app[clock_key](),
        )

    fields = {"suspected_actor", "confidence", "state_backing", "reasoning", "version"}
    return await _act(request, "attribution", lambda v: fields | marking_fields(v.participants), action)


async def decision_add(request: web.Request) -> web.StreamResponse:
    async def action(session, caller, incident_id, form, view):
        tier = forms.integer(form, "tier", minimum=0, maximum=1000)
        await incidents.decide_tier(
            session,
            incident_id=incident_id,
            caller=caller,
            tier=tier,
            justification=form.get("justification", ""),
            party=form.get("party") or None,
            ladder=request.app[ladder_key],
            now=request.app[clock_key](),
        )

    return await _act(request, "decide", {"tier", "justification", "party"}, action)


async def legal_review_add(request: web.Request) -> web.StreamResponse:
    async def action(session, caller, incident_id, form, view):
        data = validate(
            LegalReviewCreate,
            {
                "tier": forms.integer(form, "tier", minimum=0, maximum=1000),
                "outcome": form.get("outcome", ""),
                "reviewer": form.get("reviewer", ""),
                "conclusion": form.get("conclusion", ""),
                "party": form.get("party") or None,
            },
        )
        await incidents.record_legal_review(
            session,
            incident_id=incident_id,
            caller=caller,
            data=data,
            ladder=request.app[ladder_key],
            now=request.app[clock_key](),
        )

    return await _act(request, "review", {"tier", "outcome", "reviewer", "conclusion", "party"}, action)


async def participants_add(request: web.Request) -> web.StreamResponse:
    async def action(session, caller, incident_id, form, view):
        chosen = [name.removeprefix("invite.") for name in form if name.startswith("invite.")]
        if not chosen:
            raise InvalidInputError("choose at least one party to invite", field="/parties")
        await incidents.invite_parties(
            session,
            incident_id=incident_id,
            caller=caller,
            parties=chosen,
            ladder=request.app[ladder_key],
            now=request.app[clock_key](),
        )

    async with request.app[sessionmaker_key]() as session:
        names = await incidents.party_names(session)
    return await _act(request, "invite", {f"invite.{p}" for p in names}, action)


async def incident_close(request: web.Request) -> web.StreamResponse:
    async def action(session, caller, incident_id, form, view):
        await incidents.close_incident(
            session,
            incident_id=incident_id,
            caller=caller,
            reason=forms.text(form, "reason", max_length=2000, required=False),
            expected_version=forms.integer(form, "version", minimum=1),
            ladder=request.app[ladder_key],
            now=request.app[clock_key](),
        )

    return await _act(request, "close", {"reason", "version"}, action)
