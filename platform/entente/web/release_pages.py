"""Pages around the release: release bundles (comms officers), late alignment (signatories), and the
correction of a released communiqué (drafters). Each form posts one action; a refused action shows the
page again with the reason, and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from entente import canonical, drafting, releases
from entente.appkeys import publisher_key
from entente.errors import ConflictError, EntenteError, InvalidInputError, NotFoundError, PermissionDeniedError
from entente.models import ReleaseDecision, Role
from entente.web import forms
from entente.web.context import Context, PageRoutes
from entente.web.signing_pages import pasted_envelope, signer_context

routes = PageRoutes()

BUNDLE_ACTIONS = ("add", "remove", "propose", "accept", "counter", "schedule", "cancel", "lift")
ZONES = ("UTC", "Europe/Tallinn", "Europe/Paris", "Europe/Brussels", "Europe/London", "America/New_York")


def _status(exc: EntenteError) -> int:
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, PermissionDeniedError):
        return 403
    return 422


def _message(exc: EntenteError) -> str:
    return f"{exc.field + ': ' if exc.field else ''}{exc.detail} ({exc.code})"


async def _shown_again(
    exc: EntenteError, page: Callable[..., Awaitable[web.Response]], *args: Any, **kept: Any
) -> web.Response:
    """A refused action shows its ``page`` again with the reason, under the refusal's status (what is
    not there, or not the caller's to see, stays a 404)."""
    if isinstance(exc, NotFoundError):
        raise exc
    return await page(*args, error=_message(exc), status=_status(exc), **kept)


def _instant(form: dict[str, str]) -> datetime:
    """``at``: RFC 3339 with an offset, or a local date and time read in ``zone``."""
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


# --- bundles -------------------------------------------------------------------------------------


@routes.get("/bundles", name="bundles")
async def bundles_page(ctx: Context, *, error: str | None = None, status: int = 200) -> web.Response:
    async with ctx.read() as session:
        views = [
            await releases.bundle_public(session, b, ctx.now) for b in await releases.list_bundles(session, ctx.caller)
        ]
        mine = [a for a in await drafting.list_communiques(session, ctx.caller) if a.joined]
    candidates = [drafting.communique_public(a) for a in mine if a.communique.state in ("drafting", "signing")]
    context = {"bundles": views, "candidates": candidates, "error": error, "is_comms": ctx.caller.has_role(Role.COMMS)}
    return ctx.render("releases/bundles.html", context, status=status)


@routes.post("/bundles", name="bundles-submit")
async def bundles_submit(ctx: Context) -> web.StreamResponse:
    form = await ctx.form({"csrf_token", "title", "members"})
    try:
        posted = await ctx.request.post()  # read once by read_form; several checked boxes share the name
        members = [int(v) for v in posted.getall("members", []) if isinstance(v, str) and v.isdigit() and len(v) < 12]
        if not members:
            raise InvalidInputError("name at least one communiqué by its number", code="invalid_input", field="members")
        async with ctx.write() as session:
            bundle = await releases.create_bundle(
                session,
                caller=ctx.caller,
                title=forms.text(form, "title", max_length=300),
                members=members,
                now=ctx.now,
            )
    except EntenteError as exc:
        return await _shown_again(exc, bundles_page, ctx)
    raise web.HTTPSeeOther(location=ctx.url("bundle", bundle=str(bundle.id)))


@routes.get("/bundles/{bundle}", name="bundle")
async def bundle_page(ctx: Context, *, error: str | None = None, status: int = 200) -> web.Response:
    async with ctx.read() as session:
        bundle = await releases.get_bundle(session, ctx.path_id("bundle"), ctx.caller)
        view = await releases.bundle_public(session, bundle, ctx.now)
        mine = [a for a in await drafting.list_communiques(session, ctx.caller) if a.joined]
    members = {m.communique for m in view.members}
    candidates = [
        drafting.communique_public(a)
        for a in mine
        if a.communique.state in ("drafting", "signing") and a.id not in members
    ]
    context = {
        "b": view,
        "candidates": candidates,
        "error": error,
        "is_comms": ctx.caller.has_role(Role.COMMS),
        "zones": ZONES,
    }
    return ctx.render("releases/bundle.html", context, status=status)


