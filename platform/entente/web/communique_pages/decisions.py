"""The sign-off page (exactly what is signed) and the release panel (propose, accept, counter,
schedule, cancel, lift).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from entente import drafting, inbox, releases, signoffs
from entente.appkeys import publisher_key
from entente.errors import ConflictError, EntenteError, InvalidInputError, NotFoundError, PermissionDeniedError
from entente.models import ReleaseDecision, Role
from entente.web.context import Context, PageRoutes
from entente.web.signing_pages import pasted_envelope, signer_context

from .editor import editor_context, markdown

routes = PageRoutes()


def _head(ctx: Context, cid: int) -> dict[str, Any]:
    """The sign-off steps' common arguments: the head version of communiqué ``cid``, now, by the caller."""
    return {"communique_id": cid, "caller": ctx.caller, "version": "head", "templates": ctx.templates, "now": ctx.now}


@routes.get("/communiques/{communique}/signoff", name="communique-signoff")
async def signoff_page(ctx: Context, *, error: str | None = None, status: int = 200) -> web.Response:
    caller, cid = ctx.caller, ctx.path_id("communique")
    async with ctx.read() as session:
        access = await drafting.get_access(session, cid, caller)
        view = await drafting.read_version(session, access, access.communique.head_number)
        result = await signoffs.signoff_status(session, **_head(ctx, cid))
        signer = await signer_context(session, caller, ctx.now)
    obj = json.loads(view.version.content)
    visible = {s.digest for s in view.sections} | {s.digest for s in view.annex}
    withheld = [e["marking"] for e in obj["sections"] + obj["annex"] if e["digest"] not in visible]
    return ctx.render(
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
            "signer": signer,
            "markdown": markdown,
        },
        status=status,
    )


@routes.post("/communiques/{communique}/signoff", name="communique-signoff-submit")
async def signoff_submit(ctx: Context) -> web.StreamResponse:
    cid = ctx.path_id("communique")
    form = await ctx.form({"csrf_token", "jws", "action"})
    action = form.get("action", "sign")
    kwargs = _head(ctx, cid)
    try:
        async with ctx.write() as session:
            if action == "withdraw":
                await releases.withdraw_signoff(session, party=ctx.caller.party, **kwargs)
            elif action == "presigned":
                await signoffs.record_presigned(session, **kwargs)
            else:
                envelope = pasted_envelope(form.get("jws", ""))
                await signoffs.add_signoff(session, envelope=envelope, **kwargs)
    except NotFoundError:
        raise
    except EntenteError as exc:
        return await signoff_page(
            ctx, error=f"{exc.detail} ({exc.code})", status=409 if isinstance(exc, ConflictError) else 422
        )
    raise ctx.redirect("communique-signoff", communique=str(cid))


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
            zone = ZoneInfo(form.get("zone") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInputError("an unknown time zone", code="zone_unknown", field="zone") from None
        local, at = at, at.replace(tzinfo=zone)
        if at.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:  # skipped by a clock change
            raise InvalidInputError(
                f"{local:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks change then)",
                code="instant_invalid",
                field="at",
            )
    return at


@routes.post("/communiques/{communique}/release", name="communique-release")
async def release_submit(ctx: Context) -> web.StreamResponse:
    """One form per release step (``action``), shown to comms officers on the communiqué page."""
    caller, cid = ctx.caller, ctx.path_id("communique")
    form = await ctx.form({"csrf_token", "action", "at", "zone", "reason", "confirm"})
    action = form.get("action", "")
    kwargs: dict[str, Any] = {"communique_id": cid, "caller": caller, "now": ctx.now}
    changed = None
    try:
        if action not in _RELEASE_ACTIONS:
            raise InvalidInputError(f"no release action {action[:20]!r}", field="action")
        if action in ("cancel", "lift") and caller.has_role(Role.COMMS) and form.get("confirm") != "yes":
            raise InvalidInputError(
                f"tick the box to confirm you mean to {action} this release",
                code="confirmation_required",
                field="confirm",
            )
        async with ctx.write() as session:
            if action in ("propose", "counter") and form.get("zone"):  # the panel offers this zone next time
                await inbox.remember_zone(session, caller, form["zone"], ctx.now)
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
                policy = ctx.settings.release.lift_policy
                changed = await releases.lift_release(session, reason=form.get("reason", ""), policy=policy, **kwargs)
        if changed is not None:  # the public PDF is rendered after scheduling, and again after a lift
            await ctx.app[publisher_key].after_release_change(changed.id or 0)
    except NotFoundError:
        raise
    except EntenteError as exc:
        context = await editor_context(ctx, cid)
        context["release_error"] = f"{exc.field + ': ' if exc.field else ''}{exc.detail} ({exc.code})"
        status = 409 if isinstance(exc, ConflictError) else 403 if isinstance(exc, PermissionDeniedError) else 422
        return ctx.render("communiques/editor.html", context, status=status)
    raise ctx.redirect("communique", "release", communique=str(cid))
