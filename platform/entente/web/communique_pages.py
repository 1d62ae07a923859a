"""Pages for co-drafting: my communiqués, the editor, history and diffs, comments, sign-off.

Every page works without JavaScript: the editor is one form (order numbers move sections, a
checkbox deletes one, the blank section at the end adds one) carrying the digest of the version it
edits. A stale save is merged; a conflict re-renders the editor from the server's proposal (merged
where possible, your text where both sides changed a section) with both sides shown, to save again.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from entente import drafting, parties, releases, signoffs
from entente.appkeys import clock_key, ladder_key, publisher_key, sessionmaker_key, settings_key, templates_key
from entente.auth import Caller
from entente.errors import ConflictError, EntenteError, InvalidInputError, NotFoundError, PermissionDeniedError
from entente.models import CommuniqueCreate, CommuniqueKind, CommuniqueState, ReleaseDecision, Role, VersionSave
from entente.web import forms
from entente.web.api.communiques import communique_id, version_ref
from entente.web.bodies import validate
from entente.web.html import render
from entente.web.pages import require_page_caller
from entente.web.paths import parse_id

_SECTION_FIELD = re.compile(r"s\d{1,3}\.(id|heading|body|order|delete|marking)|s\d{1,3}\.to\.[A-Z0-9-]{2,16}")
_NEW_FIELD = re.compile(r"new\.(heading|body|order|marking)|new\.to\.[A-Z0-9-]{2,16}")
_COMMON = {"csrf_token", "title", "base"}


async def _read(request: web.Request, fixed: set[str], *patterns: re.Pattern[str]) -> dict[str, str]:
    """A form whose field names follow ``patterns``; anything else is refused by ``forms.read_form``."""
    posted = await request.post()
    allowed = set(fixed) | {name for name in posted if any(p.fullmatch(name) for p in patterns)}
    return await forms.read_form(request, allowed)


def _back(request: web.Request, name: str, **parts: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location=str(request.app.router[name].url_for(**parts)))


def _markdown(text: str) -> Any:
    return drafting.render_markdown(text)


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
        body = form.get(f"{prefix}.body", "").replace("\r\n", "\n")
        ordered.append(
            (
                order,
                index,
                {
                    "id": form.get(f"{prefix}.id") or None,
                    "heading": form.get(f"{prefix}.heading", ""),
                    "body": body,
                    "marking": _marking(form, prefix, roster),
                },
            )
        )
    if form.get("new.heading", "").strip():
        order = forms.integer(form, "new.order", minimum=0, maximum=10_000, default=10_000)
        body = form.get("new.body", "").replace("\r\n", "\n")
        ordered.append(
            (order, 10**6, {"heading": form["new.heading"], "body": body, "marking": _marking(form, "new", roster)})
        )
    sections = [entry for _, _, entry in sorted(ordered, key=lambda e: (e[0], e[1]))]
    body: dict[str, Any] = {"sections": sections}
    if form.get("title", "").strip():
        body["title"] = form["title"]
    shown = [_entry(s.get("id"), s["heading"], s["body"], s["marking"]) for s in sections]
    return body, shown


async def _editor_context(request: web.Request, caller: Caller, cid: int) -> dict[str, Any]:
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, cid, caller)
        view = await drafting.read_version(session, access, access.communique.head_number) if access.admitted else None
        comments = await drafting.list_comments(session, access) if access.admitted else []
        coalition = await parties.list_parties(session)
        open_release = await releases.find_open_release(session, cid)
        release = (
            await releases.release_public(session, access, open_release, request.app[clock_key]())
            if open_release is not None
            else None
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
        "markdown": _markdown,
        "release": release,
        "release_error": None,
        "is_comms": access.joined and caller.has_role(Role.COMMS),
        "my_answer": next((p for p in release.parties if p.party == caller.party), None) if release else None,
        "zones": sorted({"UTC", caller.party_timezone, *(p.timezone for p in release.parties)} if release else
                        {"UTC", caller.party_timezone}),
    }


async def list_page(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    async with request.app[sessionmaker_key]() as session:
        found = await drafting.list_communiques(session, caller)
    rows = [drafting.communique_public(a) for a in found]
    return render(
        request,
        "communiques/list.html",
        {"communiques": rows, "can_create": caller.has_role(Role.DRAFTER, Role.SECRETARIAT)},
    )


async def new_form(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    async with request.app[sessionmaker_key]() as session:
        coalition = await parties.list_parties(session)
    others = [row.code for row in coalition if row.code != caller.party]
    return render(request, "communiques/new.html", {"others": others, "kinds": list(CommuniqueKind)})


async def new_submit(request: web.Request) -> web.StreamResponse:
    caller = require_page_caller(request)
    form = await _read(
        request, {"csrf_token", "title", "kind", "heading", "body"}, re.compile(r"with\.[A-Z0-9-]{2,16}")
    )
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
    async with request.app[sessionmaker_key].begin() as session:
        communique, _ = await drafting.create_communique(
            session,
            caller=caller,
            data=data,
            now=request.app[clock_key](),
            max_sections=request.app[settings_key].limits.max_sections,
            templates=request.app[templates_key],
            ladder=request.app[ladder_key],
        )
    raise _back(request, "communique", communique=str(communique.id))


async def editor(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    return render(request, "communiques/editor.html", await _editor_context(request, caller, communique_id(request)))


async def editor_submit(request: web.Request) -> web.StreamResponse:
    caller = require_page_caller(request)
    cid = communique_id(request)
    form = await _read(request, _COMMON, _SECTION_FIELD, _NEW_FIELD)
    context = await _editor_context(request, caller, cid)
    body, shown = _editor_input(form, context["roster"])
    try:
        data = validate(VersionSave, body)
        async with request.app[sessionmaker_key].begin() as session:
            await drafting.save_version(
                session,
                communique_id=cid,
                caller=caller,
                base_digest=form.get("base") or None,
                data=data,
                now=request.app[clock_key](),
                max_sections=request.app[settings_key].limits.max_sections,
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
        return render(request, "communiques/editor.html", context, status=409)
    except EntenteError as exc:
        context |= {
            "entries": shown,
            "title": form.get("title", context["title"]),
            "base": form.get("base"),
            "error": f"{exc.field + ': ' if exc.field else ''}{exc.detail}",
        }
        status = 403 if exc.code in ("marking_widen_forbidden", "role_required") else 422
        return render(request, "communiques/editor.html", context, status=status)
    raise _back(request, "communique", communique=str(cid))


async def invite_submit(request: web.Request) -> web.StreamResponse:
    caller = require_page_caller(request)
    cid = communique_id(request)
    form = await forms.read_form(request, {"csrf_token", "party"})
    async with request.app[sessionmaker_key].begin() as session:
        await drafting.invite_party(
            session, communique_id=cid, caller=caller, party=form.get("party", ""), now=request.app[clock_key]()
        )
    raise _back(request, "communique", communique=str(cid))


async def accept_submit(request: web.Request) -> web.StreamResponse:
    caller = require_page_caller(request)
    cid = communique_id(request)
    await forms.read_form(request, {"csrf_token"})
    async with request.app[sessionmaker_key].begin() as session:
        await drafting.accept_invitation(session, communique_id=cid, caller=caller, now=request.app[clock_key]())
    raise _back(request, "communique", communique=str(cid))


async def history_page(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        versions = await drafting.list_versions(session, access)
    return render(request, "communiques/history.html", {"c": drafting.communique_public(access), "versions": versions})


async def version_page(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        ref = version_ref(request.match_info["version"])
        view = await drafting.read_version(session, access, access.communique.head_number if ref == "head" else ref)
        comments = await drafting.list_comments(session, access)
    by_section: dict[str, list[Any]] = {}
    for comment in comments:
        by_section.setdefault(comment.section_id, []).append(comment)
    return render(
        request,
        "communiques/version.html",
        {
            "c": drafting.communique_public(access),
            "view": view,
            "comments": by_section,
            "is_head": view.version.number == access.communique.head_number,
            "can_comment": caller.has_role(*drafting.COMMENT_ROLES),
            "markdown": _markdown,
            "pdf": request.app[settings_key].documents.pdf,
        },
    )


async def diff_page(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        head = access.communique.head_number
        before, after = (version_ref(request.match_info[k]) for k in ("before", "after"))
        diff = await drafting.diff_versions(
            session, access, head if before == "head" else before, head if after == "head" else after
        )
    return render(request, "communiques/diff.html", {"c": drafting.communique_public(access), "diff": diff})


async def comment_submit(request: web.Request) -> web.StreamResponse:
    caller = require_page_caller(request)
    cid = communique_id(request)
    form = await forms.read_form(request, {"csrf_token", "body", "reply_to"})
    reply_to = forms.integer(form, "reply_to", minimum=1) if form.get("reply_to") else None
    section = request.match_info["section"]
    async with request.app[sessionmaker_key].begin() as session:
        await drafting.add_comment(
            session,
            communique_id=cid,
            section_id=section,
            caller=caller,
            body=forms.text(form, "body", max_length=20_000).replace("\r\n", "\n"),
            reply_to=reply_to,
            now=request.app[clock_key](),
        )
    url = request.app.router["communique-version"].url_for(communique=str(cid), version="head")
    raise web.HTTPSeeOther(location=f"{url}#section-{section}")


async def resolve_submit(request: web.Request) -> web.StreamResponse:
    caller = require_page_caller(request)
    cid = communique_id(request)
    await forms.read_form(request, {"csrf_token"})
    text = request.match_info["comment"]
    if (comment_id := parse_id(text)) is None:
        raise NotFoundError(f"no comment {text[:20]} in communiqué {cid}")
    async with request.app[sessionmaker_key].begin() as session:
        root = await drafting.resolve_thread(
            session, communique_id=cid, comment_id=comment_id, caller=caller, now=request.app[clock_key]()
        )
    url = request.app.router["communique-version"].url_for(communique=str(cid), version="head")
    raise web.HTTPSeeOther(location=f"{url}#section-{root.section_id}")


async def signoff_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    caller = require_page_caller(request)
    cid = communique_id(request)
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, cid, caller)
        view = await drafting.read_version(session, access, access.communique.head_number)
        result = await signoffs.signoff_status(
            session,
            communique_id=cid,
            caller=caller,
            version="head",
            templates=request.app[templates_key],
            now=request.app[clock_key](),
        )
    obj = json.loads(view.version.content)
    visible = {s.digest for s in view.sections} | {s.digest for s in view.annex}
    withheld = [e["marking"] for e in obj["sections"] + obj["annex"] if e["digest"] not in visible]
    return render(
        request,
        "communiques/signoff.html",
        {
            "c": drafting.communique_public(access),
            "view": view,
            "status": result,
            "withheld": withheld,
            "typ": signoffs.SIGNOFF_TYP,
            "is_signatory": caller.has_role(Role.SIGNATORY),
            "mine": next((s for s in result.signatories if s.party == caller.party), None),
            "error": error,
        },
        status=status,
    )


async def signoff_submit(request: web.Request) -> web.StreamResponse:
    caller = require_page_caller(request)
    cid = communique_id(request)
    form = await forms.read_form(request, {"csrf_token", "jws", "action"})
    action = form.get("action", "sign")
    kwargs = {
        "communique_id": cid,
        "caller": caller,
        "version": "head",
        "templates": request.app[templates_key],
        "now": request.app[clock_key](),
    }
    try:
        async with request.app[sessionmaker_key].begin() as session:
            if action == "withdraw":
                await releases.withdraw_signoff(session, party=caller.party, **kwargs)
            elif action == "presigned":
                await signoffs.record_presigned(session, **kwargs)
            else:
                try:
                    envelope = json.loads(form.get("jws", ""))
                except ValueError:
                    raise InvalidInputError("paste the JWS as JSON", code="malformed_input", field="jws") from None
                if not isinstance(envelope, dict):
                    raise InvalidInputError("a JWS in General JSON Serialization is an object", field="jws")
                await signoffs.add_signoff(session, envelope=envelope, **kwargs)
    except NotFoundError:
        raise
    except EntenteError as exc:
        return await signoff_page(
            request, error=f"{exc.detail} ({exc.code})", status=409 if isinstance(exc, ConflictError) else 422
        )
    raise _back(request, "communique-signoff", communique=str(cid))


# --- the release panel ---------------------------------------------------------------------------

_RELEASE_ACTIONS = ("propose", "accept", "counter", "schedule", "cancel", "lift")


def _form_instant(form: dict[str, str]) -> datetime:
    """``at`` from the panel: RFC 3339 with an offset, or a local date and time read in ``zone``."""
    text = form.get("at", "").strip()
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInputError("a date and time, e.g. 2026-12-01T09:00", code="instant_invalid", field="at") from None
    if at.tzinfo is None:
        try:
            at = at.replace(tzinfo=ZoneInfo(form.get("zone") or "UTC"))
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInputError("an unknown time zone", code="zone_unknown", field="zone") from None
    return at


async def release_submit(request: web.Request) -> web.StreamResponse:
    """One form per release step (``action``), shown to comms officers on the communiqué page."""
    caller = require_page_caller(request)
    cid = communique_id(request)
    form = await forms.read_form(request, {"csrf_token", "action", "at", "zone", "reason"})
    action = form.get("action", "")
    now = request.app[clock_key]()
    kwargs: dict[str, Any] = {"communique_id": cid, "caller": caller, "now": now}
    changed = None
    try:
        if action not in _RELEASE_ACTIONS:
            raise InvalidInputError(f"no release action {action[:20]!r}", field="action")
        async with request.app[sessionmaker_key].begin() as session:
            if action == "propose":
                await releases.propose_release(session, at=_form_instant(form), **kwargs)
            elif action in ("accept", "counter"):
                decision = ReleaseDecision.ACCEPT if action == "accept" else ReleaseDecision.COUNTER
                await releases.respond_release(
                    session, party=caller.party, decision=decision, at=_form_instant(form), **kwargs
                )
            elif action == "schedule":
                changed = await releases.schedule_release(session, **kwargs)
            elif action == "cancel":
                await releases.cancel_release(session, reason=form.get("reason", ""), **kwargs)
            else:
                changed = await releases.lift_release(session, reason=form.get("reason", ""), **kwargs)
        if changed is not None:  # the public PDF is rendered after scheduling, and again after a lift
            await request.app[publisher_key].after_release_change(changed.id or 0)
    except NotFoundError:
        raise
    except EntenteError as exc:
        context = await _editor_context(request, caller, cid)
        context["release_error"] = f"{exc.field + ': ' if exc.field else ''}{exc.detail} ({exc.code})"
        status = 409 if isinstance(exc, ConflictError) else 403 if isinstance(exc, PermissionDeniedError) else 422
        return render(request, "communiques/editor.html", context, status=status)
    url = request.app.router["communique"].url_for(communique=str(cid))
    raise web.HTTPSeeOther(location=f"{url}#release")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/communiques", list_page, name="communiques")
    app.router.add_get("/communiques/new", new_form, name="communique-new")
    app.router.add_post("/communiques/new", new_submit, name="communique-new-submit")
    app.router.add_get("/communiques/{communique}", editor, name="communique")
    app.router.add_post("/communiques/{communique}", editor_submit, name="communique-save")
    app.router.add_post("/communiques/{communique}/invitations", invite_submit, name="communique-invite")
    app.router.add_post("/communiques/{communique}/acceptance", accept_submit, name="communique-accept")
    app.router.add_get("/communiques/{communique}/versions", history_page, name="communique-history")
    app.router.add_get("/communiques/{communique}/versions/{version}", version_page, name="communique-version")
    app.router.add_get("/communiques/{communique}/diff/{before}/{after}", diff_page, name="communique-diff")
    app.router.add_post(
        "/communiques/{communique}/sections/{section}/comments", comment_submit, name="communique-comment"
    )
    app.router.add_post(
        "/communiques/{communique}/comments/{comment}/resolve", resolve_submit, name="communique-comment-resolve"
    )
    app.router.add_get("/communiques/{communique}/signoff", signoff_page, name="communique-signoff")
    app.router.add_post("/communiques/{communique}/signoff", signoff_submit, name="communique-signoff-submit")
    app.router.add_post("/communiques/{communique}/release", release_submit, name="communique-release")
