"""Reading the flat CSV back: every error reported with its row and column, nothing imported if any.

:func:`import_csv` takes the file's bytes and returns the designations, or raises one
:class:`~entente.errors.InvalidInputError` (a :class:`~entente.errors.MalformedInputError` when the
bytes are not UTF-8 or not CSV) whose ``extra["errors"]`` lists ``{"row", "column", "reason"}``
for every problem found. Rows are numbered as a spreadsheet shows them: the header is row 1.
The convention itself is described in :mod:`.flat_csv`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from ..errors import EntenteError, InvalidInputError, MalformedInputError
from .flat_csv import COLUMNS, FORMULA_START, INSTANTS, LISTS, NAME_KEYS, STRUCTURED, restore
from .model import Designation

__all__ = ["MAX_ROWS", "import_csv"]

MAX_ROWS = 10_000
_BOM = "\ufeff"

#: Designation member -> CSV column, where they differ.
_COLUMN_OF = {"primary_name": "name"}


class _CellError(Exception):
    def __init__(self, reason: str, *, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


def _split(text: str, separator: str) -> list[str]:
    """Split at unescaped ``separator``; escapes are kept for the next level."""
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current += ["\\", char]
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        raise _CellError("ends with a lone backslash (write \\\\ for a backslash)")
    parts.append("".join(current))
    return parts


def _unescape(text: str) -> str:
    out, escaped = [], False
    for char in text:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(out)


def _items(cell: str) -> list[str]:
    return [] if cell == "" else _split(cell, ";")


def _list(cell: str) -> list[str]:
    items = [_unescape(item) for item in _items(cell)]
    if any(item == "" for item in items):
        raise _CellError("has an empty item (two ';' in a row, or one at an end)")
    return items


def _structured(cell: str) -> list[dict[str, str]]:
    out = []
    for number, item in enumerate(_items(cell), start=1):
        members: dict[str, str] = {}
        for member in _split(item, "|"):
            pieces = _split(member, "=")
            if len(pieces) != 2 or not pieces[0]:
                raise _CellError(f"item {number}: {member!r} is not key=value (escape = | ; as \\= \\| \\;)")
            key = _unescape(pieces[0])
            if key in members:
                raise _CellError(f"item {number}: {key!r} is given twice")
            members[key] = _unescape(pieces[1])
        out.append(members)
    return out


def _name(members: dict[str, str]) -> dict[str, Any]:
    original = {NAME_KEYS[k]: v for k, v in members.items() if k in NAME_KEYS}
    latin = {NAME_KEYS[k[6:]]: v for k, v in members.items() if k.startswith("latin_") and k[6:] in NAME_KEYS}
    unknown = sorted(set(members) - set(NAME_KEYS) - {"latin_" + k for k in NAME_KEYS} - {"type"})
    if unknown:
        raise _CellError(f"unknown name member {unknown[0]!r} (known: name, first, middle, last, lang, latin_...)")
    name: dict[str, Any] = {"original": original}
    if latin:
        name["transliterated"] = latin
    return name


def _marking(text: str) -> dict[str, Any]:
    if text == "public":
        return {"public": True}
    return {"public": False, "releasable_to": text.split("+") if text else []}


def _content(cells: dict[str, str]) -> dict[str, Any]:
    """Designation content from one row's cells; a _CellError names the column at fault."""
    content: dict[str, Any] = {}
    for column in COLUMNS:
        cell = cells[column]
        try:
            if column == "version":
                if not cell.isdigit() or not cell.isascii():
                    raise _CellError("is a whole number (1, 2, ...)")
                content["version"] = int(cell)
            elif column == "dates_of_birth_normalised":
                continue
            elif column == "dates_of_birth":
                texts, normalised = _list(cell), _list(cells["dates_of_birth_normalised"])
                if len(texts) != len(normalised):
                    raise _CellError(f"{len(texts)} date(s) but {len(normalised)} normalised value(s)")
                content[column] = [{"text": t, "normalised": n} for t, n in zip(texts, normalised, strict=True)]
            elif column in LISTS:
                content[column] = _list(cell)
            elif column == "name":
                items = _structured(cell)
                if len(items) != 1:
                    raise _CellError("holds exactly one name")
                content["primary_name"] = _name(items[0])
            elif column in ("other_names", "aliases"):
                items = _structured(cell)
                names = [_name(item) for item in items]
                if column == "aliases":
                    names = [{"type": i.get("type", ""), "name": n} for i, n in zip(items, names, strict=True)]
                content[column] = names
            elif column == "evidence":
                content[column] = [item | {"marking": _marking(item.get("marking", ""))} for item in _structured(cell)]
            elif column == "parties":
                content[column] = [
                    item | {"reason_marking": _marking(item["reason_marking"])} if "reason_marking" in item else item
                    for item in _structured(cell)
                ]
            elif column in STRUCTURED:
                content[column] = _structured(cell)
            elif cell != "" or column not in (*INSTANTS, "gender"):
                content[column] = cell
        except _CellError as exc:
            raise _CellError(exc.reason, column=column) from None
    return content


