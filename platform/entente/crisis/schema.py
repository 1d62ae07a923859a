"""Parameter schemas of crisis templates, and the validation of the values a drafter fills in.

A pre-signed template is only as safe as its parameters: a party that signed "joint attribution
to <state>" in advance signed the schema too, so what can go into each blank is bounded by type,
length, allowed values and item counts, and checked here before anything is rendered. Values come
out normalised (NFC text, trimmed; instants in UTC), so the same inputs always give the same
bytes. Text is single-line: structure belongs to the template, not to the parameters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from ..clock import InstantError, isoformat, parse_instant
from ..ladder import Confidence
from ..ladder.problems import Problems
from ..ladder.scales import parse_member
from ..ladder.tomlsource import TomlTable, describe

__all__ = ["MAX_ITEMS", "MAX_LENGTH", "Parameter", "ParameterType", "ParamValue", "parse_parameter", "validate_params"]

#: A normalised parameter value: text, a tuple of texts (lists), or None (optional, not given).
ParamValue = str | tuple[str, ...] | None

MAX_LENGTH = 10_000
MAX_ITEMS = 100
MAX_ENUM_VALUES = 50

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: Bidirectional controls can make text display differently from what was signed ("Trojan Source").
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


class ParameterType(StrEnum):
    STRING = "string"  # one line of text: max_length, optional pattern
    ENUM = "enum"  # one of a fixed list of values
    DATE = "date"  # YYYY-MM-DD
    INSTANT = "instant"  # RFC 3339 with an offset; normalised to UTC "...Z"
    PARTY_LIST = "party_list"  # codes of coalition parties (checked against the roster given)
    STRING_LIST = "string_list"  # lines of text: max_items, max_length per item
    CONFIDENCE = "confidence"  # a value of the PHIA yardstick

    @property
    def is_list(self) -> bool:
        return self in (ParameterType.PARTY_LIST, ParameterType.STRING_LIST)


@dataclass(frozen=True)
class Parameter:
    """One blank of a template. Limits not used by a type keep their neutral values."""

    name: str
    type: ParameterType
    label: str
    description: str
    required: bool = True
    default: ParamValue = None
    max_length: int | None = None
    pattern: str | None = None
    values: tuple[str, ...] = ()
    min_items: int = 0
    max_items: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The schema entry as signed: the file's keys, with ``required`` (and ``min_items`` for
        lists) written out even when the file relies on their defaults."""
        out: dict[str, Any] = {"type": str(self.type), "label": self.label, "description": self.description,
                               "required": self.required}
        if self.default is not None:
            out["default"] = list(self.default) if isinstance(self.default, tuple) else self.default
        if self.max_length is not None:
            out["max_length"] = self.max_length
        if self.pattern is not None:
            out["pattern"] = self.pattern
        if self.values:
            out["values"] = list(self.values)
        if self.type.is_list:
            out["min_items"] = self.min_items
            out["max_items"] = self.max_items
        return out

    def normalise(self, raw: object, parties: Mapping[str, str]) -> str | tuple[str, ...]:
        """The value in normal form; ValueError carries the reason for a person."""
        kind = self.type
        if kind.is_list:
            return self._normalise_list(raw, parties)
        if kind is ParameterType.STRING:
            return _text(raw, self.max_length or MAX_LENGTH, self.pattern)
        if not isinstance(raw, str):
            raise ValueError(f"must be a string, not {describe(raw)}")
        if kind is ParameterType.ENUM:
            if raw not in self.values:
                raise ValueError(f"must be one of: {', '.join(self.values)}")
            return raw
        if kind is ParameterType.CONFIDENCE:
            if parse_member(Confidence, raw) is None:
                raise ValueError(f"must be one of: {', '.join(Confidence)}")
            return raw
        if kind is ParameterType.DATE:
            return _date(raw)
        return _instant(raw)

    def _normalise_list(self, raw: object, parties: Mapping[str, str]) -> tuple[str, ...]:
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"must be a list, not {describe(raw)}")
        assert self.max_items is not None
        if not self.min_items <= len(raw) <= self.max_items:
            raise ValueError(f"must have between {self.min_items} and {self.max_items} items, not {len(raw)}")
        items: list[str] = []
        for index, item in enumerate(raw, start=1):
            try:
                if self.type is ParameterType.PARTY_LIST:
                    if not isinstance(item, str) or item not in parties:
                        raise ValueError(f"{describe(item)} is not a party of the coalition")
                    value = item
                else:
                    value = _text(item, self.max_length or MAX_LENGTH, None)
            except ValueError as exc:
                raise ValueError(f"item {index}: {exc}") from None
            if value in items:
                raise ValueError(f"item {index}: {value!r} is listed twice")
            items.append(value)
        return tuple(items)


