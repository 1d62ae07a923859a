"""The public site: what anyone may read, without signing in.

Released communiqués are read from the artefact rendered when their release was scheduled, and only
while the release predicate holds (``releases.is_public``): before the instant, while held, or once
cancelled, a communiqué answers exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente import __version__, canonical, db, drafting, releases, signing
from entente.appkeys import clock_key, engine_key, public_records_key, sessionmaker_key
from entente.models import HealthPublic
from entente.web.api.releases import public_id
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
    async with request.app[sessionmaker_key]() as session:
        found = await releases.list_public_releases(session, request.app[clock_key](), limit=10)
    return render(request, "public/index.html", {"released": found})


async def releases_page(request: web.Request) -> web.Response:
    async with request.app[sessionmaker_key]() as session:
        found = await releases.list_public_releases(session, request.app[clock_key]())
    return render(request, "public/releases.html", {"released": found})


def _shown(artefact: dict[str, Any]) -> dict[str, Any]:
    """What the release page shows: the public sections and annex items decoded from their disclosures,
    and the parties whose sign-off envelopes the artefact carries."""
    sections = [canonical.decode_disclosure(d) for d in artefact["disclosures"]["sections"]]
    annex = [canonical.decode_disclosure(d) for d in artefact["disclosures"]["annex"]]
    by_kid = {k["kid"]: k["party"] for k in artefact["keys"]}
    signed: set[str] = set()
    for envelope in artefact["signoffs"]["explicit"]:
        for header in signing.protected_headers(envelope):
            if header is not None and header.get("kid") in by_kid:
                signed.add(by_kid[header["kid"]])
    return {
        "sections": [{"id": d.name, **d.value} for d in sections],
        "annex": [{"id": d.name, "kind": d.value["kind"], "content": d.value["content"]} for d in annex],
        "signed": sorted(signed),
        "presigned": len(artefact["signoffs"]["presigned"]),
    }


async def release_page(request: web.Request) -> web.Response:
    cid = public_id(request)
    body, _ = await request.app[public_records_key].get(request.app[sessionmaker_key], cid, request.app[clock_key]())
    artefact = canonical.parse_strict(body)
    context = {"r": artefact, "markdown": drafting.render_markdown, **_shown(artefact)}
    return render(request, "public/release.html", context)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index, name="public-index")
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/releases", releases_page, name="public-releases")
    app.router.add_get("/releases/{communique}", release_page, name="public-release")
