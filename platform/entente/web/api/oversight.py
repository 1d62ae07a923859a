"""Oversight: the audit trail of my party, and the oversight report of a period (JSON and PDF)."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from entente import audit, oversight, parties
from entente.appkeys import document_renderer_key, platform_keys_key
from entente.auth import require_role
from entente.errors import InvalidInputError, NotFoundError
from entente.models import AuditEntryPublic, OversightReportPublic, Role
from entente.web.bodies import json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

API = "/api/v1"
TAG = "oversight"
DEFAULT_PERIOD = timedelta(days=90)
routes = ApiRoutes(tag=TAG)


def instant_query(ctx: Context, name: str) -> datetime | None:
    """An RFC 3339 instant with an offset from the query string, or None when absent."""
    text = ctx.request.query.get(name)
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise InvalidInputError(
            f"{name} is an instant with an offset, e.g. 2026-11-01T00:00:00Z", code="invalid_period", field=name
        )
    return value


def period_of(ctx: Context) -> tuple[datetime, datetime]:
    """``?from=&to=``: by default the 90 days up to now."""
    end = instant_query(ctx, "to") or ctx.now
    start = instant_query(ctx, "from") or end - DEFAULT_PERIOD
    return start, end


def entry_public(entry) -> AuditEntryPublic:
    try:
        what = audit.Event(entry.event).meaning  # type: ignore[call-arg]  # a lookup by value, not the __new__ of a member
    except ValueError:
        what = entry.event
    return AuditEntryPublic(
        seq=entry.seq, at=entry.at, actor=entry.actor, party=entry.party, event=entry.event, what=what,
        object=entry.object, details=entry.details or {}, hash=entry.hash, prev_hash=entry.prev_hash,
    )


async def audit_trail(ctx: Context, *, limit: int, before: int | None):
    """My party's entries (the secretariat: everyone's), newest first."""
    caller = ctx.caller
    require_role(caller, *oversight.REPORT_ROLES)
    async with ctx.read() as session:
        return await audit.list_entries(
            session, party=None if caller.has_role(Role.SECRETARIAT) else caller.party, limit=limit, before=before
        )


@routes.get(f"{API}/audit", name="api-audit", response=AuditEntryPublic, response_list=True, errors=(403, 422))
async def get_audit(ctx: Context) -> web.Response:
    """My party's audit trail, newest first (?limit= up to 1000, ?before= a seq to page back)"""
    limit_text = ctx.request.query.get("limit", "100")
    before_text = ctx.request.query.get("before")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
        raise InvalidInputError("limit is a whole number from 1 to 1000", field="limit")
    if before_text is not None and (not before_text.isdigit() or len(before_text) > 12):
        raise InvalidInputError("before is the seq of an entry", field="before")
    entries = await audit_trail(ctx, limit=int(limit_text), before=int(before_text) if before_text else None)
    return json_response([entry_public(e) for e in entries], headers={"Cache-Control": "no-store"})


async def build(ctx: Context) -> oversight.Report:
    start, end = period_of(ctx)
    async with ctx.read() as session:
        return await oversight.build_report(session, caller=ctx.caller, period_from=start, period_to=end, now=ctx.now)


@routes.get(f"{API}/oversight/report", name="api-oversight-report", response=OversightReportPublic, errors=(403, 422))
async def get_report(ctx: Context) -> web.Response:
    """The oversight report of ?from= to ?to= (default: the last 90 days): decisions, outcomes, timings, lessons"""
    report = await build(ctx)
    return json_response(OversightReportPublic.model_validate(report.public()), headers={"Cache-Control": "no-store"})


@routes.get(
    f"{API}/oversight/report.pdf",
    name="api-oversight-report-pdf",
    content_type="application/pdf",
    errors=(403, 404, 422),
)
async def get_report_pdf(ctx: Context) -> web.Response:
    """The same report as a signed PDF/A-3b with the JSON attached"""
    if not ctx.settings.documents.pdf:
        raise NotFoundError("no PDF of the report: this server renders no PDFs")
    report = await build(ctx)
    async with ctx.read() as session:
        names = {p.code: p.name for p in await parties.list_parties(session)}
    spec = oversight.report_spec(report, party_name=names.get(ctx.caller.party, ctx.caller.party), party_names=names)
    keys = await ctx.app[platform_keys_key].get()
    pdf = await ctx.app[document_renderer_key].render(spec, keys)
    period = f"{report.body['period_from'][:10]}-{report.body['period_to'][:10]}"
    name = f"oversight-report-{ctx.caller.party.lower()}-{period}.pdf"
    headers = {"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{name}"'}
    return web.Response(body=pdf, content_type="application/pdf", headers=headers)
