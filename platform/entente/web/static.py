"""The pages' own stylesheets and scripts, read once when the app is made and served from memory.

A strong ETag and 304 as for every public read. Served this way no request holds a file open: an
aiohttp file response whose client goes away mid-answer leaves its file to the garbage collector.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from aiohttp import web

from entente.errors import NotFoundError
from entente.web.context import Context, PageRoutes
from entente.web.etags import REVALIDATE, public_bytes

static_files_key = web.AppKey("static_files_key", dict[str, tuple[bytes, str]])

routes = PageRoutes()


def load(app: web.Application, folder: Path) -> None:
    """Every file of ``folder`` (not its subfolders), with its media type, into the app."""
    app[static_files_key] = {
        path.name: (path.read_bytes(), mimetypes.guess_type(path.name)[0] or "application/octet-stream")
        for path in sorted(folder.iterdir())
        if path.is_file()
    }


@routes.get("/static/{name}", name="static", signed_in=False)
async def static_file(ctx: Context) -> web.Response:
    name = ctx.segment("name")
    found = ctx.app[static_files_key].get(name)
    if found is None:
        raise NotFoundError(f"no static file {name[:40]!r}")
    body, media_type = found
    charset = "utf-8" if media_type.startswith("text/") or media_type.endswith("javascript") else None
    return public_bytes(ctx.request, body, cache_control=REVALIDATE, content_type=media_type, charset=charset)
