"""Pages for de-escalation, after-action reviews and oversight.

- ``/incidents/{id}/de-escalation``: the exit ramps of the tiers decided, the conditions recorded as
  met, step-down proposals and who they wait for, with forms to record, propose and decide;
- ``/incidents/{id}/after-action``: the timeline of a closed incident from the audit trail, with
  durations, per-party timings, lessons (marked) and proposed ladder changes shown as diffs;
- ``/oversight``: the oversight report of a period (JSON and PDF links) and the party's audit trail.

Every page reads through the same domain calls as the API; a refused form re-renders its page with
the reason and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from aiohttp import web

from entente import audit, incidents, oversight
from entente.auth import is_read_only
from entente.errors import InvalidInputError
from entente.incidents.access import CONTENT_ROLES
from entente.models import (
    ExitRampMeet,
    IncidentState,
    LadderProposalCreate,
    LessonCreate,
    Role,
    StepDownCreate,
    StepDownDecide,
)
from entente.web.bodies import validate
from entente.web.context import Context, PageRoutes
from entente.web.incident_pages.reading import (
    SHOWN_ERRORS,
    errors_of,
    markdown,
    marking_fields,
    marking_from_form,
)
from entente.web.problems import status_for

routes = PageRoutes()
REPORT_DAYS = 90


def _party_names(session_parties: list[Any]) -> dict[str, str]:
    return {p.code: p.name for p in session_parties}


# --- de-escalation ------------------------------------------------------------------------------


@routes.get("/incidents/{incident_id}/de-escalation", name="incident-deescalation")
async def deescalation_page(ctx: Context, *, form_name: str | None = None, values: dict[str, str] | None = None,
                            errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    incident_id = ctx.path_id("incident_id")
    async with ctx.read() as session:
        view = await incidents.get_deescalation(session, incident_id=incident_id, caller=ctx.caller,
                                                ladder=ctx.ladder)
        names = await incidents.party_names(session)
    caller = ctx.caller
    can_act = (caller.party in view.participants and caller.has_role(*CONTENT_ROLES) and not is_read_only(caller)
               and view.incident.state != IncidentState.CLOSED)
    return ctx.render("incidents/deescalation.html", {
        "view": view, "incident": view.incident, "parties": names, "can_act": can_act, "ladder": ctx.ladder,
        "form_name": form_name, "values": values or {}, "errors": errors or {},
    }, status=status)


async def _act(ctx: Context, page: Any, route: str, form_name: str, fields: set[str], action: Any,
               ) -> web.StreamResponse:
    incident_id = ctx.path_id("incident_id")
    form = await ctx.form(fields | {"csrf_token"})
    try:
        async with ctx.write() as session:
            await action(session, incident_id, form)
    except SHOWN_ERRORS as exc:
        return await page(ctx, form_name=form_name, values=form, errors=errors_of(exc), status=status_for(exc))
    raise web.HTTPSeeOther(location=f"{ctx.url(route, incident_id=str(incident_id))}#{form_name}")


@routes.post("/incidents/{incident_id}/exit-ramps", name="incident-exit-ramp")
async def exit_ramp_submit(ctx: Context) -> web.StreamResponse:
    async def action(session, incident_id, form):
        data = validate(ExitRampMeet, {"ramp": form.get("ramp", ""), "showing": form.get("showing", "")})
        await incidents.record_ramp_met(session, incident_id=incident_id, caller=ctx.caller, data=data,
                                        ladder=ctx.ladder, now=ctx.now)

    return await _act(ctx, deescalation_page, "incident-deescalation", "meet", {"ramp", "showing"}, action)


@routes.post("/incidents/{incident_id}/step-downs", name="incident-step-down")
async def step_down_submit(ctx: Context) -> web.StreamResponse:
    async def action(session, incident_id, form):
        ramps = [name[len("ramp."):] for name in form if name.startswith("ramp.")]
        if not ramps:
            raise InvalidInputError("tick the exit ramps met that justify stepping down", field="ramps")
        data = validate(StepDownCreate, {"ramps": ramps, "justification": form.get("justification", "")})
        await incidents.propose_step_down(session, incident_id=incident_id, caller=ctx.caller, data=data,
                                          ladder=ctx.ladder, now=ctx.now)

    ramp_fields = {f"ramp.{r.id}" for t in ctx.ladder.tiers for r in t.exit_ramps}
    return await _act(ctx, deescalation_page, "incident-deescalation", "propose", ramp_fields | {"justification"},
                      action)


@routes.post("/incidents/{incident_id}/step-downs/{step_down}/decide", name="incident-step-down-decide")
async def step_down_decide_submit(ctx: Context) -> web.StreamResponse:
    step_down_id = ctx.path_id("step_down")

    async def action(session, incident_id, form):
        data = validate(StepDownDecide, {"justification": form.get("justification", "")})
        await incidents.decide_step_down(session, incident_id=incident_id, step_down_id=step_down_id,
                                         caller=ctx.caller, data=data, ladder=ctx.ladder, now=ctx.now)

    return await _act(ctx, deescalation_page, "incident-deescalation", f"decide-{step_down_id}", {"justification"},
                      action)


# --- after-action reviews -----------------------------------------------------------------------


def duration(value: int | None) -> str:
    if value is None:
        return "—"
    days, rest = divmod(int(value), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or not parts else []
    if not days and not hours and seconds:
        parts.append(f"{seconds} s")
    return " ".join(parts)


@routes.get("/incidents/{incident_id}/after-action", name="incident-after-action")
async def after_action_page(ctx: Context, *, form_name: str | None = None, values: dict[str, str] | None = None,
                            errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    incident_id = ctx.path_id("incident_id")
    caller = ctx.caller
    async with ctx.read() as session:
        loaded_view = await incidents.get_incident_view(session, incident_id=incident_id, caller=caller)
        names = await incidents.party_names(session)
        review = None
        if loaded_view.incident.state == IncidentState.CLOSED:
            review = await oversight.after_action_review(session, incident_id=incident_id, caller=caller)
    participant = caller.party in loaded_view.participants and not is_read_only(caller)
    return ctx.render("incidents/after_action.html", {
        "incident": loaded_view.incident, "participants": loaded_view.participants, "review": review,
        "parties": names, "duration": duration, "markdown": markdown,
        "lesson_marking": lambda lesson: incidents.lesson_marking(lesson).to_dict(),
        "can_add_lesson": participant and caller.has_role(*incidents.LESSON_ROLES),
        "can_propose": participant and caller.has_role(Role.DRAFTER, Role.SIGNATORY),
        "ladder_text": values.get("ladder_toml") if values and "ladder_toml" in values
        else ctx.ladder.path.read_text(encoding="utf-8"),
        "form_name": form_name, "values": values or {}, "errors": errors or {},
    }, status=status)


@routes.post("/incidents/{incident_id}/after-action/lessons", name="incident-lesson")
async def lesson_submit(ctx: Context) -> web.StreamResponse:
    async with ctx.read() as session:
        view = await incidents.get_incident_view(session, incident_id=ctx.path_id("incident_id"), caller=ctx.caller)

    async def action(session, incident_id, form):
        data = validate(LessonCreate, {
            "topic": form.get("topic", ""), "body": form.get("body", ""),
            "marking": marking_from_form(form, view.participants).model_dump(),
        })
        await incidents.add_lesson(session, incident_id=incident_id, caller=ctx.caller, data=data, now=ctx.now)

    return await _act(ctx, after_action_page, "incident-after-action", "lesson",
                      {"topic", "body"} | marking_fields(view.participants), action)


@routes.post("/incidents/{incident_id}/after-action/ladder-proposals", name="incident-ladder-proposal")
async def ladder_proposal_submit(ctx: Context) -> web.StreamResponse:
    async def action(session, incident_id, form):
        data = validate(LadderProposalCreate, {"ladder_toml": form.get("ladder_toml", ""),
                                               "rationale": form.get("rationale", "")})
        await incidents.propose_ladder_change(session, incident_id=incident_id, caller=ctx.caller, data=data,
                                              ladder=ctx.ladder, templates=ctx.templates, now=ctx.now)

    return await _act(ctx, after_action_page, "incident-after-action", "ladder", {"ladder_toml", "rationale"},
                      action)


# --- oversight ----------------------------------------------------------------------------------


def _day(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.combine(datetime.strptime(text, "%Y-%m-%d").date(), time(0), tzinfo=UTC)
    except ValueError:
        raise InvalidInputError("a date as YYYY-MM-DD", code="invalid_period", field=name) from None


@routes.get("/oversight", name="oversight")
async def oversight_page(ctx: Context) -> web.Response:
    caller = ctx.caller
    report = None
    error = None
    query = ctx.request.query
    try:
        end = _day(query.get("to"), "to") or datetime.combine(ctx.now.date() + timedelta(days=1), time(0), tzinfo=UTC)
        start = _day(query.get("from"), "from") or end - timedelta(days=REPORT_DAYS)
        async with ctx.read() as session:
            report = await oversight.build_report(session, caller=caller, period_from=start, period_to=end,
                                                  now=ctx.now)
            trail = await audit.list_entries(
                session, party=None if caller.has_role(Role.SECRETARIAT) else caller.party, limit=50
            )
            names = await incidents.party_names(session)
    except SHOWN_ERRORS as exc:
        error = exc.detail
        start = end = ctx.now
        trail, names = [], {}
        status = status_for(exc)
    else:
        status = 200
    period = {"from": start.strftime("%Y-%m-%d"), "to": end.strftime("%Y-%m-%d"),
              "from_instant": start.isoformat().replace("+00:00", "Z"),
              "to_instant": end.isoformat().replace("+00:00", "Z")}
    return ctx.render("oversight.html", {
        "report": report.public() if report else None, "trail": trail, "period": period, "error": error,
        "parties": names, "duration": duration, "markdown": markdown, "pdf": ctx.settings.documents.pdf,
        "events": audit.Event,
    }, status=status)
