"""Sign-offs of a communiqué's version: the quorum status, signing, pre-authorised sign-offs, withdrawing."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente import releases, signoffs
from entente.models import SignoffCreate, SignoffStatusPublic
from entente.web.api.communiques import ONE, TAG, version_ref
from entente.web.bodies import json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

routes = ApiRoutes(tag=TAG)
SIGNOFFS = f"{ONE}/versions/{{version}}/signoffs"


def _version(ctx: Context) -> dict[str, Any]:
    """What every sign-off step takes from the request: the communiqué, the version, who, the rules, when."""
    return {
        "communique_id": ctx.path_id("communique"),
        "version": version_ref(ctx.segment("version")),
        "caller": ctx.caller,
        "templates": ctx.templates,
        "now": ctx.now,
    }


@routes.get(SIGNOFFS, name="api-communique-signoffs", response=SignoffStatusPublic)
async def signoff_status(ctx: Context) -> web.Response:
    """Quorum of a version: who signed, who is missing, invalid signatures and why, and how many sections each signatory
    cannot see"""
    async with ctx.read() as session:
        status = await signoffs.signoff_status(session, **_version(ctx))
    return json_response(status)


@routes.create(SIGNOFFS, name="api-communique-signoff-add", request=SignoffCreate, response=SignoffStatusPublic)
async def add_signoff(ctx: Context) -> web.Response:
    """Sign off the head version: a JWS (typ entente-signoff+jws) over its signing payload, made with a key my party
    registered"""
    async with ctx.write() as session:
        status = await signoffs.add_signoff(session, envelope=ctx.body.jws, **_version(ctx))
    return json_response(status, status=201)


@routes.post(f"{SIGNOFFS}/presigned", name="api-communique-signoff-presigned", response=SignoffStatusPublic)
async def record_presigned(ctx: Context) -> web.Response:
    """Record the pre-authorised sign-offs (template pre-signatures) that cover the head version now"""
    async with ctx.write() as session:
        status = await signoffs.record_presigned(session, **_version(ctx))
    return json_response(status)


@routes.delete(
    f"{SIGNOFFS}/{{party:[A-Z0-9][A-Z0-9-]+}}",
    name="api-communique-signoff-withdraw",
    response=SignoffStatusPublic,
)
async def withdraw_signoff(ctx: Context) -> web.Response:
    """Withdraw my party's sign-off of a version (until the communiqué is released)"""
    async with ctx.write() as session:
        status = await releases.withdraw_signoff(session, party=ctx.segment("party")[:16], **_version(ctx))
    return json_response(status)
