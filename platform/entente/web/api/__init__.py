"""The JSON API under ``/api/v1/``: every module contributes its declared operations."""

from __future__ import annotations

from aiohttp import web

from entente.web.api import (
    account,
    aftercare,
    aftermath,
    communiques,
    deescalation,
    incidents,
    ladder,
    oversight,
    releases,
    sanctions,
    signoffs,
    templates,
    transparency,
    trust,
)
from entente.web.bodies import json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes, document

API = "/api/v1"


def routes() -> ApiRoutes:
    """Every API operation, the OpenAPI document's own route included."""
    collected = ApiRoutes()
    for module in (
        account,
        trust,
        templates,
        communiques,
        signoffs,
        releases,
        aftercare,
        ladder,
        incidents,
        deescalation,
        aftermath,
        oversight,
        sanctions,
        transparency,
    ):
        collected.extend(module.routes)
    meta = ApiRoutes()

    @meta.get(f"{API}/openapi.json", name="api-openapi", tag="meta", authenticated=False)
    async def openapi(ctx: Context) -> web.Response:
        """This API's OpenAPI 3.1 document"""
        doc = document(collected.operations + meta.operations, server_url=ctx.settings.server.public_url)
        return json_response(doc)

    collected.extend(meta)
    return collected