def _text(raw: object, max_length: int, pattern: str | None) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"must be a string, not {describe(raw)}")
    text = unicodedata.normalize("NFC", raw).strip()
    if not text:
        raise ValueError("must not be empty")
    if any(unicodedata.category(c) == "Cc" or c in _BIDI_CONTROLS for c in text):
        raise ValueError("must be one line without control or bidirectional formatting characters")
    if len(text) > max_length:
        raise ValueError(f"must be at most {max_length} characters, not {len(text)}")
    if pattern is not None and not re.fullmatch(pattern, text):
        raise ValueError(f"does not match the pattern {pattern}")
    return text


def _date(raw: str) -> str:
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise ValueError("must be a date written YYYY-MM-DD") from None


def _instant(raw: str) -> str:
    try:
        return isoformat(parse_instant(raw))
    except InstantError:
        raise ValueError("must be an RFC 3339 instant with an offset, e.g. 2024-03-12T14:00:00Z") from None


def validate_params(
    parameters: Mapping[str, Parameter], params: Mapping[str, object], parties: Mapping[str, str]
) -> dict[str, ParamValue]:
    """Check ``params`` against the schema: unknown names refused, defaults applied, values normalised.

    Raises one InvalidInputError with one message per bad field (``params.<name>``).
    """
    problems = Problems("params")
    if not isinstance(params, Mapping):
        problems.found.append(("params", "must be an object of parameter names to values"))
        problems.raise_if_any()
    for name in params:
        if name not in parameters:
            problems.add(str(name), "unknown parameter")
    values: dict[str, ParamValue] = {}
    for name, parameter in parameters.items():
        raw = params.get(name)
        if raw is None:
            if parameter.default is None and parameter.required:
                problems.add(name, "is required")
            values[name] = parameter.default
            continue
        try:
            values[name] = parameter.normalise(raw, parties)
        except ValueError as exc:
            problems.add(name, str(exc))
    problems.raise_if_any()
    return values


# --- reading a schema entry from a template file ----------------------------------------------

_PARAMETER_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
#: Words Jinja reserves or binds itself; a parameter with such a name could never be read.
_RESERVED = frozenset({"and", "or", "not", "in", "is", "if", "else", "for", "true", "false", "none",
                       "loop", "self", "caller", "varargs", "kwargs", "recursive", "with", "without"})


def parse_parameter(name: str, table: TomlTable) -> Parameter:
    """Build a Parameter from its ``[parameters.<name>]`` table; ConfigError with the line otherwise."""
    if not _PARAMETER_NAME.fullmatch(name) or name in _RESERVED:
        table.fail("a parameter name is lower case letters, digits and '_', and not a template keyword")
    kind = table.choice("type", ParameterType, "parameter type")
    fields: dict[str, Any] = {
        "name": name,
        "type": kind,
        "label": table.string("label", max_length=120),
        "description": table.string("description", max_length=1_000),
        "required": table.optional("required", table.boolean, True),
    }
    if kind in (ParameterType.STRING, ParameterType.STRING_LIST):
        fields["max_length"] = table.integer("max_length", minimum=1, maximum=MAX_LENGTH)
    if kind is ParameterType.STRING:
        fields["pattern"] = table.optional("pattern", _pattern(table), None)
    if kind is ParameterType.ENUM:
        fields["values"] = table.items("values", _enum_value, "a non-empty string of at most 200 characters",
                                       max_items=MAX_ENUM_VALUES)
        if not fields["values"]:
            table.fail("'values' must not be empty", key="values")
    if kind.is_list:
        fields["max_items"] = table.integer("max_items", minimum=1, maximum=MAX_ITEMS)
        fields["min_items"] = table.optional(
            "min_items", lambda k: table.integer(k, minimum=0, maximum=fields["max_items"]), 0)
    parameter = Parameter(**fields)
    if table.has("default"):
        if kind is ParameterType.PARTY_LIST:
            table.fail("a party_list parameter cannot have a default (parties differ per coalition)", key="default")
        raw = table.raw("default")
        try:
            default = parameter.normalise(raw, {})
        except ValueError as exc:
            table.fail(f"default {exc}", key="default")
        if (list(default) if isinstance(default, tuple) else default) != raw:
            # The file is what parties sign: it must say exactly what will be used.
            table.fail(f"write the default in normal form: {default!r}", key="default")
        parameter = Parameter(**fields, default=default)
    table.finish()
    return parameter


def _pattern(table: TomlTable) -> Callable[[str], str]:
    def read(key: str) -> str:
        text = table.string(key, max_length=500)
        try:
            re.compile(text)
        except re.error as exc:
            table.fail(f"'pattern' is not a regular expression: {exc}", key=key)
        return text
    return read


def _enum_value(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() and len(value) <= 200 else None
