"""Who am I, my API tokens, the coalition's parties and users."""

from __future__ import annotations

from aiohttp import web

from entente import auth, parties
from entente.appkeys import caller_cache_key, caller_key, clock_key, sessionmaker_key, settings_key
from entente.errors import NotFoundError
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
from entente.web.bodies import json_response, read_json
from entente.web.openapi import ApiRoutes
from entente.web.paths import parse_id

API = "/api/v1"
routes = ApiRoutes()


@routes.route(
    "GET", f"{API}/me", name="api-me", summary="Who is calling: user, party and roles", tag="account", response=MePublic
)
async def me(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
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


@routes.route(
    "GET",
    f"{API}/tokens",
    name="api-tokens",
    summary="My API tokens (never their secrets)",
    tag="account",
    response=TokenPublic,
    response_list=True,
)
async def list_tokens(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        tokens = await auth.list_tokens(session, caller.user_id)
    return json_response([TokenPublic.model_validate(t, from_attributes=True) for t in tokens])


@routes.route(
    "POST",
    f"{API}/tokens",
    name="api-token-create",
    summary="Create an API token; the secret is shown once",
    tag="account",
    request=TokenCreate,
    response=TokenCreated,
    status=201,
)
async def create_token(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    data = await read_json(request, TokenCreate)
    days = data.days or request.app[settings_key].auth.token_days
    async with request.app[sessionmaker_key].begin() as session:
        user = await auth.get_user(session, caller.username)
        secret, token = await auth.create_token(session, user, name=data.name, days=days, now=request.app[clock_key]())
    body = TokenCreated(token=secret, **TokenPublic.model_validate(token, from_attributes=True).model_dump())
    return json_response(body, status=201)


@routes.route(
    "DELETE",
    f"{API}/tokens/{{token_id}}",
    name="api-token-revoke",
    summary="Revoke one of my API tokens",
    tag="account",
    response=TokenPublic,
    errors=(404,),
)
async def revoke_token(request: web.Request) -> web.Response:
    caller = auth.require_caller(request[caller_key])
    token_id = _int(request.match_info["token_id"])
    async with request.app[sessionmaker_key].begin() as session:
        token = await auth.revoke_token(session, caller, token_id, now=request.app[clock_key]())
    request.app[caller_cache_key].forget_user(caller.user_id)
    return json_response(TokenPublic.model_validate(token, from_attributes=True))


@routes.route(
    "GET",
    f"{API}/parties",
    name="api-parties",
    summary="The parties of the coalition",
    tag="coalition",
    response=PartyPublic,
    response_list=True,
)
async def list_parties(request: web.Request) -> web.Response:
    auth.require_caller(request[caller_key])
    async with request.app[sessionmaker_key]() as session:
        rows = await parties.list_parties(session)
    return json_response([PartyPublic.model_validate(p, from_attributes=True) for p in rows])


@routes.route(
    "POST",
    f"{API}/users",
    name="api-user-create",
    summary="Add a user to a party (secretariat only)",
    tag="coalition",
    request=UserCreate,
    response=UserPublic,
    status=201,
    errors=(403,),
)
async def create_user(request: web.Request) -> web.Response:
    caller = auth.require_role(request[caller_key], Role.SECRETARIAT)
    data = await read_json(request, UserCreate)
    async with request.app[sessionmaker_key].begin() as session:
        user = await auth.create_user(
            session,
            username=data.username,
            display_name=data.display_name,
            party=data.party,
            roles=data.roles,
            password=data.password,
            now=request.app[clock_key](),
            actor=caller.username,
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


def _int(text: str) -> int:
    """A token id from the path; anything that cannot be one answers like a token that does not exist."""
    if (value := parse_id(text)) is None:
        raise NotFoundError("no such token")
    return value
