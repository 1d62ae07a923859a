"""One per-request value at the web edge, built by the route declaration and handed to the handler.

A route declares what it needs (a signed-in caller or not, the JSON model of its body); the
declaration builds a :class:`Context` before the handler runs, so a handler reads like the
operation it performs::

    @routes.route("POST", f"{BASE}/{{communique}}/comments", request=CommentCreate, ...)
    async def add_comment(ctx: Context) -> web.Response:
        async with ctx.write() as session:
            comment = await drafting.add_comment(session, ctx.caller, ctx.path_id("communique"), ctx.body, now=ctx.now)
        return json_response(comment, status=201)

``now`` is read from the application's clock once per request, so every rule applied while
answering it sees the same instant. ``read()`` opens a session for reads only (on SQLite a deferred
transaction on a WAL snapshot, so it never waits for a writer); ``write()`` opens one transaction
that commits when the block ends and rolls back on any error. Page handlers get the same value;
their routes send a visitor who is not signed in to the sign-in page instead of answering 401.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import pydantic
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from entente.appkeys import (
    caller_key,
    clock_key,
    ladder_key,
    read_sessionmaker_key,
    sessionmaker_key,
    settings_key,
    templates_key,
)
from entente.auth import Caller, require_caller
from entente.crisis import CrisisTemplate
from entente.errors import NotFoundError
from entente.ladder import Ladder
from entente.settings import Settings
from entente.web.bodies import read_json
from entente.web.paths import parse_id

__all__ = ["Context", "ContextHandler", "PageRoutes", "context_handler", "path_id"]


def path_id(request: web.Request, name: str, *, what: str | None = None) -> int:
    """The numeric id in path segment ``name``; a segment naming no id answers like a missing object."""
    text = request.match_info[name]
    if (value := parse_id(text)) is None:
        raise NotFoundError(f"no {what or name} {text[:20]}")
    return value


@dataclass(slots=True)
class Context:
    """What one request's handler needs: who calls, the parsed body, one instant, the rules, sessions."""

    request: web.Request
    now: datetime
    body: Any = None
    _caller: Caller | None = field(default=None, repr=False)

    @property
    def caller(self) -> Caller:
        """The signed-in caller (routes that need one have already refused or redirected anyone else)."""
        return require_caller(self._caller)

    @property
    def maybe_caller(self) -> Caller | None:
        """The caller, or None on a route open to visitors who are not signed in."""
        return self._caller

    @property
    def app(self) -> web.Application:
        return self.request.app

    @property
    def settings(self) -> Settings:
        return self.request.app[settings_key]

    @property
    def ladder(self) -> Ladder:
        return self.request.app[ladder_key]

    @property
    def templates(self) -> Mapping[str, CrisisTemplate]:
        return self.request.app[templates_key]

    def read(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session for reads only: it never takes the write lock and never commits."""
        return self.request.app[read_sessionmaker_key]()

    def write(self) -> AbstractAsyncContextManager[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        return self.request.app[sessionmaker_key].begin()

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session that manages its own transactions (sign-in counts attempts in short ones)."""
        return self.request.app[sessionmaker_key]()

    def path_id(self, name: str, *, what: str | None = None) -> int:
        return path_id(self.request, name, what=what)

    def url(self, route: str, /, **parts: str) -> str:
        """The path of the named route with ``parts`` filled in."""
        return str(self.request.app.router[route].url_for(**parts))


ContextHandler = Callable[[Context], Awaitable[web.StreamResponse]]


def context_handler(
    handler: ContextHandler | Callable[[web.Request], Awaitable[web.StreamResponse]],
    *,
    signed_in: bool,
    model: type[pydantic.BaseModel] | None = None,
    page: bool = False,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler that builds the context (caller checked, body read) and calls ``handler``."""
    if _takes_request(handler):  # not yet converted: the handler derives what it needs itself
        return cast(Callable[[web.Request], Awaitable[web.StreamResponse]], handler)

    async def endpoint(request: web.Request) -> web.StreamResponse:
        caller = request[caller_key]
        if signed_in and caller is None:
            if page:
                login = request.app.router["login"].url_for().with_query(next=request.path_qs)
                raise web.HTTPSeeOther(location=str(login))
            require_caller(caller)
        body = await read_json(request, model) if model is not None else None
        return await cast(ContextHandler, handler)(Context(request, request.app[clock_key](), body, caller))

    endpoint.__name__ = handler.__name__
    endpoint.__qualname__ = handler.__qualname__
    endpoint.__doc__ = handler.__doc__
    endpoint.__wrapped__ = handler  # type: ignore[attr-defined]
    return endpoint


def _takes_request(handler: Any) -> bool:
    """A handler still written against the bare request (its parameter is named ``request``)."""
    import inspect

    return list(inspect.signature(handler).parameters) == ["request"]


@dataclass
class PageRoutes:
    """Page routes declared next to their handlers; visitors not signed in are sent to sign in."""

    entries: list[tuple[str, str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = field(
        default_factory=list
    )

    def _add(self, method: str, path: str, name: str, signed_in: bool) -> Callable[[ContextHandler], ContextHandler]:
        def register(handler: ContextHandler) -> ContextHandler:
            self.entries.append((method, path, name, context_handler(handler, signed_in=signed_in, page=True)))
            return handler

        return register

    def get(self, path: str, *, name: str, signed_in: bool = True) -> Callable[[ContextHandler], ContextHandler]:
        return self._add("GET", path, name, signed_in)

    def post(self, path: str, *, name: str, signed_in: bool = True) -> Callable[[ContextHandler], ContextHandler]:
        return self._add("POST", path, name, signed_in)

    def add_to(self, app: web.Application) -> None:
        for method, path, name, endpoint in self.entries:
            app.router.add_route(method, path, endpoint, name=name)
