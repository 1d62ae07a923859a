"""Form posts on an incident: each re-renders the incident page with the reason when refused."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente import incidents
from entente.errors import InvalidInputError
from entente.models import IncidentAttributionUpdate, IncidentEvidenceCreate, IncidentUpdate, LegalReviewCreate
from entente.web import forms
from entente.web.bodies import M, validate
from entente.web.context import Context, PageRoutes
from entente.web.problems import status_for

from .reading import SHOWN_ERRORS, errors_of, marking_fields, marking_from_form, metric_fields, metrics_from_form
from .views import render_view

routes = PageRoutes()
ONE = "/incidents/{incident_id}"


async def _act(
    ctx: Context, form_name: str, fields: set[str], step: Any, arguments: Any, *, marked: bool = False
) -> web.StreamResponse:
    """Read the form's ``fields`` (and a marking among the incident's participants when ``marked``), run the
    incident ``step`` with what ``arguments(form, view)`` makes of them (beside the incident, the caller and
    the instant), then back to the incident; a refusal re-renders the incident page with the reason beside
    the form."""
    caller, incident_id = ctx.caller, ctx.path_id("incident_id")
    async with ctx.read() as session:
        view = await incidents.get_incident_view(session, incident_id=incident_id, caller=caller)
    allowed = fields | marking_fields(view.participants) if marked else fields
    form = await ctx.form(allowed | {"csrf_token"})
    try:
        async with ctx.write() as session:
            await step(session, incident_id=incident_id, caller=caller, now=ctx.now, **arguments(form, view))
    except SHOWN_ERRORS as exc:
        return await render_view(
            ctx, incident_id, form_name=form_name, values=form, errors=errors_of(exc), status=status_for(exc)
        )
    raise ctx.redirect("incident", form_name, incident_id=str(incident_id))


def _marked(
    model: type[M], form: dict[str, str], view: incidents.IncidentView, texts: tuple[str, ...], **values: Any
) -> M:
    """A marked item from the form: its ``texts`` fields as typed, ``values``, and the marking chosen
    among the incident's participants."""
    marking = marking_from_form(form, view.participants).model_dump(exclude_none=True)
    return validate(model, {name: form.get(name, "") for name in texts} | values | {"marking": marking})


@routes.post(f"{ONE}/update", name="incident-update")
async def incident_update(ctx: Context) -> web.StreamResponse:
    ladder = ctx.ladder

    def arguments(form, view):
        data = validate(
            IncidentUpdate,
            {
                "title": form.get("title", ""),
                "description": form.get("description", ""),
                "metrics": metrics_from_form(ladder, form),
            },
        )
        return {"data": data, "expected_version": forms.integer(form, "version", minimum=1), "ladder": ladder}

    fields = metric_fields(ladder) | {"title", "description", "version"}
    return await _act(ctx, "update", fields, incidents.update_incident, arguments)


@routes.post(f"{ONE}/evidence", name="incident-evidence")
async def evidence_add(ctx: Context) -> web.StreamResponse:
    texts = ("kind", "title", "body", "source")

    def arguments(form, view):
        return {"data": _marked(IncidentEvidenceCreate, form, view, texts)}

    return await _act(ctx, "evidence", set(texts), incidents.add_evidence, arguments, marked=True)


@routes.post(f"{ONE}/evidence/{{evidence_id}}/marking", name="incident-evidence-marking")
async def evidence_marking(ctx: Context) -> web.StreamResponse:
    evidence_id = ctx.path_id("evidence_id")

    def arguments(form, view):
        return {
            "evidence_id": evidence_id,
            "marking": marking_from_form(form, view.participants),
            "expected_version": forms.integer(form, "version", minimum=1),
        }

    form_name = f"evidence-{evidence_id}"
    return await _act(ctx, form_name, {"version"}, incidents.change_evidence_marking, arguments, marked=True)


@routes.post(f"{ONE}/attribution", name="incident-attribution")
async def attribution_set(ctx: Context) -> web.StreamResponse:
    def arguments(form, view):
        texts = ("suspected_actor", "confidence", "reasoning")
        data = _marked(IncidentAttributionUpdate, form, view, texts, state_backing=form.get("state_backing") or None)
        version = forms.integer(form, "version", minimum=1) if form.get("version") else None
        return {"data": data, "expected_version": version}

    fields = {"suspected_actor", "confidence", "state_backing", "reasoning", "version"}
    return await _act(ctx, "attribution", fields, incidents.set_attribution, arguments, marked=True)


@routes.post(f"{ONE}/decisions", name="incident-decide")
async def decision_add(ctx: Context) -> web.StreamResponse:
    def arguments(form, view):
        return {
            "tier": forms.integer(form, "tier", minimum=0, maximum=1000),
            "justification": form.get("justification", ""),
            "party": form.get("party") or None,
            "ladder": ctx.ladder,
        }

    return await _act(ctx, "decide", {"tier", "justification", "party"}, incidents.decide_tier, arguments)


@routes.post(f"{ONE}/legal-reviews", name="incident-review")
async def legal_review_add(ctx: Context) -> web.StreamResponse:
    def arguments(form, view):
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
        return {"data": data, "ladder": ctx.ladder}

    fields = {"tier", "outcome", "reviewer", "conclusion", "party"}
    return await _act(ctx, "review", fields, incidents.record_legal_review, arguments)


@routes.post(f"{ONE}/participants", name="incident-invite")
async def participants_add(ctx: Context) -> web.StreamResponse:
    def arguments(form, view):
        chosen = [name.removeprefix("invite.") for name in form if name.startswith("invite.")]
        if not chosen:
            raise InvalidInputError("choose at least one party to invite", field="/parties")
        return {"parties": chosen, "ladder": ctx.ladder}

    async with ctx.read() as session:
        names = await incidents.party_names(session)
    return await _act(ctx, "invite", {f"invite.{p}" for p in names}, incidents.invite_parties, arguments)


@routes.post(f"{ONE}/close", name="incident-close")
async def incident_close(ctx: Context) -> web.StreamResponse:
    def arguments(form, view):
        return {
            "reason": forms.text(form, "reason", max_length=2000, required=False),
            "expected_version": forms.integer(form, "version", minimum=1),
            "ladder": ctx.ladder,
        }

    return await _act(ctx, "close", {"reason", "version"}, incidents.close_incident, arguments)
