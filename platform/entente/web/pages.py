"""Pages for the people of the parties: sign in and out, the dashboard, API tokens."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from aiohttp import web

from entente import audit, auth, inbox, parties
from entente.appkeys import caller_cache_key, login_csrf_key
from entente.errors import AuthenticationError, RateLimitedError
from entente.models import Role
from entente.web import forms
from entente.web.context import Context, PageRoutes
from entente.web.middlewares import LOGIN_CSRF_COOKIE, SESSION_COOKIE, client_address, is_tls

routes = PageRoutes()


def _login_csrf(request: web.Request) -> str:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    request[login_csrf_key] = token
    return token


def _set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="Strict", secure=is_tls(request), path="/"
    )


@routes.get("/login", name="login", signed_in=False)
async def login_form(ctx: Context) -> web.StreamResponse:
    if ctx.maybe_caller is not None:
        raise ctx.redirect("dashboard")
    token = _login_csrf(ctx.request)
    response = ctx.render("login.html", {"error": None, "username": "", "next": _safe_next(ctx.query.get("next"))})
    _set_cookie(ctx.request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@routes.post("/login", name="login-submit", signed_in=False)
async def login_submit(ctx: Context) -> web.StreamResponse:
    form = await ctx.form({"username", "password", "next", "csrf_token"})
    username = form.get("username", "").strip().lower()
    password = form.get("password", "")
    next_url = _safe_next(form.get("next"))
    settings = ctx.settings.auth
    _login_csrf(ctx.request)
    error: str | None = None
    status = 200
    headers: dict[str, str] = {}
    async with ctx.session() as session:
        try:
            cookie, browser_session, user = await auth.login(
                session,
                username=username,
                password=password,
                client=client_address(ctx.request),
                now=ctx.now,
                session_minutes=settings.session_minutes,
                max_failures=settings.login_max_failures,
                window_seconds=settings.login_window_seconds,
            )
        except AuthenticationError as exc:
            error, status = exc.detail, 401
        except RateLimitedError as exc:
            error, status, headers = exc.detail, 429, {"Retry-After": str(exc.retry_after)}
        else:
            signed_in = web.HTTPSeeOther(location=next_url or ctx.url("dashboard"))
            _set_cookie(ctx.request, signed_in, SESSION_COOKIE, cookie, max_age=settings.session_minutes * 60)
            signed_in.del_cookie(LOGIN_CSRF_COOKIE, path="/")
            raise signed_in
    response = ctx.render("login.html", {"error": error, "username": username, "next": next_url or ""}, status=status)
    response.headers.update(headers)
    return response


@routes.post("/logout", name="logout", signed_in=False)
async def logout(ctx: Context) -> web.StreamResponse:
    cookie = ctx.request.cookies.get(SESSION_COOKIE)
    if cookie:
        async with ctx.write() as session:
            await auth.logout(session, cookie, now=ctx.now)
        if ctx.maybe_caller is not None:
            ctx.app[caller_cache_key].forget_user(ctx.maybe_caller.user_id)
    response = ctx.redirect("public-index")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


@routes.get("/dashboard", name="dashboard")
async def dashboard(ctx: Context) -> web.Response:
    caller = ctx.caller
    party_member = caller.has_role(Role.DRAFTER, Role.COMMS, Role.SIGNATORY, Role.SECRETARIAT)
    async with ctx.read() as session:
        party = await parties.get_party(session, caller.party)
        coalition = await parties.list_parties(session)
        waiting = await inbox.waiting_for(session, caller, ctx.now, ladder=ctx.ladder)
        notices = await inbox.list_notices(session, caller.user_id, limit=5)
        everyone = caller.has_role(Role.SECRETARIAT)
        trail = (  # a press account reads its briefings only, not the party's activity
            await audit.list_entries(session, party=None if everyone else caller.party, limit=15)
            if party_member
            else []
        )
    context = {"party": party, "coalition": coalition, "trail": trail, "waiting": waiting, "kinds": inbox.KINDS,
               "notices": notices, "party_member": party_member}
    return ctx.render("dashboard.html", context)


@routes.get("/account/tokens", name="tokens")
async def tokens_page(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        tokens = await auth.list_tokens(session, ctx.caller.user_id)
    return ctx.render("tokens.html", {"tokens": tokens, "created": None, "now": ctx.now})


@routes.post("/account/tokens", name="tokens-submit")
async def tokens_submit(ctx: Context) -> web.StreamResponse:
    caller = ctx.caller
    form = await ctx.form({"name", "days", "revoke", "csrf_token"})
    created = None
    async with ctx.write() as session:
        if form.get("revoke"):
            token_id = forms.integer(form, "revoke", minimum=1)
            await auth.revoke_token(session, caller, token_id, now=ctx.now)
            ctx.app[caller_cache_key].forget_user(caller.user_id)
        else:
            name = forms.text(form, "name", max_length=100)
            days = forms.integer(form, "days", minimum=1, maximum=3650, default=ctx.settings.auth.token_days)
            user = await auth.get_user(session, caller.username)
            created, _ = await auth.create_token(session, user, name=name, days=days, now=ctx.now)
        tokens = await auth.list_tokens(session, caller.user_id)
    return ctx.render("tokens.html", {"tokens": tokens, "created": created, "now": ctx.now})


def _safe_next(value: str | None) -> str | None:
    """Only a same-site absolute path: never an open redirect.

    Control characters and whitespace are removed first, as browsers do when they resolve a
    ``Location`` (``/<TAB>/evil.example/`` is ``//evil.example/`` to them); what is left must be
    a path with neither scheme nor authority.
    """
    if not value:
        return None
    cleaned = "".join(c for c in value if c.isprintable() and not c.isspace())
    if cleaned != value.strip() or not cleaned.startswith("/") or cleaned.startswith("//") or "\\" in cleaned:
        return None
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc:
        return None
    return cleaned


def add_routes(app: web.Application) -> None:
    routes.add_to(app)
