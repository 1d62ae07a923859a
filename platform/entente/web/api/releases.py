"""Releases: negotiate the embargo instant, schedule, cancel, lift; and the public read of released ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from entente import canonical, drafting, releases
from entente.appkeys import (
    platform_keys_key,
    public_index_key,
    public_records_key,
    publisher_key,
    read_sessionmaker_key,
)
from entente.models import (
    PublicReleaseSummary,
    Release,
    ReleaseCreate,
    ReleasePublic,
    ReleaseReason,
    ReleaseResponseCreate,
)
from entente.web.bodies import json_bytes, json_response
from entente.web.context import Context
from entente.web.etags import IMMUTABLE, REVALIDATE, public_bytes
from entente.web.openapi import ApiRoutes
from entente.web.paths import parse_id

API = "/api/v1"
BASE = f"{API}/communiques/{{communique}}/release"
PUBLIC = f"{API}/public/communiques"
TAG = "releases"
PUBLIC_TAG = "public"
# Once public a release record never changes (nothing can cancel, hold or lift it any more).
PUBLIC_CACHE = IMMUTABLE
PUBLIC_PAGE = 100  # releases per page of the public list
routes = ApiRoutes(tag=TAG)


async def _answer(ctx: Context, session: AsyncSession, release: Release, *, status: int = 200) -> web.Response:
    """The release as the caller sees it, read in the transaction that changed it."""
    access = await drafting.get_access(session, release.communique_id, ctx.caller)
    view = await releases.release_public(session, access, release, ctx.now)
    return json_response(view, status=status)


@routes.get(BASE, name="api-release", response=ReleasePublic)
async def get_release(ctx: Context) -> web.Response:
    """The communiqué's open release: state, instant in UTC and in each party's zone, each party's answer"""
    async with ctx.read() as session:
        view = await releases.read_release(
            session, communique_id=ctx.path_id("communique"), caller=ctx.caller, now=ctx.now
        )
    return json_response(view)


@routes.create(BASE, name="api-release-propose", request=ReleaseCreate, response=ReleasePublic)
async def propose(ctx: Context) -> web.Response:
    """Propose an embargo instant (comms officer; an instant with its UTC offset, in the future)"""
    return await _step(ctx, releases.propose_release, status=201, at=ctx.body.at)


@routes.post(f"{BASE}/responses", name="api-release-respond", request=ReleaseResponseCreate, response=ReleasePublic)
async def respond(ctx: Context) -> web.Response:
    """My party accepts the proposed instant (naming it) or counter-proposes another (comms officer)"""
    data = ctx.body
    return await _step(ctx, releases.respond_release, party=data.party, decision=data.decision, at=data.at)


@routes.post(f"{BASE}/schedule", name="api-release-schedule", response=ReleasePublic)
async def schedule(ctx: Context) -> web.Response:
    """Schedule the agreed release (or resume a held one): freezes the head version, whose quorum must be complete, logs
    a salted commitment to it, and renders the public record and signed PDF"""
    return await _step(ctx, releases.schedule_release)


@routes.post(f"{BASE}/cancel", name="api-release-cancel", request=ReleaseReason, response=ReleasePublic)
async def cancel(ctx: Context) -> web.Response:
    """Cancel a release that is not public yet; the communiqué becomes editable again (audited reason)"""
    return await _step(ctx, releases.cancel_release, reason=ctx.body.reason)


@routes.post(f"{BASE}/lift", name="api-release-lift", request=ReleaseReason, response=ReleasePublic)
async def lift(ctx: Context) -> web.Response:
    """Lift the embargo of a scheduled release now, e.g. after a leak (audited reason)"""
    policy = ctx.settings.release.lift_policy
    return await _step(ctx, releases.lift_release, reason=ctx.body.reason, policy=policy)


async def _step(
    ctx: Context, step: Callable[..., Awaitable[Release]], *, status: int = 200, **fields: Any
) -> web.Response:
    """A comms officer's step on the release of the communiqué in the path (``fields`` from the body),
    answered with the release; after a schedule or a lift the public record and PDF are rendered now."""
    async with ctx.write() as session:
        release = await step(session, communique_id=ctx.path_id("communique"), caller=ctx.caller, now=ctx.now, **fields)
        answer = await _answer(ctx, session, release, status=status)
    if step in (releases.schedule_release, releases.lift_release):
        await ctx.app[publisher_key].after_release_change(release.id or 0)
    return answer


