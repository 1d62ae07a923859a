"""The crisis templates page: every template, its versions, its parameters and sections, and who
pre-signed which version until when (with the state of each pre-signature now).

Read through :func:`entente.parties.template_summaries`, the same call as ``GET /api/v1/templates``.
Pre-signing itself (in the browser, with the party's key) has its place on this page, in
``templates/_presign.html``; until a signatory signs in the browser, the page shows the command
line that does it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from entente import parties
from entente.models import PresignaturePublic, Role
from entente.web.context import Context, PageRoutes

__all__ = ["routes"]

routes = PageRoutes()


def versions_of(
    current_version: int, current_digest: str, presignatures: list[PresignaturePublic]
) -> list[dict[str, Any]]:
    """The template's versions known here: the one loaded now, and each earlier one a pre-signature was
    made over (newest first), each with its pre-signatures."""
    found: dict[tuple[int, str], list[PresignaturePublic]] = {(current_version, current_digest): []}
    for p in presignatures:
        found.setdefault((p.template_version, p.template_digest), []).append(p)
    return [
        {"version": v, "digest": d, "current": (v, d) == (current_version, current_digest), "presignatures": rows}
        for (v, d), rows in sorted(found.items(), key=lambda item: -item[0][0])
    ]


@routes.get("/templates", name="templates")
async def templates_page(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        summaries = await parties.template_summaries(session, ctx.templates, now=ctx.now)
    rows = []
    for summary in summaries:
        template = ctx.templates[summary.id]
        rows.append(
            {
                "summary": summary,
                "template": template,
                "versions": versions_of(summary.version, summary.digest, summary.presignatures),
                "tiers": [ctx.ladder.tier(n) for n in template.tiers],
            }
        )
    context = {"rows": rows, "now": ctx.now, "may_presign": ctx.caller.has_role(Role.SIGNATORY, Role.SECRETARIAT)}
    return ctx.render("templates.html", context)
