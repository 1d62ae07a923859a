"""The strict JSON reader: what Entente accepts as a JSON value before it signs or stores it.

Values are restricted to what RFC 8785 (JCS) maps to one byte string without surprises:

- no floats at all (``1.0`` and ``1e3`` included): number formatting is where implementations
  drift, and our documents never need fractions;
- integers within +/-(2^53 - 1), the range every JSON implementation reads exactly;
- no duplicate keys (two readers may keep different members), no lone surrogates (not encodable
  as UTF-8), no nesting deeper than a limit;
- text normalised to NFC, so the same words typed on two keyboards give the same bytes.

Refusals raise :class:`~entente.errors.CanonicalFormError` with ``field`` set to the RFC 6901 JSON
Pointer of the offending place, so an editor can point at it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from entente.errors import CanonicalFormError

__all__ = ["DEFAULT_MAX_DEPTH", "MAX_SAFE_INTEGER", "normalize", "parse_strict"]

MAX_SAFE_INTEGER = 2**53 - 1
DEFAULT_MAX_DEPTH = 64

_MAX_SAFE_DIGITS = len(str(MAX_SAFE_INTEGER))
_SURROGATE = re.compile("[\ud800-\udfff]")


# --- the strict reader ------------------------------------------------------------------------


class _Unacceptable:
    """Placed in the parsed tree by a ``json.loads`` hook instead of a value we refuse.

    The hooks cannot know where they are in the document; the tree walk that follows does, so it
    turns the marker into an error with the right JSON Pointer. ``token`` names the member inside
    the marked object that is at fault (the second of two duplicate keys).
    """

    __slots__ = ("reason", "token")

    def __init__(self, reason: str, token: str | None = None) -> None:
        self.reason = reason
        self.token = token


class _Refusal(Exception):
    """Internal: raised deep in the walk; each enclosing container adds its path token on the way
    out, so the success path pays nothing for pointer bookkeeping."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tokens: list[str | int] = []

    def to_error(self) -> CanonicalFormError:
        return CanonicalFormError(self.reason, field=_pointer(reversed(self.tokens)))


def _pointer(tokens: Iterable[str | int]) -> str:
    """RFC 6901 pointer; lone surrogates are shown escaped so the pointer itself stays encodable."""
    parts = []
    for token in tokens:
        text = str(token).replace("~", "~0").replace("/", "~1")
        parts.append("/" + text.encode("utf-8", "backslashreplace").decode("utf-8"))
    return "".join(parts)


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> Any:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _Unacceptable(f"duplicate key {key!r}", token=key)
        seen.add(key)
    raise AssertionError("unreachable: a shorter dict implies a repeated key")  # pragma: no cover


def _parse_int(text: str) -> Any:
    # Length first: int() of a huge literal is slow (and capped by Python's digit limit).
    digits = text[1:] if text.startswith("-") else text
    if len(digits) <= _MAX_SAFE_DIGITS:
        number = int(text)
        if -MAX_SAFE_INTEGER <= number <= MAX_SAFE_INTEGER:
            return number
    return _Unacceptable(f"integer {text[:24]} is outside +/-(2^53-1)")


def _parse_float(text: str) -> _Unacceptable:
    return _Unacceptable(f"number {text[:24]} is not an integer (floats are not accepted)")


def _parse_constant(text: str) -> _Unacceptable:
    return _Unacceptable(f"{text} is not JSON (floats are not accepted)")


def _check_text(text: str) -> str:
    """A string's value checks: no lone surrogates; returned NFC-normalised."""
    if text.isascii():
        return text
    if _SURROGATE.search(text):
        raise _Refusal("text contains a lone surrogate (not encodable as UTF-8)")
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def _check_key(key: Any) -> str:
    if not isinstance(key, str):
        raise _Refusal(f"object key {key!r} is not a string")
    return _check_text(str.__str__(key))


def _check_object(obj: dict[Any, Any], depth: int, max_depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in obj.items():
        try:
            # ASCII keys and values (most of them) inline: no call, nothing to check or normalise.
            name = key if type(key) is str and key.isascii() else _check_key(key)
            if name in out:
                raise _Refusal(f"duplicate key {name!r} after NFC normalisation")
            out[name] = item if type(item) is str and item.isascii() else _check(item, depth, max_depth)
        except _Refusal as refusal:
            refusal.tokens.append(key if isinstance(key, str) else repr(key))
            raise
    return out


def _check_array(items: list[Any] | tuple[Any, ...], depth: int, max_depth: int) -> list[Any]:
    out = []
    for index, item in enumerate(items):
        try:
            out.append(item if type(item) is str and item.isascii() else _check(item, depth, max_depth))
        except _Refusal as refusal:
            refusal.tokens.append(index)
            raise
    return out


def _check(value: Any, depth: int, max_depth: int) -> Any:
    """Validate and normalise one value; ``depth`` counts the containers around it."""
    kind = type(value)
    if kind is str:
        return _check_text(value)
    if value is None or kind is bool:
        return value
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        raise _Refusal(f"integer {value} is outside +/-(2^53-1)")
    if kind is dict or kind is list or kind is tuple:
        if depth >= max_depth:
            raise _Refusal(f"nesting is deeper than {max_depth} levels")
        if kind is dict:
            return _check_object(value, depth + 1, max_depth)
        return _check_array(value, depth + 1, max_depth)
    return _check_other(value, depth, max_depth)


def _check_other(value: Any, depth: int, max_depth: int) -> Any:
    """The rare cases: parse markers, floats, and subclasses of the JSON types (StrEnum, ...)."""
    if isinstance(value, _Unacceptable):
        refusal = _Refusal(value.reason)
        if value.token is not None:
            refusal.tokens.append(value.token)
        raise refusal
    if isinstance(value, float):
        raise _Refusal(f"number {value!r} is not an integer (floats are not accepted)")
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return _check(int(value), depth, max_depth)
    if isinstance(value, str):
        return _check_text(str.__str__(value))
    if isinstance(value, dict):
        return _check(dict(value), depth, max_depth)
    if isinstance(value, list):
        return _check(list(value), depth, max_depth)
    raise _Refusal(f"a {type(value).__name__} is not a JSON value")


def _validated(value: Any, max_depth: int) -> Any:
    try:
        return _check(value, 0, max_depth)
    except _Refusal as refusal:
        raise refusal.to_error() from None


def _decode_utf8(data: bytes | bytearray | memoryview) -> str:
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CanonicalFormError(f"invalid UTF-8 at byte {exc.start}", field="", extra={"offset": exc.start}) from None


def parse_strict(data: bytes | str, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Read JSON text, refusing everything that would not canonicalise to one byte string.

    Bytes must be UTF-8 (no BOM). Returned text (keys and values) is NFC-normalised; two keys that
    become equal under NFC count as duplicates.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        text = _decode_utf8(data)
    elif isinstance(data, str):
        text = data
    else:
        raise CanonicalFormError(f"expected JSON text, got {type(data).__name__}", field="")
    try:
        raw = json.loads(
            text,
            object_pairs_hook=_object_from_pairs,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
        )
    except json.JSONDecodeError as exc:
        raise CanonicalFormError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            field="",
            extra={"offset": exc.pos},
        ) from None
    except RecursionError:
        # The C scanner gives up long before our limit would matter for real documents.
        raise CanonicalFormError(f"nesting is deeper than {max_depth} levels", field="") from None
    return _validated(raw, max_depth)


def normalize(value: Any, *, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Check a value built in code as the strict reader would, and return it NFC-normalised.

    Tuples become lists and str/int subclasses (``StrEnum`` members) become plain values.
    """
    return _validated(value, max_depth)
