"""Pages that show: the ladder (and its scoring form), the incident list, the new-incident form, one incident."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente import incidents
from entente.appkeys import clock_key, ladder_key, sessionmaker_key, templates_key
from entente.auth import Caller
from entente.errors import InvalidInputError
from entente.incidents.access import stored_marking
from entente.ladder import Confidence, Ladder, StateBacking
from entente.models import IncidentCreate, IncidentEvidenceKind, IncidentState, Role
from entente.web import forms
from entente.web.bodies import validate
from entente.web.html import render
from entente.web.pages import require_page_caller
from entente.web.problems import status_for

from .reading import SHOWN_ERRORS, errors_of, incident_id_of, markdown, metric_fields, metric_values, metrics_from_form

# --- the ladder ---------------------------------------------------------------------------------


async def ladder_page(request: web.Request) -> web.Response:
    require_page_caller(request)
    return _ladder_page(request, values={}, assessment=None, errors={})


async def ladder_score(request: web.Request) -> web.Response:
    require_page_caller(request)
    ladder = request.app[ladder_key]
    form = await forms.read_form(request, metric_fields(ladder) | {"csrf_token"})
    try:
        assessment = incidents.score_metrics(ladder, metrics_from_form(ladder, form))
    except InvalidInputError as exc:
        return _ladder_page(request, values=form, assessment=None, errors=errors_of(exc), status=422)
    return _ladder_page(request, values=form, assessment=assessment, errors={})


def _ladder_page(request: web.Request, *, values: dict, assessment: Any, errors: dict, status: int = 200):
    ladder = request.app[ladder_key]
    context = {
        "ladder": incidents.describe_ladder(ladder),
        "values": values,
        "assessment": assessment,
        "errors": errors,
    }
    return render(request, "ladder.html", context, status=status)


# --- incidents ----------------------------------------------------------------------------------


async def incident_list(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    async with request.app[sessionmaker_key]() as session:
        rows = await incidents.list_incidents(session, caller=caller)
    return render(request, "incidents/list.html", {"rows": rows})


async def incident_new(request: web.Request) -> web.Response:
    require_page_caller(request)
    return await _new_page(request, values={}, errors={})


async def _new_page(request: web.Request, *, values: dict, errors: dict, status: int = 200) -> web.Response:
    async with request.app[sessionmaker_key]() as session:
        names = await incidents.party_names(session)
    context = {
        "ladder": incidents.describe_ladder(request.app[ladder_key]),
        "values": values,
        "errors": errors,
        "parties": names,
    }
    return render(request, "incidents/new.html", context, status=status)


async def incident_open(request: web.Request) -> web.StreamResponse:
    caller = require_page_caller(request)
    ladder = request.app[ladder_key]
    async with request.app[sessionmaker_key]() as session:
        names = await incidents.party_names(session)
    allowed = metric_fields(ladder) | {"csrf_token", "title", "description"} | {f"invite.{p}" for p in names}
    form = await forms.read_form(request, allowed)
    try:
        data = validate(
            IncidentCreate,
            {
                "title": form.get("title", ""),
                "description": form.get("description", ""),
                "metrics": metrics_from_form(ladder, form),
                "participants": [p for p in names if form.get(f"invite.{p}")],
            },
        )
        async with request.app[sessionmaker_key].begin() as session:
            incident = await incidents.open_incident(
                session, caller=caller, data=data, ladder=ladder, now=request.app[clock_key]()
            )
    except SHOWN_ERRORS as exc:
        return await _new_page(request, values=form, errors=errors_of(exc), status=status_for(exc))
    raise web.HTTPSeeOther(location=str(request.app.router["incident"].url_for(incident_id=str(incident.id))))


async def incident_view(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    return await render_view(request, caller, incident_id_of(request))


async def render_view(
    request: web.Request,
    caller: Caller,
    incident_id: int,
    *,
    form_name: str = "",
    values: dict | None = None,
    errors: dict | None = None,
    status: int = 200,
) -> web.Response:
    ladder = request.app[ladder_key]
    async with request.app[sessionmaker_key]() as session:
        view = await incidents.get_incident_view(session, incident_id=incident_id, caller=caller)
        history = await incidents.list_history(session, incident_id=incident_id, caller=caller)
        names = await incidents.party_names(session)
    incident = view.incident
    participating = caller.party in view.participants
    secretariat = caller.has_role(Role.SECRETARIAT)
    content_role = caller.has_role(Role.DRAFTER, Role.SIGNATORY)
    mine = next((a for a in view.attributions if a.party == caller.party), None)
    current = metric_values(incident.metrics) | {"title": incident.title, "description": incident.description}
    context = {
        "view": view,
        "incident": incident,
        "description_html": markdown(incident.description),
        "metric_rows": shown_metrics(ladder, incident.metrics),
        "ladder": incidents.describe_ladder(ladder),
        "assessment": incidents.assessment_public(ladder, incident.assessment),
        "decisions": {d.party: d for d in view.decisions},
        "evidence": [
            {"item": e, "marking": stored_marking(e.marking, e.author_party), "html": markdown(e.body)}
            for e in view.evidence
        ],
        "attributions": [
            {"item": a, "marking": stored_marking(a.marking, a.party), "html": markdown(a.reasoning)}
            for a in view.attributions
        ],
        "my_attribution": mine,
        "my_attribution_marking": stored_marking(mine.marking, mine.party) if mine else None,
        "history": history,
        "parties": names,
        "crisis_templates": request.app[templates_key],
        "open": incident.state != IncidentState.CLOSED,
        "can_edit": secretariat or (participating and caller.has_role(Role.DRAFTER)),
        "can_contribute": participating and content_role,
        "can_decide": secretariat or (participating and content_role),
        "can_lead": secretariat or (caller.party == incident.lead and caller.has_role(Role.DRAFTER)),
        "invitable": [p for p in names if p not in view.participants],
        "confidence_values": [str(c) for c in Confidence],
        "backing_values": [str(b) for b in StateBacking],
        "evidence_kinds": [str(k) for k in IncidentEvidenceKind],
        "metric_values": values if form_name == "update" and values else current,
        "form_name": form_name,
        "values": values or {},
        "errors": errors or {},
    }
    shown = {
        "update": context["can_edit"],
        "decide": context["can_decide"],
        "review": context["can_decide"],
        "attribution": context["can_contribute"],
        "evidence": context["can_contribute"],
        "invite": context["can_lead"],
        "close": context["can_lead"],
    }
    form_shown = context["open"] and shown.get(form_name.split("-")[0], False)
    context["refusal"] = errors.get("") if errors and not form_shown else None
    return render(request, "incidents/view.html", context, status=status)


def shown_metrics(ladder: Ladder, metrics: dict[str, Any]) -> list[tuple[str, str | None]]:
    """Every metric of the ladder with its reported value as the rubric writes it ("60 M EUR"), or None."""
    rows: list[tuple[str, str | None]] = []
    for name, metric in ladder.metrics.items():
        raw = metrics.get(name)
        try:
            rows.append((metric.label, None if raw is None else metric.show(metric.parse(raw))))
        except ValueError:  # stored under an older ladder that read it differently
            rows.append((metric.label, str(raw)))
    return rows
