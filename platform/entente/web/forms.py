"""Reading HTML form posts into plain values, with the same limits and errors as the API."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from entente.appkeys import settings_key
from entente.errors import InvalidInputError, PayloadTooLargeError, UnsupportedMediaTypeError

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_form(
    request: web.Request, allowed: set[str], *, files: Mapping[str, int] | None = None
) -> dict[str, str]:
    """Text fields of the posted form; unknown fields, files and over-long values are refused.

    A file field named in ``files`` (with its limit in bytes) is read as UTF-8 text instead: ``""``
    when no file was chosen."""
    if request.content_type not in FORM_TYPES:
        raise UnsupportedMediaTypeError("this page expects a form post")
    limit = request.app[settings_key].limits.max_string_length
    values: dict[str, str] = {}
    for name, value in (await request.post()).items():
        if name not in allowed:
            raise InvalidInputError(f"unexpected form field {name!r}", field=name)
        if files and name in files:
            value = _file_text(name, value, files[name])
        elif not isinstance(value, str):
            raise InvalidInputError("files are not accepted here", field=name)
        if len(value) > limit:
            raise InvalidInputError(f"over the limit of {limit} characters", code="string_too_long", field=name)
        if "\x00" in value:
            raise InvalidInputError("text may not contain NUL (U+0000)", code="nul_character", field=f"/{name}")
        values[name] = value
    return values


def _file_text(name: str, value: str | bytes | bytearray | web.FileField, limit: int) -> str:
    """A posted file as text (a file input left empty arrives as empty bytes; a urlencoded post sends text)."""
    if isinstance(value, web.FileField):
        data = value.file.read(limit + 1)
    else:
        data = value.encode() if isinstance(value, str) else bytes(value)
    if len(data) > limit:
        raise PayloadTooLargeError(f"the file is over the limit of {limit} bytes", field=name)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError("the file is not UTF-8 text", field=name) from None


def text(form: dict[str, str], name: str, *, max_length: int, required: bool = True) -> str:
    value = form.get(name, "").strip()
    if required and not value:
        raise InvalidInputError("this field is required", field=name)
    if len(value) > max_length:
        raise InvalidInputError(f"at most {max_length} characters", field=name)
    return value


def integer(
    form: dict[str, str],
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    default: int | None = None,
) -> int:
    raw = form.get(name, "").strip()
    if not raw and default is not None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12:
        raise InvalidInputError("a whole number is expected", field=name)
    value = int(raw)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise InvalidInputError(f"must be between {minimum} and {maximum}", field=name)
    return value
