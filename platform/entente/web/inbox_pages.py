"""Pages of what waits for people: notices, preferences and the party webhook, press briefings, and
the top bar's count of what waits for the signed-in user.

- ``/notices``: the signed-in user's notices, newest first, with "mark all read"
- ``/account/settings``: the time zone instants are read and shown in, the e-mail address notices
  go to; for a party's comms officers and the secretariat, the party's webhook and delivery log
- ``/briefings`` and ``/briefings/{communique}``: a press account's embargoed briefings
- ``POST /communiques/{communique}/briefings``: a comms officer invites its party's press accounts
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from entente import inbox, parties, releases
from entente.appkeys import caller_key, clock_key, ladder_key, read_sessionmaker_key, waiting_count_key
from entente.errors import ConflictError, EntenteError
from entente.models import Role
from entente.web.annex_view import annex_view
from entente.web.context import Context, PageRoutes
from entente.web.middlewares import wants_problem_json
from entente.web.problems import problem_for

routes = PageRoutes()

_QUIET_PREFIXES = ("/static/", "/releases", "/verify", "/login")


@web.middleware
async def waiting_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """For a signed-in person's page, count what waits for them (the top bar shows it)."""
    caller = request.get(caller_key)
    if (
        caller is not None
        and request.method == "GET"
        and not wants_problem_json(request)
        and not request.path.startswith(_QUIET_PREFIXES)
    ):
        async with request.app[read_sessionmaker_key]() as session:
            now = request.app[clock_key]()
            waiting = await inbox.count_waiting(session, caller, now, ladder=request.app[ladder_key])
            unread = await inbox.unread_count(session, caller.user_id)
        request[waiting_count_key] = (waiting, unread)
    return await handler(request)


# --- notices ------------------------------------------------------------------------------------


@routes.get("/notices", name="notices")
async def notices_page(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        notices = await inbox.list_notices(session, ctx.caller.user_id)
    return ctx.render("inbox/notices.html", {"notices": notices})


@routes.post("/notices/read", name="notices-read")
async def notices_read(ctx: Context) -> web.StreamResponse:
    await ctx.form({"csrf_token"})
    async with ctx.write() as session:
        await inbox.mark_read(session, ctx.caller.user_id, ctx.now)
    raise web.HTTPSeeOther(location=ctx.url("notices"))


# --- preferences and the party webhook ----------------------------------------------------------


async def _settings_context(ctx: Context) -> dict[str, object]:
    caller = ctx.caller
    may_hook = caller.has_role(Role.COMMS, Role.SECRETARIAT)
    async with ctx.read() as session:
        setting = await inbox.get_preferences(session, caller)
        hook = await inbox.get_webhook(session, caller.party) if may_hook else None
        log = await inbox.list_deliveries(session, party=caller.party) if may_hook else []
    return {
        "setting": setting,
        "zone": inbox.zone_of(setting, caller),
        "zones": inbox.zone_names(),
        "may_hook": may_hook,
        "hook": hook,
        "deliveries": log,
        "secret": None,
        "error": None,
        "smtp": bool(ctx.settings.notify.smtp_host),
    }


@routes.get("/account/settings", name="account-settings")
async def settings_page(ctx: Context) -> web.Response:
    return ctx.render("inbox/settings.html", await _settings_context(ctx))


@routes.post("/account/settings", name="account-settings-submit")
async def settings_submit(ctx: Context) -> web.StreamResponse:
    form = await ctx.form({"csrf_token", "timezone", "email"})
    try:
        async with ctx.write() as session:
            await inbox.set_preferences(
                session,
                ctx.caller,
                timezone=form.get("timezone", "").strip() or None,
                email=form.get("email"),
                now=ctx.now,
            )
    except EntenteError as exc:
        context = await _settings_context(ctx)
        context["error"] = f"{exc.detail} ({exc.code})"
        return ctx.render("inbox/settings.html", context, status=422)
    raise web.HTTPSeeOther(location=ctx.url("account-settings"))


@routes.post("/account/webhook", name="account-webhook-submit")
async def webhook_submit(ctx: Context) -> web.Response:
    form = await ctx.form({"csrf_token", "url", "action"})
    secret = None
    try:
        async with ctx.write() as session:
            if form.get("action") == "delete":
                await inbox.delete_webhook(session, ctx.caller, ctx.now)
            else:
                hook = await inbox.set_webhook(session, ctx.caller, url=form.get("url", ""), now=ctx.now)
                secret = hook.secret
    except EntenteError as exc:
        context = await _settings_context(ctx)
        context["error"] = f"{exc.detail} ({exc.code})"
        return ctx.render("inbox/settings.html", context, status=exc_status(exc))
    context = await _settings_context(ctx)
    context["secret"] = secret
    return ctx.render("inbox/settings.html", context)


def exc_status(exc: EntenteError) -> int:
    return problem_for(exc, instance="")[0]


# --- press briefings ----------------------------------------------------------------------------


@routes.get("/briefings", name="briefings")
async def briefings_page(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        found = await releases.list_briefings(session, ctx.caller, ctx.now)
    return ctx.render("inbox/briefings.html", {"briefings": found})


@routes.get("/briefings/{communique}", name="briefing")
async def briefing_page(ctx: Context) -> web.StreamResponse:
    cid = ctx.path_id("communique")
    try:
        async with ctx.write() as session:  # each reading is audited
            briefing = await releases.get_briefing(session, communique_id=cid, caller=ctx.caller, now=ctx.now)
            names = await parties.party_names(session, briefing.parties)
    except ConflictError as exc:
        if exc.code != "release_public":
            raise
        raise web.HTTPSeeOther(location=ctx.url("public-release", communique=str(cid))) from None
    return ctx.render("inbox/briefing.html", {"b": briefing, "names": names, **annex_view(briefing.annex)})


@routes.post("/communiques/{communique}/briefings", name="communique-briefings")
async def briefing_invite(ctx: Context) -> web.StreamResponse:
    cid = ctx.path_id("communique")
    posted = await ctx.request.post()
    allowed = {"csrf_token"} | {name for name in posted if name.startswith("press.") and len(name) <= 80}
    form = await ctx.form(allowed)
    usernames = [name.removeprefix("press.") for name in sorted(form) if name.startswith("press.")]
    async with ctx.write() as session:
        await releases.invite_press(session, communique_id=cid, caller=ctx.caller, usernames=usernames, now=ctx.now)
    raise web.HTTPSeeOther(location=ctx.url("communique", communique=str(cid)) + "#release")


def add_routes(app: web.Application) -> None:
    routes.add_to(app)
