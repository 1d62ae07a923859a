"""Sign-offs of a communiqué's version: the quorum status, signing, pre-authorised sign-offs, withdrawing."""

from __future__ import annotations

from aiohttp import web

from entente import releases, signoffs
from entente.appkeys import caller_key, clock_key, sessionmaker_key, templates_key
from entente.auth import require_caller
from entente.models import SignoffCreate, SignoffStatusPublic
from entente.web.api.communiques import BASE, TAG, communique_id, version_ref
from entente.web.bodies import json_response, read_json
from entente.web.openapi import ApiRoutes

routes = ApiRoutes()


def _version_text(request: web.Request) -> int | str:
    return version_ref(request.match_info["version"])


@routes.route(
    "GET",
    f"{BASE}/{{communique}}/versions/{{version}}/signoffs",
    name="api-communique-signoffs",
    summary="Quorum of a version: who signed, who is missing, invalid signatures and why, "
    "and how many sections each signatory cannot see",
    tag=TAG,
    response=SignoffStatusPublic,
    errors=(404,),
)
async def signoff_status(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    cid = communique_id(request)
    async with request.app[sessionmaker_key]() as session:
        status = await signoffs.signoff_status(
            session,
            communique_id=cid,
            caller=caller,
            version=_version_text(request),
            templates=request.app[templates_key],
            now=request.app[clock_key](),
        )
    return json_response(status)


@routes.route(
    "POST",
    f"{BASE}/{{communique}}/versions/{{version}}/signoffs",
    name="api-communique-signoff-add",
    summary="Sign off the head version: a JWS (typ entente-signoff+jws) over its signing payload, "
    "made with a key my party registered",
    tag=TAG,
    request=SignoffCreate,
    response=SignoffStatusPublic,
    status=201,
    errors=(403, 404, 409),
)
async def add_signoff(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    cid = communique_id(request)
    version = _version_text(request)
    data = await read_json(request, SignoffCreate)
    async with request.app[sessionmaker_key].begin() as session:
        status = await signoffs.add_signoff(
            session,
            communique_id=cid,
            caller=caller,
            version=version,
            envelope=data.jws,
            templates=request.app[templates_key],
            now=request.app[clock_key](),
        )
    return json_response(status, status=201)


@routes.route(
    "POST",
    f"{BASE}/{{communique}}/versions/{{version}}/signoffs/presigned",
    name="api-communique-signoff-presigned",
    summary="Record the pre-authorised sign-offs (template pre-signatures) that cover the head version now",
    tag=TAG,
    response=SignoffStatusPublic,
    errors=(403, 404, 409),
)
async def record_presigned(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    cid = communique_id(request)
    async with request.app[sessionmaker_key].begin() as session:
        status = await signoffs.record_presigned(
            session,
            communique_id=cid,
            caller=caller,
            version=_version_text(request),
            templates=request.app[templates_key],
            now=request.app[clock_key](),
        )
    return json_response(status)


@routes.route(
    "DELETE",
    # A party code is upper case: ``presigned`` (the POST beside it) is never taken for one, so a DELETE
    # of .../signoffs/presigned answers 405 with ``Allow: POST`` as the document says.
    f"{BASE}/{{communique}}/versions/{{version}}/signoffs/{{party:[A-Z0-9][A-Z0-9-]+}}",
    name="api-communique-signoff-withdraw",
    summary="Withdraw my party's sign-off of a version (until the communiqué is released)",
    tag=TAG,
    response=SignoffStatusPublic,
    errors=(403, 404, 409),
)
async def withdraw_signoff(request: web.Request) -> web.Response:
    caller = require_caller(request[caller_key])
    cid = communique_id(request)
    async with request.app[sessionmaker_key].begin() as session:
        status = await releases.withdraw_signoff(
            session,
            communique_id=cid,
            caller=caller,
            version=_version_text(request),
            party=request.match_info["party"][:16],
            templates=request.app[templates_key],
            now=request.app[clock_key](),
        )
    return json_response(status)
