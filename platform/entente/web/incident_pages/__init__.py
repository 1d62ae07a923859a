"""Pages for the ladder and incidents: read them, and act on them with plain forms (no JavaScript).

Every page is built from the same domain calls as the API (``entente.incidents``), so what a page
shows has passed the same container gate and ``disclosure`` filter. A refused form (bad input, a
stale version, a closed incident) re-renders its page with the reason beside the form and changes
nothing; an incident or item the caller may not see is the same 404 page as one that does not exist.
Evidence bodies and attribution reasonings are Markdown, rendered with raw HTML disabled.
"""

from __future__ import annotations

from aiohttp import web

from . import actions, drafts, views
from .reading import markdown

__all__ = ["add_routes", "markdown"]


def add_routes(app: web.Application) -> None:
    for module in (views, actions, drafts):  # /incidents/new before /incidents/{incident_id}
        module.routes.add_to(app)
