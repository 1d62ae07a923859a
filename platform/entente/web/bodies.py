"""Reading request bodies within the configured limits, and writing JSON answers.

JSON bodies pass the strict reader first (duplicate keys, floats, big integers, lone surrogates,
depth, NFC) and then the endpoint's data model in pydantic's strict JSON mode (unknown fields and
wrong types refused), so every input error is a 4xx with a field and a reason.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

import pydantic
from aiohttp import web

from entente import canonical
from entente.appkeys import settings_key
from entente.errors import (
    EntenteError,
    InvalidInputError,
    MalformedInputError,
    PayloadTooLargeError,
    UnsupportedMediaTypeError,
)

M = TypeVar("M", bound=pydantic.BaseModel)
JSON_TYPES = {"application/json"}


async def read_body(request: web.Request) -> bytes:
    limit = request.app[settings_key].limits.max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(f"the body is {request.content_length} bytes; the limit is {limit}")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLargeError(f"the body is over the limit of {limit} bytes") from None


async def read_json_value(request: web.Request) -> Any:
    """The body as a strictly parsed JSON value (NFC text), after content type and size checks."""
    if request.content_type not in JSON_TYPES:
        raise UnsupportedMediaTypeError(f"send Content-Type: application/json (got {request.content_type or 'none'})")
    body = await read_body(request)
    if not body:
        raise MalformedInputError("the body is empty; a JSON object was expected")
    limits = request.app[settings_key].limits
    value = canonical.parse_strict(body, max_depth=limits.max_json_depth)
    check_string_lengths(value, limits.max_string_length)
    return value


async def read_json(request: web.Request, model: type[M]) -> M:
    value = await read_json_value(request)
    return validate(model, value)


def validate(model: type[M], value: Any) -> M:
    if not isinstance(value, dict):
        raise InvalidInputError("a JSON object was expected", code="invalid_input")
    try:
        return model.model_validate_json(json.dumps(value, ensure_ascii=False))
    except pydantic.ValidationError as exc:
        raise validation_error(exc) from None


def validation_error(exc: pydantic.ValidationError) -> InvalidInputError:
    problems = [
        {"field": "/" + "/".join(str(p) for p in error["loc"]), "reason": _reason(error)}
        for error in exc.errors(include_url=False, include_input=False)
    ]
    first = problems[0]
    error = InvalidInputError(f"{first['field']}: {first['reason']}", field=first["field"], extra={"errors": problems})
    cause = (exc.errors(include_url=False)[0].get("ctx") or {}).get("error")
    if isinstance(cause, EntenteError):  # a validator refused it with a declared error: keep its code
        error.code = cause.code
    return error


def _reason(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return str(error["msg"])


def check_string_lengths(value: Any, limit: int, pointer: str = "") -> None:
    """Refuse any string (key or value) longer than ``limit`` characters or holding a NUL, naming where.

    NUL (U+0000) is valid JSON but no database text column (nor PostgreSQL ``jsonb``) holds it, and
    no text of ours needs it: refused here, once, for every JSON body.
    """
    if isinstance(value, str):
        check_text(value, limit, pointer or "/")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{pointer}/{_escape(key)}"
            check_text(key, limit, where, what="key")
            check_string_lengths(item, limit, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_string_lengths(item, limit, f"{pointer}/{index}")


def check_text(value: str, limit: int, pointer: str, *, what: str = "text") -> None:
    """One string of the input: at most ``limit`` characters and no NUL; ``pointer`` says where."""
    if len(value) > limit:
        raise InvalidInputError(
            f"{what} of {len(value)} characters is over the limit of {limit}", code="string_too_long", field=pointer
        )
    if "\x00" in value:
        raise InvalidInputError(f"{what} may not contain NUL (U+0000)", code="nul_character", field=pointer)


def _escape(key: str) -> str:
    """An RFC 6901 reference token; a NUL is shown escaped so the pointer itself is storable text."""
    return key.replace("~", "~0").replace("/", "~1").replace("\x00", "\\u0000")


def from_fields(model: type[M], source: object, **given: Any) -> M:
    """An answer's ``model`` with each field read from ``source``'s attribute of the same name, or
    taken from ``given`` (for the fields the answer names or shapes otherwise)."""
    return model.model_validate(
        {name: given[name] if name in given else getattr(source, name) for name in model.model_fields}
    )


def fields_of(body: pydantic.BaseModel) -> dict[str, Any]:
    """A parsed body's fields by name, as read (a nested model stays a model): the keywords of a domain
    step whose parameters are the body's fields, as :func:`from_fields` is the way back."""
    return dict(body)


def dump(value: Any) -> Any:
    """Plain JSON-ready data from a data model or a list of them."""
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [dump(item) for item in value]
    return value


def json_bytes(value: Any) -> bytes:
    """The UTF-8 JSON body :func:`json_response` sends for ``value``."""
    return json.dumps(dump(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(value: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    body = json_bytes(value)
    return web.Response(body=body, status=status, content_type="application/json", headers=headers)
