"""Entity tags at the web edge, in one place: ``ETag`` on answers, ``If-Match`` on writes, 304 on reads.

Two kinds of resources carry a version that writes must name:

- a communiqué's version is named by its digest: ``ETag: "sha256:..."``, and a save sends
  ``If-Match: "sha256:..."`` (:func:`if_match_digest`);
- an incident, or an item of one, by its version number: ``ETag: "3"``, and a write sends
  ``If-Match: "3"`` or a ``version`` member in its body (:func:`expected_version`).

Both read the header through :func:`if_match`: one strong entity tag (the quotes may be left out),
never a list, a weak tag or ``*``; anything else is ``if_match_invalid`` (412), whatever the route.
Public bytes anyone may cache (:func:`public_bytes`) carry a strong ETag over their content and
answer 304 to a matching ``If-None-Match``.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from entente.errors import InvalidInputError, PreconditionFailedError

__all__ = [
    "IMMUTABLE",
    "NO_CACHE",
    "REVALIDATE",
    "etag",
    "expected_version",
    "if_match",
    "if_match_digest",
    "is_not_modified",
    "public_bytes",
]

#: Bytes that never change once published (a roster version, a log entry, a released record).
IMMUTABLE = "public, max-age=31536000, immutable"
#: Bytes that may change, cached for a minute (a party's keys, the newest roster, the feed).
REVALIDATE = "public, max-age=60"
#: Bytes that move with every write (the log's checkpoint): always revalidated.
NO_CACHE = "public, no-cache"

_DIGEST_LENGTH = len("sha256:") + 64


def etag(value: str | int) -> dict[str, str]:
    """The ``ETag`` header naming ``value`` (a version digest, a version number, a content hash)."""
    return {"ETag": f'"{value}"'}


def if_match(request: web.Request) -> str | None:
    """The one strong entity tag of ``If-Match``, without its quotes; None when the header is absent."""
    value = request.headers.get("If-Match")
    if value is None:
        return None
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not value or value == "*" or any(c in value for c in '",') or value.startswith("W/") or not value.isprintable():
        raise _invalid()
    return value


def if_match_digest(request: web.Request) -> str | None:
    """The version digest a communiqué save names (``If-Match: "sha256:..."``), or None."""
    value = if_match(request)
    if value is not None and not (value.startswith("sha256:") and len(value) == _DIGEST_LENGTH):
        raise _invalid()
    return value


def expected_version(request: web.Request, body_version: int | None) -> int | None:
    """The version number a write to an incident edits: ``If-Match: "3"`` or the body's ``version``
    (when both are given they must agree)."""
    value = if_match(request)
    if value is None:
        return body_version
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        raise _invalid()
    if body_version is not None and body_version != int(value):
        raise InvalidInputError("If-Match and version name different versions", code="version_mismatch")
    return int(value)


def _invalid() -> PreconditionFailedError:
    return PreconditionFailedError(
        'If-Match names the one version you edit, as its ETag in quotes: If-Match: "sha256:..." for a '
        'communiqué, If-Match: "3" for an incident or its items',
        code="if_match_invalid",
    )


def is_not_modified(request: web.Request, tag: str) -> bool:
    """Whether ``If-None-Match`` lists ``tag`` (quoted), so that 304 answers the read."""
    return tag in {part.strip() for part in request.headers.get("If-None-Match", "").split(",")}


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
    tag = '"' + (etag or hashlib.sha256(body).hexdigest()) + '"'
    headers = {
        "ETag": tag,
        "Cache-Control": cache_control,
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if is_not_modified(request, tag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type=content_type, charset=charset, headers=headers)
