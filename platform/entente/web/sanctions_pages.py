"""Pages for sanctions packages: the coordination view (with my party's adoption form), the review list,
and for a released package its successor (renew, amend, lift, keep each designation in effect).

Both read through :mod:`entente.sanctions.packages` (drafting's disclosure filter); the adoption form
calls the same domain function as ``POST /api/v1/sanctions/packages/{id}/designations/{did}/adoption``.
Designations are added and edited with real forms in :mod:`entente.web.designation_pages`. A party's
reason for declining is its own text: the position form says who may read it (by default the
package's participants; public only when the party chooses).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from entente.auth import Caller
from entente.errors import EntenteError, InvalidInputError, NotFoundError
from entente.models import CommuniqueState, Role
from entente.sanctions import AdoptionState, operations
from entente.sanctions.chains import Chain, load_chain, supersede_package
from entente.sanctions.lifecycle import is_in_force
from entente.sanctions.packages import Package, get_package
from entente.sanctions.views import coordination, reviews_due
from entente.web import forms, problems
from entente.web.context import Context, PageRoutes

_ADOPTION_FIELDS = {"csrf_token", "state", "legal_act", "legal_basis", "reason", "reason_marking", "on"}
_STEP_FIELDS = {"csrf_token", "reasons"}
_SUCCESSOR_FIELDS = {"csrf_token", "title"}
ONE = "/sanctions/packages/{package}"
DESIGNATION = f"{ONE}/designations/{{designation}}"

routes = PageRoutes()

#: Who may read a party's reason for declining, as the position form offers it (default: participants).
_REASON_MARKINGS: dict[str, dict[str, Any] | None] = {
    "participants": None,  # the package's participants (the domain's default)
    "party": {"public": False, "releasable_to": []},  # the party alone
    "public": {"public": True},  # anyone, once the package is released
}


def _reason_marking(form: dict[str, str]) -> dict[str, Any] | None:
    choice = form.get("reason_marking") or "participants"
    if choice not in _REASON_MARKINGS:
        raise InvalidInputError("choose who may read the reason", field="reason_marking")
    return _REASON_MARKINGS[choice]


def _neighbour(ctx: Context, chain: Chain, package_id: int | None) -> dict[str, Any] | None:
    """A package next in the chain: its page when the caller takes part in it, else its public release."""
    if package_id is None:
        return None
    reached = chain.packages.get(package_id)
    if reached is not None:
        url = ctx.url("sanctions-package", package=str(package_id))
        return {"id": package_id, "title": reached.communique.title, "url": url}
    return {"id": package_id, "title": f"released package {package_id}", "url": f"/releases/{package_id}"}


def _context(
    ctx: Context,
    package: Package,
    chain: Chain,
    *,
    error: EntenteError | None = None,
    draft: str = "",
) -> dict[str, Any]:
    caller, now = ctx.caller, ctx.now
    parties, rows = coordination(package)
    may_edit = caller.has_role(Role.DRAFTER, Role.SECRETARIAT)
    editable = CommuniqueState(package.communique.state).editable
    return {
        "now": now,
        "chain": chain,
        "predecessor": _neighbour(ctx, chain, chain.predecessor_of(package.id)),
        "successor": _neighbour(ctx, chain, chain.successor_of(package.id)),
        "released_at": chain.released.get(package.id),
        "standing": {p.designation.id: chain.standing(p.designation.id, now) for p in package.designations},
        "in_force": {
            p.designation.id: (s is not None and is_in_force(s, now))
            for p in package.designations
            for s in [chain.standing(p.designation.id, now)]
        },
        "may_edit_text": may_edit and editable,
        "may_review": may_edit and editable and package.communique.supersedes_id is not None,
        "may_supersede": may_edit and package.id in chain.released and chain.successor_of(package.id) is None,
        "candidates": (error.extra.get("candidates") if error is not None else None) or [],
        "field_errors": (error.extra.get("errors") if error is not None else None) or [],
        "package": package,
        "parties": parties,
        "rows": rows,
        "states": [s.value for s in AdoptionState],
        "may_adopt": editable and caller.has_role(Role.DRAFTER, Role.SIGNATORY, Role.SECRETARIAT),
        "error": error,
    }


async def _render_package(ctx: Context, package_id: int, *, status: int = 200, **kwargs: Any) -> web.Response:
    async with ctx.read() as session:
        package = await get_package(session, package_id, ctx.caller)
        chain = await load_chain(session, package, now=ctx.now, ladder=ctx.ladder)
    return ctx.render("sanctions/package.html", _context(ctx, package, chain, **kwargs), status=status)


@routes.get(ONE, name="sanctions-package")
async def package_page(ctx: Context) -> web.Response:
    return await _render_package(ctx, ctx.path_id("package"))


async def _submit(
    ctx: Context,
    fields: set[str],
    act: Callable[[AsyncSession, Caller, int, dict[str, str]], Awaitable[int | None]],
    *,
    keep: str | None = None,
) -> web.StreamResponse:
    """Read the form, run ``act`` in one transaction, and go to the package it names (else this one);
    a refusal re-renders this package's page with the error (and the form's ``keep`` text field)."""
    package_id = ctx.path_id("package")
    form = await ctx.form(fields)
    try:
        async with ctx.write() as session:
            target = await act(session, ctx.caller, package_id, form)
    except NotFoundError:
        raise
    except EntenteError as exc:
        kept = {"draft": form.get(keep, "")} if keep else {}
        return await _render_package(ctx, package_id, status=problems.status_for(exc), error=exc, **kept)
    raise ctx.redirect("sanctions-package", package=str(target or package_id))


def _limits(ctx: Context) -> dict[str, Any]:
    return {"now": ctx.now, "max_sections": ctx.settings.limits.max_sections}


@routes.post(f"{DESIGNATION}/adoption", name="sanctions-adoption")
async def adoption_submit(ctx: Context) -> web.StreamResponse:
    """My party's position on one designation."""

    async def act(session: AsyncSession, caller: Caller, package_id: int, form: dict[str, str]) -> None:
        try:
            state = AdoptionState(form.get("state", ""))
        except ValueError:
            raise InvalidInputError("choose a state", code="invalid_state", field="state") from None
        on_text = forms.text(form, "on", max_length=10, required=False)
        try:
            on = date.fromisoformat(on_text) if on_text else None
        except ValueError:
            raise InvalidInputError("a date like 2026-11-27", field="on") from None
        await operations.record_adoption(
            session,
            package_id=package_id,
            designation_id=ctx.segment("designation"),
            caller=caller,
            party=caller.party,
            state=state,
            legal_act=forms.text(form, "legal_act", max_length=300, required=False) or None,
            legal_basis=forms.text(form, "legal_basis", max_length=2000, required=False) or None,
            reason=forms.text(form, "reason", max_length=5000, required=False) or None,
            reason_marking=_reason_marking(form),
            on=on,
            **_limits(ctx),
        )

    return await _submit(ctx, _ADOPTION_FIELDS, act)


