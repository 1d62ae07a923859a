"""Declared vocabularies: every error code (``entente.errors.Code``) and every audit event tag
(``entente.audit.Event``) is declared once, documented in docs/reference/, and nothing under
platform/ raises a code or records an event that is not declared (in the manner of Datasette's
documentation tests).

Raise sites keep their string literals (a ``StrEnum`` member equals its string); this test reads
the source with ``ast`` to find them: every ``code=`` given to an error, every class-level ``code``
of an error class, every ``event=`` given to ``audit.record`` (the third argument of
``audit.record_by``), and the f-strings, whose placeholders are followed back to the literals their
callers pass.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from entente import audit, errors, models
from entente.errors import Code
from entente.parties.roster_object import RosterFailure
from entente.sanctions.operations import REVIEW_ACTIONS
from entente.web import problems

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "platform" / "entente"
ERRORS_DOC = REPO / "docs" / "reference" / "errors.md"
EVENTS_DOC = REPO / "docs" / "reference" / "audit-events.md"

STATUS_BY_NAME = {cls.__name__: status for cls, status in problems.STATUS_BY_ERROR}

# Codes built from a value at run time: the f-string as written -> every code it can produce.
# A new f-string fails the test until its expansions are listed here (and declared).
CODE_EXPANSIONS = {
    "communique_{state}": {"communique_released", "communique_withdrawn"},
    "release_{release.state}": {"release_scheduled", "release_released", "release_held", "release_cancelled"},
    "roster_{reason.value}": {f"roster_{reason.value}" for reason in RosterFailure},
}

# Parameters whose values come from a request and are checked against a constant before use.
PARAMETER_VALUES = {("review_designation", "action"): set(REVIEW_ACTIONS)}


@dataclass
class Function:
    node: ast.FunctionDef | ast.AsyncFunctionDef
    cls: str | None
    path: Path

    @property
    def params(self) -> dict[str, ast.arg]:
        a = self.node.args
        return {arg.arg: arg for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]}


@dataclass
class Source:
    """What the walk over platform/ found: calls with their enclosing function, and error classes."""

    calls: list[tuple[ast.Call, Function | None, Path]] = field(default_factory=list)
    bases: dict[str, list[str]] = field(default_factory=dict)
    class_codes: list[tuple[str, str, Path]] = field(default_factory=list)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


@cache
def source() -> Source:
    found = Source()

    def visit(node: ast.AST, function: Function | None, cls: str | None, path: Path) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                found.bases[child.name] = [n for n in map(_name, child.bases) if n]
                for statement in child.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "code" for t in statement.targets)
                        and isinstance(statement.value, ast.Constant)
                    ):
                        found.class_codes.append((child.name, statement.value.value, path))
                visit(child, function, child.name, path)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, Function(child, cls, path), cls, path)
            else:
                if isinstance(child, ast.Call):
                    found.calls.append((child, function, path))
                visit(child, function, cls, path)

    for path in sorted(SOURCE.rglob("*.py")):
        if "migrations" not in path.parts:
            visit(ast.parse(path.read_text("utf-8"), str(path)), None, None, path)
    return found


def status_of(cls: str) -> int | None:
    """The HTTP status ``problems.status_for`` gives an error class, by walking its bases: the first
    family of ``STATUS_BY_ERROR`` it belongs to, else 500; None for a class that is no error."""
    seen, todo, error = set(), [cls], False
    while todo:
        name = todo.pop(0)
        if name in STATUS_BY_NAME:
            return STATUS_BY_NAME[name]
        error = error or name == "EntenteError"
        if name not in seen:
            seen.add(name)
            todo.extend(source().bases.get(name, []))
    return 500 if error else None


def is_error_class(cls: str) -> bool:
    return status_of(cls) is not None


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"


class Unresolved(Exception):
    pass


def local_values(name: str, function: Function | None) -> set[str]:
    """Literal values assigned to a local ``name`` (``action = "accept"``, ``x = "a" if c else "b"``,
    ``state, action = State.X, "accept"``)."""
    if function is None:
        raise Unresolved(name)
    values: set[str] = set()
    for node in ast.walk(function.node):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                values |= literal_values(node.value, function)
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for element, value in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(element, ast.Name) and element.id == name:
                        values |= literal_values(value, function)
    if not values:
        raise Unresolved(name)
    return values


def literal_values(node: ast.expr, function: Function | None) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return literal_values(node.body, function) | literal_values(node.orelse, function)
    if isinstance(node, ast.Name):
        if function is not None and node.id in function.params:
            return parameter_values(function, node.id)
        return local_values(node.id, function)
    if isinstance(node, ast.Attribute) and node.attr == "value" and isinstance(node.value, ast.Name):
        # ``status.value`` of a parameter annotated with an enum of entente.models
        if function is not None and node.value.id in function.params:
            annotation = function.params[node.value.id].annotation
            enum = getattr(models, _name(annotation) or "", None) if annotation is not None else None
            if enum is not None:
                return {member.value for member in enum}
    if isinstance(node, ast.JoinedStr):
        parts: list[set[str]] = [{""}]
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append({value.value})
            else:
                parts.append(literal_values(value.value, function))  # type: ignore[union-attr]
        out = {""}
        for options in parts:
            out = {a + b for a in out for b in options}
        return out
    raise Unresolved(ast.unparse(node))


def parameter_values(function: Function, name: str) -> set[str]:
    """Every literal the callers of ``function`` pass as its parameter ``name``."""
    if (function.node.name, name) in PARAMETER_VALUES:
        return PARAMETER_VALUES[(function.node.name, name)]
    values: set[str] = set()
    positional = [arg.arg for arg in [*function.node.args.posonlyargs, *function.node.args.args]]
    if function.cls is not None and positional[:1] in (["self"], ["cls"]):
        positional = positional[1:]
    index = positional.index(name) if name in positional else None
    private = function.node.name.startswith("_")  # called from its own module only
    for call, caller, path in source().calls:
        if _name(call.func) != function.node.name or (private and path != function.path):
            continue
        if index is not None and index < len(call.args):
            values |= literal_values(call.args[index], caller)
        for keyword in call.keywords:
            if keyword.arg == name:
                values |= literal_values(keyword.value, caller)
    if not values:
        raise Unresolved(f"{function.node.name}({name}=...)")
    return values


@cache
def raised_codes() -> dict[str, set[int | None]]:
    """Every error code the source can raise, with the statuses it can answer with."""
    found: dict[str, set[int | None]] = defaultdict(set)
    unresolved = []
    for cls, code, _ in source().class_codes:
        if is_error_class(cls):
            found[code].add(status_of(cls))
    for call, function, path in source().calls:
        name = _name(call.func)
        if name == "problem" and len(call.args) >= 2 and isinstance(call.args[1], ast.Constant):
            found[call.args[1].value].add(call.args[0].value if isinstance(call.args[0], ast.Constant) else None)
            continue
        if name == "get" and ast.unparse(call.func).endswith("CODE_BY_STATUS.get") and len(call.args) == 2:
            found[call.args[1].value].add(None)  # type: ignore[attr-defined]
            continue
        keyword = next((k for k in call.keywords if k.arg == "code"), None)
        if keyword is None:
            continue
        if name == "__init__" and function is not None and function.cls is not None:
            cls = function.cls  # super().__init__(..., code=...) in an error class
        elif name is not None and is_error_class(name):
            cls = name
        else:
            continue  # a party's code, or type(exc)(..., code=exc.code) passing one through
        value = keyword.value
        if isinstance(value, ast.Attribute) and value.attr == "code":
            continue
        if isinstance(value, ast.JoinedStr):
            written = ast.unparse(value)[2:-1]
            if written not in CODE_EXPANSIONS:
                unresolved.append(f"{where(path, call)}: f-string code {written!r}: list it in CODE_EXPANSIONS")
                continue
            codes = CODE_EXPANSIONS[written]
        else:
            try:
                codes = literal_values(value, function)
            except Unresolved as exc:
                unresolved.append(f"{where(path, call)}: code {exc} cannot be followed to literals")
                continue
        for code in codes:
            found[code].add(status_of(cls))
    for status, code in problems.CODE_BY_STATUS.items():
        found[code].add(status)
    assert not unresolved, "\n".join(unresolved)
    return dict(found)


@cache
def recorded_events() -> dict[str, list[str]]:
    """Every audit event tag the source can record, with where."""
    found: dict[str, list[str]] = defaultdict(list)
    unresolved = []
    for call, function, path in source().calls:
        func = ast.unparse(call.func)
        if func == "audit.record":
            event = next((k.value for k in call.keywords if k.arg == "event"), None)
        elif func == "audit.record_by":  # (session, by, event, object, ...)
            event = call.args[2] if len(call.args) > 2 else None
        else:
            continue
        if event is None:
            unresolved.append(f"{where(path, call)}: {func} without an event")
            continue
        try:
            events = literal_values(event, function)
        except Unresolved as exc:
            unresolved.append(f"{where(path, call)}: event {exc} cannot be followed to literals")
            continue
        for event in events:
            found[event].append(where(path, call))
    assert not unresolved, "\n".join(unresolved)
    return dict(found)


def declared_statuses(code: Code) -> set[int | None]:
    return set(code.status) if isinstance(code.status, tuple) else {code.status}


def test_every_raised_error_code_is_declared_with_the_status_it_answers() -> None:
    undeclared = sorted(code for code in raised_codes() if code not in set(Code))
    assert not undeclared, f"error codes raised but not declared in entente.errors.Code: {undeclared}"
    wrong = {
        code: (sorted(map(str, statuses)), sorted(map(str, declared_statuses(Code(code)))))
        for code, statuses in raised_codes().items()
        if not statuses <= declared_statuses(Code(code))
    }
    assert not wrong, f"error codes answering another status than declared (raised, declared): {wrong}"


def test_every_declared_error_code_is_raised_somewhere() -> None:
    unused = sorted(code.value for code in Code if code.value not in raised_codes())
    assert not unused, f"declared in entente.errors.Code but never raised: {unused}"


def test_error_codes_are_declared_once_in_snake_case_with_a_meaning() -> None:
    for code in Code:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code.value), code
        assert code.meaning and not code.meaning.endswith("."), code
        assert code.name == code.value.upper(), f"{code.name} should be named {code.value.upper()}"
    assert len({c.value for c in Code}) == len(Code)


def test_error_classes_carry_declared_codes() -> None:
    assert isinstance(errors.EntenteError.code, str)
    for cls, code, path in source().class_codes:
        if is_error_class(cls):
            assert code in set(Code), f"{path.relative_to(REPO)}: {cls}.code {code!r} is not declared"


def test_every_recorded_audit_event_is_declared() -> None:
    undeclared = {e: w for e, w in recorded_events().items() if e not in set(audit.Event)}
    assert not undeclared, f"audit events recorded but not declared in entente.audit.Event: {undeclared}"


def test_every_declared_audit_event_is_recorded_somewhere_and_reads_source_subject_action() -> None:
    unused = sorted(event.value for event in audit.Event if event.value not in recorded_events())
    assert not unused, f"declared in entente.audit.Event but never recorded: {unused}"
    for event in audit.Event:
        assert audit.EVENT_TAG.fullmatch(event.value), event
        assert event.meaning and not event.meaning.endswith("."), event


def doc_rows(path: Path) -> dict[str, list[str]]:
    """The rows of the tables in a reference page, keyed by their first cell's `code`."""
    assert path.exists(), f"{path.relative_to(REPO)} is missing"
    rows = {}
    for line in path.read_text("utf-8").splitlines():
        found = re.fullmatch(r"\| `([a-z0-9_:]+)` \|(.*)\|", line)
        if found:
            assert found.group(1) not in rows, f"{found.group(1)} is documented twice"
            rows[found.group(1)] = [cell.strip() for cell in found.group(2).split("|")]
    return rows


