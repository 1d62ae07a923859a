"""Around the release: release bundles, late alignments with released communiqués, corrections.

- ``/api/v1/bundles``: comms officers gather communiqués into one release (one instant, schedule,
  hold, lift or cancel); ``/api/v1/public/bundles/{id}`` lists a released bundle's members.
- ``/api/v1/communiques/{id}/alignments``: a signatory of a party that did not sign a released
  communiqué aligns with it (its JWS over the released bytes) or withdraws its alignment;
  ``/api/v1/public/communiques/{id}/alignments`` lists them for anyone.
- ``/api/v1/communiques/{id}/successor``: a drafter starts the correction of a released communiqué.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from entente import canonical, drafting, releases
from entente.appkeys import publisher_key
from entente.models import (
    Alignment,
    AlignmentCreate,
    AlignmentPublic,
    AlignmentWithdraw,
    BundleCreate,
    BundleMemberCreate,
    BundlePublic,
    BundleResponseCreate,
    CorrectionCreate,
    PublicBundle,
    ReleaseCreate,
    ReleaseReason,
    VersionPublic,
)
from entente.web.api.releases import PUBLIC_CACHE
from entente.web.api.trust import public_bytes
from entente.web.bodies import json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

API = "/api/v1"
BUNDLES = f"{API}/bundles"
BUNDLE = f"{BUNDLES}/{{bundle}}"
ALIGNMENTS = f"{API}/communiques/{{communique}}/alignments"
PUBLIC = f"{API}/public"
TAG = "bundles"
ALIGN_TAG = "alignments"
routes = ApiRoutes()
#: A comms officer's write to a bundle: answered with the bundle, refused with 403, 404 or 409.
bundle_write = routes.family("POST", tag=TAG, response=BundlePublic, errors=(403, 404, 409))
#: A signatory's alignment or its withdrawal: answered with the alignment, refused with 403, 404 or 409.
alignment_write = routes.family("POST", tag=ALIGN_TAG, response=AlignmentPublic, errors=(403, 404, 409))
#: What anyone may read of a released communiqué or bundle (404 until it is public).
public_read = routes.family("GET", tag="public", authenticated=False, errors=(404,))


async def _bundle_answer(ctx: Context, session, bundle: releases.Bundle, *, status: int = 200) -> web.Response:
    view = await releases.bundle_public(session, await releases.get_bundle(session, bundle.id, ctx.caller), ctx.now)
    return json_response(view, status=status)


async def _bundle_step(
    ctx: Context, step: Callable[..., Awaitable[releases.Bundle]], *, status: int = 200, **fields: Any
) -> web.Response:
    """One comms officer's step on the bundle in the path (``fields`` from the body), answered with the
    bundle; after a schedule or a lift the public PDFs name the instant: each member's is rendered now
    (the scheduler's next tick would too)."""
    async with ctx.write() as session:
        bundle = await step(session, bundle_id=ctx.path_id("bundle"), caller=ctx.caller, now=ctx.now, **fields)
        answer = await _bundle_answer(ctx, session, bundle, status=status)
    if step in (releases.schedule_bundle, releases.lift_bundle):
        for _, release in bundle.releases:
            await ctx.app[publisher_key].after_release_change(release.id or 0)
    return answer


# --- bundles -------------------------------------------------------------------------------------


@routes.get(BUNDLES, name="api-bundles", tag=TAG, response=BundlePublic, response_list=True)
async def list_bundles(ctx: Context) -> web.Response:
    """The release bundles my party takes part in, newest first"""
    async with ctx.read() as session:
        found = await releases.list_bundles(session, ctx.caller)
        views = [await releases.bundle_public(session, b, ctx.now) for b in found]
    return json_response(views)


@bundle_write(BUNDLES, name="api-bundle-create", request=BundleCreate, status=201)
async def create_bundle(ctx: Context) -> web.Response:
    """Gather communiqués my party takes part in into one release bundle (comms officer)"""
    async with ctx.write() as session:
        bundle = await releases.create_bundle(
            session, caller=ctx.caller, title=ctx.body.title, members=ctx.body.members, now=ctx.now
        )
        answer = await _bundle_answer(ctx, session, bundle, status=201)
    answer.headers["Location"] = f"{BUNDLES}/{bundle.id}"
    return answer


@routes.get(BUNDLE, name="api-bundle", tag=TAG, response=BundlePublic, errors=(404,))
async def get_bundle(ctx: Context) -> web.Response:
    """A release bundle: its state, instant, members and who must still accept"""
    async with ctx.read() as session:
        bundle = await releases.get_bundle(session, ctx.path_id("bundle"), ctx.caller)
        view = await releases.bundle_public(session, bundle, ctx.now)
    return json_response(view)


@bundle_write(f"{BUNDLE}/members", name="api-bundle-add", request=BundleMemberCreate)
async def add_member(ctx: Context) -> web.Response:
    """Add a communiqué my party takes part in to the bundle, before it is scheduled (comms officer)"""
    return await _bundle_step(ctx, releases.add_bundle_member, communique_id=ctx.body.communique)


@bundle_write(f"{BUNDLE}/members/{{communique}}/removal", name="api-bundle-remove", request=ReleaseReason)
async def remove_member(ctx: Context) -> web.Response:
    """Take a communiqué of my party out of a bundle not scheduled yet; its release in negotiation is cancelled (comms
    officer, audited reason)"""
    async with ctx.write() as session:
        bundle = await releases.remove_bundle_member(
            session,
            bundle_id=ctx.path_id("bundle"),
            caller=ctx.caller,
            communique_id=ctx.path_id("communique"),
            reason=ctx.body.reason,
            now=ctx.now,
        )
        return json_response(await releases.bundle_public(session, bundle, ctx.now))


@bundle_write(f"{BUNDLE}/release", name="api-bundle-propose", request=ReleaseCreate, status=201)
async def propose(ctx: Context) -> web.Response:
    """Propose the bundle's embargo instant: every member gets a release at it (comms officer)"""
    return await _bundle_step(ctx, releases.propose_bundle, status=201, at=ctx.body.at)


@bundle_write(f"{BUNDLE}/release/responses", name="api-bundle-respond", request=BundleResponseCreate)
async def respond(ctx: Context) -> web.Response:
    """My party accepts the bundle's instant for every member it takes part in, or counter-proposes another for the
    whole bundle (comms officer)"""
    data = ctx.body
    return await _bundle_step(ctx, releases.respond_bundle, party=data.party, decision=data.decision, at=data.at)


@bundle_write(f"{BUNDLE}/release/schedule", name="api-bundle-schedule")
async def schedule(ctx: Context) -> web.Response:
    """Schedule every member at the agreed instant (or resume a held bundle): all or none"""
    return await _bundle_step(ctx, releases.schedule_bundle)


@bundle_write(f"{BUNDLE}/release/cancel", name="api-bundle-cancel", request=ReleaseReason)
async def cancel(ctx: Context) -> web.Response:
    """Cancel the bundle's release (every member) before it is public (comms officer, audited reason)"""
    return await _bundle_step(ctx, releases.cancel_bundle, reason=ctx.body.reason)


@bundle_write(f"{BUNDLE}/release/lift", name="api-bundle-lift", request=ReleaseReason)
async def lift(ctx: Context) -> web.Response:
    """Lift the embargo of every member of a scheduled bundle now, e.g. after a leak (audited reason)"""
    policy = ctx.settings.release.lift_policy
    return await _bundle_step(ctx, releases.lift_bundle, reason=ctx.body.reason, policy=policy)


@public_read(f"{PUBLIC}/bundles/{{bundle}}", name="api-public-release-bundle", response=PublicBundle)
async def public_bundle(ctx: Context) -> web.Response:
    """A released bundle: its title, instant and members (each verifiable alone; no sign-in)"""
    async with ctx.read() as session:
        found = await releases.get_public_bundle(session, ctx.path_id("bundle"), ctx.now)
    return json_response(found)


@public_read(f"{PUBLIC}/communiques/{{communique}}/version", name="api-public-version")
async def public_version(ctx: Context) -> web.Response:
    """The exact version bytes of a released communiqué (what its parties signed, and what a party aligning later signs;
    no sign-in)"""
    cid = ctx.path_id("communique")
    async with ctx.read() as session:
        body = await releases.get_public_artefact(session, cid, ctx.now)
    version = canonical.b64url_decode(canonical.parse_strict(body)["version"])
    response = public_bytes(ctx.request, version, cache_control=PUBLIC_CACHE)
    response.headers["Content-Disposition"] = f'attachment; filename="communique-{cid}-released.json"'
    return response


# --- alignments ----------------------------------------------------------------------------------


@alignment_write(ALIGNMENTS, name="api-alignment-add", request=AlignmentCreate, status=201)
async def add_alignment(ctx: Context) -> web.Response:
    """My party aligns with a released communiqué it did not sign: a JWS (typ entente-alignment+jws) over the released
    version bytes, with an optional statement bound by statement_digest (signatory)"""
    data = ctx.body
    return await _alignment_step(ctx, releases.add_alignment, status=201, envelope=data.jws, statement=data.statement)


@alignment_write(f"{ALIGNMENTS}/{{alignment}}/withdrawal", name="api-alignment-withdraw", request=AlignmentWithdraw)
async def withdraw_alignment(ctx: Context) -> web.Response:
    """My party withdraws its alignment (signatory, audited and logged reason; never erased)"""
    alignment_id, reason = ctx.path_id("alignment"), ctx.body.reason
    return await _alignment_step(ctx, releases.withdraw_alignment, alignment_id=alignment_id, reason=reason)


async def _alignment_step(
    ctx: Context, step: Callable[..., Awaitable[Alignment]], *, status: int = 200, **fields: Any
) -> web.Response:
    """Align with the communiqué in the path or withdraw: answered with the alignment, and the
    communiqué's public record (which lists its alignments) rendered again."""
    cid = ctx.path_id("communique")
    async with ctx.write() as session:
        row = await step(session, communique_id=cid, caller=ctx.caller, now=ctx.now, **fields)
        view = releases.alignment_public(row)
    await ctx.app[publisher_key].after_alignment(cid)
    return json_response(view, status=status)


@public_read(
    f"{PUBLIC}/communiques/{{communique}}/alignments",
    name="api-public-alignments",
    response=AlignmentPublic,
    response_list=True,
)
async def public_alignments(ctx: Context) -> web.Response:
    """The parties that aligned with a released communiqué after its release, withdrawn ones included (no sign-in; the
    signatures are in the publication bundle)"""
    cid = ctx.path_id("communique")
    async with ctx.read() as session:
        rows = await releases.list_alignments(session, cid, ctx.now)
    return json_response([releases.alignment_public(r, signer=False) for r in rows])


# --- corrections ---------------------------------------------------------------------------------


@routes.create(
    f"{API}/communiques/{{communique}}/successor",
    name="api-communique-successor",
    tag="communiques",
    request=CorrectionCreate,
    response=VersionPublic,
    errors=(403, 404, 409),
)
async def supersede(ctx: Context) -> web.Response:
    """Start the correction of a released communiqué: a successor that supersedes it, carrying its text with a first
    public section stating what changed (drafter of a party that took part)"""
    cid = ctx.path_id("communique")
    async with ctx.write() as session:
        communique, version = await releases.supersede_communique(
            session, communique_id=cid, caller=ctx.caller, title=ctx.body.title, changes=ctx.body.changes, now=ctx.now
        )
        access = await drafting.get_access(session, communique.id or 0, ctx.caller)
        view = await drafting.read_version(session, access, version.number)
    headers = {"ETag": f'"{version.digest}"', "Location": f"{API}/communiques/{communique.id}"}
    return json_response(view.public(), status=201, headers=headers)
