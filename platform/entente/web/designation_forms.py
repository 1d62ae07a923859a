"""A designation as an HTML form, and back: names in their script and transliterated, aliases with
their type, dates as written, places of birth, documents, addresses, registrations, measures, the
statement of reasons, and evidence items each with its own marking. Never JSON in a text area.

:func:`rows_of` turns a designation (annex content) into form values; :func:`content_of` turns a
posted form back into annex content for :class:`entente.sanctions.Designation`, which validates it
and names each problem by JSON Pointer; :func:`where` turns such a pointer back into the label of
the form row it came from. A row of a list left blank is no entry. A row that stands for an
existing entry (its ``src`` field) and was not changed keeps that entry exactly as stored,
including the parts the form does not show (such as the first and last names of an alias), and
members the form does not show at all (other names, affiliations) are kept as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from entente.ladder import Measure
from entente.sanctions import AliasType, DocumentType, Gender, RegistrationType, SubjectType

__all__ = [
    "LISTS",
    "MAX_ROWS",
    "NAME_PARTS",
    "allowed_fields",
    "blank_rows",
    "content_of",
    "rows_of",
    "where",
]

#: Most rows of one list a form carries.
MAX_ROWS = 40
NAME_PARTS = ("whole_name", "first_name", "middle_name", "last_name", "language")


@dataclass(frozen=True)
class ListSpec:
    """One list of a designation as form rows ``<prefix>.<i>.<field>``."""

    member: str  # the designation member (``aliases``)
    prefix: str  # the form's name for a row (``alias``)
    label: str  # a person's name for one row (``Alias``)
    fields: tuple[str, ...]
    to_row: Callable[[Any], dict[str, str]]  # an entry as the row's fields
    to_entry: Callable[[dict[str, str]], Any]  # the row's fields as an entry


def _name_row(name: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    original = name.get("original") or {}
    latin = name.get("transliterated") or {}
    return {
        f"{prefix}orig": original.get("whole_name", ""),
        f"{prefix}lang": original.get("language", ""),
        f"{prefix}latin": latin.get("whole_name", ""),
    }


def _name_entry(row: Mapping[str, str], prefix: str = "") -> dict[str, Any]:
    name: dict[str, Any] = {
        "original": _drop_empty({"whole_name": row.get(f"{prefix}orig", ""), "language": row.get(f"{prefix}lang", "")})
    }
    if row.get(f"{prefix}latin", "").strip():
        name["transliterated"] = {"whole_name": row[f"{prefix}latin"]}
    return name


def _drop_empty(values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v.strip() if isinstance(v, str) else v
        for k, v in values.items()
        if v not in (None, "") and (not isinstance(v, str) or v.strip())
    }


def _plain(fields: tuple[str, ...]) -> tuple[Callable[[Any], dict[str, str]], Callable[[dict[str, str]], Any]]:
    def to_row(entry: Any) -> dict[str, str]:
        return {f: str(entry.get(f) or "") for f in fields}

    def to_entry(row: dict[str, str]) -> Any:
        return _drop_empty({f: row.get(f, "") for f in fields})

    return to_row, to_entry


def _alias_row(entry: Mapping[str, Any]) -> dict[str, str]:
    return {"type": entry.get("type", ""), **_name_row(entry.get("name") or {})}


def _alias_entry(row: dict[str, str]) -> dict[str, Any]:
    return {"type": row.get("type", "") or AliasType.AKA.value, "name": _name_entry(row)}


def _date_row(entry: Mapping[str, Any]) -> dict[str, str]:
    return {"text": entry.get("text", "")}


def _date_entry(row: dict[str, str]) -> dict[str, Any]:
    return {"text": row.get("text", "").strip()}


def _evidence_row(entry: Mapping[str, Any]) -> dict[str, str]:
    marking = entry.get("marking") or {}
    row = {
        "id": entry.get("id", ""),
        "text": entry.get("text", ""),
        "marking": "public" if marking.get("public") else "restricted",
    }
    row.update({f"to.{p}": "on" for p in marking.get("releasable_to", [])})
    return row


LISTS: tuple[ListSpec, ...] = (
    ListSpec("aliases", "alias", "Alias", ("type", "orig", "lang", "latin"), _alias_row, _alias_entry),
    ListSpec("dates_of_birth", "dob", "Date of birth", ("text",), _date_row, _date_entry),
    ListSpec(
        "places_of_birth",
        "pob",
        "Place of birth",
        ("city", "region", "country"),
        *_plain(("city", "region", "country")),
    ),
    ListSpec(
        "documents",
        "doc",
        "Document",
        ("type", "number", "country", "note"),
        *_plain(("type", "number", "country", "note")),
    ),
    ListSpec(
        "addresses",
        "addr",
        "Address",
        ("street", "city", "region", "postal_code", "country", "note"),
        *_plain(("street", "city", "region", "postal_code", "country", "note")),
    ),
    ListSpec(
        "registrations", "reg", "Registration", ("type", "number", "country"), *_plain(("type", "number", "country"))
    ),
)
_BY_MEMBER = {spec.member: spec for spec in LISTS}
#: Members the form shows (and so replaces); every other member of a designation is kept as stored.
SHOWN = frozenset(
    {
        "id",
        "subject_type",
        "gender",
        "primary_name",
        "nationalities",
        "titles",
        "functions",
        "measures",
        "reasons",
        "evidence",
        "same_as",
        *(s.member for s in LISTS),
    }
)


def blank_rows(count: int) -> int:
    """How many blank rows to offer below ``count`` filled ones."""
    return max(0, min(MAX_ROWS - count, 2 if count < 3 else 1))


def allowed_fields(parties: list[str]) -> set[str]:
    """Every field name the form may post (read_form refuses anything else)."""
    names = {
        "csrf_token",
        "action",
        "confirm",
        "link",
        "id",
        "subject_type",
        "gender",
        "marking",
        "nationalities",
        "titles",
        "functions",
        "reasons",
        *(f"releasable_to.{p}" for p in parties),
        *(
            f"name.{part}"
            for part in (
                "orig",
                "lang",
                "latin",
                "orig_first",
                "orig_middle",
                "orig_last",
                "latin_first",
                "latin_middle",
                "latin_last",
                "latin_lang",
            )
        ),
        *(f"measure.{m.value}" for m in Measure),
    }
    for i in range(MAX_ROWS):
        names.add(f"same_as.{i}")
        for spec in LISTS:
            names.update(f"{spec.prefix}.{i}.{f}" for f in (*spec.fields, "src"))
        names.update({f"ev.{i}.id", f"ev.{i}.text", f"ev.{i}.marking", *(f"ev.{i}.to.{p}" for p in parties)})
    return names


# --- designation -> form ------------------------------------------------------------------------


def rows_of(content: Mapping[str, Any], marking: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Form values showing ``content`` (annex content) under the annex-item ``marking``."""
    values: dict[str, str] = {
        "id": content.get("id", ""),
        "subject_type": content.get("subject_type", SubjectType.PERSON.value),
        "gender": content.get("gender", ""),
        "nationalities": ", ".join(content.get("nationalities", [])),
        "titles": "\n".join(content.get("titles", [])),
        "functions": "\n".join(content.get("functions", [])),
        "reasons": content.get("reasons", ""),
    }
    primary = content.get("primary_name") or {}
    original, latin = primary.get("original") or {}, primary.get("transliterated") or {}
    values.update(
        {
            "name.orig": original.get("whole_name", ""),
            "name.lang": original.get("language", ""),
            "name.orig_first": original.get("first_name", ""),
            "name.orig_middle": original.get("middle_name", ""),
            "name.orig_last": original.get("last_name", ""),
            "name.latin": latin.get("whole_name", ""),
            "name.latin_first": latin.get("first_name", ""),
            "name.latin_middle": latin.get("middle_name", ""),
            "name.latin_last": latin.get("last_name", ""),
            "name.latin_lang": latin.get("language", ""),
        }
    )
    values.update({f"measure.{m}": "on" for m in content.get("measures", [])})
    for spec in LISTS:
        for i, entry in enumerate(content.get(spec.member, [])[:MAX_ROWS]):
            values.update({f"{spec.prefix}.{i}.{k}": v for k, v in spec.to_row(entry).items()})
            values[f"{spec.prefix}.{i}.src"] = str(i)
    for i, entry in enumerate(content.get("evidence", [])[:MAX_ROWS]):
        values.update({f"ev.{i}.{k}": v for k, v in _evidence_row(entry).items()})
    for i, link in enumerate(content.get("same_as", [])[:MAX_ROWS]):
        values[f"same_as.{i}"] = f"{link['package']}:{link['designation']}"
    if marking is not None:
        values["marking"] = "public" if marking.get("public") else "restricted"
        values.update({f"releasable_to.{p}": "on" for p in marking.get("releasable_to", [])})
    return values


