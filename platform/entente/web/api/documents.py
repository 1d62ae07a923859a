"""The PDF signing certificate: every published PDF's PAdES signature is made with its key."""

from __future__ import annotations

import asyncio

from aiohttp import web

from entente import platformkeys
from entente.appkeys import platform_keys_key
from entente.web.openapi import ApiRoutes

WELL_KNOWN_PDF_CERTIFICATE = "/.well-known/entente/pdf-signing.pem"
routes = ApiRoutes()


@routes.route(
    "GET",
    WELL_KNOWN_PDF_CERTIFICATE,
    name="pdf-signing-certificate",
    summary="The X.509 certificate (PEM) of the platform's PDF signing key (ECDSA P-256): check a published "
    "PDF's PAdES signature against it",
    tag="documents",
    content_type="application/x-pem-file",
    authenticated=False,
)
async def pdf_signing_certificate(request: web.Request) -> web.Response:
    folder = request.app[platform_keys_key].folder
    pem = await asyncio.to_thread((folder / platformkeys.PDF_CERTIFICATE).read_bytes)
    headers = {"Cache-Control": "public, max-age=3600", "Content-Disposition": 'inline; filename="pdf-signing.pem"'}
    return web.Response(body=pem, content_type="application/x-pem-file", headers=headers)
