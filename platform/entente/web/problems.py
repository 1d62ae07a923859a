"""RFC 9457 problem details: the one shape of every error under ``/api/``.

The status of each error family is decided here and nowhere else; domain errors carry only a
stable ``code``.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aiohttp import web

from entente import errors

PROBLEM_TYPE = "application/problem+json"
TYPE_BASE = "urn:entente:problem:"

STATUS_BY_ERROR: list[tuple[type[errors.EntenteError], int]] = [
    (errors.MalformedInputError, 400),
    (errors.InvalidInputError, 422),
    (errors.PayloadTooLargeError, 413),
    (errors.UnsupportedMediaTypeError, 415),
    (errors.AuthenticationError, 401),
    (errors.PermissionDeniedError, 403),
    (errors.NotFoundError, 404),
    (errors.ConflictError, 409),
    (errors.PreconditionFailedError, 412),
    (errors.PreconditionRequiredError, 428),
    (errors.RateLimitedError, 429),
    (errors.UnavailableError, 503),
    (errors.ConfigError, 500),
]

# Codes for errors aiohttp raises itself (unknown route, wrong method, body over the limit, ...).
CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def status_for(error: errors.EntenteError) -> int:
    for cls, status in STATUS_BY_ERROR:
        if isinstance(error, cls):
            return status
    return 500


def problem(
    status: int, code: str, detail: str, *, instance: str | None = None, title: str | None = None, **members: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in members.items() if v is not None})
    return body


def problem_for(error: errors.EntenteError, *, instance: str | None = None) -> tuple[int, dict[str, Any]]:
    status = status_for(error)
    members: dict[str, Any] = dict(error.extra)
    if error.field:
        members["field"] = error.field
    return status, problem(status, error.code, error.detail, instance=instance, title=error.title, **members)


def problem_response(status: int, body: dict[str, Any], *, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        content_type=PROBLEM_TYPE,
        headers=headers,
    )
