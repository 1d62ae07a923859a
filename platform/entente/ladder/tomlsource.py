"""Reading hand-written TOML with errors that point at a line.

``tomllib`` parses but forgets where things were, and a secretariat officer editing the ladder or a
crisis template needs ``file:line: reason``, not a traceback. So we parse with ``tomllib`` (the
authority on what the file means) and run a small position scanner over the same text (it only
records on which line each table, key and array element starts). The scanner assumes valid TOML,
which ``tomllib`` has just confirmed, so it can stay short.

:class:`TomlTable` wraps one parsed table with typed getters that raise :class:`ConfigError` with
the line of the offending key, and remembers which keys were read so :meth:`TomlTable.finish` can
refuse the ones nobody asked for (a misspelt key must not be silently ignored).

Both the ladder and the crisis templates read their files through this module.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from .. import settings
from ..errors import ConfigError
from .scales import parse_member

__all__ = ["TomlSource", "TomlTable", "describe", "read_toml"]

Key = str | int
KeyPath = tuple[Key, ...]
T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = frozenset(",]}\n#")


class TomlSource:
    """The text of one TOML file and the line on which each key path starts."""

    def __init__(self, path: Path | str, text: str) -> None:
        self.path = Path(path)
        self._lines: dict[KeyPath, int] = {}
        self._content_lines: dict[KeyPath, int] = {}
        _Scanner(text, self._lines, self._content_lines).run()

    def line(self, path: KeyPath) -> int:
        """Line of ``path``, or of its longest prefix that has one (a table header), else 1."""
        for end in range(len(path), 0, -1):
            found = self._lines.get(path[:end])
            if found is not None:
                return found
        return 1

    def content_line(self, path: KeyPath) -> int:
        """Line where a string value's text begins (after the newline a ``\"\"\"`` opener trims)."""
        return self._content_lines.get(path) or self.line(path)

    def error(self, line: int, message: str) -> ConfigError:
        return ConfigError(f"{self.path}:{line}: {message}")


def read_toml(path: Path | str) -> tuple[TomlSource, dict[str, Any]]:
    """Read and parse ``path`` with the one TOML reader (:func:`entente.settings.read_toml`)."""
    path = Path(path)
    text, data = settings.read_toml(path)
    return TomlSource(path, text), data


D = TypeVar("D")


