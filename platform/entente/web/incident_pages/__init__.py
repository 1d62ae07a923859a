"""Pages for the ladder and incidents: read them, and act on them with plain forms (no JavaScript).

Every page is built from the same domain calls as the API (``entente.incidents``), so what a page
shows has passed the same container gate and ``disclosure`` filter. A refused form (bad input, a
stale version, a closed incident) re-renders its page with the reason beside the form and changes
nothing; an incident or item the caller may not see is the same 404 page as one that does not exist.
Evidence bodies and attribution reasonings are Markdown, rendered with raw HTML disabled.
"""

from __future__ import annotations

from aiohttp import web

from . import drafts
from .actions import (
    attribution_set,
    decision_add,
    evidence_add,
    evidence_marking,
    incident_close,
    incident_update,
    legal_review_add,
    participants_add,
)
from .reading import markdown
from .views import incident_list, incident_new, incident_open, incident_view, ladder_page, ladder_score

__all__ = ["add_routes", "markdown"]


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ladder", ladder_page, name="ladder")
    app.router.add_post("/ladder", ladder_score, name="ladder-score")
    app.router.add_get("/incidents", incident_list, name="incidents")
    app.router.add_get("/incidents/new", incident_new, name="incident-new")
    app.router.add_post("/incidents", incident_open, name="incident-open")
    app.router.add_get("/incidents/{incident_id}", incident_view, name="incident")
    app.router.add_post("/incidents/{incident_id}/update", incident_update, name="incident-update")
    app.router.add_post("/incidents/{incident_id}/evidence", evidence_add, name="incident-evidence")
    app.router.add_post(
        "/incidents/{incident_id}/evidence/{evidence_id}/marking", evidence_marking, name="incident-evidence-marking"
    )
    app.router.add_post("/incidents/{incident_id}/attribution", attribution_set, name="incident-attribution")
    app.router.add_post("/incidents/{incident_id}/decisions", decision_add, name="incident-decide")
    app.router.add_post("/incidents/{incident_id}/legal-reviews", legal_review_add, name="incident-review")
    app.router.add_post("/incidents/{incident_id}/participants", participants_add, name="incident-invite")
    app.router.add_post("/incidents/{incident_id}/close", incident_close, name="incident-close")
    drafts.routes.add_to(app)
