"""Crisis templates and their pre-signatures by the parties."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from entente import parties
from entente.clock import parse_instant
from entente.errors import InvalidInputError
from entente.models import PresignatureCreate, PresignaturePublic, TemplateDetail, TemplatePresignature, TemplatePublic
from entente.parties import presignatures
from entente.web.api.steps import written_described
from entente.web.bodies import fields_of, json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

API = "/api/v1"
TEMPLATE = f"{API}/templates/{{template_id}}"
PRESIGNATURES = f"{TEMPLATE}/presignatures"
routes = ApiRoutes(tag="templates")


@routes.get(f"{API}/templates", name="api-templates", response=TemplatePublic, response_list=True)
async def list_templates(ctx: Context) -> web.Response:
    """Crisis templates with their digests and who pre-signed them, until when, in what state"""
    async with ctx.read() as session:
        body = await parties.template_summaries(session, ctx.templates, now=ctx.now)
    return json_response(body)


@routes.get(TEMPLATE, name="api-template", response=TemplateDetail)
async def show_template(ctx: Context) -> web.Response:
    """One crisis template: header, parameter schema, sections, digest and pre-signatures"""
    async with ctx.read() as session:
        body = await parties.template_detail(session, ctx.templates, ctx.segment("template_id"), now=ctx.now)
    return json_response(body)


def _instant(ctx: Context, name: str) -> datetime:
    return parse_instant(ctx.query.get(name, ""), field=f"/query/{name}")


def _tiers(ctx: Context) -> list[int]:
    values = [part.strip() for text in ctx.query.getall("tiers", []) for part in text.split(",") if part.strip()]
    if not values or not all(v.isdigit() and len(v) <= 2 for v in values):
        raise InvalidInputError("list tiers as whole numbers, e.g. tiers=2,3", field="/query/tiers")
    return [int(v) for v in values]


def _described(ctx: Context) -> Callable[[AsyncSession, TemplatePresignature], Awaitable[PresignaturePublic]]:
    """How a pre-signature is answered: described with its state at the request's instant."""
    return lambda session, row: presignatures.describe_presignature(session, row, ctx.templates, now=ctx.now)


@routes.get(f"{TEMPLATE}/presignature-payload", name="api-template-presignature-payload", errors=(422,))
async def presignature_payload(ctx: Context) -> web.Response:
    """The exact bytes to sign to pre-sign a template (query: party, tiers, not_before, not_after)"""
    template = presignatures.get_template(ctx.templates, ctx.segment("template_id"))
    party = ctx.query.get("party") or ctx.caller.party
    async with ctx.read() as session:
        await parties.get_party(session, party)
    payload = parties.presignature_payload(
        template,
        party=party,
        tiers=_tiers(ctx),
        not_before=_instant(ctx, "not_before"),
        not_after=_instant(ctx, "not_after"),
    )
    headers = {"Template-Digest": template.digest, "JWS-Typ": parties.PRESIGNATURE_JWS_TYPE}
    return web.Response(body=payload, content_type="application/json", headers=headers)


@routes.create(PRESIGNATURES, name="api-template-presign", request=PresignatureCreate, response=PresignaturePublic)
async def presign(ctx: Context) -> web.Response:
    """Record a party's pre-signature: a JWS by a key of that party over the exact pre-signature object"""
    template = presignatures.get_template(ctx.templates, ctx.segment("template_id"))
    terms = fields_of(ctx.body)
    envelope = terms.pop("jws")  # the domain's name for the signature over the terms
    return await written_described(
        ctx, parties.add_presignature, _described(ctx), status=201, template=template, envelope=envelope, **terms
    )


@routes.post(
    f"{PRESIGNATURES}/{{presignature_id}}/withdraw",
    name="api-template-presignature-withdraw",
    response=PresignaturePublic,
)
async def withdraw(ctx: Context) -> web.Response:
    """Withdraw a pre-signature (a signatory of its party, or the secretariat)"""
    presignature_id = ctx.path_id("presignature_id")
    return await written_described(
        ctx,
        parties.withdraw_presignature,
        _described(ctx),
        template_id=ctx.segment("template_id"),
        presignature_id=presignature_id,
    )