class TomlTable:
    """One parsed table, its place in the file, and the words that name it in messages.

    ``context`` prefixes every message ("tier 3 rule 'x'"), so an error reads
    ``config/ladder.toml:42: tier 3 rule 'x': unknown metric 'foo'``. Getters require their key;
    :meth:`optional` supplies a default when the key is absent.
    """

    def __init__(self, source: TomlSource, path: KeyPath, data: dict[str, Any], context: str) -> None:
        self.source = source
        self.path = path
        self.data = data
        self.context = context
        self._read: set[str] = set()

    # -- errors ----------------------------------------------------------------------------------

    def line(self, *keys: Key) -> int:
        return self.source.line((*self.path, *keys))

    def fail(self, message: str, *, key: Key | None = None, line: int | None = None) -> NoReturn:
        where = line if line is not None else self.line(*([] if key is None else [key]))
        prefix = f"{self.context}: " if self.context else ""
        raise self.source.error(where, prefix + message)

    # -- access ----------------------------------------------------------------------------------

    def has(self, key: str) -> bool:
        return key in self.data

    def optional(self, key: str, getter: Callable[[str], T], default: D) -> T | D:
        """``getter(key)`` when the key is present, else ``default``."""
        return getter(key) if key in self.data else default

    def raw(self, key: str) -> Any:
        """The value as parsed; a missing key is an error at the table's line."""
        self._read.add(key)
        if key not in self.data:
            self.fail(f"missing key '{key}'")
        return self.data[key]

    def _typed(self, key: str, kind: type[T], noun: str) -> T:
        value = self.raw(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(f"'{key}' must be {noun}, not {describe(value)}", key=key)
        return value

    def string(self, key: str, *, pattern: re.Pattern[str] | None = None, max_length: int = 10_000,
               hint: str = "") -> str:
        value = self._typed(key, str, "a string")
        if not value.strip():
            self.fail(f"'{key}' must not be empty", key=key)
        if len(value) > max_length:
            self.fail(f"'{key}' is longer than {max_length} characters", key=key)
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(f"'{key}' value {value!r} is not valid" + (f" ({hint})" if hint else ""), key=key)
        return value

    def integer(self, key: str, *, minimum: int, maximum: int) -> int:
        value = self._typed(key, int, "an integer")
        if not minimum <= value <= maximum:
            self.fail(f"'{key}' must be between {minimum} and {maximum}, not {value}", key=key)
        return value

    def boolean(self, key: str) -> bool:
        return self._typed(key, bool, "true or false")

    def sequence(self, key: str, *, max_items: int = 1_000) -> list[Any]:
        value = self._typed(key, list, "a list")
        if len(value) > max_items:
            self.fail(f"'{key}' has more than {max_items} items", key=key)
        return value

    def items(self, key: str, parse: Callable[[Any], T | None], noun: str, *,
              max_items: int = 1_000) -> tuple[T, ...]:
        """A list whose items ``parse`` accepts (it returns None to refuse); duplicates refused."""
        out: list[T] = []
        for index, item in enumerate(self.sequence(key, max_items=max_items)):
            parsed = parse(item)
            if parsed is None:
                self.fail(f"'{key}' item {describe(item)} is not {noun}", line=self.line(key, index))
            if parsed in out:
                self.fail(f"'{key}' lists {item!r} twice", line=self.line(key, index))
            out.append(parsed)
        return tuple(out)

    def choice(self, key: str, choices: type[E], noun: str) -> E:
        """A string naming one member of a closed set (a StrEnum)."""
        value = self._typed(key, str, "a string")
        member = parse_member(choices, value)
        if member is None:
            allowed = ", ".join(str(v) for v in choices)
            self.fail(f"unknown {noun} '{value}' (expected one of: {allowed})", key=key)
        return member

    def table(self, key: str, context: str) -> TomlTable:
        return TomlTable(self.source, (*self.path, key), self._typed(key, dict, "a table"), context)

    def subtables(self, key: str, context: Callable[[str], str]) -> Iterator[tuple[str, TomlTable]]:
        """The tables under ``[key.<name>]``, in file order."""
        for name, value in self.table(key, self.context).data.items():
            if not isinstance(value, dict):
                self.fail(f"'{key}.{name}' must be a table, not {describe(value)}", line=self.line(key, name))
            yield name, TomlTable(self.source, (*self.path, key, name), value, context(name))

    def tables(self, key: str, context: Callable[[int, dict[str, Any]], str], *,
               max_items: int = 1_000) -> list[TomlTable]:
        """An array of tables (``[[key]]`` headers or a list of inline tables)."""
        out = []
        for index, value in enumerate(self.sequence(key, max_items=max_items)):
            if not isinstance(value, dict):
                self.fail(f"'{key}' item must be a table, not {describe(value)}", line=self.line(key, index))
            out.append(TomlTable(self.source, (*self.path, key, index), value, context(index, value)))
        return out

    def finish(self) -> None:
        """Refuse keys that no getter asked for: a typo must not be silently ignored."""
        for key in self.data:
            if key not in self._read:
                self.fail(f"unknown key '{key}'", key=key)


def describe(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number with a fraction", str: "a string",
             list: "a list", dict: "a table"}
    for kind, name in names.items():
        if type(value) is kind:
            return f"{name} ({value!r})" if kind in (bool, int, float, str) else name
    return f"a {type(value).__name__}"


class _Scanner:
    """Records the line of every table header, key and array element of a *valid* TOML text.

    It mirrors TOML's own addressing: ``[[tiers]]`` appends an element to ``tiers`` and
    ``[[tiers.rules]]`` one to the rules of the latest tier, so paths look like
    ``("tiers", 2, "rules", 0, "conditions", 1, "metric")``.
    """

    def __init__(self, text: str, lines: dict[KeyPath, int], content_lines: dict[KeyPath, int]) -> None:
        self.text = text.replace("\r\n", "\n")
        self.pos = 0
        self.lineno = 1
        self.lines = lines
        self.content_lines = content_lines
        self.array_tables: dict[KeyPath, int] = {}

    # -- low level -----------------------------------------------------------------------------

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def advance(self, n: int = 1) -> None:
        self.lineno += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def skip_blank(self, *, newlines: bool) -> None:
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char in " \t" or (newlines and char == "\n"):
                self.advance()
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.advance((end if end >= 0 else len(self.text)) - self.pos)
            else:
                return

    def record(self, path: KeyPath, line: int) -> None:
        self.lines.setdefault(path, line)

    # -- structure -------------------------------------------------------------------------------

    def run(self) -> None:
        table: KeyPath = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.peek() == "[":
                table = self.header()
            else:
                self.keyval(table)
            self.skip_blank(newlines=False)

    def header(self) -> KeyPath:
        line = self.lineno
        double = self.peek(2) == "[["
        self.advance(2 if double else 1)
        keys = self.key()
        self.skip_blank(newlines=False)
        self.advance(2 if double else 1)
        path = self.resolve(keys[:-1]) + (keys[-1],)
        for end in range(1, len(path)):  # [a.b] also locates a (its first mention)
            self.record(path[:end], line)
        if double:
            count = self.array_tables.get(path, 0)
            self.array_tables[path] = count + 1
            self.record(path, line)
            path = (*path, count)
        self.record(path, line)
        return path

    def resolve(self, keys: list[str]) -> KeyPath:
        """Insert the index of the latest element wherever a key names an array of tables."""
        out: list[Key] = []
        for key in keys:
            out.append(key)
            count = self.array_tables.get(tuple(out))
            if count:
                out.append(count - 1)
        return tuple(out)

    def key(self) -> list[str]:
        parts = []
        while True:
            self.skip_blank(newlines=False)
            char = self.peek()
            if char in "\"'":
                start = self.pos
                self.string_end()
                parts.append(tomllib.loads(f"k = {self.text[start:self.pos]}")["k"])
            else:
                match = _BARE_KEY.match(self.text, self.pos)
                if match is None:  # pragma: no cover - tomllib accepted the text
                    raise ValueError(f"unexpected {char!r} at line {self.lineno}")
                parts.append(match.group())
                self.advance(match.end() - self.pos)
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    def keyval(self, table: KeyPath) -> None:
        line = self.lineno
        path = table + tuple(self.key())
        self.record(path, line)
        self.skip_blank(newlines=False)
        self.advance()  # '='
        self.skip_blank(newlines=False)
        self.value(path)

    def value(self, path: KeyPath) -> None:
        char = self.peek()
        if char in "\"'":
            self.string_end(path)
        elif char == "[":
            self.array(path)
        elif char == "{":
            self.inline_table(path)
        else:
            while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
                self.advance()

    def array(self, path: KeyPath) -> None:
        self.advance()
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.advance()
                return
            self.record((*path, index), self.lineno)
            self.value((*path, index))
            index += 1
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.advance()

    def inline_table(self, path: KeyPath) -> None:
        self.advance()
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "}":
                self.advance()
                return
            self.keyval(path)
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.advance()

    def string_end(self, path: KeyPath | None = None) -> None:
        """Move past a string of any of TOML's four kinds, noting where its text starts."""
        quote = self.peek()
        multi = self.peek(3) == quote * 3
        self.advance(3 if multi else 1)
        if path is not None:
            self.content_lines[path] = self.lineno + (1 if multi and self.peek() == "\n" else 0)
        basic = quote == '"'
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if basic and char == "\\":
                self.advance(2)
            elif multi and self.peek(3) == quote * 3:
                self.advance(3)
                while self.peek() == quote:  # up to two quotes may end the text itself
                    self.advance()
                return
            elif not multi and char == quote:
                self.advance()
                return
            else:
                self.advance()
