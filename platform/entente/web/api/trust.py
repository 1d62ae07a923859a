"""Party keys (JWKS, register, revoke), the signed roster and its proposals, the well-known documents."""

from __future__ import annotations

import hashlib

from aiohttp import web

from entente import auth, canonical, parties, releases
from entente.appkeys import caller_key, clock_key, sessionmaker_key, templates_key
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
from entente.web.bodies import json_response, read_json
from entente.web.openapi import ApiRoutes
from entente.web.paths import parse_id

API = "/api/v1"
WELL_KNOWN_ROSTER = "/.well-known/entente/roster"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=60"
routes = ApiRoutes()


def _key_public(row: PartyKey) -> KeyPublic:
    return KeyPublic(
        party=row.party_code,
        kid=row.kid,
        alg=row.alg,
        fingerprint=row.fingerprint,
        jwk=row.jwk,
        not_before=row.not_before,
        not_after=row.not_after,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
        registered_by=row.registered_by,
        created_at=row.created_at,
    )


def public_bytes(
    request: web.Request,
    body: bytes,
    *,
    cache_control: str,
    content_type: str = "application/json",
    charset: str | None = None,
    etag: str | None = None,
) -> web.Response:
    """Public bytes anyone may cache: a strong ETag over them (or ``etag``), 304 when it matches."""
    etag = '"' + (etag or hashlib.sha256(body).hexdigest()) + '"'
    headers = {
        "ETag": etag,
        "Cache-Control": cache_control,
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset=charset, headers=headers)


# --- keys ----------------------------------------------------------------------------------------