def row_count(values: Mapping[str, str], prefix: str) -> int:
    """Rows of ``prefix`` the values fill (the highest index with a value, plus one)."""
    pattern = re.compile(rf"{re.escape(prefix)}\.(\d+)\.")
    found = [int(m.group(1)) for key, value in values.items() if value and (m := pattern.match(key))]
    return max(found) + 1 if found else 0


# --- form -> designation ------------------------------------------------------------------------


@dataclass
class Built:
    """Annex content from a form, the annex-item marking chosen, and where each list entry came from."""

    content: dict[str, Any]
    marking: dict[str, Any]
    rows: dict[str, list[int]]  # member -> form row index of each entry, in order


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _row(form: Mapping[str, str], prefix: str, i: int, fields: tuple[str, ...]) -> dict[str, str]:
    return {f: form.get(f"{prefix}.{i}.{f}", "") for f in fields}


def content_of(form: Mapping[str, str], *, old: Mapping[str, Any] | None, parties: list[str], author: str) -> Built:
    """Annex content from the posted form; ``old`` is the designation being edited (its content as the
    editor sees it), whose entries unchanged in the form are kept exactly, and whose members the form
    does not show are kept as they are."""
    old = old or {}
    content: dict[str, Any] = {k: v for k, v in old.items() if k not in SHOWN}
    content["id"] = form.get("id", "").strip() or old.get("id", "")
    content["subject_type"] = form.get("subject_type", "")
    if form.get("gender"):
        content["gender"] = form["gender"]
    original = _drop_empty(
        {
            "whole_name": form.get("name.orig", ""),
            "first_name": form.get("name.orig_first", ""),
            "middle_name": form.get("name.orig_middle", ""),
            "last_name": form.get("name.orig_last", ""),
            "language": form.get("name.lang", ""),
        }
    )
    primary: dict[str, Any] = {"original": original}
    latin = _drop_empty(
        {
            "whole_name": form.get("name.latin", ""),
            "first_name": form.get("name.latin_first", ""),
            "middle_name": form.get("name.latin_middle", ""),
            "last_name": form.get("name.latin_last", ""),
            "language": form.get("name.latin_lang", ""),
        }
    )
    if latin:
        primary["transliterated"] = latin
    content["primary_name"] = primary
    nationalities = [c.strip().upper() for c in re.split(r"[,;\s]+", form.get("nationalities", "")) if c.strip()]
    for member, values in (
        ("nationalities", nationalities),
        ("titles", _lines(form.get("titles", ""))),
        ("functions", _lines(form.get("functions", ""))),
    ):
        if values:
            content[member] = values
    content["measures"] = [m.value for m in Measure if form.get(f"measure.{m.value}")]
    content["reasons"] = form.get("reasons", "")
    rows: dict[str, list[int]] = {}
    for spec in LISTS:
        entries, where_from = [], []
        previous = old.get(spec.member, [])
        for i in range(MAX_ROWS):
            row = _row(form, spec.prefix, i, spec.fields)
            if not any(v.strip() for k, v in row.items() if k != "type"):
                continue
            src = form.get(f"{spec.prefix}.{i}.src", "")
            kept = previous[int(src)] if src.isdigit() and int(src) < len(previous) else None
            if kept is not None and spec.to_row(kept) == {k: v.strip() for k, v in row.items()}:
                entries.append(kept)
            else:
                entries.append(spec.to_entry(row))
            where_from.append(i)
        if entries:
            content[spec.member] = entries
        rows[spec.member] = where_from
    evidence, taken = [], {str(e.get("id")) for e in old.get("evidence", [])}
    rows["evidence"] = []
    for i in range(MAX_ROWS):
        text = form.get(f"ev.{i}.text", "")
        if not text.strip():
            continue
        evidence_id = form.get(f"ev.{i}.id", "").strip()
        if not evidence_id:
            number = len(taken) + 1
            while f"E-{number:03d}" in taken:
                number += 1
            evidence_id = f"E-{number:03d}"
            taken.add(evidence_id)
        if form.get(f"ev.{i}.marking") == "public":
            mark: dict[str, Any] = {"public": True}
        else:
            chosen = sorted({author, *(p for p in parties if form.get(f"ev.{i}.to.{p}"))})
            mark = {"public": False, "releasable_to": chosen}
        evidence.append({"id": evidence_id, "text": text, "marking": mark})
        rows["evidence"].append(i)
    if evidence:
        content["evidence"] = evidence
    links = []
    for i in range(MAX_ROWS):
        value = form.get(f"same_as.{i}", "")
        package, _, designation = value.partition(":")
        if package.isdigit() and designation:
            links.append({"package": int(package), "designation": designation})
    link = form.get("link", "")
    package, _, designation = link.partition(":")
    if package.isdigit() and designation and {"package": int(package), "designation": designation} not in links:
        links.append({"package": int(package), "designation": designation})
    if links:
        content["same_as"] = links
    if form.get("marking") == "public":
        marking: dict[str, Any] = {"public": True}
    else:
        marking = {
            "public": False,
            "releasable_to": sorted({author, *(p for p in parties if form.get(f"releasable_to.{p}"))}),
        }
    return Built(content, marking, rows)