# --- public -------------------------------------------------------------------------------------


def public_id(request: web.Request) -> int:
    text = request.match_info["communique"]
    if (value := parse_id(text)) is None:
        raise releases.public_not_found(text)
    return value


@routes.get(
    PUBLIC,
    name="api-public-communiques",
    tag=PUBLIC_TAG,
    response=PublicReleaseSummary,
    response_list=True,
    authenticated=False,
    errors=(422,),
    query=(("after", "the opaque cursor of the next page, from the `Link` header's rel=\"next\" URL"),),
)
async def list_public(ctx: Context) -> web.Response:
    """Released communiqués, newest first, a page at a time: the next page is the `Link` header's rel="next" (`?after=`
    an opaque cursor); no sign-in"""
    after = ctx.request.query.get("after") or None
    if after is not None:
        releases.parse_cursor(after)  # a bad cursor is refused before anything is cached
    index = ctx.app[public_index_key]
    await index.ensure(ctx.app[read_sessionmaker_key])
    key = ("api-list", after)
    found = index.page(key, ctx.now)
    if found is None:
        generation = index.generation
        async with ctx.read() as session:
            page = await releases.list_public_releases(session, ctx.now, limit=PUBLIC_PAGE, after=after)
        body = json_bytes(page.releases)
        link = None
        if page.next is not None:
            url = ctx.app.router["api-public-communiques"].url_for().with_query(after=page.next)
            link = f'<{url}>; rel="next"'
        found = (body, canonical.digest(body).removeprefix("sha256:"), link)
        index.keep_page(key, found, ctx.now, generation=generation)
    body, etag, link = found
    response = public_bytes(ctx.request, body, cache_control=REVALIDATE, etag=etag)
    if link is not None:
        response.headers["Link"] = link
    return response


@routes.get(f"{PUBLIC}/{{communique}}", name="api-public-communique", tag=PUBLIC_TAG, authenticated=False)
async def get_public(ctx: Context) -> web.Response:
    """The public artefact of a released communiqué: version bytes, public disclosures, sign-off JWS and keys, to verify
    without trusting this server (no sign-in)"""
    cid = public_id(ctx.request)
    records = ctx.app[public_records_key]
    body, digest = await records.get(ctx.app[read_sessionmaker_key], cid, ctx.now)
    return public_bytes(ctx.request, body, cache_control=PUBLIC_CACHE, etag=digest)


@routes.get(f"{PUBLIC}/{{communique}}/bundle", name="api-public-bundle", tag=PUBLIC_TAG, authenticated=False)
async def get_bundle(ctx: Context) -> web.Response:
    """The publication bundle of a released communiqué: its record, the roster chain, the log's entries with inclusion
    proofs and a signed checkpoint, the PDF's digest and signing certificate; everything `entente verify` checks offline
    (no sign-in)"""
    cid = public_id(ctx.request)
    publisher = ctx.app[publisher_key]
    identity, certificate = await publisher.identity(), await publisher.certificate()
    pdf_url = ctx.url("public-release-pdf", communique=str(cid))
    async with ctx.read() as session:
        bundle = await releases.publication_bundle(
            session, cid, ctx.now, log=identity, pdf_url=pdf_url, certificate=certificate
        )
    if bundle is None:
        raise releases.public_not_found(cid)
    # The checkpoint grows with the log, so the bundle is revalidated; its ETag is its digest.
    return public_bytes(ctx.request, canonical.canonical_bytes(bundle), cache_control=REVALIDATE)


@routes.get(
    "/.well-known/entente/pdf-signing.pem",
    name="pdf-signing-certificate",
    tag=PUBLIC_TAG,
    authenticated=False,
    content_type="application/x-pem-file",
)
async def pdf_signing_certificate(ctx: Context) -> web.Response:
    """The certificate of the platform's PDF signing key (ECDSA P-256): every published PDF's PAdES signature is made
    with it"""
    pem = (await ctx.app[platform_keys_key].get()).pdf_certificate
    response = public_bytes(ctx.request, pem, cache_control=REVALIDATE, content_type="application/x-pem-file")
    response.headers["Content-Disposition"] = 'inline; filename="pdf-signing.pem"'
    return response
