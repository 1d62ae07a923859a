"""One per-request value at the web edge, built by the route declaration and handed to the handler.

A route declares what it needs (a signed-in caller or not, the JSON model of its body); the
declaration builds a :class:`Context` before the handler runs, so a handler reads like the
operation it performs::

    @routes.create(f"{ONE}/invitations", name="api-communique-invite", request=InvitationCreate,
                   response=CommuniquePublic)
    async def invite(ctx: Context) -> web.Response:
        async with ctx.write() as session:
            access = await drafting.invite_party(
                session, communique_id=ctx.path_id("communique"), caller=ctx.caller, party=ctx.body.party, now=ctx.now
            )
        return json_response(drafting.communique_public(access), status=201)

The handler's docstring is the operation's summary in the OpenAPI document. Where many operations
share one shape (a step on a bundle, a write to an incident's record), a helper in the area's module
runs it (``ctx.write()``, the domain step, the answer) and each handler names only its step and what
it takes from the body.

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
from typing import Any, TypeVar

import pydantic
from aiohttp import web
from multidict import MultiMapping
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
from entente.incidents.access import NO_EVIDENCE, NO_INCIDENT
from entente.ladder import Ladder
from entente.settings import Settings
from entente.web import forms
from entente.web.bodies import read_json
from entente.web.html import render
from entente.web.paths import parse_id

__all__ = ["MISSING", "Context", "ContextHandler", "H", "PageRoutes", "context_handler", "path_id"]


#: The answer for a path segment that names no id, per path parameter: the domain's own answer for an
#: id that is not there (its detail, and its code when that object has one). Any other parameter
#: answers "no <name> <segment>".
MISSING: dict[str, Callable[[str], NotFoundError]] = {
    "communique": lambda text: NotFoundError(f"no communiqué {text}"),
    "comment": lambda text: NotFoundError(f"no comment {text}"),
    "incident": lambda text: NotFoundError(NO_INCIDENT),
    "incident_id": lambda text: NotFoundError(NO_INCIDENT),
    "evidence_id": lambda text: NotFoundError(NO_EVIDENCE),
    "package": lambda text: NotFoundError(f"no sanctions package {text}"),
    "token_id": lambda text: NotFoundError("no such token"),
    "presignature_id": lambda text: NotFoundError(f"no pre-signature {text}", code="unknown_presignature"),
    "proposal_id": lambda text: NotFoundError(f"no roster proposal {text}", code="unknown_proposal"),
}


def path_id(request: web.Request, name: str) -> int:
    """The numeric id in path segment ``name``; a segment naming no id answers like a missing object
    (:data:`MISSING`), never with a 500 from ``int()`` or a database integer overflow."""
    text = request.match_info[name]
    if (value := parse_id(text)) is None:
        missing = MISSING.get(name)
        raise missing(text[:20]) if missing is not None else NotFoundError(f"no {name} {text[:20]}")
    return value


@dataclass(slots=True)
class Context:
    """What one request's handler needs: who calls, the parsed body, one instant, the rules, sessions."""

    request: web.Request
    now: datetime
    body: Any = None
    _caller: Caller | None = field(default=None, repr=False)
    _model: type[pydantic.BaseModel] | None = field(default=None, repr=False)

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

    async def load_body(self) -> Any:
        """Read the body into the route's declared model now (a route declared with ``read_body=False``
        checks its path and headers first, so that their errors answer before the body's)."""
        if self.body is None and self._model is not None:
            self.body = await read_json(self.request, self._model)
        return self.body

    def read(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session for reads only: it never takes the write lock and never commits."""
        return self.request.app[read_sessionmaker_key]()

    def write(self) -> AbstractAsyncContextManager[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        return self.request.app[sessionmaker_key].begin()

    def session(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session that manages its own transactions (sign-in counts attempts in short ones)."""
        return self.request.app[sessionmaker_key]()

    def path_id(self, name: str) -> int:
        """The id in path segment ``name`` (see :func:`path_id`)."""
        return path_id(self.request, name)

    @property
    def query(self) -> MultiMapping[str]:
        """The query string's parameters."""
        return self.request.query

    def segment(self, name: str) -> str:
        """A path segment that is not an id (a version reference, a party code, a template name)."""
        return self.request.match_info[name]

    async def form(self, allowed: set[str], *, files: Mapping[str, int] | None = None) -> dict[str, str]:
        """The posted form's text fields (unknown fields, files and over-long values refused), and the
        text of the file fields named in ``files`` (each with its limit in bytes)."""
        return await forms.read_form(self.request, allowed, files=files)

    def render(self, template: str, context: dict[str, Any], *, status: int = 200) -> web.Response:
        """A page: ``template`` with the caller, the CSRF token and the path beside ``context``."""
        return render(self.request, template, context, status=status)

    def redirect(self, route: str, /, fragment: str = "", **parts: str) -> web.HTTPSeeOther:
        """303 to the named route (raise it), at ``#fragment`` when one is given."""
        return web.HTTPSeeOther(location=self.url(route, **parts) + (f"#{fragment}" if fragment else ""))

    def url(self, route: str, /, **parts: str) -> str:
        """The path of the named route with ``parts`` filled in."""
        return str(self.request.app.router[route].url_for(**parts))


ContextHandler = Callable[[Context], Awaitable[web.StreamResponse]]
#: A handler as declared: its decorator hands it back unchanged (with its own keyword parameters).
H = TypeVar("H", bound=Callable[..., Awaitable[web.StreamResponse]])


def context_handler(
    handler: ContextHandler,
    *,
    signed_in: bool,
    model: type[pydantic.BaseModel] | None = None,
    read_body: bool = True,
    page: bool = False,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The aiohttp handler that builds the context (caller checked, body read) and calls ``handler``.

    Every route of the application is registered through one of these (``ApiRoutes.route`` or
    :class:`PageRoutes`); ``__wrapped__`` names the handler, and tests/test_layers.py holds that true.
    """

    async def endpoint(request: web.Request) -> web.StreamResponse:
        caller = request[caller_key]
        if signed_in and caller is None:
            if page:
                login = request.app.router["login"].url_for().with_query(next=request.path_qs)
                raise web.HTTPSeeOther(location=str(login))
            require_caller(caller)
        body = await read_json(request, model) if model is not None and read_body else None
        return await handler(Context(request, request.app[clock_key](), body, caller, model))

    endpoint.__name__ = handler.__name__
    endpoint.__qualname__ = handler.__qualname__
    endpoint.__doc__ = handler.__doc__
    endpoint.__wrapped__ = handler  # type: ignore[attr-defined]
    return endpoint


@dataclass
class PageRoutes:
    """Page routes declared next to their handlers; visitors not signed in are sent to sign in."""

    entries: list[tuple[str, str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = field(
        default_factory=list
    )

    def _add(self, method: str, path: str, name: str, signed_in: bool) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.entries.append((method, path, name, context_handler(handler, signed_in=signed_in, page=True)))
            return handler

        return register

    def get(self, path: str, *, name: str, signed_in: bool = True) -> Callable[[H], H]:
        return self._add("GET", path, name, signed_in)

    def post(self, path: str, *, name: str, signed_in: bool = True) -> Callable[[H], H]:
        return self._add("POST", path, name, signed_in)

    def add_to(self, app: web.Application) -> None:
        for method, path, name, endpoint in self.entries:
            if method == "GET":  # a page answers HEAD too, as aiohttp's add_get does
                app.router.add_get(path, endpoint, name=name)
            else:
                app.router.add_route(method, path, endpoint, name=name)
