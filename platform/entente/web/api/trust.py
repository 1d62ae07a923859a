"""Party keys (JWKS, register, revoke), the signed roster and its proposals, the well-known documents."""

from __future__ import annotations

from aiohttp import web

from entente import canonical, parties, releases
from entente.errors import NotFoundError
from entente.models import (
    JwksPublic,
    KeyCreate,
    KeyPublic,
    KeyRevoke,
    PartyKey,
    RosterDocument,
    RosterProposalCreate,
    RosterProposalPublic,
    RosterSignatureCreate,
    RosterStatePublic,
)
from entente.parties import roster as rosters
from entente.web.api.steps import written, written_described
from entente.web.bodies import fields_of, from_fields, json_response
from entente.web.context import Context
from entente.web.etags import IMMUTABLE, REVALIDATE, public_bytes
from entente.web.openapi import ApiRoutes

__all__ = ["IMMUTABLE", "REVALIDATE", "public_bytes", "routes"]  # public_bytes: also imported from here

API = "/api/v1"
WELL_KNOWN_ROSTER = "/.well-known/entente/roster"
KEYS = f"{API}/parties/{{code}}/keys"
PROPOSALS = f"{API}/roster/proposals"
routes = ApiRoutes(tag="trust")


def _key_public(row: PartyKey) -> KeyPublic:
    return from_fields(KeyPublic, row, party=row.party_code)


# --- keys ----------------------------------------------------------------------------------------


@routes.get(KEYS, name="api-party-keys", response=JwksPublic, authenticated=False)
async def party_keys(ctx: Context) -> web.Response:
    """A party's public keys as a JWK Set, with validity and revocation (public)"""
    code = ctx.segment("code")
    async with ctx.read() as session:
        rows = await parties.list_keys(session, code)
    return public_bytes(ctx.request, canonical.canonical_bytes(parties.jwks(code, rows)), cache_control=REVALIDATE)


@routes.create(KEYS, name="api-party-key-register", request=KeyCreate, response=KeyPublic)
async def register_key(ctx: Context) -> web.Response:
    """Register a public key of a party (its signatory, or the secretariat)"""
    party = ctx.segment("code")
    return await written(ctx, parties.register_key, _key_public, status=201, party=party, **fields_of(ctx.body))


@routes.post(f"{KEYS}/{{kid}}/revoke", name="api-party-key-revoke", request=KeyRevoke, response=KeyPublic)
async def revoke_key(ctx: Context) -> web.Response:
    """Revoke a party's key from an instant (default now), with a reason"""
    party, kid = ctx.segment("code"), ctx.segment("kid")
    return await written(
        ctx, releases.revoke_key, _key_public, party=party, kid=kid, templates=ctx.templates, **fields_of(ctx.body)
    )


# --- the roster ------------------------------------------------------------------------------------


@routes.get(f"{API}/roster", name="api-roster", response=RosterStatePublic)
async def roster_state(ctx: Context) -> web.Response:
    """The effective roster and the pending proposal, if any"""
    async with ctx.read() as session:
        current = await rosters.find_current_roster(session)
        pending = await rosters.find_pending_proposal(session)
        body = RosterStatePublic(
            current=rosters.document_model(current) if current else None,
            proposal=await rosters.describe_proposal(session, pending) if pending else None,
        )
    return json_response(body)


@routes.create(PROPOSALS, name="api-roster-propose", request=RosterProposalCreate, response=RosterProposalPublic)
async def propose(ctx: Context) -> web.Response:
    """Propose the next roster version, built from the registered parties and keys (secretariat)"""
    return await written_described(
        ctx, parties.propose_roster, rosters.describe_proposal, status=201, **fields_of(ctx.body)
    )


@routes.get(f"{PROPOSALS}/{{proposal_id}}", name="api-roster-proposal", response=RosterProposalPublic)
async def proposal(ctx: Context) -> web.Response:
    """A roster proposal with its signatures and both thresholds"""
    async with ctx.read() as session:
        row = await rosters.get_proposal(session, ctx.path_id("proposal_id"))
        body = await rosters.describe_proposal(session, row)
    return json_response(body)


@routes.get(f"{PROPOSALS}/{{proposal_id}}/payload", name="api-roster-proposal-payload")
async def proposal_payload(ctx: Context) -> web.Response:
    """The exact bytes to sign (RFC 8785): the detached JWS payload, typ entente-roster+jws"""
    async with ctx.read() as session:
        row = await rosters.get_proposal(session, ctx.path_id("proposal_id"))
    return web.Response(body=row.body, content_type="application/json", headers={"Digest-SHA256": row.digest})


@routes.post(
    f"{PROPOSALS}/{{proposal_id}}/signatures",
    name="api-roster-proposal-sign",
    request=RosterSignatureCreate,
    response=RosterProposalPublic,
)
async def sign(ctx: Context) -> web.Response:
    """Submit a party's JWS over the proposal; adopted as soon as both thresholds are met"""
    async with ctx.write() as session:
        row, _ = await rosters.sign_proposal(
            session,
            ctx.caller,
            proposal_id=ctx.path_id("proposal_id"),
            envelope=ctx.body.jws,
            party=ctx.body.party,
            now=ctx.now,
        )
        body = await rosters.describe_proposal(session, row)
    return json_response(body)


@routes.get(f"{WELL_KNOWN_ROSTER}/{{file}}", name="well-known-roster", response=RosterDocument, authenticated=False)
async def well_known_roster(ctx: Context) -> web.Response:
    """Roster version N as published (N.json, immutable) or the newest (latest.json); public"""
    name = ctx.segment("file")
    stem = name.removesuffix(".json")
    if name == stem or not (stem == "latest" or (stem.isdigit() and len(stem) <= 9 and stem[0] != "0")):
        raise NotFoundError(f"no roster document {name!r}", code="unknown_roster_version")
    async with ctx.read() as session:
        if stem == "latest":
            row = await rosters.find_current_roster(session)
            if row is None:
                raise NotFoundError("no roster is effective yet", code="unknown_roster_version")
        else:
            row = await rosters.get_roster_version(session, int(stem))
    body = rosters.roster_document_bytes(row)
    return public_bytes(ctx.request, body, cache_control=REVALIDATE if stem == "latest" else IMMUTABLE)
