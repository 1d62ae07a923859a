"""Signing in the browser: the party's keys page, pre-signing a crisis template, signing a roster proposal.

The signing itself happens in the signatory's browser (``static/websign.js``, WebCrypto): these pages
only say what is signed and where the signature goes. Every panel carries the same data (the
caller's party, the server's clock, which party each registered key belongs to) so the browser can
refuse a key of another party, or an unregistered one, before anything is signed; the server checks
again when the signature arrives. The sign-off page (``communique_pages.decisions``) uses
:func:`signer_context` too.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from entente import canonical, parties, quorum, releases, signing
from entente.auth import Caller
from entente.clock import isoformat
from entente.errors import ConflictError, EntenteError, InvalidInputError, NotFoundError, PermissionDeniedError
from entente.models import KeyCreate, Role
from entente.parties import presignatures
from entente.parties import roster as rosters
from entente.web import forms
from entente.web.bodies import fields_of, validate
from entente.web.context import Context, PageRoutes
from entente.web.problems import status_for

__all__ = ["add_routes", "key_state", "pasted_envelope", "signer_context"]

routes = PageRoutes()

PRESIGNATURE_DAYS = 365
"""The validity a pre-signature form proposes by default (the signatory may change it)."""
JWK_BYTES = 4096
"""The most a public JWK file (or its pasted text) may hold: one is a few hundred bytes."""


def key_state(record: quorum.KeyRecord, now: datetime) -> str:
    """``valid``, or why a signature made now with this key would not count."""
    if record.revoked_at is not None and record.revoked_at <= now:
        return "revoked"
    if record.not_before is not None and now < record.not_before:
        return "not yet valid"
    if record.not_after is not None and now >= record.not_after:
        return "expired"
    return "valid"


async def signer_context(session: AsyncSession, caller: Caller, now: datetime) -> dict[str, Any]:
    """What every browser-signing panel needs: registered keys by kid, and the server's time."""
    records = await parties.key_records(session)
    keys = {r.key.kid: {"party": r.party, "state": key_state(r, now)} for r in records}
    return {
        "party": caller.party,
        "user": caller.username,
        "keys_json": json.dumps(keys, sort_keys=True, separators=(",", ":")),
        "server_now": int(now.timestamp()),
        "can_sign": caller.has_role(Role.SIGNATORY),
    }


def pasted_envelope(text: str) -> dict[str, Any]:
    """A JWS pasted into a form: JSON (general or flattened) or compact (``protected..signature``)."""
    text = text.strip()
    if not text.startswith("{") and text.count(".") == 2:
        return signing.envelope_from_compact(text)
    try:
        envelope = json.loads(text)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict):
        raise InvalidInputError(
            "paste the JWS as JSON (general or flattened serialization) or in compact form (protected..signature)",
            code="malformed_input",
            field="jws",
        )
    return envelope


def _posted_key(form: dict[str, str]) -> KeyCreate:
    """The public JWK of the key form, chosen as a file or pasted, read as the API reads its body."""
    chosen, pasted = form.get("jwk_file", "").strip(), forms.text(form, "jwk", max_length=JWK_BYTES, required=False)
    if chosen and pasted:
        raise InvalidInputError("choose a file or paste the JWK, not both", field="jwk")
    text = chosen or pasted
    if not text:
        raise InvalidInputError("choose the public key file (<CODE>-<kid>.jwk.json) or paste its text", field="jwk")
    if text.startswith("-----BEGIN"):
        raise InvalidInputError(
            "this is a private key file (PEM): choose the public <CODE>-<kid>.jwk.json written beside it",
            code="private_key_refused",
            field="jwk",
        )
    return validate(KeyCreate, {"jwk": canonical.parse_strict(text)})


@routes.get("/keys", name="party-keys-page")
async def keys_page(ctx: Context, *, error: str | None = None, status: int = 200) -> web.Response:
    """My party's registered keys; keys kept in this browser; making one and registering it."""
    caller = ctx.caller
    async with ctx.read() as session:
        party = await parties.get_party(session, caller.party)
        rows = await parties.list_keys(session, caller.party)
        records = {r.key.kid: r for r in await parties.key_records(session, [caller.party])}
        signer = await signer_context(session, caller, ctx.now)
    states = {row.kid: key_state(records[row.kid], ctx.now) if row.kid in records else "" for row in rows}
    registered = next((row for row in rows if row.kid == ctx.query.get("registered")), None)
    return ctx.render(
        "keys.html",
        {
            "party": party,
            "rows": rows,
            "states": states,
            "signer": signer,
            "can_register": caller.has_role(Role.SIGNATORY) or caller.has_role(Role.SECRETARIAT),
            "templates": sorted(ctx.templates.values(), key=lambda t: t.title),
            "error": error,
            "registered": registered,
            "jwk_bytes": JWK_BYTES,
        },
        status=status,
    )