def _located(pointer: str, reason: str) -> tuple[str, str]:
    """(column, reason) for a problem at a JSON Pointer into the designation."""
    parts = pointer.lstrip("/").split("/") if pointer else [""]
    column = _COLUMN_OF.get(parts[0], parts[0]) or "id"
    rest = parts[1:]
    if rest and rest[0].isdigit():
        rest = [f"item {int(rest[0]) + 1}", *rest[1:]]
    return column, (" ".join(rest) + ": " + reason) if rest else reason


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number = 0
    try:
        for record in reader:
            number += 1
            yield number, record
    except csv.Error as exc:
        raise MalformedInputError(
            f"row {number + 1}: not valid CSV ({exc})",
            field="",
            extra={"errors": [{"row": number + 1, "column": None, "reason": f"not valid CSV: {exc}"}]},
        ) from None


def _decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start) + 1
        reason = f"not UTF-8: byte 0x{data[exc.start]:02X} at offset {exc.start} (line {row})"
        raise MalformedInputError(
            reason,
            field="",
            code="encoding_invalid",
            extra={"errors": [{"row": row, "column": None, "reason": reason}], "offset": exc.start},
        ) from None
    if (offset := text.find("\x00")) >= 0:  # no text of a designation holds NUL (nor can PostgreSQL store it)
        row = text.count("\n", 0, offset) + 1
        reason = f"NUL (U+0000) at line {row}"
        raise InvalidInputError(
            reason, field="", code="nul_character", extra={"errors": [{"row": row, "column": None, "reason": reason}]}
        )
    return text[1:] if text.startswith(_BOM) else text


def _check_header(header: list[str], errors: list[dict[str, Any]]) -> None:
    for column in COLUMNS:
        if column not in header:
            errors.append({"row": 1, "column": column, "reason": "missing column"})
    for index, column in enumerate(header):
        if column not in COLUMNS:
            errors.append({"row": 1, "column": column, "reason": "unknown column"})
        elif column in header[:index]:
            errors.append({"row": 1, "column": column, "reason": "column given twice"})


def _row(number: int, cells: dict[str, str], errors: list[dict[str, Any]]) -> Designation | None:
    restored = {}
    for column, cell in cells.items():
        if cell[:1] and cell[0] in FORMULA_START:
            errors.append(
                {
                    "row": number,
                    "column": column,
                    "reason": f"starts with {cell[0]!r}, like a spreadsheet formula; prefix a ' if it is text",
                }
            )
        restored[column] = restore(cell)
    if any(e["row"] == number for e in errors):
        return None
    try:
        return Designation.from_annex_content(_content(restored))
    except _CellError as exc:
        errors.append({"row": number, "column": exc.column, "reason": exc.reason})
    except EntenteError as exc:
        found = exc.extra.get("errors") or [{"field": exc.field or "", "reason": exc.detail}]
        for problem in found:
            column, reason = _located(problem["field"], problem["reason"])
            errors.append({"row": number, "column": column, "reason": reason})
    return None


def import_csv(data: bytes, *, max_rows: int = MAX_ROWS) -> list[Designation]:
    """Designations from a flat CSV file, all or nothing (see the module docstring)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise MalformedInputError("a CSV file is read as bytes", field="")
    text = _decode(bytes(data))
    errors: list[dict[str, Any]] = []
    designations: list[Designation] = []
    header: list[str] | None = None
    first_row: dict[str, int] = {}
    for number, record in _records(text):
        if header is None:
            header = record
            _check_header(header, errors)
            if errors:
                break
            continue
        if not record or record == [""]:
            continue
        if number > max_rows + 1:
            errors.append({"row": number, "column": None, "reason": f"more than {max_rows} rows"})
            break
        if len(record) != len(header):
            errors.append(
                {"row": number, "column": None, "reason": f"has {len(record)} cells; the header has {len(header)}"}
            )
            continue
        designation = _row(number, dict(zip(header, record, strict=True)), errors)
        if designation is None:
            continue
        if designation.id in first_row:
            errors.append(
                {
                    "row": number,
                    "column": "id",
                    "reason": f"designation {designation.id} is already on row {first_row[designation.id]}",
                }
            )
            continue
        first_row[designation.id] = number
        designations.append(designation)
    if header is None:
        errors.append({"row": 1, "column": None, "reason": "the file is empty (no header row)"})
    if errors:
        first = errors[0]
        more = len(errors) - 1
        where = f"row {first['row']}" + (f", column {first['column']}" if first["column"] else "")
        raise InvalidInputError(
            f"{where}: {first['reason']}" + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""),
            code="import_invalid",
            field="",
            extra={"errors": errors},
        )
    return designations