_LABELS = {
    "id": "Identifier",
    "subject_type": "Person or entity",
    "gender": "Gender",
    "primary_name": "Name",
    "nationalities": "Nationalities",
    "titles": "Titles",
    "functions": "Functions",
    "measures": "Measures",
    "reasons": "Statement of reasons",
    "evidence": "Evidence",
    "same_as": "Links",
    "designation": "Designation",
    "other_names": "Other names",
    "affiliations": "Affiliations",
}


def where(pointer: str, built: Built | None) -> tuple[str, str]:
    """``(key, label)`` of the form place a JSON Pointer into the designation names: the key is the form
    row (``alias.2``) or member (``reasons``), the label what a person reads ("Alias 3")."""
    parts = [p for p in pointer.split("/") if p]
    if parts and parts[0] == "designation":
        parts = parts[1:]
    if not parts:
        return "", "The designation"
    member = parts[0]
    spec = _BY_MEMBER.get(member)
    if (spec is not None or member == "evidence") and len(parts) > 1 and parts[1].isdigit():
        index = int(parts[1])
        rows = built.rows.get(member, []) if built is not None else []
        row = rows[index] if index < len(rows) else index
        prefix, label = (spec.prefix, spec.label) if spec is not None else ("ev", "Evidence item")
        detail = " ".join(p.replace("_", " ") for p in parts[2:] if not p.isdigit())
        return f"{prefix}.{row}", f"{label} {row + 1}" + (f" ({detail})" if detail else "")
    if member == "primary_name":
        detail = " ".join(p.replace("_", " ").replace("transliterated", "transliteration") for p in parts[1:])
        return "name", "Name" + (f" ({detail})" if detail else "")
    return member, _LABELS.get(member, member.replace("_", " ").capitalize())


CHOICES = {
    "subject_type": [s.value for s in SubjectType],
    "gender": [g.value for g in Gender],
    "alias_type": [a.value for a in AliasType],
    "document_type": [d.value for d in DocumentType],
    "registration_type": [r.value for r in RegistrationType],
    "measures": [m.value for m in Measure],
}
