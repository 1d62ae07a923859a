"""Pages that show: the ladder (and its scoring form), the incident list, the new-incident form, one incident."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente import incidents
from entente.errors import InvalidInputError
from entente.incidents.access import stored_marking
from entente.ladder import Confidence, Ladder, StateBacking
from entente.models import IncidentCreate, IncidentEvidenceKind, IncidentState, Role
from entente.web.bodies import validate
from entente.web.context import Context, PageRoutes
from entente.web.problems import status_for

from .reading import SHOWN_ERRORS, errors_of, markdown, metric_fields, metric_values, metrics_from_form

routes = PageRoutes()

# --- the ladder ---------------------------------------------------------------------------------


@routes.get("/ladder", name="ladder")
async def ladder_page(
    ctx: Context, *, values: dict | None = None, assessment: Any = None, errors: dict | None = None, status: int = 200
) -> web.Response:
    context = {
        "ladder": incidents.describe_ladder(ctx.ladder),
        "values": values or {},
        "assessment": assessment,
        "errors": errors or {},
    }
    return ctx.render("ladder.html", context, status=status)


@routes.post("/ladder", name="ladder-score")
async def ladder_score(ctx: Context) -> web.Response:
    form = await ctx.form(metric_fields(ctx.ladder) | {"csrf_token"})
    try:
        assessment = incidents.score_metrics(ctx.ladder, metrics_from_form(ctx.ladder, form))
    except InvalidInputError as exc:
        return await ladder_page(ctx, values=form, errors=errors_of(exc), status=422)
    return await ladder_page(ctx, values=form, assessment=assessment)


# --- incidents ----------------------------------------------------------------------------------


@routes.get("/incidents", name="incidents")
async def incident_list(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        rows = await incidents.list_incidents(session, caller=ctx.caller)
    return ctx.render("incidents/list.html", {"rows": rows})


@routes.get("/incidents/new", name="incident-new")
async def incident_new(
    ctx: Context, *, values: dict | None = None, errors: dict | None = None, status: int = 200
) -> web.Response:
    async with ctx.read() as session:
        names = await incidents.party_names(session)
    context = {
        "ladder": incidents.describe_ladder(ctx.ladder),
        "values": values or {},
        "errors": errors or {},
        "parties": names,
    }
    return ctx.render("incidents/new.html", context, status=status)


@routes.post("/incidents", name="incident-open")
async def incident_open(ctx: Context) -> web.StreamResponse:
    ladder = ctx.ladder
    async with ctx.read() as session:
        names = await incidents.party_names(session)
    allowed = metric_fields(ladder) | {"csrf_token", "title", "description"} | {f"invite.{p}" for p in names}
    form = await ctx.form(allowed)
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
        async with ctx.write() as session:
            incident = await incidents.open_incident(session, caller=ctx.caller, data=data, ladder=ladder, now=ctx.now)
    except SHOWN_ERRORS as exc:
        return await incident_new(ctx, values=form, errors=errors_of(exc), status=status_for(exc))
    raise ctx.redirect("incident", incident_id=str(incident.id))


@routes.get("/incidents/{incident_id}", name="incident")
async def incident_view(ctx: Context) -> web.Response:
    return await render_view(ctx, ctx.path_id("incident_id"))


async def render_view(
    ctx: Context,
    incident_id: int,
    *,
    form_name: str = "",
    values: dict | None = None,
    errors: dict | None = None,
    status: int = 200,
) -> web.Response:
    """The incident page, with the reason beside the form ``form_name`` when one was refused."""
    caller, ladder = ctx.caller, ctx.ladder
    async with ctx.read() as session:
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
        "crisis_templates": ctx.templates,
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
    return ctx.render("incidents/view.html", context, status=status)


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
