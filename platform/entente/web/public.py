"""The public site: what anyone may read, without signing in.

Released communiqués are read from the artefact rendered when their release was scheduled, and only
while the release predicate holds (``releases.is_public``): before the instant, while held, or once
cancelled, a communiqué answers exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente import __version__, canonical, db, feeds, parties, releases, signing
from entente.appkeys import (
    clock_key,
    engine_key,
    public_records_key,
    sessionmaker_key,
    settings_key,
)
from entente.models import HealthPublic
from entente.web.api.releases import PUBLIC_CACHE, public_id
from entente.web.api.trust import REVALIDATE, public_bytes
from entente.web.bodies import json_response
from entente.web.html import render

FEED_ENTRIES = 100


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
    sessions, now = request.app[sessionmaker_key], request.app[clock_key]()
    body, _ = await request.app[public_records_key].get(sessions, cid, now)
    artefact = canonical.parse_strict(body)
    async with sessions() as session:
        names = await parties.party_names(session, artefact["parties"])
        has_pdf = bool(await releases.public_pdf_lengths(session, [cid], now))
    context = {
        "r": artefact,
        "names": names,
        "has_pdf": has_pdf,
        "page_url": f"{request.app[settings_key].server.public_url.rstrip('/')}/releases/{cid}",
        **_shown(artefact),
    }
    return render(request, "public/release.html", context)


async def release_pdf(request: web.Request) -> web.Response:
    """The signed public PDF, once the release is public (rendered at scheduling, never here)."""
    cid = public_id(request)
    pdf, digest = await request.app[public_records_key].get_pdf(
        request.app[sessionmaker_key], cid, request.app[clock_key]()
    )
    response = public_bytes(
        request, pdf, cache_control=PUBLIC_CACHE, content_type="application/pdf", etag=digest.removeprefix("sha256:")
    )
    response.headers["Content-Disposition"] = f'inline; filename="entente-release-{cid}.pdf"'
    return response


async def releases_feed(request: web.Request) -> web.Response:
    """The Atom feed: released communiqués only, newest first, each with its PDF as an enclosure."""
    now = request.app[clock_key]()
    async with request.app[sessionmaker_key]() as session:
        found = await releases.list_public_releases(session, now, limit=FEED_ENTRIES)
        lengths = await releases.public_pdf_lengths(session, [r.id for r in found], now)
        names = await parties.party_names(session, {r.lead for r in found})
    settings = request.app[settings_key]
    body = feeds.atom_feed(
        [feeds.FeedEntry(r, lengths.get(r.id)) for r in found], base_url=settings.server.public_url, party_names=names
    )
    return public_bytes(request, body, cache_control=REVALIDATE, content_type=feeds.ATOM_TYPE)


async def verify_page(request: web.Request) -> web.Response:
    """The public verifier: everything runs in the reader's browser (static/verify.js); nothing is uploaded."""
    return render(request, "public/verify.html", {})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index, name="public-index")
    app.router.add_get("/healthz", healthz, name="healthz")
    app.router.add_get("/releases", releases_page, name="public-releases")
    app.router.add_get("/releases.atom", releases_feed, name="public-feed")
    # Before the page's route, which would otherwise take "7.pdf" for an id.
    app.router.add_get(r"/releases/{communique:[^/]+}.pdf", release_pdf, name="public-release-pdf")
    app.router.add_get("/releases/{communique}", release_page, name="public-release")
    app.router.add_get("/verify", verify_page, name="public-verify")
