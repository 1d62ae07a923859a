"""Communiqués: create, invite and accept, save versions (If-Match, merge or 409), history, diffs, comments."""

from __future__ import annotations

from aiohttp import web

from entente import drafting
from entente.appkeys import (
    caller_key,
    clock_key,
    document_renderer_key,
    ladder_key,
    platform_keys_key,
    read_sessionmaker_key,
    sessionmaker_key,
    settings_key,
    templates_key,
)
from entente.auth import require_caller
from entente.errors import NotFoundError, PreconditionFailedError
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
from entente.web.bodies import json_response, read_json
from entente.web.context import Context
from entente.web.openapi import ApiRoutes
from entente.web.paths import parse_id

API = "/api/v1"
BASE = f"{API}/communiques"
TAG = "communiques"
routes = ApiRoutes()


def communique_id(request: web.Request) -> int:
    """The ``{communique}`` path segment; anything but a number answers like a missing communiqué."""
    text = request.match_info["communique"]
    if (value := parse_id(text)) is None:
        raise NotFoundError(f"no communiqué {text[:20]}")
    return value


def version_ref(text: str) -> int | str:
    """A version by number (``3``), by digest (``sha256:...``), or ``head``."""
    if text.isascii() and text.isdigit():
        if (number := parse_id(text)) is None:  # beyond the column's range: no such version
            raise NotFoundError(f"no version {text[:80]}")
        return number
    if text == "head" or (text.startswith("sha256:") and len(text) == 71):
        return text
    raise NotFoundError(f"no version {text[:80]}")


def if_match(request: web.Request) -> str | None:
    """The one strong entity tag of ``If-Match`` (the digest of the version edited), or None."""
    value = request.headers.get("If-Match")
    if value is None:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value.startswith("sha256:") or len(value) != 71 or "," in value:
        raise PreconditionFailedError(
            'If-Match must carry one version digest: If-Match: "sha256:..."', code="version_unknown"
        )
    return value


def etag(digest: str) -> dict[str, str]:
    return {"ETag": f'"{digest}"'}


async def _resolve_ref(request: web.Request, access: drafting.Access, text: str) -> int | str:
    ref = version_ref(text)
    return access.communique.head_number if ref == "head" else ref


