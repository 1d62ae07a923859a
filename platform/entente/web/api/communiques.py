"""Communiqués: create, invite and accept, save versions (If-Match, merge or 409), history, diffs, comments."""

from __future__ import annotations

from aiohttp import web

from entente import drafting
from entente.appkeys import document_renderer_key, platform_keys_key
from entente.errors import NotFoundError
from entente.models import (
    CommentCreate,
    CommentPublic,
    CommuniqueCreate,
    CommuniquePublic,
    DiffPublic,
    InvitationCreate,
    VersionPublic,
    VersionSave,
    VersionSummary,
)
from entente.web.api.steps import written
from entente.web.bodies import fields_of, json_response
from entente.web.context import Context
from entente.web.etags import etag, if_match_digest
from entente.web.openapi import ApiRoutes
from entente.web.paths import parse_id

API = "/api/v1"
BASE = f"{API}/communiques"
ONE = f"{BASE}/{{communique}}"
TAG = "communiques"
routes = ApiRoutes(tag=TAG)


def version_ref(text: str) -> int | str:
    """A version by number (``3``), by digest (``sha256:...``), or ``head``."""
    if text.isascii() and text.isdigit():
        if (number := parse_id(text)) is None:  # beyond the column's range: no such version
            raise NotFoundError(f"no version {text[:80]}")
        return number
    if text == "head" or (text.startswith("sha256:") and len(text) == 71):
        return text
    raise NotFoundError(f"no version {text[:80]}")


def resolve_ref(access: drafting.Access, text: str) -> int | str:
    """A version reference from the path, ``head`` read as the head's number."""
    ref = version_ref(text)
    return access.communique.head_number if ref == "head" else ref


@routes.get(BASE, name="api-communiques", response=CommuniquePublic, response_list=True)
async def list_communiques(ctx: Context) -> web.Response:
    """Communiqués my party takes part in or is invited to, newest first"""
    async with ctx.read() as session:
        found = await drafting.list_communiques(session, ctx.caller)
    return json_response([drafting.communique_public(a) for a in found])


@routes.create(BASE, name="api-communique-create", request=CommuniqueCreate, response=VersionPublic)
async def create_communique(ctx: Context) -> web.Response:
    """Start a communiqué led by my party: sections written directly, or rendered from a crisis template"""
    async with ctx.write() as session:
        communique, version = await drafting.create_communique(
            session,
            caller=ctx.caller,
            data=ctx.body,
            now=ctx.now,
            max_sections=ctx.settings.limits.max_sections,
            templates=ctx.templates,
            ladder=ctx.ladder,
        )
        access = await drafting.get_access(session, communique.id or 0, ctx.caller)
        view = await drafting.read_version(session, access, version.number)
    headers = etag(version.digest) | {"Location": f"{BASE}/{communique.id}"}
    return json_response(view.public(), status=201, headers=headers)


@routes.get(ONE, name="api-communique", response=CommuniquePublic)
async def get_communique(ctx: Context) -> web.Response:
    """One communiqué: kind, lead, state, participants and head version"""
    async with ctx.read() as session:
        access = await drafting.get_access(session, ctx.path_id("communique"), ctx.caller)
    return json_response(drafting.communique_public(access))


@routes.create(f"{ONE}/invitations", name="api-communique-invite", request=InvitationCreate, response=CommuniquePublic)
async def invite(ctx: Context) -> web.Response:
    """Invite another party (lead party's drafters); it sees the text once it accepts"""
    cid, party = ctx.path_id("communique"), ctx.body.party
    return await written(
        ctx, drafting.invite_party, drafting.communique_public, status=201, communique_id=cid, party=party
    )


@routes.post(f"{ONE}/acceptance", name="api-communique-accept", response=CommuniquePublic)
async def accept(ctx: Context) -> web.Response:
    """My party accepts to take part: a new version lists it among the parties"""
    async with ctx.write() as session:
        access, version = await drafting.accept_invitation(
            session, communique_id=ctx.path_id("communique"), caller=ctx.caller, now=ctx.now
        )
    return json_response(drafting.communique_public(access), headers=etag(version.digest))


@routes.get(f"{ONE}/versions", name="api-communique-versions", response=VersionSummary, response_list=True)
async def list_versions(ctx: Context) -> web.Response:
    """The versions of a communiqué, newest first"""
    async with ctx.read() as session:
        access = await drafting.get_access(session, ctx.path_id("communique"), ctx.caller)
        versions = await drafting.list_versions(session, access)
    return json_response(versions)


