"""API routes declared once, with what the OpenAPI 3.1 document needs to describe them.

Each JSON endpoint is added through ``ApiRoutes.route`` with its summary and data models; the
document at ``/api/v1/openapi.json`` is built from those declarations, so a route cannot be served
without being described (a test walks the router to hold that true).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pydantic
from aiohttp import web

from entente import __version__
from entente.web.context import H, context_handler

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    name: str
    summary: str
    handler: Handler
    tag: str
    request: type[pydantic.BaseModel] | None = None
    response: type[pydantic.BaseModel] | None = None
    response_list: bool = False
    status: int = 200
    authenticated: bool = True
    content_type: str | tuple[str, ...] = "application/json"
    errors: tuple[int, ...] = ()
    query: tuple[tuple[str, str], ...] = ()  # optional query parameters: (name, description)

    @property
    def content_types(self) -> tuple[str, ...]:
        return (self.content_type,) if isinstance(self.content_type, str) else self.content_type


@dataclass
class ApiRoutes:
    """The operations of one module of the API; ``tag`` groups them in the document unless one says otherwise."""

    tag: str = "meta"
    operations: list[Operation] = field(default_factory=list)

    def route(
        self,
        method: str,
        path: str,
        *,
        name: str,
        summary: str | None = None,
        tag: str | None = None,
        request: type[pydantic.BaseModel] | None = None,
        response: type[pydantic.BaseModel] | None = None,
        response_list: bool = False,
        status: int = 200,
        authenticated: bool = True,
        content_type: str | tuple[str, ...] = "application/json",
        errors: tuple[int, ...] = (),
        read_body: bool = True,
        query: tuple[tuple[str, str], ...] = (),
    ) -> Callable[[H], H]:
        """Declare an operation; its handler receives a :class:`~entente.web.context.Context`.

        The document's summary of the operation is the handler's docstring (its words on one line)
        unless ``summary`` is given.

        A signed-in caller is required unless ``authenticated=False``; the JSON body is read into
        ``request`` (as ``ctx.body``) before the handler runs unless ``read_body=False`` (for a
        handler that checks its path or headers first, then reads it with ``await ctx.load_body()``).
        """

        def register(handler: H) -> H:
            endpoint = context_handler(handler, signed_in=authenticated, model=request, read_body=read_body)
            self.operations.append(
                Operation(
                    method.upper(),
                    path,
                    name,
                    summary or _summary(handler),
                    endpoint,
                    tag or self.tag,
                    request,
                    response,
                    response_list,
                    status,
                    authenticated,
                    content_type,
                    errors,
                    query,
                )
            )
            return handler

        return register

    def get(self, path: str, **declared: Any) -> Callable[[H], H]:
        """:meth:`route` for a GET."""
        return self.route("GET", path, **declared)

    def post(self, path: str, **declared: Any) -> Callable[[H], H]:
        """:meth:`route` for a POST."""
        return self.route("POST", path, **declared)

    def create(self, path: str, **declared: Any) -> Callable[[H], H]:
        """:meth:`route` for a POST that makes something, answered 201 Created with it."""
        return self.route("POST", path, status=201, **declared)

    def put(self, path: str, **declared: Any) -> Callable[[H], H]:
        """:meth:`route` for a PUT."""
        return self.route("PUT", path, **declared)

    def patch(self, path: str, **declared: Any) -> Callable[[H], H]:
        """:meth:`route` for a PATCH."""
        return self.route("PATCH", path, **declared)

    def delete(self, path: str, **declared: Any) -> Callable[[H], H]:
        """:meth:`route` for a DELETE."""
        return self.route("DELETE", path, **declared)

    def family(self, method: str, **shared: Any) -> Callable[..., Callable[[H], H]]:
        """:meth:`route` for a family of operations of one method that share declarations (the answer's
        model, its status, the refusals), stated once; each operation states what is its own."""
        return functools.partial(self.route, method, **shared)

    def extend(self, other: ApiRoutes) -> None:
        self.operations.extend(other.operations)

    def add_to(self, app: web.Application) -> None:
        for op in self.operations:
            app.router.add_route(op.method, op.path, op.handler, name=op.name)


def _summary(handler: Callable[..., Any]) -> str:
    """A handler's docstring as an operation's summary: its words on one line."""
    summary = " ".join((handler.__doc__ or "").split())
    if not summary:
        raise ValueError(f"{handler.__qualname__}: an operation needs a summary or a docstring")
    return summary


def document(operations: list[Operation], *, server_url: str) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for op in operations:
        item = paths.setdefault(_templated(op.path), {})
        parameters = [_path_parameter(part[1:-1]) for part in op.path.split("/") if part.startswith("{")]
        has_path_parameters = bool(parameters)
        parameters += [
            {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
            for name, text in op.query
        ]
        entry: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "tags": [op.tag],
            "responses": {str(op.status): _response(op, schemas)},
        }
        for status in sorted(_problem_statuses(op, has_path_parameters)):
            entry["responses"][str(status)] = {"$ref": "#/components/responses/Problem"}
        if parameters:
            entry["parameters"] = parameters
        if op.request is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": _schema(op.request, schemas)}},
            }
        entry["security"] = [{"bearer": []}, {"session": []}] if op.authenticated else []
        item[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Entente API",
            "version": __version__,
            "description": "Co-draft, sign off, embargo and publish verifiable joint statements.",
        },
        "servers": [{"url": server_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted((schemas | {"Problem": PROBLEM_SCHEMA}).items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "An API token (`entente token create`)."},
                "session": {"type": "apiKey", "in": "cookie", "name": "entente_session"},
            },
            "responses": {
                "Problem": {
                    "description": "RFC 9457 problem details",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                }
            },
        },
    }


def _templated(path: str) -> str:
    """The OpenAPI path template of an aiohttp path: ``{party:[A-Z]+}`` becomes ``{party}``."""
    return re.sub(r"\{([^}:]+):[^/]*\}", r"{\1}", path)


def _path_parameter(spec: str) -> dict[str, Any]:
    name, _, pattern = spec.partition(":")
    schema: dict[str, Any] = {"type": "string"}
    if pattern:
        schema["pattern"] = f"^{pattern}$"
    return {"name": name, "in": "path", "required": True, "schema": schema}


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _problem_statuses(op: Operation, has_path_parameters: bool) -> set[int]:
    """Every problem status the operation can answer: its own ``errors`` and what the pipeline adds.

    The middleware and readers answer the same way for every route: 401/403 for a missing or
    unfit credential (and a CSRF token on cookie writes), 404 for a path id (or an id in a body) that names nothing,
    400/413/415/422 for a body, 409 when a write meets a concurrent one, 429 past a limit, and 503
    (with ``Retry-After``) when the database is busy.
    """
    statuses = set(op.errors) | {503}
    if op.authenticated:
        statuses |= {401, 403}
    if has_path_parameters:
        statuses.add(404)
    if op.method in WRITE_METHODS:  # a body may name an object that is not there (404)
        statuses |= {400, 404, 409, 413, 415, 422}
    if op.request is not None:
        statuses |= {400, 413, 415, 422}
    return statuses


def _response(op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    if op.response is None:
        if op.status == 204:
            return {"description": "No content"}
        return {"description": op.summary, "content": {media: {} for media in op.content_types}}
    schema = _schema(op.response, schemas)
    if op.response_list:
        schema = {"type": "array", "items": schema}
    return {"description": op.summary, "content": {media: {"schema": schema} for media in op.content_types}}


def _schema(model: type[pydantic.BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    full = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
    for name, definition in full.pop("$defs", {}).items():
        schemas[name] = definition
    schemas[model.__name__] = full
    return {"$ref": f"#/components/schemas/{model.__name__}"}


PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "Stable machine-readable error code."},
        "instance": {"type": "string"},
        "field": {"type": "string", "description": "JSON Pointer of the offending input, when one is at fault."},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
}