@routes.post("/keys", name="party-key-register")
async def register_submit(ctx: Context) -> web.StreamResponse:
    """Register the public half of a key file (``entente keys generate``'s ``<CODE>-<kid>.jwk.json``):
    the same step, checks and audit event as ``POST /api/v1/parties/{code}/keys``."""
    try:
        form = await ctx.form({"csrf_token", "party", "jwk_file", "jwk"}, files={"jwk_file": JWK_BYTES})
        party = forms.text(form, "party", max_length=16)
        key = _posted_key(form)
        async with ctx.write() as session:
            row = await parties.register_key(session, ctx.caller, party=party, now=ctx.now, **fields_of(key))
    except NotFoundError:
        raise
    except EntenteError as exc:
        return await keys_page(ctx, error=f"{exc.detail} ({exc.code})", status=status_for(exc))
    raise web.HTTPSeeOther(location=f"{ctx.url('party-keys-page')}?registered={row.kid}")  # a kid is base64url


@routes.post("/keys/{kid}/revoke", name="party-key-revoke")
async def revoke_submit(ctx: Context) -> web.StreamResponse:
    """Revoke one of my party's keys now, with a reason (a lost browser key, a stolen laptop)."""
    form = await ctx.form({"csrf_token", "reason"})
    kid = ctx.segment("kid")[:100]
    try:
        reason = forms.text(form, "reason", max_length=500)
        async with ctx.write() as session:
            await releases.revoke_key(
                session,
                ctx.caller,
                party=ctx.caller.party,
                kid=kid,
                reason=reason,
                templates=ctx.templates,
                now=ctx.now,
            )
    except NotFoundError:
        raise
    except EntenteError as exc:
        status = 403 if isinstance(exc, PermissionDeniedError) else 409 if isinstance(exc, ConflictError) else 422
        return await keys_page(ctx, error=f"key {kid}: {exc.detail} ({exc.code})", status=status)
    raise web.HTTPSeeOther(location=ctx.url("party-keys-page"))


@routes.get("/templates/{template_id}/presign", name="template-presign")
async def presign_page(ctx: Context) -> web.Response:
    """Pre-sign a crisis template in the browser: its text, the terms, the exact bytes, the signature."""
    caller = ctx.caller
    template = presignatures.get_template(ctx.templates, ctx.segment("template_id"))
    async with ctx.read() as session:
        detail = await parties.template_detail(session, ctx.templates, template.id, now=ctx.now)
        signer = await signer_context(session, caller, ctx.now)
    start = ctx.now.replace(second=0, microsecond=0)
    return ctx.render(
        "signing/presign.html",
        {
            "template": detail,
            "mine": [p for p in detail.presignatures if p.party == caller.party],
            "signer": signer,
            "not_before": isoformat(start),
            "not_after": isoformat(start + timedelta(days=PRESIGNATURE_DAYS)),
            "extra_json": json.dumps({"template_digest": template.digest}),
        },
    )


@routes.get("/roster", name="roster-page")
async def roster_page(ctx: Context) -> web.Response:
    """The effective roster, the proposal waiting for signatures, and signing it in the browser."""
    caller = ctx.caller
    async with ctx.read() as session:
        current = await rosters.find_current_roster(session)
        pending = await rosters.find_pending_proposal(session)
        proposal = await rosters.describe_proposal(session, pending) if pending else None
        signer = await signer_context(session, caller, ctx.now)
    signed_by = {s.party for s in proposal.signatures} if proposal else set()
    return ctx.render(
        "signing/roster.html",
        {
            "current": rosters.document_model(current) if current else None,
            "proposal": proposal,
            "signer": signer,
            "already": caller.party in signed_by,
            "extra_json": json.dumps({"party": caller.party}),
        },
    )


def add_routes(app: web.Application) -> None:
    routes.add_to(app)
