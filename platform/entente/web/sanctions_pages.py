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
from datetime import date, datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from entente.appkeys import clock_key, ladder_key, sessionmaker_key, settings_key
from entente.auth import Caller
from entente.errors import EntenteError, InvalidInputError, NotFoundError
from entente.models import CommuniqueState, Role
from entente.sanctions import AdoptionState, operations
from entente.sanctions.chains import Chain, load_chain, supersede_package
from entente.sanctions.lifecycle import is_in_force
from entente.sanctions.packages import Package, get_package
from entente.sanctions.views import coordination, reviews_due
from entente.web import forms, problems
from entente.web.html import render
from entente.web.pages import require_page_caller
from entente.web.paths import parse_id

_ADOPTION_FIELDS = {"csrf_token", "state", "legal_act", "legal_basis", "reason", "reason_marking", "on"}
_STEP_FIELDS = {"csrf_token", "reasons"}
_SUCCESSOR_FIELDS = {"csrf_token", "title"}


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


def _package_id(request: web.Request) -> int:
    text = request.match_info["package"]
    if (value := parse_id(text)) is None:
        raise NotFoundError(f"no sanctions package {text[:20]}")
    return value


def _neighbour(request: web.Request, chain: Chain, package_id: int | None) -> dict[str, Any] | None:
    """A package next in the chain: its page when the caller takes part in it, else its public release."""
    if package_id is None:
        return None
    reached = chain.packages.get(package_id)
    if reached is not None:
        url = request.app.router["sanctions-package"].url_for(package=str(package_id))
        return {"id": package_id, "title": reached.communique.title, "url": str(url)}
    return {"id": package_id, "title": f"released package {package_id}", "url": f"/releases/{package_id}"}


def _context(
    request: web.Request,
    package: Package,
    chain: Chain,
    caller: Caller,
    now: datetime,
    *,
    error: EntenteError | None = None,
    draft: str = "",
) -> dict[str, Any]:
    parties, rows = coordination(package)
    may_edit = caller.has_role(Role.DRAFTER, Role.SECRETARIAT)
    editable = CommuniqueState(package.communique.state).editable
    return {
        "now": now,
        "chain": chain,
        "predecessor": _neighbour(request, chain, chain.predecessor_of(package.id)),
        "successor": _neighbour(request, chain, chain.successor_of(package.id)),
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


async def _render_package(
    request: web.Request, caller: Caller, package_id: int, *, status: int = 200, **kwargs: Any
) -> web.Response:
    now = request.app[clock_key]()
    async with request.app[sessionmaker_key]() as session:
        package = await get_package(session, package_id, caller)
        chain = await load_chain(session, package, now=now, ladder=request.app[ladder_key])
    context = _context(request, package, chain, caller, now, **kwargs)
    return render(request, "sanctions/package.html", context, status=status)


def _to_package(request: web.Request, package_id: int) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location=str(request.app.router["sanctions-package"].url_for(package=str(package_id))))


async def package_page(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    return await _render_package(request, caller, _package_id(request))


async def _submit(
    request: web.Request,
    fields: set[str],
    act: Callable[[AsyncSession, Caller, int, dict[str, str]], Awaitable[int | None]],
    *,
    keep: str | None = None,
) -> web.StreamResponse:
    """Read the form, run ``act`` in one transaction, and go to the package it names (else this one);
    a refusal re-renders this package's page with the error (and the form's ``keep`` text field)."""
    caller = require_page_caller(request)
    package_id = _package_id(request)
    form = await forms.read_form(request, fields)
    try:
        async with request.app[sessionmaker_key].begin() as session:
            target = await act(session, caller, package_id, form)
    except NotFoundError:
        raise
    except EntenteError as exc:
        kept = {"draft": form.get(keep, "")} if keep else {}
        return await _render_package(request, caller, package_id, status=problems.status_for(exc), error=exc, **kept)
    raise _to_package(request, target or package_id)


def _limits(request: web.Request) -> dict[str, Any]:
    return {"now": request.app[clock_key](), "max_sections": request.app[settings_key].limits.max_sections}


async def adoption_submit(request: web.Request) -> web.StreamResponse:
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
            designation_id=request.match_info["designation"],
            caller=caller,
            party=caller.party,
            state=state,
            legal_act=forms.text(form, "legal_act", max_length=300, required=False) or None,
            legal_basis=forms.text(form, "legal_basis", max_length=2000, required=False) or None,
            reason=forms.text(form, "reason", max_length=5000, required=False) or None,
            reason_marking=_reason_marking(form),
            on=on,
            **_limits(request),
        )

    return await _submit(request, _ADOPTION_FIELDS, act)


async def step_submit(request: web.Request) -> web.StreamResponse:
    """In a successor package: renew, lift, keep (take back) or amend the reasons of a designation in effect."""

    async def act(session: AsyncSession, caller: Caller, package_id: int, form: dict[str, str]) -> None:
        action = request.match_info["step"]
        await operations.review_designation(
            session,
            package_id=package_id,
            designation_id=request.match_info["designation"],
            caller=caller,
            action=action,
            reasons=forms.text(form, "reasons", max_length=20_000) if action == "amend" else None,
            **_limits(request),
        )

    return await _submit(request, _STEP_FIELDS, act)


async def successor_submit(request: web.Request) -> web.StreamResponse:
    """Start the package superseding a released one, and go to it."""

    async def act(session: AsyncSession, caller: Caller, package_id: int, form: dict[str, str]) -> int:
        successor = await supersede_package(
            session,
            package_id=package_id,
            caller=caller,
            title=forms.text(form, "title", max_length=300, required=False) or None,
            now=request.app[clock_key](),
            ladder=request.app[ladder_key],
        )
        return successor.id

    return await _submit(request, _SUCCESSOR_FIELDS, act)


async def reviews_page(request: web.Request) -> web.Response:
    caller = require_page_caller(request)
    async with request.app[sessionmaker_key]() as session:
        due = await reviews_due(session, caller, request.app[clock_key](), ladder=request.app[ladder_key])
    return render(request, "sanctions/reviews.html", {"due": due})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/sanctions/reviews", reviews_page, name="sanctions-reviews")
    app.router.add_get("/sanctions/packages/{package}", package_page, name="sanctions-package")
    app.router.add_post(
        "/sanctions/packages/{package}/designations/{designation}/adoption",
        adoption_submit,
        name="sanctions-adoption",
    )
    app.router.add_post(
        "/sanctions/packages/{package}/designations/{designation}/{step:renew|lift|keep|amend}",
        step_submit,
        name="sanctions-step",
    )
    app.router.add_post("/sanctions/packages/{package}/successor", successor_submit, name="sanctions-successor")
