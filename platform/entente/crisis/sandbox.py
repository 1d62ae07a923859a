"""Rendering crisis template bodies safely, in bounded time and memory.

A template is data that travels between governments and is signed in advance; its bodies must not
be able to read anything, call anything or run away, whoever wrote them. Two layers:

1. :func:`check_body` reads the template's syntax tree before anything runs, and accepts only a
   small language: text, ``{{ expressions }}``, ``{% if %}`` and ``{% for %}``. Names must be
   declared parameters, loop variables or ``loop``; a loop may only walk a list parameter (so it
   is bounded by that parameter's ``max_items``), loops nest at most two deep; filters and tests
   come from fixed lists; no calls, no assignments, no macros, includes, imports or blocks; the
   only attributes are ``loop.index`` and its siblings. The loader runs it (errors carry the file
   line) and so does :func:`entente.crisis.render`.
2. :func:`render_body` runs in an :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment` with
   ``StrictUndefined``, no globals at all, attribute access refused except on ``loop``, every call
   refused, ``*``, ``+`` and ``**`` checked before they build anything large, ``%`` formatting on
   strings refused, and each section's output capped. This layer holds even for a template built
   in code that never went through the loader.

Output is Markdown. Autoescaping is off (it would HTML-escape the template's own Markdown), and
instead every ``{{ ... }}`` result goes through :func:`escape_markdown` (Jinja's ``finalize``
hook): parameter text can never open emphasis, links, HTML, headings or lists. The rule for
authors is simple: Markdown structure belongs in the template text; whatever comes out of
``{{ }}`` is plain text (a ``join`` separator is text too: loop to build a list).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NoReturn

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, UndefinedError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, LoopContext, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.tests import TESTS

from ..clock import InstantError, parse_instant
from ..ladder import Confidence
from ..ladder.scales import parse_member
from .schema import Parameter

__all__ = ["FILTERS", "SECTION_OUTPUT_LIMIT", "BodyError", "check_body", "escape_markdown", "render_body"]

#: Characters of output per section (64 KiB); also the largest string or list an operator may build.
SECTION_OUTPUT_LIMIT = 64 * 1024
MAX_LOOP_DEPTH = 2
MAX_POWER_BITS = 256
_LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length",
                              "previtem", "nextitem"})
_TESTS = ("defined", "undefined", "none", "string", "number", "integer", "sequence", "boolean", "true",
          "false", "eq", "ne", "lt", "le", "gt", "ge", "in", "odd", "even", "divisibleby", "lower", "upper")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_ALLOWED_NODES = (
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.If, nodes.For, nodes.Name, nodes.Const,
    nodes.List, nodes.Tuple, nodes.Dict, nodes.Pair, nodes.Getattr, nodes.Getitem, nodes.Slice,
    nodes.Filter, nodes.Test, nodes.CondExpr, nodes.Compare, nodes.Operand, nodes.And, nodes.Or,
    nodes.Not, nodes.Neg, nodes.Pos, nodes.Concat, nodes.Add, nodes.Sub, nodes.Mul, nodes.Div,
    nodes.FloorDiv, nodes.Mod, nodes.Pow, nodes.Keyword,
)

_NODE_WORDS = {"Assign": "{% set %}", "AssignBlock": "{% set %}", "Call": "a call", "Macro": "{% macro %}",
               "CallBlock": "{% call %}", "Include": "{% include %}", "Import": "{% import %}",
               "FromImport": "{% from %}", "Extends": "{% extends %}", "Block": "{% block %}",
               "With": "{% with %}", "FilterBlock": "{% filter %}", "ScopedEvalContextModifier": "{% autoescape %}"}


class BodyError(Exception):
    """A body that cannot be rendered. ``unsafe`` marks refusals by the sandbox or its limits
    (as opposed to ordinary mistakes such as a malformed date); ``lineno`` is within the body."""

    def __init__(self, reason: str, *, lineno: int | None = None, unsafe: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.lineno = lineno
        self.unsafe = unsafe


# --- escaping -----------------------------------------------------------------------------------

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))", re.MULTILINE)
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape_markdown(text: str) -> str:
    """Make text inert in Markdown: backslash-escape inline syntax, encode ``& < >`` as entities,
    and defuse what would start a list, heading underline or thematic break at a line start."""
    text = re.sub(r"[&<>]", lambda m: _ENTITIES[m.group()], text)
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    return _LINE_START.sub(_defuse_line_start, text)


def _defuse_line_start(match: re.Match[str]) -> str:
    """"- x" -> "\\- x" and "1. x" -> "1\\. x": a list marker no longer, same text once rendered."""
    indent, marker = match.groups()
    return f"{indent}{marker}\\" if marker[0].isdigit() else f"{indent}\\{marker}"


def _finalize(value: Any) -> str:
    """Applied by Jinja to every ``{{ }}`` result: None prints nothing, numbers print, text is escaped."""
    if isinstance(value, Undefined):
        return str(value)  # StrictUndefined raises here
    if value is None:
        return ""
    if isinstance(value, bool):
        raise SecurityError("a true/false value cannot be printed; use {% if %}")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return escape_markdown(value)
    raise SecurityError(f"a {type(value).__name__} cannot be printed (only text and numbers; "
                        "use join or and_list for lists)")


# --- filters --------------------------------------------------------------------------------------

def _texts(value: Any, what: str) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, (str, int)) for v in value):
        raise TypeError(f"{what} expects a list of texts")
    return [str(v) for v in value]


def _bounded(parts: Iterable[str], extra: int = 0) -> None:
    if sum(len(p) for p in parts) + extra > SECTION_OUTPUT_LIMIT:
        raise SecurityError(f"result longer than {SECTION_OUTPUT_LIMIT} characters")


def _join(value: Any, separator: str = "") -> str:
    items = _texts(value, "join")
    _bounded(items, len(str(separator)) * max(len(items) - 1, 0))
    return str(separator).join(items)


def _and_list(value: Any, conjunction: str = "and") -> str:
    """["A", "B", "C"] -> "A, B and C" (no serial comma, as in EU and UK official texts)."""
    items = _texts(value, "and_list")
    _bounded(items, 2 * len(items) + len(str(conjunction)))
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _text_only(name: str, function: Callable[[str], str]) -> Callable[[Any], str]:
    def apply(value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{name} expects text")
        return function(value)
    return apply


def _default(value: Any, default_value: Any = "", boolean: bool = False) -> Any:
    """Like Jinja's ``default``, but an optional parameter left empty (None) also takes the default."""
    if value is None or isinstance(value, Undefined) or (boolean and not value):
        return default_value
    return value


