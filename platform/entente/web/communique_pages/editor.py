"""My communiqués, a new one from a crisis template or blank, the editor and its save, invitations.

The editor is one form (order numbers move sections, a checkbox deletes one, the blank section at
the end adds one) carrying the digest of the version it edits. A stale save is merged; a conflict
re-renders the editor from the server's proposal (merged where possible, your text where both sides
changed a section) with both sides shown, to save again.
"""

from __future__ import annotations

import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from entente import drafting, inbox, parties, releases
from entente.auth import Caller
from entente.errors import ConflictError, EntenteError, NotFoundError
from entente.models import CommuniqueCreate, CommuniqueKind, CommuniqueState, Role, VersionSave
from entente.web import forms
from entente.web.bodies import validate
from entente.web.context import Context, PageRoutes

routes = PageRoutes()

_SECTION_FIELD = re.compile(r"s\d{1,3}\.(id|heading|body|order|delete|marking)|s\d{1,3}\.to\.[A-Z0-9-]{2,16}")
_NEW_FIELD = re.compile(r"new\.(heading|body|order|marking)|new\.to\.[A-Z0-9-]{2,16}")
_COMMON = {"csrf_token", "title", "base", "preview"}


async def _read(ctx: Context, fixed: set[str], *patterns: re.Pattern[str]) -> dict[str, str]:
    """A form whose field names follow ``patterns``; anything else is refused by ``forms.read_form``."""
    posted = await ctx.request.post()
    allowed = set(fixed) | {name for name in posted if any(p.fullmatch(name) for p in patterns)}
    return await ctx.form(allowed)


def _entry(item_id: str | None, heading: str, body: str, marking: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item_id,
        "heading": heading,
        "body": body,
        "public": bool(marking.get("public")),
        "to": set(marking.get("releasable_to") or []),
    }


def _marking(form: dict[str, str], prefix: str, roster: list[str]) -> dict[str, Any]:
    if form.get(f"{prefix}.marking", "public") == "public":
        return {"public": True}
    return {"releasable_to": [p for p in roster if form.get(f"{prefix}.to.{p}")]}


