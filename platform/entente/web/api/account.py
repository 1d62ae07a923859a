"""Who am I, my API tokens, the coalition's parties and users."""

from __future__ import annotations

from aiohttp import web

from entente import auth, parties
from entente.appkeys import caller_cache_key
from entente.models import (
    MePublic,
    PartyKind,
    PartyPublic,
    PartyStatus,
    Role,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserPublic,
)
from entente.web.bodies import fields_of, json_response
from entente.web.context import Context
from entente.web.openapi import ApiRoutes

API = "/api/v1"
routes = ApiRoutes(tag="account")


@routes.get(f"{API}/me", name="api-me", response=MePublic)
async def me(ctx: Context) -> web.Response:
    """Who is calling: user, party and roles"""
    caller = ctx.caller
    party = PartyPublic(
        code=caller.party,
        name=caller.party_name,
        kind=PartyKind(caller.party_kind),
        timezone=caller.party_timezone,
        status=PartyStatus.ACTIVE,
    )
    body = MePublic(
        username=caller.username,
        display_name=caller.display_name,
        party=party,
        roles=sorted(caller.roles),
        authenticated_by=caller.via,
    )
    return json_response(body)


@routes.get(f"{API}/tokens", name="api-tokens", response=TokenPublic, response_list=True)
async def list_tokens(ctx: Context) -> web.Response:
    """My API tokens (never their secrets)"""
    async with ctx.read() as session:
        tokens = await auth.list_tokens(session, ctx.caller.user_id)
    return json_response([TokenPublic.model_validate(t, from_attributes=True) for t in tokens])


@routes.create(f"{API}/tokens", name="api-token-create", request=TokenCreate, response=TokenCreated)
async def create_token(ctx: Context) -> web.Response:
    """Create an API token; the secret is shown once"""
    days = ctx.body.days or ctx.settings.auth.token_days
    async with ctx.write() as session:
        user = await auth.get_user(session, ctx.caller.username)
        secret, token = await auth.create_token(session, user, name=ctx.body.name, days=days, now=ctx.now)
    body = TokenCreated(token=secret, **TokenPublic.model_validate(token, from_attributes=True).model_dump())
    return json_response(body, status=201)


@routes.delete(f"{API}/tokens/{{token_id}}", name="api-token-revoke", response=TokenPublic)
async def revoke_token(ctx: Context) -> web.Response:
    """Revoke one of my API tokens"""
    token_id = ctx.path_id("token_id")
    async with ctx.write() as session:
        token = await auth.revoke_token(session, ctx.caller, token_id, now=ctx.now)
    ctx.app[caller_cache_key].forget_user(ctx.caller.user_id)
    return json_response(TokenPublic.model_validate(token, from_attributes=True))


@routes.get(f"{API}/parties", name="api-parties", tag="coalition", response=PartyPublic, response_list=True)
async def list_parties(ctx: Context) -> web.Response:
    """The parties of the coalition"""
    async with ctx.read() as session:
        rows = await parties.list_parties(session)
    return json_response([PartyPublic.model_validate(p, from_attributes=True) for p in rows])


@routes.create(f"{API}/users", name="api-user-create", tag="coalition", request=UserCreate, response=UserPublic)
async def create_user(ctx: Context) -> web.Response:
    """Add a user to a party (secretariat only)"""
    caller = auth.require_role(ctx.caller, Role.SECRETARIAT)
    data = ctx.body
    # argon2 before the transaction: a write transaction never waits for a password hash.
    password_hash = await auth.hash_password(data.password) if data.password else None
    async with ctx.write() as session:
        user = await auth.create_user(
            session, password_hash=password_hash, now=ctx.now, actor=caller.username, **fields_of(data)
        )
    return json_response(
        UserPublic(
            username=user.username,
            display_name=user.display_name,
            party=user.party_code,
            roles=[Role(r) for r in user.roles],
            active=user.active,
        ),
        status=201,
    )