@routes.post("/bundles/{bundle}", name="bundle-submit")
async def bundle_submit(ctx: Context) -> web.StreamResponse:
    """One form per bundle step (``action``)."""
    bid = ctx.path_id("bundle")
    form = await ctx.form({"csrf_token", "action", "at", "zone", "reason", "communique"})
    action = form.get("action", "")
    common: dict[str, Any] = {"bundle_id": bid, "caller": ctx.caller, "now": ctx.now}
    changed = None
    try:
        if action not in BUNDLE_ACTIONS:
            raise InvalidInputError(f"no bundle action {action[:20]!r}", field="action")
        async with ctx.write() as session:
            if action in ("add", "remove"):
                cid = forms.integer(form, "communique", minimum=1)
                if action == "add":
                    await releases.add_bundle_member(session, communique_id=cid, **common)
                else:
                    await releases.remove_bundle_member(
                        session, communique_id=cid, reason=form.get("reason", ""), **common
                    )
            elif action == "propose":
                await releases.propose_bundle(session, at=_instant(form), **common)
            elif action in ("accept", "counter"):
                decision = ReleaseDecision.ACCEPT if action == "accept" else ReleaseDecision.COUNTER
                await releases.respond_bundle(
                    session, party=ctx.caller.party, decision=decision, at=_instant(form), **common
                )
            elif action == "schedule":
                changed = await releases.schedule_bundle(session, **common)
            elif action == "cancel":
                await releases.cancel_bundle(session, reason=form.get("reason", ""), **common)
            else:
                changed = await releases.lift_bundle(
                    session, reason=form.get("reason", ""), policy=ctx.settings.release.lift_policy, **common
                )
        if changed is not None:  # the members' public PDFs name the instant
            for _, release in changed.releases:
                await ctx.app[publisher_key].after_release_change(release.id or 0)
    except EntenteError as exc:
        return await _shown_again(exc, bundle_page, ctx)
    if action == "remove":
        async with ctx.read() as session:
            try:
                await releases.get_bundle(session, bid, ctx.caller)
            except NotFoundError:
                raise web.HTTPSeeOther(location=ctx.url("bundles")) from None
    raise web.HTTPSeeOther(location=ctx.url("bundle", bundle=str(bid)))


# --- late alignment ------------------------------------------------------------------------------


@routes.get("/alignments/{communique}", name="alignment")
async def alignment_page(ctx: Context, *, error: str | None = None, status: int = 200) -> web.Response:
    cid = ctx.path_id("communique")
    async with ctx.read() as session:
        rows = await releases.list_alignments(session, cid, ctx.now)  # 404 unless public
        body = await releases.get_public_artefact(session, cid, ctx.now)
        signer = await signer_context(session, ctx.caller, ctx.now)
    record = canonical.parse_strict(body)
    signed = {k["party"] for k in record["keys"]}
    context = {
        "r": record,
        "alignments": [releases.alignment_public(r) for r in rows],
        "typ": releases.ALIGNMENT_TYP,
        "is_signatory": ctx.caller.has_role(Role.SIGNATORY),
        "signed_at_release": ctx.caller.party in signed,
        "mine": next((r for r in rows if r.party == ctx.caller.party and r.withdrawn_at is None), None),
        "error": error,
        "signer": signer,
    }
    return ctx.render("releases/alignment.html", context, status=status)


@routes.post("/alignments/{communique}", name="alignment-submit")
async def alignment_submit(ctx: Context) -> web.StreamResponse:
    cid = ctx.path_id("communique")
    form = await ctx.form({"csrf_token", "action", "jws", "statement", "alignment", "reason"})
    try:
        async with ctx.write() as session:
            if form.get("action") == "withdraw":
                await releases.withdraw_alignment(
                    session,
                    communique_id=cid,
                    alignment_id=forms.integer(form, "alignment", minimum=1),
                    caller=ctx.caller,
                    reason=form.get("reason", ""),
                    now=ctx.now,
                )
            else:
                envelope = pasted_envelope(form.get("jws", ""))
                statement = form.get("statement", "").strip() or None
                await releases.add_alignment(
                    session, communique_id=cid, caller=ctx.caller, envelope=envelope, statement=statement, now=ctx.now
                )
    except EntenteError as exc:
        return await _shown_again(exc, alignment_page, ctx)
    await ctx.app[publisher_key].after_alignment(cid)
    raise web.HTTPSeeOther(location=ctx.url("public-release", communique=str(cid)) + "#alignments")


# --- corrections ---------------------------------------------------------------------------------


@routes.get("/communiques/{communique}/correction", name="correction")
async def correction_page(
    ctx: Context, *, error: str | None = None, status: int = 200, form: dict[str, str] | None = None
) -> web.Response:
    cid = ctx.path_id("communique")
    async with ctx.read() as session:
        access = drafting.require_admitted(await drafting.get_access(session, cid, ctx.caller))
        successor = await drafting.find_successor(session, cid)
    context = {"c": drafting.communique_public(access), "successor": successor, "error": error, "form": form or {}}
    return ctx.render("releases/correction.html", context, status=status)


@routes.post("/communiques/{communique}/correction", name="correction-submit")
async def correction_submit(ctx: Context) -> web.StreamResponse:
    cid = ctx.path_id("communique")
    form = await ctx.form({"csrf_token", "title", "changes"})
    try:
        async with ctx.write() as session:
            communique, _ = await releases.supersede_communique(
                session,
                communique_id=cid,
                caller=ctx.caller,
                title=form.get("title", "").strip() or None,
                changes=form.get("changes", ""),
                now=ctx.now,
            )
    except EntenteError as exc:
        return await _shown_again(exc, correction_page, ctx, form=form)
    raise web.HTTPSeeOther(location=ctx.url("communique", communique=str(communique.id)))


def add_routes(app: web.Application) -> None:
    routes.add_to(app)