def _editor_input(form: dict[str, str], roster: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The form as a ``VersionSave`` body, and the entries to show again if it is refused."""
    indices = sorted({int(name[1:].split(".")[0]) for name in form if _SECTION_FIELD.fullmatch(name)})
    ordered: list[tuple[int, int, dict[str, Any]]] = []
    for index in indices:
        prefix = f"s{index}"
        if form.get(f"{prefix}.delete"):
            continue
        order = forms.integer(form, f"{prefix}.order", minimum=0, maximum=10_000, default=index + 1)
        text = form.get(f"{prefix}.body", "").replace("\r\n", "\n")
        ordered.append(
            (
                order,
                index,
                {
                    "id": form.get(f"{prefix}.id") or None,
                    "heading": form.get(f"{prefix}.heading", ""),
                    "body": text,
                    "marking": _marking(form, prefix, roster),
                },
            )
        )
    if form.get("new.heading", "").strip():
        order = forms.integer(form, "new.order", minimum=0, maximum=10_000, default=10_000)
        text = form.get("new.body", "").replace("\r\n", "\n")
        ordered.append(
            (order, 10**6, {"heading": form["new.heading"], "body": text, "marking": _marking(form, "new", roster)})
        )
    sections = [entry for _, _, entry in sorted(ordered, key=lambda e: (e[0], e[1]))]
    body: dict[str, Any] = {"sections": sections}
    if form.get("title", "").strip():
        body["title"] = form["title"]
    shown = [_entry(s.get("id"), s["heading"], s["body"], s["marking"]) for s in sections]
    return body, shown


async def editor_context(ctx: Context, cid: int) -> dict[str, Any]:
    caller = ctx.caller
    async with ctx.read() as session:
        access = await drafting.get_access(session, cid, caller)
        view = await drafting.read_version(session, access, access.communique.head_number) if access.admitted else None
        comments = await drafting.list_comments(session, access) if access.admitted else []
        coalition = await parties.list_parties(session)
        open_release = await releases.find_open_release(session, cid)
        release = (
            await releases.release_public(session, access, open_release, ctx.now) if open_release is not None else None
        )
        setting = await inbox.get_preferences(session, caller)
        press = (
            await releases.list_press_accounts(session, communique_id=cid, party=caller.party)
            if open_release is not None and access.joined and caller.has_role(Role.COMMS)
            else []
        )
    communique = drafting.communique_public(access)
    roster = sorted(access.roster)
    threads: dict[str, int] = {}
    for comment in comments:
        if comment.thread_id is None and comment.resolved_at is None:
            threads[comment.section_id] = threads.get(comment.section_id, 0) + 1
    return {
        "c": communique,
        "access": access,
        "view": view,
        "roster": roster,
        "others": [row.code for row in coalition if row.code not in access.roster],
        "open_threads": threads,
        "can_edit": view is not None
        and caller.has_role(*drafting.EDIT_ROLES)
        and CommuniqueState(access.communique.state).editable,
        "can_invite": access.admitted
        and caller.party == access.communique.lead
        and caller.has_role(Role.DRAFTER, Role.SECRETARIAT),
        "entries": [_entry(s.item.id, s.item.heading, s.item.body, s.item.marking.to_dict()) for s in view.sections]
        if view
        else [],
        "base": view.version.digest if view else None,
        "title": access.communique.title,
        "conflicts": [],
        "error": None,
        "release": release,
        "release_error": None,
        "preview": None,
        "is_comms": access.joined and caller.has_role(Role.COMMS),
        "my_answer": next((p for p in release.parties if p.party == caller.party), None) if release else None,
        "zones": sorted(
            {"UTC", caller.party_timezone, *(p.timezone for p in release.parties)}
            if release
            else {"UTC", caller.party_timezone}
        ),
        **release_panel_context(caller, access, release, setting, press, ctx.settings.release.lift_policy),
    }


def release_panel_context(
    caller: Caller, access: Any, release: Any, setting: Any, press: list[Any], lift_policy: str
) -> dict[str, Any]:
    """The release panel's own values: the officer's zone (remembered, else its party's), who proposed
    the instant now standing, whether the lift policy lets this officer lift early, its press accounts."""
    standing = None
    if release is not None:
        countered = [p for p in release.parties if p.accepted and p.decision and p.decision.value == "countered"]
        standing = (countered[0].by, countered[0].party) if countered else (release.proposed_by, release.proposed_party)
    my_zone = inbox.zone_of(setting, caller)
    return {
        "my_zone": my_zone,
        "all_zones": inbox.zone_names(),
        "standing_by": standing,
        "lift_policy": lift_policy,
        "may_lift": lift_policy == "any" or (lift_policy == "lead" and caller.party == access.communique.lead),
        "press_accounts": press,
        "embargo_mine": release.embargo_at.astimezone(_zone(my_zone)) if release is not None else None,
    }


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@routes.get("/communiques", name="communiques")
async def list_page(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        found = await drafting.list_communiques(session, ctx.caller)
    rows = [drafting.communique_public(a) for a in found]
    can_create = ctx.caller.has_role(Role.DRAFTER, Role.SECRETARIAT)
    return ctx.render("communiques/list.html", {"communiques": rows, "can_create": can_create})


@routes.get("/communiques/new", name="communique-new")
async def new_form(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        coalition = await parties.list_parties(session)
    others = [row.code for row in coalition if row.code != ctx.caller.party]
    return ctx.render("communiques/new.html", {"others": others, "kinds": list(CommuniqueKind)})


@routes.post("/communiques/new", name="communique-new-submit")
async def new_submit(ctx: Context) -> web.StreamResponse:
    form = await _read(ctx, {"csrf_token", "title", "kind", "heading", "body"}, re.compile(r"with\.[A-Z0-9-]{2,16}"))
    participants = [name.split(".", 1)[1] for name in sorted(form) if name.startswith("with.")]
    sections = []
    if form.get("heading", "").strip():
        sections.append(
            {
                "heading": form["heading"],
                "body": form.get("body", "").replace("\r\n", "\n"),
                "marking": {"public": True},
            }
        )
    data = validate(
        CommuniqueCreate,
        {
            "kind": form.get("kind", ""),
            "title": form.get("title", ""),
            "participants": participants,
            "sections": sections,
        },
    )
    raise await start_communique(ctx, data)


async def start_communique(ctx: Context, data: CommuniqueCreate) -> web.HTTPSeeOther:
    """Start the communiqué ``data`` describes (written, or from a crisis template) and answer with its
    editor (raise it)."""
    async with ctx.write() as session:
        communique, _ = await drafting.create_communique(
            session,
            caller=ctx.caller,
            data=data,
            now=ctx.now,
            max_sections=ctx.settings.limits.max_sections,
            templates=ctx.templates,
            ladder=ctx.ladder,
        )
    return ctx.redirect("communique", communique=str(communique.id))


@routes.get("/communiques/{communique}", name="communique")
async def editor(ctx: Context) -> web.Response:
    return ctx.render("communiques/editor.html", await editor_context(ctx, ctx.path_id("communique")))


@routes.post("/communiques/{communique}", name="communique-save")
async def editor_submit(ctx: Context) -> web.StreamResponse:
    cid = ctx.path_id("communique")
    form = await _read(ctx, _COMMON, _SECTION_FIELD, _NEW_FIELD)
    context = await editor_context(ctx, cid)
    body, shown = _editor_input(form, context["roster"])
    if form.get("preview"):  # the Markdown of the form as it will read; nothing is saved
        context |= {
            "entries": shown,
            "title": form.get("title", context["title"]),
            "base": form.get("base"),
            "preview": shown,
        }
        return ctx.render("communiques/editor.html", context)
    try:
        data = validate(VersionSave, body)
        async with ctx.write() as session:
            await drafting.save_version(
                session,
                communique_id=cid,
                caller=ctx.caller,
                base_digest=form.get("base") or None,
                data=data,
                now=ctx.now,
                max_sections=ctx.settings.limits.max_sections,
            )
    except NotFoundError:
        raise
    except ConflictError as exc:
        if exc.code != "merge_conflict":
            raise
        proposal = exc.extra["proposal"]
        context |= {
            "entries": [_entry(s["id"], s["heading"], s["body"], s["marking"]) for s in proposal["sections"]],
            "title": proposal["title"],
            "base": exc.extra["head"]["digest"],
            "conflicts": exc.extra["conflicts"],
            "error": exc.detail,
        }
        return ctx.render("communiques/editor.html", context, status=409)
    except EntenteError as exc:
        context |= {
            "entries": shown,
            "title": form.get("title", context["title"]),
            "base": form.get("base"),
            "error": f"{exc.field + ': ' if exc.field else ''}{exc.detail}",
        }
        status = 403 if exc.code in ("marking_widen_forbidden", "role_required") else 422
        return ctx.render("communiques/editor.html", context, status=status)
    raise ctx.redirect("communique", communique=str(cid))


@routes.post("/communiques/{communique}/invitations", name="communique-invite")
async def invite_submit(ctx: Context) -> web.StreamResponse:
    cid = ctx.path_id("communique")
    form = await ctx.form({"csrf_token", "party"})
    async with ctx.write() as session:
        await drafting.invite_party(
            session, communique_id=cid, caller=ctx.caller, party=form.get("party", ""), now=ctx.now
        )
    raise ctx.redirect("communique", communique=str(cid))


@routes.post("/communiques/{communique}/acceptance", name="communique-accept")
async def accept_submit(ctx: Context) -> web.StreamResponse:
    cid = ctx.path_id("communique")
    await ctx.form({"csrf_token"})
    async with ctx.write() as session:
        await drafting.accept_invitation(session, communique_id=cid, caller=ctx.caller, now=ctx.now)
    raise ctx.redirect("communique", communique=str(cid))