@routes.route(
    "GET",
    BASE,
    name="api-communiques",
    summary="Communiqués my party takes part in or is invited to, newest first",
    tag=TAG,
    response=CommuniquePublic,
    response_list=True,
)
async def list_communiques(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        found = await drafting.list_communiques(session, ctx.caller)
    return json_response([drafting.communique_public(a) for a in found])


@routes.route(
    "POST",
    BASE,
    name="api-communique-create",
    summary="Start a communiqué led by my party: sections written directly, or rendered from a crisis template",
    tag=TAG,
    request=CommuniqueCreate,
    response=VersionPublic,
    status=201,
    errors=(403,),
)
async def create_communique(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    data = await read_json(request, CommuniqueCreate)
    async with request.app[sessionmaker_key].begin() as session:
        communique, version = await drafting.create_communique(
            session,
            caller=caller,
            data=data,
            now=request.app[clock_key](),
            max_sections=request.app[settings_key].limits.max_sections,
            templates=request.app[templates_key],
            ladder=request.app[ladder_key],
        )
        access = await drafting.get_access(session, communique.id or 0, caller)
        view = await drafting.read_version(session, access, version.number)
    headers = etag(version.digest) | {"Location": f"{BASE}/{communique.id}"}
    return json_response(view.public(), status=201, headers=headers)


@routes.route(
    "GET",
    f"{BASE}/{{communique}}",
    name="api-communique",
    summary="One communiqué: kind, lead, state, participants and head version",
    tag=TAG,
    response=CommuniquePublic,
    errors=(404,),
)
async def get_communique(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
    return json_response(drafting.communique_public(access))


@routes.route(
    "POST",
    f"{BASE}/{{communique}}/invitations",
    name="api-communique-invite",
    summary="Invite another party (lead party's drafters); it sees the text once it accepts",
    tag=TAG,
    request=InvitationCreate,
    response=CommuniquePublic,
    status=201,
    errors=(403, 404, 409),
)
async def invite(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    cid = communique_id(request)
    data = await read_json(request, InvitationCreate)
    async with request.app[sessionmaker_key].begin() as session:
        access = await drafting.invite_party(
            session, communique_id=cid, caller=caller, party=data.party, now=request.app[clock_key]()
        )
    return json_response(drafting.communique_public(access), status=201)


@routes.route(
    "POST",
    f"{BASE}/{{communique}}/acceptance",
    name="api-communique-accept",
    summary="My party accepts to take part: a new version lists it among the parties",
    tag=TAG,
    response=CommuniquePublic,
    errors=(403, 404, 409),
)
async def accept(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    cid = communique_id(request)
    async with request.app[sessionmaker_key].begin() as session:
        access, version = await drafting.accept_invitation(
            session, communique_id=cid, caller=caller, now=request.app[clock_key]()
        )
    return json_response(drafting.communique_public(access), headers=etag(version.digest))


@routes.route(
    "GET",
    f"{BASE}/{{communique}}/versions",
    name="api-communique-versions",
    summary="The versions of a communiqué, newest first",
    tag=TAG,
    response=VersionSummary,
    response_list=True,
    errors=(404,),
)
async def list_versions(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        versions = await drafting.list_versions(session, access)
    return json_response(versions)


@routes.route(
    "POST",
    f"{BASE}/{{communique}}/versions",
    name="api-communique-save",
    summary='Save a new version of the one named by If-Match: "<digest>"; merged when the head moved on, '
    "409 with base, theirs and yours when the same section changed",
    tag=TAG,
    request=VersionSave,
    response=VersionPublic,
    status=201,
    errors=(403, 404, 409, 412, 428),
)
async def save_version(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    cid = communique_id(request)
    base = if_match(request)
    data = await read_json(request, VersionSave)
    async with request.app[sessionmaker_key].begin() as session:
        outcome = await drafting.save_version(
            session,
            communique_id=cid,
            caller=caller,
            base_digest=base,
            data=data,
            now=request.app[clock_key](),
            max_sections=request.app[settings_key].limits.max_sections,
        )
    return json_response(outcome.view().public(), status=201, headers=etag(outcome.version.digest))


@routes.route(
    "GET",
    f"{BASE}/{{communique}}/versions/{{version}}",
    name="api-communique-version",
    summary="One version (by number, digest or 'head'): its object and the sections I may see, with disclosures",
    tag=TAG,
    response=VersionPublic,
    errors=(404,),
)
async def get_version(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    async with request.app[read_sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        ref = await _resolve_ref(request, access, request.match_info["version"])
        view = await drafting.read_version(session, access, ref)
    return json_response(view.public(), headers=etag(view.version.digest))


@routes.route(
    "GET",
    f"{BASE}/{{communique}}/versions/{{version}}/signing-payload",
    name="api-communique-signing-payload",
    summary="The exact bytes to sign (RFC 8785 version object); ETag and Entente-Digest carry their digest",
    tag=TAG,
    content_type="application/json",
    errors=(404,),
)
async def signing_payload(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        ref = await _resolve_ref(request, access, request.match_info["version"])
        version = await drafting.get_version(session, access, ref)
    headers = etag(version.digest) | {"Entente-Digest": version.digest}
    return web.Response(body=version.content, content_type="application/json", headers=headers)


@routes.route(
    "GET",
    f"{BASE}/{{communique}}/versions/{{version}}/pdf",
    name="api-communique-version-pdf",
    summary="My party's own view of a version as a signed PDF: every section I may see with its TLP banner, "
    "watermarked EMBARGOED UNTIL the instant while the release is ahead; never cached",
    tag=TAG,
    content_type="application/pdf",
    errors=(404,),
)
async def version_pdf(request: web.Request) -> web.Response:
    from entente.documents.views import party_view_spec

    caller = require_caller(request[caller_key])
    cid = communique_id(request)
    if not request.app[settings_key].documents.pdf:
        raise NotFoundError(f"no PDF of communiqué {cid}: this server renders no PDFs")
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, cid, caller)
        ref = await _resolve_ref(request, access, request.match_info["version"])
        spec = await party_view_spec(session, access, ref, now=request.app[clock_key]())
    keys = await request.app[platform_keys_key].get()
    pdf = await request.app[document_renderer_key].render(spec, keys)
    name = f"communique-{cid}-v{spec.version_number}-{caller.party.lower()}.pdf"
    headers = {"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{name}"'}
    return web.Response(body=pdf, content_type="application/pdf", headers=headers)


@routes.route(
    "GET",
    f"{BASE}/{{communique}}/diff/{{before}}/{{after}}",
    name="api-communique-diff",
    summary="Section-by-section, word-level differences between two versions, over what I may see in each",
    tag=TAG,
    response=DiffPublic,
    errors=(404,),
)
async def diff(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        before = await _resolve_ref(request, access, request.match_info["before"])
        after = await _resolve_ref(request, access, request.match_info["after"])
        result = await drafting.diff_versions(session, access, before, after)
    return json_response(result)


@routes.route(
    "GET",
    f"{BASE}/{{communique}}/comments",
    name="api-communique-comments",
    summary="Comments on the sections I may see, oldest first",
    tag=TAG,
    response=CommentPublic,
    response_list=True,
    errors=(404,),
)
async def list_comments(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        access = await drafting.get_access(session, communique_id(request), caller)
        comments = await drafting.list_comments(session, access)
    return json_response([drafting.comment_public(c) for c in comments])


@routes.route(
    "POST",
    f"{BASE}/{{communique}}/sections/{{section}}/comments",
    name="api-communique-comment-add",
    summary="Comment on a section of the head version, or reply in a thread (reply_to)",
    tag=TAG,
    request=CommentCreate,
    response=CommentPublic,
    status=201,
    errors=(403, 404),
)
async def add_comment(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    cid = communique_id(request)
    section = request.match_info["section"]
    data = await read_json(request, CommentCreate)
    async with request.app[sessionmaker_key].begin() as session:
        comment = await drafting.add_comment(
            session,
            communique_id=cid,
            section_id=section,
            caller=caller,
            body=data.body,
            reply_to=data.reply_to,
            now=request.app[clock_key](),
        )
    return json_response(drafting.comment_public(comment), status=201)


@routes.route(
    "POST",
    f"{BASE}/{{communique}}/comments/{{comment}}/resolve",
    name="api-communique-comment-resolve",
    summary="Resolve the comment thread holding this comment",
    tag=TAG,
    response=CommentPublic,
    errors=(403, 404, 409),
)
async def resolve_comment(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    cid = communique_id(request)
    text = request.match_info["comment"]
    if (comment_id := parse_id(text)) is None:
        raise NotFoundError(f"no comment {text[:20]} in communiqué {cid}")
    async with request.app[sessionmaker_key].begin() as session:
        root = await drafting.resolve_thread(
            session, communique_id=cid, comment_id=comment_id, caller=caller, now=request.app[clock_key]()
        )
    return json_response(drafting.comment_public(root))
