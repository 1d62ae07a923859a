"""Incidents: open, read, update, evidence, attribution, decided tiers, legal reviews, history, drafts.

Every answer passes through ``entente.incidents``, which admits only participating parties (and
the secretariat) and filters marked items through ``disclosure``: an incident or an item the
caller may not see answers 404 exactly like an id never used. Writes to the shared record name
the version they edit, by ``If-Match: "<version>"`` or a ``version`` member (428 when missing,
409 when stale); answers carry the version as ``ETag``.
"""

from __future__ import annotations

from entente.web.openapi import ApiRoutes

from . import decisions, items, records

routes = ApiRoutes()
for _module in (records, items, decisions):
    routes.extend(_module.routes)