def _length(value: Any) -> int:
    if not isinstance(value, (str, list, tuple)):
        raise TypeError("length expects text or a list")
    return len(value)


def _parse_day(value: Any) -> date:
    if isinstance(value, str):
        try:
            if len(value) == 10:
                return date.fromisoformat(value)
            return _parse_instant(value).date()
        except ValueError:
            pass
    raise ValueError(f"format_date expects a date or an instant, not {value!r}")


def _parse_instant(value: Any) -> datetime:
    try:
        return parse_instant(value)
    except InstantError:
        pass
    raise ValueError(f"format_instant expects an instant with an offset, not {value!r}")


def _format_date(value: Any) -> str:
    """"2024-03-12" -> "12 March 2024" (fixed English: no locale, so rendering is deterministic)."""
    day = _parse_day(value)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _format_instant(value: Any) -> str:
    """"2024-03-12T14:00:00Z" -> "12 March 2024, 14:00 UTC"."""
    instant = _parse_instant(value)
    return f"{_format_date(instant.date().isoformat())}, {instant:%H:%M} UTC"


def _yardstick(value: Any) -> str:
    """"highly_likely" -> "highly likely", the PHIA wording."""
    member = parse_member(Confidence, value)
    if member is None:
        raise ValueError(f"yardstick expects a confidence value, not {value!r}")
    return member.label


def _party_name_filter(parties: Mapping[str, str]) -> Callable[[Any], str | list[str]]:
    def party_name(value: Any) -> str | list[str]:
        """A party code (or a list of codes) to the party's name(s) in the coalition roster."""
        if isinstance(value, (list, tuple)):
            return [party_name(code) for code in value]  # type: ignore[misc]
        if not isinstance(value, str) or value not in parties:
            raise ValueError(f"unknown party {value!r}")
        return parties[value]
    return party_name


FILTERS: Mapping[str, Callable[..., Any]] = {
    "join": _join,
    "and_list": _and_list,
    "upper": _text_only("upper", str.upper),
    "lower": _text_only("lower", str.lower),
    "default": _default,
    "length": _length,
    "format_date": _format_date,
    "format_instant": _format_instant,
    "yardstick": _yardstick,
    "party_name": _party_name_filter({}),  # replaced per render by the roster's names
}


