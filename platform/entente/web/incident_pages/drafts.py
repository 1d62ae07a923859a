"""From an incident to a draft: a crisis template's form, its preview, and "Start the communiqué";
and starting a sanctions package from the incident.

The form is generated from the template's parameter schema (one field per parameter, of the kind
its type needs, with its label, description, limits and default). "Preview" renders the template
server-side through :func:`entente.incidents.start_draft` (every check the ladder asks for, nothing
stored); "Start the communiqué" creates it through :func:`entente.drafting.create_communique` with
the incident's parties invited, and opens its editor. A refused form comes back with the reason
beside each field and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from entente import incidents
from entente.crisis import CrisisTemplate, Parameter, ParameterType
from entente.errors import EntenteError, InvalidInputError
from entente.ladder import Confidence, ResponseCategory
from entente.models import CommuniqueCreate, CommuniqueKind
from entente.sanctions.packages import create_package
from entente.web import forms
from entente.web.api.incidents.decisions import render_draft
from entente.web.bodies import validate
from entente.web.context import Context, PageRoutes
from entente.web.problems import status_for

from ..communique_pages.editor import start_communique
from .reading import SHOWN_ERRORS, errors_of, markdown

__all__ = ["routes"]

routes = PageRoutes()

PARAM = "param."
#: The communiqué kinds a crisis template may start (a sanctions package is started below, not from a template).
DRAFT_KINDS = (CommuniqueKind.JOINT_STATEMENT, CommuniqueKind.COORDINATED_NATIONAL_STATEMENT)


@dataclass(frozen=True)
class Field:
    """One parameter as the form shows it."""

    parameter: Parameter
    widget: str  # text, select, date, instant, parties, lines
    choices: tuple[tuple[str, str], ...] = ()
    automatic: bool = False  # the ``participants`` list: filled with the draft's parties

    @property
    def name(self) -> str:
        return self.parameter.name


def form_fields(template: CrisisTemplate, parties: dict[str, str]) -> list[Field]:
    """The form of ``template``: one field per parameter, in schema order."""
    out = []
    for p in template.parameters.values():
        kind = p.type
        if kind is ParameterType.ENUM:
            out.append(Field(p, "select", tuple((v, v) for v in p.values)))
        elif kind is ParameterType.CONFIDENCE:
            out.append(Field(p, "select", tuple((str(c), str(c).replace("_", " ")) for c in Confidence)))
        elif kind is ParameterType.DATE:
            out.append(Field(p, "date"))
        elif kind is ParameterType.INSTANT:
            out.append(Field(p, "instant"))
        elif kind is ParameterType.PARTY_LIST:
            choices = tuple(parties.items())
            out.append(Field(p, "parties", choices, automatic=p.name == "participants"))
        elif kind is ParameterType.STRING_LIST:
            out.append(Field(p, "lines"))
        else:
            out.append(Field(p, "text"))
    return out


def field_names(fields: list[Field]) -> set[str]:
    names: set[str] = set()
    for f in fields:
        if f.widget == "parties":
            names.update(f"{PARAM}{f.name}.{code}" for code, _ in f.choices)
        else:
            names.add(PARAM + f.name)
    return names


def params_from_form(fields: list[Field], form: dict[str, str]) -> dict[str, object]:
    """Parameter values from the form: an empty field is not given (the schema's default or "required"
    applies); lists are one item per line; a party list is its ticked parties (the automatic
    ``participants`` list is left to the draft's parties when nothing is ticked)."""
    params: dict[str, object] = {}
    for f in fields:
        if f.widget == "parties":
            chosen = [code for code, _ in f.choices if form.get(f"{PARAM}{f.name}.{code}")]
            if chosen or not f.automatic:
                params[f.name] = chosen
            continue
        raw = form.get(PARAM + f.name, "")
        if f.widget == "lines":
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            if lines:
                params[f.name] = lines
        elif raw.strip():
            params[f.name] = raw
    return params


def default_values(fields: list[Field]) -> dict[str, str]:
    """The form prefilled with the schema's defaults."""
    values: dict[str, str] = {}
    for f in fields:
        default = f.parameter.default
        if default is None:
            continue
        if isinstance(default, tuple):
            if f.widget == "parties":
                values.update({f"{PARAM}{f.name}.{code}": "on" for code in default})
            else:
                values[PARAM + f.name] = "\n".join(default)
        else:
            values[PARAM + f.name] = default
    return values


def field_errors(error: EntenteError) -> dict[str, str]:
    """Problems keyed by parameter name (``""`` for the form; ``title``, ``participants`` as such)."""
    found = errors_of(error)
    out: dict[str, str] = {"": found.get("", error.detail)}
    for where, reason in found.items():
        for prefix in ("/params/", "params.", "/"):
            if where.startswith(prefix):
                out[where[len(prefix) :].split("/")[0]] = reason
                break
    return out


# --- the pages ----------------------------------------------------------------------------------


async def _page(
    ctx: Context,
    template_id: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    preview: incidents.DraftStart | None = None,
    status: int = 200,
) -> web.Response:
    incident_id = ctx.path_id("incident_id")
    template = incidents.find_template(ctx.templates, template_id)
    async with ctx.read() as session:
        view = await incidents.get_incident_view(session, incident_id=incident_id, caller=ctx.caller)
        names = await incidents.party_names(session)
    decision = next((d for d in view.decisions if d.party == ctx.caller.party), None)
    fields = form_fields(template, names)
    invite = [p for p in view.participants if p != ctx.caller.party]
    if values is None:
        values = default_values(fields) | {"title": template.title} | {f"invite.{p}": "on" for p in invite}
    sections = []
    if preview is not None:
        for s in preview.sections:
            sections.append({"section": s, "marking": s.marking, "html": markdown(s.body)})
    context = {
        "incident": view.incident,
        "participants": view.participants,
        "invite": invite,
        "parties": names,
        "template": template,
        "fields": fields,
        "decision": decision,
        "allowed": decision is not None and template.id in ctx.ladder.tier(decision.tier).templates,
        "kinds": [k.value for k in DRAFT_KINDS],
        "values": values,
        "errors": errors or {},
        "preview": sections,
        "preview_params": preview.params if preview is not None else None,
    }
    return ctx.render("incidents/draft.html", context, status=status)


@routes.get("/incidents/{incident_id}/drafts/{template_id}", name="incident-draft")
async def draft_form(ctx: Context) -> web.Response:
    return await _page(ctx, ctx.segment("template_id"))


@routes.post("/incidents/{incident_id}/drafts/{template_id}", name="incident-draft-submit")
async def draft_submit(ctx: Context) -> web.StreamResponse:
    """``action=preview`` renders the template; ``action=start`` creates the communiqué and opens its editor."""
    incident_id = ctx.path_id("incident_id")
    template = incidents.find_template(ctx.templates, ctx.segment("template_id"))
    async with ctx.read() as session:
        view = await incidents.get_incident_view(session, incident_id=incident_id, caller=ctx.caller)
        names = await incidents.party_names(session)
    fields = form_fields(template, names)
    allowed = (
        field_names(fields) | {"csrf_token", "action", "title", "kind"} | {f"invite.{p}" for p in view.participants}
    )
    form = await ctx.form(allowed)
    params = params_from_form(fields, form)
    invited = [p for p in view.participants if p != ctx.caller.party and form.get(f"invite.{p}")]
    try:
        if form.get("action") == "start":
            data = validate(
                CommuniqueCreate,
                {
                    "kind": form.get("kind") or CommuniqueKind.JOINT_STATEMENT.value,
                    "title": form.get("title", "").strip(),
                    "participants": invited,
                    "incident": incident_id,
                    "template": template.id,
                    "params": params,
                },
            )
            if data.kind not in DRAFT_KINDS:
                raise InvalidInputError(
                    "a crisis template starts a joint or coordinated national statement", field="kind"
                )
            raise await start_communique(ctx, data)
        preview = await render_draft(ctx, incident_id, template, params=params, participants=invited)
    except SHOWN_ERRORS as exc:
        return await _page(ctx, template.id, values=form, errors=field_errors(exc), status=status_for(exc))
    return await _page(ctx, template.id, values=form, preview=preview)


# --- a sanctions package from the incident --------------------------------------------------------


@routes.get("/incidents/{incident_id}/sanctions-package", name="incident-sanctions")
async def package_form(
    ctx: Context, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None, status: int = 200
) -> web.Response:
    incident_id = ctx.path_id("incident_id")
    async with ctx.read() as session:
        view = await incidents.get_incident_view(session, incident_id=incident_id, caller=ctx.caller)
        names = await incidents.party_names(session)
    invite = [p for p in view.participants if p != ctx.caller.party]
    decision = next((d for d in view.decisions if d.party == ctx.caller.party), None)
    if values is None:
        values = {"title": f"Sanctions: {view.incident.title}"[:300]} | {f"invite.{p}": "on" for p in invite}
    context = {
        "incident": view.incident,
        "invite": invite,
        "parties": names,
        "decision": decision,
        "allows_sanctions": decision is not None
        and ctx.ladder.allows_response(decision.tier, ResponseCategory.SANCTIONS),
        "values": values,
        "errors": errors or {},
    }
    return ctx.render("incidents/sanctions_package.html", context, status=status)


@routes.post("/incidents/{incident_id}/sanctions-package", name="incident-sanctions-submit")
async def package_submit(ctx: Context) -> web.StreamResponse:
    incident_id = ctx.path_id("incident_id")
    async with ctx.read() as session:
        view = await incidents.get_incident_view(session, incident_id=incident_id, caller=ctx.caller)
    form = await ctx.form({"csrf_token", "title"} | {f"invite.{p}" for p in view.participants})
    try:
        title = forms.text(form, "title", max_length=300)
        async with ctx.write() as session:
            package = await create_package(
                session,
                caller=ctx.caller,
                incident_id=incident_id,
                title=title,
                participants=[p for p in view.participants if p != ctx.caller.party and form.get(f"invite.{p}")],
                now=ctx.now,
                ladder=ctx.ladder,
                max_sections=ctx.settings.limits.max_sections,
            )
    except SHOWN_ERRORS as exc:
        return await package_form(ctx, values=form, errors=field_errors(exc), status=status_for(exc))
    raise web.HTTPSeeOther(location=ctx.url("sanctions-package", package=str(package.id)))
