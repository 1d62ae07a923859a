"""Crisis templates and their pre-signatures by the parties."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from entente import auth, parties
from entente.appkeys import caller_key, clock_key, sessionmaker_key, templates_key
from entente.clock import parse_instant
from entente.errors import InvalidInputError, NotFoundError
from entente.models import PresignatureCreate, PresignaturePublic, TemplateDetail, TemplatePublic
from entente.parties import presignatures
from entente.web.bodies import json_response, read_json
from entente.web.openapi import ApiRoutes
from entente.web.paths import parse_id

API = "/api/v1"
routes = ApiRoutes()


@routes.route(
    "GET",
    f"{API}/templates",
    name="api-templates",
    summary="Crisis templates with their digests and who pre-signed them, until when, in what state",
    tag="templates",
    response=TemplatePublic,
    response_list=True,
)
async def list_templates(request: web.Request) -> web.Response:
    auth.require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        body = await parties.template_summaries(session, request.app[templates_key], now=request.app[clock_key]())
    return json_response(body)


@routes.route(
    "GET",
    f"{API}/templates/{{template_id}}",
    name="api-template",
    summary="One crisis template: header, parameter schema, sections, digest and pre-signatures",
    tag="templates",
    response=TemplateDetail,
    errors=(404,),
)
async def show_template(request: web.Request) -> web.Response:
    auth.require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        body = await parties.template_detail(
            session, request.app[templates_key], request.match_info["template_id"], now=request.app[clock_key]()
        )
    return json_response(body)


def _instant(request: web.Request, name: str) -> datetime:
    return parse_instant(request.query.get(name, ""), field=f"/query/{name}")


def _tiers(request: web.Request) -> list[int]:
    values = [part.strip() for text in request.query.getall("tiers", []) for part in text.split(",") if part.strip()]
    if not values or not all(v.isdigit() and len(v) <= 2 for v in values):
        raise InvalidInputError("list tiers as whole numbers, e.g. tiers=2,3", field="/query/tiers")
    return [int(v) for v in values]


@routes.route(
    "GET",
    f"{API}/templates/{{template_id}}/presignature-payload",
    name="api-template-presignature-payload",
    summary="The exact bytes to sign to pre-sign a template (query: party, tiers, not_before, not_after)",
    tag="templates",
    errors=(404, 422),
)
async def presignature_payload(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    template = presignatures.get_template(request.app[templates_key], request.match_info["template_id"])
    party = request.query.get("party") or caller.party
    async with request.app[sessionmaker_key]() as session:
        await parties.get_party(session, party)
    payload = parties.presignature_payload(
        template,
        party=party,
        tiers=_tiers(request),
        not_before=_instant(request, "not_before"),
        not_after=_instant(request, "not_after"),
    )
    headers = {"Template-Digest": template.digest, "JWS-Typ": parties.PRESIGNATURE_JWS_TYPE}
    return web.Response(body=payload, content_type="application/json", headers=headers)


@routes.route(
    "POST",
    f"{API}/templates/{{template_id}}/presignatures",
    name="api-template-presign",
    summary="Record a party's pre-signature: a JWS by a key of that party over the exact pre-signature object",
    tag="templates",
    request=PresignatureCreate,
    response=PresignaturePublic,
    status=201,
    errors=(403, 404, 409),
)
async def presign(request: web.Request) -> web.Response:
    data = await read_json(request, PresignatureCreate)
    template = presignatures.get_template(request.app[templates_key], request.match_info["template_id"])
    async with request.app[sessionmaker_key].begin() as session:
        row = await parties.add_presignature(
            session,
            request[caller_key],
            template,
            party=data.party,
            tiers=data.tiers,
            not_before=data.not_before,
            not_after=data.not_after,
            template_digest=data.template_digest,
            envelope=data.jws,
            now=request.app[clock_key](),
        )
        body = await presignatures.describe_presignature(
            session, row, request.app[templates_key], now=request.app[clock_key]()
        )
    return json_response(body, status=201)


@routes.route(
    "POST",
    f"{API}/templates/{{template_id}}/presignatures/{{presignature_id}}/withdraw",
    name="api-template-presignature-withdraw",
    summary="Withdraw a pre-signature (a signatory of its party, or the secretariat)",
    tag="templates",
    response=PresignaturePublic,
    errors=(403, 404, 409),
)
async def withdraw(request: web.Request) -> web.Response:
    text = request.match_info["presignature_id"]
    if (presignature_id := parse_id(text)) is None:
        raise NotFoundError(f"no pre-signature {text!r}", code="unknown_presignature")
    async with request.app[sessionmaker_key].begin() as session:
        row = await parties.withdraw_presignature(
            session,
            request[caller_key],
            template_id=request.match_info["template_id"],
            presignature_id=presignature_id,
            now=request.app[clock_key](),
        )
        body = await presignatures.describe_presignature(
            session, row, request.app[templates_key], now=request.app[clock_key]()
        )
    return json_response(body)