# --- the environment --------------------------------------------------------------------------


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed further: nothing is reachable but the context."""

    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sequence, count in ((left, right), (right, left)):
                if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
                    _bounded([], len(sequence) * max(count, 0))
        elif operator == "+":
            if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
                _bounded([], len(left) + len(right))
        elif operator == "**":
            _check_power(left, right)
        elif isinstance(left, str):
            raise SecurityError("'%' string formatting is not allowed in crisis templates")
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, LoopContext) and attribute in _LOOP_ATTRIBUTES:
            return getattr(obj, attribute)
        raise SecurityError(f"attribute {attribute!r} of a {type(obj).__name__} is not accessible")

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, str):
            return self.getattr(obj, argument)
        if isinstance(obj, (str, list, tuple)) and (
            isinstance(argument, slice) or (isinstance(argument, int) and not isinstance(argument, bool))
        ):
            try:
                return obj[argument]
            except (IndexError, TypeError, ValueError):
                return self.undefined(obj=obj, name=str(argument))
        raise SecurityError(f"item {argument!r} of a {type(obj).__name__} is not accessible")

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> NoReturn:  # noqa: N805
        raise SecurityError("calls are not allowed in crisis templates")


def _check_power(base: Any, exponent: Any) -> None:
    numbers = (int, float)
    if not isinstance(base, numbers) or not isinstance(exponent, numbers):
        return  # Python raises its own TypeError
    if abs(exponent) > 64 or (
        abs(base) > 1 and exponent > 0 and math.log2(abs(base)) * exponent > MAX_POWER_BITS
    ):
        raise SecurityError(f"power too large (exponents up to 64, results up to {MAX_POWER_BITS} bits)")


def _environment(parties: Mapping[str, str]) -> _Sandbox:
    env = _Sandbox(
        undefined=StrictUndefined,
        autoescape=False,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        cache_size=0,
        auto_reload=False,
    )
    env.globals.clear()  # no range, lipsum, dict, cycler, joiner, namespace
    env.filters = {**FILTERS, "party_name": _party_name_filter(parties)}
    env.tests = {name: TESTS[name] for name in _TESTS}
    return env


# --- the static check ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    names: frozenset[str]
    loops: int


def check_body(source: str, parameters: Mapping[str, Parameter]) -> None:
    """Refuse a body that uses anything beyond the small language above; BodyError has the line."""
    try:
        tree = _environment({}).parse(source)
    except TemplateSyntaxError as exc:
        raise BodyError(f"template syntax: {exc.message}", lineno=exc.lineno, unsafe=False) from None
    lists = frozenset(name for name, p in parameters.items() if p.type.is_list)
    _check_node(tree, _Scope(frozenset(parameters), 0), lists)


def _check_node(node: nodes.Node, scope: _Scope, lists: frozenset[str]) -> None:
    def refuse(reason: str) -> NoReturn:
        raise BodyError(reason, lineno=node.lineno)

    if not isinstance(node, _ALLOWED_NODES):
        what = _NODE_WORDS.get(type(node).__name__, f"'{type(node).__name__}'")
        refuse(f"{what} is not allowed in crisis templates (only text, {{{{ }}}}, if and for)")
    if isinstance(node, nodes.For):
        _check_loop(node, scope, lists, refuse)
        return
    if isinstance(node, nodes.Name) and node.name not in scope.names:
        refuse(f"unknown name '{node.name}' (not a parameter of this template)")
    if isinstance(node, nodes.Getattr) and not (
        isinstance(node.node, nodes.Name) and node.node.name == "loop" and node.attr in _LOOP_ATTRIBUTES
    ):
        refuse(f"attribute '{node.attr}' is not allowed (only loop.{', loop.'.join(sorted(_LOOP_ATTRIBUTES))})")
    if isinstance(node, nodes.Filter) and node.name not in FILTERS:
        refuse(f"unknown filter '{node.name}' (allowed: {', '.join(sorted(FILTERS))})")
    if isinstance(node, nodes.Test) and node.name not in _TESTS:
        refuse(f"unknown test '{node.name}'")
    for child in node.iter_child_nodes():
        _check_node(child, scope, lists)


def _check_loop(node: nodes.For, scope: _Scope, lists: frozenset[str], refuse: Callable[[str], NoReturn]) -> None:
    if node.recursive:
        refuse("recursive loops are not allowed")
    if scope.loops >= MAX_LOOP_DEPTH:
        refuse(f"loops nest at most {MAX_LOOP_DEPTH} deep")
    if not isinstance(node.target, nodes.Name):
        refuse("a loop takes one variable")
    if node.target.name in scope.names or node.target.name == "loop":
        refuse(f"loop variable '{node.target.name}' hides a name already in use")
    if not (isinstance(node.iter, nodes.Name) and node.iter.name in lists and node.iter.name in scope.names):
        refuse("a loop may only walk a list parameter of the template")
    inner = _Scope(scope.names | {node.target.name, "loop"}, scope.loops + 1)
    if node.test is not None:
        _check_node(node.test, _Scope(scope.names | {node.target.name}, scope.loops), lists)
    for child in node.body:
        _check_node(child, inner, lists)
    for child in node.else_:
        _check_node(child, scope, lists)


# --- rendering ----------------------------------------------------------------------------------


def render_body(source: str, context: Mapping[str, Any], *, parties: Mapping[str, str],
                limit: int = SECTION_OUTPUT_LIMIT) -> str:
    """Render one body in the sandbox, stopping as soon as the output passes ``limit`` characters."""
    env = _environment(parties)
    try:
        template = env.from_string(source)
        out: list[str] = []
        size = 0
        for chunk in template.generate(dict(context)):
            size += len(chunk)
            if size > limit:
                raise BodyError(f"output longer than {limit} characters")
            out.append(chunk)
    except BodyError:
        raise
    except SecurityError as exc:
        raise BodyError(f"refused by the sandbox: {exc}") from None
    except TemplateSyntaxError as exc:
        raise BodyError(f"template syntax: {exc.message}", lineno=exc.lineno, unsafe=False) from None
    except UndefinedError as exc:
        raise BodyError(f"undefined: {exc.message}", unsafe=False) from None
    except (TemplateError, TypeError, ValueError, ArithmeticError, LookupError, RecursionError) as exc:
        raise BodyError(f"{type(exc).__name__}: {exc}", unsafe=False) from None
    return "".join(out)