@routes.route(
    "GET",
    f"{API}/parties/{{code}}/keys",
    name="api-party-keys",
    summary="A party's public keys as a JWK Set, with validity and revocation (public)",
    tag="trust",
    response=JwksPublic,
    authenticated=False,
    errors=(404,),
)
async def party_keys(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    async with request.app[sessionmaker_key]() as session:
        rows = await parties.list_keys(session, code)
    return public_bytes(request, canonical.canonical_bytes(parties.jwks(code, rows)), cache_control=REVALIDATE)


@routes.route(
    "POST",
    f"{API}/parties/{{code}}/keys",
    name="api-party-key-register",
    summary="Register a public key of a party (its signatory, or the secretariat)",
    tag="trust",
    request=KeyCreate,
    response=KeyPublic,
    status=201,
    errors=(403, 404, 409),
)
async def register_key(request: web.Request) -> web.Response:
    data = await read_json(request, KeyCreate)
    async with request.app[sessionmaker_key].begin() as session:
        row = await parties.register_key(
            session,
            request[caller_key],
            party=request.match_info["code"],
            jwk=data.jwk,
            alg=data.alg,
            not_before=data.not_before,
            not_after=data.not_after,
            now=request.app[clock_key](),
        )
    return json_response(_key_public(row), status=201)


@routes.route(
    "POST",
    f"{API}/parties/{{code}}/keys/{{kid}}/revoke",
    name="api-party-key-revoke",
    summary="Revoke a party's key from an instant (default now), with a reason",
    tag="trust",
    request=KeyRevoke,
    response=KeyPublic,
    errors=(403, 404, 409),
)
async def revoke_key(request: web.Request) -> web.Response:
    data = await read_json(request, KeyRevoke)
    async with request.app[sessionmaker_key].begin() as session:
        row = await releases.revoke_key(
            session,
            request[caller_key],
            party=request.match_info["code"],
            kid=request.match_info["kid"],
            reason=data.reason,
            at=data.at,
            templates=request.app[templates_key],
            now=request.app[clock_key](),
        )
    return json_response(_key_public(row))


# --- the roster ------------------------------------------------------------------------------------


@routes.route(
    "GET",
    f"{API}/roster",
    name="api-roster",
    summary="The effective roster and the pending proposal, if any",
    tag="trust",
    response=RosterStatePublic,
)
async def roster_state(request: web.Request) -> web.Response:
    auth.require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        current = await rosters.find_current_roster(session)
        pending = await rosters.find_pending_proposal(session)
        body = RosterStatePublic(
            current=rosters.document_model(current) if current else None,
            proposal=await rosters.describe_proposal(session, pending) if pending else None,
        )
    return json_response(body)


@routes.route(
    "POST",
    f"{API}/roster/proposals",
    name="api-roster-propose",
    summary="Propose the next roster version, built from the registered parties and keys (secretariat)",
    tag="trust",
    request=RosterProposalCreate,
    response=RosterProposalPublic,
    status=201,
    errors=(403,),
)
async def propose(request: web.Request) -> web.Response:
    data = await read_json(request, RosterProposalCreate)
    async with request.app[sessionmaker_key].begin() as session:
        proposal = await parties.propose_roster(
            session,
            request[caller_key],
            now=request.app[clock_key](),
            roster=data.roster,
            expires=data.expires,
            threshold=data.threshold,
            default_policy=data.default_policy,
            policies=data.policies,
        )
        body = await rosters.describe_proposal(session, proposal)
    return json_response(body, status=201)


def _proposal_id(request: web.Request) -> int:
    text = request.match_info["proposal_id"]
    if (value := parse_id(text)) is None:
        raise NotFoundError(f"no roster proposal {text!r}", code="unknown_proposal")
    return value


@routes.route(
    "GET",
    f"{API}/roster/proposals/{{proposal_id}}",
    name="api-roster-proposal",
    summary="A roster proposal with its signatures and both thresholds",
    tag="trust",
    response=RosterProposalPublic,
    errors=(404,),
)
async def proposal(request: web.Request) -> web.Response:
    auth.require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        row = await rosters.get_proposal(session, _proposal_id(request))
        body = await rosters.describe_proposal(session, row)
    return json_response(body)


@routes.route(
    "GET",
    f"{API}/roster/proposals/{{proposal_id}}/payload",
    name="api-roster-proposal-payload",
    summary="The exact bytes to sign (RFC 8785): the detached JWS payload, typ entente-roster+jws",
    tag="trust",
    errors=(404,),
)
async def proposal_payload(request: web.Request) -> web.Response:
    auth.require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        row = await rosters.get_proposal(session, _proposal_id(request))
    return web.Response(body=row.body, content_type="application/json", headers={"Digest-SHA256": row.digest})


@routes.route(
    "POST",
    f"{API}/roster/proposals/{{proposal_id}}/signatures",
    name="api-roster-proposal-sign",
    summary="Submit a party's JWS over the proposal; adopted as soon as both thresholds are met",
    tag="trust",
    request=RosterSignatureCreate,
    response=RosterProposalPublic,
    errors=(403, 404, 409),
)
async def sign(request: web.Request) -> web.Response:
    data = await read_json(request, RosterSignatureCreate)
    async with request.app[sessionmaker_key].begin() as session:
        row, _ = await rosters.sign_proposal(
            session,
            request[caller_key],
            proposal_id=_proposal_id(request),
            envelope=data.jws,
            party=data.party,
            now=request.app[clock_key](),
        )
        body = await rosters.describe_proposal(session, row)
    return json_response(body)


@routes.route(
    "GET",
    f"{WELL_KNOWN_ROSTER}/{{file}}",
    name="well-known-roster",
    summary="Roster version N as published (N.json, immutable) or the newest (latest.json); public",
    tag="trust",
    response=RosterDocument,
    authenticated=False,
    errors=(404,),
)
async def well_known_roster(request: web.Request) -> web.Response:
    name = request.match_info["file"]
    stem = name.removesuffix(".json")
    if name == stem or not (stem == "latest" or (stem.isdigit() and len(stem) <= 9 and stem[0] != "0")):
        raise NotFoundError(f"no roster document {name!r}", code="unknown_roster_version")
    async with request.app[sessionmaker_key]() as session:
        if stem == "latest":
            row = await rosters.find_current_roster(session)
            if row is None:
                raise NotFoundError("no roster is effective yet", code="unknown_roster_version")
        else:
            row = await rosters.get_roster_version(session, int(stem))
    body = rosters.roster_document_bytes(row)
    return public_bytes(request, body, cache_control=REVALIDATE if stem == "latest" else IMMUTABLE)
