"""The public site: what anyone may read, without signing in."""

from __future__ import annotations

from aiohttp import web

from entente import __version__, db
from entente.appkeys import engine_key
from entente.models import HealthPublic
from entente.web.bodies import json_response
from entente.web.html import render


async def healthz(request: web.Request) -> web.Response:
    reachable = await db.ping(request.app[engine_key])
    body = HealthPublic(
        status="ok" if reachable else "degraded",
        database="reachable" if reachable else "unreachable",
        version=__version__,
    )
    return json_response(body, status=200 if reachable else 503)


async def index(request: web.Request) -> web.Response:
    return render(request, "public/index.html", {})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index, name="public-index")
    app.router.add_get("/healthz", healthz, name="healthz")