@routes.create(
    f"{ONE}/versions",
    name="api-communique-save",
    request=VersionSave,
    response=VersionPublic,
    errors=(412, 428),
    read_body=False,
)
async def save_version(ctx: Context) -> web.Response:
    """Save a new version of the one named by If-Match: "<digest>"; merged when the head moved on, 409 with base, theirs
    and yours when the same section changed"""
    cid = ctx.path_id("communique")
    base = if_match_digest(ctx.request)  # a bad path or If-Match answers before the body is read
    data = await ctx.load_body()
    async with ctx.write() as session:
        outcome = await drafting.save_version(
            session,
            communique_id=cid,
            caller=ctx.caller,
            base_digest=base,
            data=data,
            now=ctx.now,
            max_sections=ctx.settings.limits.max_sections,
        )
    return json_response(outcome.view().public(), status=201, headers=etag(outcome.version.digest))


@routes.get(f"{ONE}/versions/{{version}}", name="api-communique-version", response=VersionPublic)
async def get_version(ctx: Context) -> web.Response:
    """One version (by number, digest or 'head'): its object and the sections I may see, with disclosures"""
    async with ctx.read() as session:
        access = await drafting.get_access(session, ctx.path_id("communique"), ctx.caller)
        ref = resolve_ref(access, ctx.segment("version"))
        view = await drafting.read_version(session, access, ref)
    return json_response(view.public(), headers=etag(view.version.digest))


@routes.get(
    f"{ONE}/versions/{{version}}/signing-payload",
    name="api-communique-signing-payload",
    content_type="application/json",
)
async def signing_payload(ctx: Context) -> web.Response:
    """The exact bytes to sign (RFC 8785 version object); ETag and Entente-Digest carry their digest"""
    async with ctx.read() as session:
        access = await drafting.get_access(session, ctx.path_id("communique"), ctx.caller)
        ref = resolve_ref(access, ctx.segment("version"))
        version = await drafting.get_version(session, access, ref)
    headers = etag(version.digest) | {"Entente-Digest": version.digest}
    return web.Response(body=version.content, content_type="application/json", headers=headers)


@routes.get(f"{ONE}/versions/{{version}}/pdf", name="api-communique-version-pdf", content_type="application/pdf")
async def version_pdf(ctx: Context) -> web.Response:
    """My party's own view of a version as a signed PDF: every section I may see with its TLP banner, watermarked
    EMBARGOED UNTIL the instant while the release is ahead; never cached"""
    from entente.documents.views import party_view_spec

    cid = ctx.path_id("communique")
    if not ctx.settings.documents.pdf:
        raise NotFoundError(f"no PDF of communiqué {cid}: this server renders no PDFs")
    async with ctx.read() as session:
        access = await drafting.get_access(session, cid, ctx.caller)
        ref = resolve_ref(access, ctx.segment("version"))
        spec = await party_view_spec(session, access, ref, now=ctx.now)
    keys = await ctx.app[platform_keys_key].get()
    pdf = await ctx.app[document_renderer_key].render(spec, keys)
    name = f"communique-{cid}-v{spec.version_number}-{ctx.caller.party.lower()}.pdf"
    headers = {"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{name}"'}
    return web.Response(body=pdf, content_type="application/pdf", headers=headers)


@routes.get(f"{ONE}/diff/{{before}}/{{after}}", name="api-communique-diff", response=DiffPublic)
async def diff(ctx: Context) -> web.Response:
    """Section-by-section, word-level differences between two versions, over what I may see in each"""
    async with ctx.read() as session:
        access = await drafting.get_access(session, ctx.path_id("communique"), ctx.caller)
        before = resolve_ref(access, ctx.segment("before"))
        after = resolve_ref(access, ctx.segment("after"))
        result = await drafting.diff_versions(session, access, before, after)
    return json_response(result)


@routes.get(f"{ONE}/comments", name="api-communique-comments", response=CommentPublic, response_list=True)
async def list_comments(ctx: Context) -> web.Response:
    """Comments on the sections I may see, oldest first"""
    async with ctx.read() as session:
        access = await drafting.get_access(session, ctx.path_id("communique"), ctx.caller)
        comments = await drafting.list_comments(session, access)
    return json_response([drafting.comment_public(c) for c in comments])


@routes.create(
    f"{ONE}/sections/{{section}}/comments",
    name="api-communique-comment-add",
    request=CommentCreate,
    response=CommentPublic,
)
async def add_comment(ctx: Context) -> web.Response:
    """Comment on a section of the head version, or reply in a thread (reply_to)"""
    cid, section = ctx.path_id("communique"), ctx.segment("section")
    return await written(
        ctx,
        drafting.add_comment,
        drafting.comment_public,
        status=201,
        communique_id=cid,
        section_id=section,
        **fields_of(ctx.body),
    )


@routes.post(f"{ONE}/comments/{{comment}}/resolve", name="api-communique-comment-resolve", response=CommentPublic)
async def resolve_comment(ctx: Context) -> web.Response:
    """Resolve the comment thread holding this comment"""
    cid, comment_id = ctx.path_id("communique"), ctx.path_id("comment")
    return await written(
        ctx, drafting.resolve_thread, drafting.comment_public, communique_id=cid, comment_id=comment_id
    )