def status_cell(code: Code) -> str:
    return ", ".join("any" if s is None else str(s) for s in sorted(declared_statuses(code), key=lambda s: s or 0))


def test_every_error_code_is_documented_with_its_status_and_meaning() -> None:
    rows = doc_rows(ERRORS_DOC)
    expected = {code.value: [status_cell(code), code.meaning] for code in Code}
    missing = [f"| `{c}` | {s} | {m} |" for c, (s, m) in expected.items() if rows.get(c) != [s, m]]
    assert not missing, "docs/reference/errors.md lacks (or differs from) these rows:\n" + "\n".join(missing)
    extra = sorted(set(rows) - set(expected))
    assert not extra, f"docs/reference/errors.md documents undeclared codes: {extra}"


def test_every_audit_event_is_documented_with_its_meaning() -> None:
    rows = doc_rows(EVENTS_DOC)
    expected = {event.value: [event.meaning] for event in audit.Event}
    missing = [f"| `{e}` | {m} |" for e, (m,) in expected.items() if rows.get(e) != [m]]
    assert not missing, "docs/reference/audit-events.md lacks (or differs from) these rows:\n" + "\n".join(missing)
    extra = sorted(set(rows) - set(expected))
    assert not extra, f"docs/reference/audit-events.md documents undeclared events: {extra}"
