"""The flat CSV convention: one row per designation, a fixed header, multi-valued cells.

The file is UTF-8 (no byte order mark on export; one is tolerated on import), RFC 4180 quoting,
CRLF line ends, and exactly the columns of :data:`COLUMNS`, in that order on export.

Cells:

- **single values** are plain text: ``id``, ``version``, ``subject_type``, ``proposed_by``,
  ``gender``, ``reasons``, and the instants ``effective_at``, ``review_at``, ``lifted_at``,
  ``version_at`` (RFC 3339, UTC, ``Z``);
- **lists** (``titles``, ``functions``, ``dates_of_birth``, ``dates_of_birth_normalised``,
  ``nationalities``, ``measures``) join their items with ``;``;
- **structured items** (``name``, ``other_names``, ``aliases``, ``places_of_birth``, ``documents``,
  ``addresses``, ``registrations``, ``affiliations``, ``evidence``, ``parties``) write each item as
  ``key=value`` members joined by ``|``, items joined by ``;``, members left out when empty:
  ``type=passport|number=750123456|country=RU``. Name members are ``name``, ``first``,
  ``middle``, ``last``, ``lang`` and the same with ``latin_`` for the transliteration; an evidence
  marking is ``public`` or the party codes joined by ``+`` (``EE+FR``).
- **escaping**: inside list and structured cells a backslash makes the next character literal:
  ``\\;``, ``\\|``, ``\\=`` and ``\\\\``. Single-value cells are not escaped.
- dates of birth: the original text in ``dates_of_birth`` and, item by item, the normalised value
  (EDTF, see :mod:`.dates`) in ``dates_of_birth_normalised``.
- **formula injection** (OWASP, CSV injection): a cell that would start with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return is written with a single quote ``'`` in front, so
  spreadsheets show it as text; so is a cell that already starts with quotes followed by one of
  those (``'=x`` is written ``''=x``), which makes the rule exactly reversible. Import removes that
  one quote, and refuses a cell that starts with one of those characters unquoted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from ..clock import isoformat
from ..disclosure import Viewer
from .exports import Keep, select
from .model import Designation
from .parts import Name, NameForm

__all__ = [
    "COLUMNS",
    "FORMULA_START",
    "LISTS",
    "STRUCTURED",
    "escape",
    "export_csv",
    "neutralise",
    "restore",
]

COLUMNS: tuple[str, ...] = (
    "id",
    "version",
    "subject_type",
    "proposed_by",
    "name",
    "other_names",
    "aliases",
    "gender",
    "titles",
    "functions",
    "dates_of_birth",
    "dates_of_birth_normalised",
    "places_of_birth",
    "nationalities",
    "documents",
    "addresses",
    "registrations",
    "affiliations",
    "measures",
    "reasons",
    "evidence",
    "parties",
    "effective_at",
    "review_at",
    "lifted_at",
    "version_at",
)
LISTS = frozenset({"titles", "functions", "dates_of_birth", "dates_of_birth_normalised", "nationalities", "measures"})
STRUCTURED = frozenset(
    {
        "name",
        "other_names",
        "aliases",
        "places_of_birth",
        "documents",
        "addresses",
        "registrations",
        "affiliations",
        "evidence",
        "parties",
    }
)
INSTANTS = ("effective_at", "review_at", "lifted_at", "version_at")

#: Characters a spreadsheet reads as the start of a formula (OWASP CSV injection).
FORMULA_START = "=+-@\t\r"
_NEEDS_QUOTE = re.compile(r"^'*[=+\-@\t\r]")
_QUOTED = re.compile(r"^'+[=+\-@\t\r]")
_SPECIAL = re.compile(r"([\\;|=])")

#: Name members: CSV key -> NameForm field.
NAME_KEYS = {
    "name": "whole_name",
    "first": "first_name",
    "middle": "middle_name",
    "last": "last_name",
    "lang": "language",
}


def neutralise(cell: str) -> str:
    """Prefix a quote when a spreadsheet would read the cell as a formula (or it already starts with quotes)."""
    return "'" + cell if _NEEDS_QUOTE.match(cell) else cell


def restore(cell: str) -> str:
    """Undo :func:`neutralise`."""
    return cell[1:] if _QUOTED.match(cell) else cell


def escape(value: str) -> str:
    return _SPECIAL.sub(r"\\\1", value)


def _members(pairs: Iterable[tuple[str, Any]]) -> str:
    return "|".join(f"{key}={escape(str(value))}" for key, value in pairs if value is not None and value != "")


def _form_pairs(form: NameForm, prefix: str = "") -> list[tuple[str, Any]]:
    return [(prefix + key, getattr(form, field)) for key, field in NAME_KEYS.items()]


def name_pairs(name: Name) -> list[tuple[str, Any]]:
    pairs = _form_pairs(name.original)
    if name.transliterated is not None:
        pairs += _form_pairs(name.transliterated, "latin_")
    return pairs


def _marking(marking: Any) -> str:
    return "public" if marking.public else "+".join(sorted(marking.parties))


def _row(d: Designation) -> dict[str, str]:
    content = d.model_dump(mode="json")
    row: dict[str, str] = {
        "id": d.id,
        "version": str(d.version),
        "subject_type": d.subject_type.value,
        "proposed_by": d.proposed_by,
        "gender": d.gender.value if d.gender else "",
        "reasons": d.reasons,
        "name": _members(name_pairs(d.primary_name)),
        "other_names": ";".join(_members(name_pairs(n)) for n in d.other_names),
        "aliases": ";".join(_members([("type", a.type.value), *name_pairs(a.name)]) for a in d.aliases),
        "titles": ";".join(escape(t) for t in d.titles),
        "functions": ";".join(escape(f) for f in d.functions),
        "dates_of_birth": ";".join(escape(v.text) for v in d.dates_of_birth),
        "dates_of_birth_normalised": ";".join(v.normalised for v in d.dates_of_birth),
        "nationalities": ";".join(d.nationalities),
        "measures": ";".join(m.value for m in d.measures),
        "evidence": ";".join(
            _members([("id", e.id), ("marking", _marking(e.marking)), ("text", e.text)]) for e in d.evidence
        ),
    }
    for column in ("places_of_birth", "documents", "addresses", "registrations", "affiliations"):
        row[column] = ";".join(_members(item.items()) for item in content[column])
    row["parties"] = ";".join(
        _members(
            (key, _marking(p.reason_marking) if key == "reason_marking" and p.reason_marking else value)
            for key, value in item.items()
        )
        for p, item in zip(d.parties, content["parties"], strict=True)
    )
    for column in INSTANTS:
        value = getattr(d, column)
        row[column] = isoformat(value) if value is not None else ""
    return row


def export_csv(
    designations: Iterable[Designation],
    *,
    keep: Keep | None = None,
    include_evidence: bool = False,
    viewer: Viewer | None = None,
) -> bytes:
    """The designations as flat CSV (UTF-8 bytes), one row each, formula-like cells neutralised."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for designation in select(designations, keep=keep, include_evidence=include_evidence, viewer=viewer):
        row = _row(designation)
        writer.writerow([neutralise(row[column]) for column in COLUMNS])
    return out.getvalue().encode("utf-8")