@routes.post(f"{DESIGNATION}/{{step:renew|lift|keep|amend}}", name="sanctions-step")
async def step_submit(ctx: Context) -> web.StreamResponse:
    """In a successor package: renew, lift, keep (take back) or amend the reasons of a designation in effect."""

    async def act(session: AsyncSession, caller: Caller, package_id: int, form: dict[str, str]) -> None:
        action = ctx.segment("step")
        await operations.review_designation(
            session,
            package_id=package_id,
            designation_id=ctx.segment("designation"),
            caller=caller,
            action=action,
            reasons=forms.text(form, "reasons", max_length=20_000) if action == "amend" else None,
            **_limits(ctx),
        )

    return await _submit(ctx, _STEP_FIELDS, act)


@routes.post(f"{ONE}/successor", name="sanctions-successor")
async def successor_submit(ctx: Context) -> web.StreamResponse:
    """Start the package superseding a released one, and go to it."""

    async def act(session: AsyncSession, caller: Caller, package_id: int, form: dict[str, str]) -> int:
        successor = await supersede_package(
            session,
            package_id=package_id,
            caller=caller,
            title=forms.text(form, "title", max_length=300, required=False) or None,
            now=ctx.now,
            ladder=ctx.ladder,
        )
        return successor.id

    return await _submit(ctx, _SUCCESSOR_FIELDS, act)


@routes.get("/sanctions/reviews", name="sanctions-reviews")
async def reviews_page(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        due = await reviews_due(session, ctx.caller, ctx.now, ladder=ctx.ladder)
    return ctx.render("sanctions/reviews.html", {"due": due})


def add_routes(app: web.Application) -> None:
    routes.add_to(app)
