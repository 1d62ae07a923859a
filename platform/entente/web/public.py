"""The public site: what anyone may read, without signing in.

Released communiqués are read from the artefact rendered when their release was scheduled, and only
while the release predicate holds (``releases.is_public``): before the instant, while held, or once
cancelled, a communiqué answers exactly like one that does not exist.

Every public read is served from bytes made once: a release's page once it is public (it never
changes again), each page of the list and of the feed until a release changes what it shows
(``releases.PublicIndex``). Each answer carries a strong ETag and answers ``304 Not Modified`` to a
matching ``If-None-Match``. Pages for a signed-in visitor carry the visitor's name, so they are
rendered for them and never cached.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from entente import __version__, canonical, db, drafting, feeds, parties, releases, signing
from entente.appkeys import (
    public_index_key,
    public_records_key,
    read_engine_key,
    read_sessionmaker_key,
)
from entente.models import HealthPublic
from entente.web.annex_view import annex_view
from entente.web.api.releases import PUBLIC_CACHE, public_id
from entente.web.bodies import json_response
from entente.web.context import Context, PageRoutes
from entente.web.etags import REVALIDATE, public_bytes
from entente.web.html import base_context

FEED_ENTRIES = 50
LIST_ENTRIES = 50
INDEX_ENTRIES = 10
HTML = "text/html"

routes = PageRoutes()


@routes.get("/healthz", name="healthz", signed_in=False)
async def healthz(ctx: Context) -> web.Response:
    """Whether the database answers; a read-only connection, so a writer holding its lock never delays it."""
    reachable = await db.ping(ctx.app[read_engine_key])
    body = HealthPublic(
        status="ok" if reachable else "degraded",
        database="reachable" if reachable else "unreachable",
        version=__version__,
    )
    return json_response(body, status=200 if reachable else 503)


async def cached_bytes(ctx: Context, key: Hashable, make: Callable[[], Awaitable[bytes]]) -> tuple[bytes, str]:
    """The bytes of a public list page (and their digest, a strong ETag), made by ``make`` at most once
    while the releases it shows stay the same (``releases.PublicIndex``)."""
    index = ctx.app[public_index_key]
    await index.ensure(ctx.app[read_sessionmaker_key])
    found = index.page(key, ctx.now)
    if found is None:
        generation = index.generation
        body = await make()
        found = (body, canonical.digest(body).removeprefix("sha256:"))
        index.keep_page(key, found, ctx.now, generation=generation)
    return found


async def release_page_of(ctx: Context, after: str | None, limit: int) -> releases.PublicPage:
    async with ctx.read() as session:
        return await releases.list_public_releases(session, ctx.now, limit=limit, after=after)


def _after(ctx: Context) -> str | None:
    return ctx.request.query.get("after") or None


def next_link(ctx: Context, route: str, cursor: str | None) -> str | None:
    return None if cursor is None else str(ctx.app.router[route].url_for().with_query(after=cursor))


async def _html_page(
    ctx: Context, key: Hashable, template: str, context: Callable[[], Awaitable[dict[str, Any]]]
) -> web.Response:
    """A public page: for visitors not signed in, the cached bytes (revalidated by ETag); for a
    signed-in visitor, rendered for them (their name is in the masthead)."""
    if ctx.maybe_caller is not None:
        return aiohttp_jinja2.render_template(template, ctx.request, base_context(ctx.request) | await context())

    async def make() -> bytes:
        text = aiohttp_jinja2.render_string(template, ctx.request, base_context(ctx.request) | await context())
        return text.encode("utf-8")

    body, etag = await cached_bytes(ctx, key, make)
    return _page_response(ctx, body, etag)


def _page_response(ctx: Context, body: bytes, etag: str) -> web.Response:
    response = public_bytes(ctx.request, body, cache_control=REVALIDATE, content_type=HTML, charset="utf-8", etag=etag)
    response.headers["Vary"] = "Cookie"
    return response


@routes.get("/", name="public-index", signed_in=False)
async def index(ctx: Context) -> web.Response:
    async def context() -> dict[str, Any]:
        found = (await release_page_of(ctx, None, INDEX_ENTRIES)).releases
        async with ctx.read() as session:
            names = await parties.party_names(session, {r.lead for r in found})
        return {"released": found, "names": names}

    return await _html_page(ctx, ("html", "index"), "public/index.html", context)


@routes.get("/releases", name="public-releases", signed_in=False)
async def releases_page(ctx: Context) -> web.Response:
    """Released communiqués, newest first, a page at a time (``?after=`` the cursor of the next link)."""
    after = _after(ctx)
    if after is not None:
        releases.parse_cursor(after)  # a bad cursor is refused before anything is cached

    async def context() -> dict[str, Any]:
        page = await release_page_of(ctx, after, LIST_ENTRIES)
        async with ctx.read() as session:
            names = await parties.party_names(session, {r.lead for r in page.releases})
        return {
            "released": page.releases,
            "names": names,
            "next_url": next_link(ctx, "public-releases", page.next),
            "after": after,
        }

    return await _html_page(ctx, ("html", "releases", after), "public/releases.html", context)


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


# Before the page's route, which would otherwise take "7.pdf" for an id.
@routes.get(r"/releases/{communique:[^/]+}.pdf", name="public-release-pdf", signed_in=False)
async def release_pdf(ctx: Context) -> web.Response:
    """The signed public PDF, once the release is public (rendered at scheduling, never here)."""
    cid = public_id(ctx.request)
    pdf, digest = await ctx.app[public_records_key].get_pdf(ctx.app[read_sessionmaker_key], cid, ctx.now)
    response = public_bytes(
        ctx.request,
        pdf,
        cache_control=PUBLIC_CACHE,
        content_type="application/pdf",
        etag=digest.removeprefix("sha256:"),
    )
    response.headers["Content-Disposition"] = f'inline; filename="entente-release-{cid}.pdf"'
    return response


@routes.get("/releases/{communique}/aligned.pdf", name="public-release-aligned-pdf", signed_in=False)
async def release_aligned_pdf(ctx: Context) -> web.Response:
    """The public PDF re-rendered with the parties that aligned later (the original stays at ``{id}.pdf``).
    It changes when a party aligns or withdraws, so it is revalidated; its ETag is its digest."""
    cid = public_id(ctx.request)
    if await ctx.app[public_records_key].is_not_public(ctx.app[read_sessionmaker_key], cid, ctx.now):
        raise releases.public_not_found(cid)
    async with ctx.read() as session:
        pdf = await releases.get_aligned_pdf(session, cid, ctx.now)
    if pdf is None:
        raise releases.public_not_found(cid)
    response = public_bytes(ctx.request, pdf, cache_control=REVALIDATE, content_type="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="entente-release-{cid}-aligned.pdf"'
    return response


@routes.get("/releases/{communique}", name="public-release", signed_in=False)
async def release_page(ctx: Context) -> web.Response:
    """A released communiqué's page, with its bundle, corrections and later alignments: for visitors not
    signed in, made once and served from those bytes until the public index changes (a release, a
    stored PDF, an alignment); an id not public answers like an unknown one."""
    cid = public_id(ctx.request)
    body, _ = await ctx.app[public_records_key].get(ctx.app[read_sessionmaker_key], cid, ctx.now)

    async def context() -> dict[str, Any]:
        artefact = canonical.parse_strict(body)
        async with ctx.read() as session:
            relations = await releases.public_relations(session, cid, ctx.now)
            aligned = {a.party for a in relations["alignments"]}
            names = await parties.party_names(session, set(artefact["parties"]) | aligned)
            has_pdf = bool(await releases.public_pdf_lengths(session, [cid], ctx.now))
        return {
            **relations,
            "r": artefact,
            "markdown": drafting.render_markdown,
            "names": names,
            "has_pdf": has_pdf,
            "page_url": f"{ctx.settings.server.public_url.rstrip('/')}/releases/{cid}",
            **(shown := _shown(artefact)),
            **annex_view(shown["annex"]),
        }

    return await _html_page(ctx, ("release", cid), "public/release.html", context)


@routes.get("/releases.atom", name="public-feed", signed_in=False)
async def releases_feed(ctx: Context) -> web.Response:
    """The Atom feed: released communiqués only, newest first, each with its PDF as an enclosure; a page
    at a time (RFC 5005 paged feed: ``rel="next"`` names the older entries)."""
    after = _after(ctx)
    if after is not None:
        releases.parse_cursor(after)

    async def make() -> bytes:
        async with ctx.read() as session:
            page = await releases.list_public_releases(session, ctx.now, limit=FEED_ENTRIES, after=after)
            lengths = await releases.public_pdf_lengths(session, [r.id for r in page.releases], ctx.now)
            aligned = {a.party for r in page.releases for a in r.alignments}
            names = await parties.party_names(session, {r.lead for r in page.releases} | aligned)
        return feeds.atom_feed(
            [feeds.FeedEntry(r, lengths.get(r.id)) for r in page.releases],
            base_url=ctx.settings.server.public_url,
            party_names=names,
            next_path=next_link(ctx, "public-feed", page.next),
            this_path=str(ctx.request.rel_url),
        )

    body, etag = await cached_bytes(ctx, ("feed", after), make)
    return public_bytes(ctx.request, body, cache_control=REVALIDATE, content_type=feeds.ATOM_TYPE, etag=etag)


@routes.get("/verify", name="public-verify", signed_in=False)
async def verify_page(ctx: Context) -> web.Response:
    """The public verifier: everything runs in the reader's browser (static/verify.js); nothing is uploaded."""
    return aiohttp_jinja2.render_template("public/verify.html", ctx.request, base_context(ctx.request))


def add_routes(app: web.Application) -> None:
    routes.add_to(app)
