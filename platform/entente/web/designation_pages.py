"""Sanctions pages for drafters: my packages, and adding or editing a designation with a real form.

A designation is written in fields (:mod:`entente.web.designation_forms`), never as JSON. Saving
calls the same domain functions as the API (:func:`entente.sanctions.operations.add_designation`
and ``update_designation``). A refused form comes back filled in, each problem beside its row. A
probable duplicate comes back with each candidate side by side with what was entered, and two ways
on: "Same subject: link" (the entry is saved with a ``same_as`` link to the candidate) or "None is
the same subject: add anyway" (saved with ``confirm``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from entente.errors import ConflictError, EntenteError, InvalidInputError, NotFoundError, PermissionDeniedError
from entente.sanctions import Designation, Name, operations
from entente.sanctions.packages import Package, get_package, list_package_ids
from entente.web.context import Context, PageRoutes
from entente.web.designation_forms import (
    CHOICES,
    LISTS,
    Built,
    allowed_fields,
    blank_rows,
    content_of,
    row_count,
    rows_of,
    where,
)
from entente.web.problems import status_for

__all__ = ["routes"]

routes = PageRoutes()

SHOWN_ERRORS = (InvalidInputError, ConflictError, PermissionDeniedError)


@routes.get("/sanctions", name="sanctions")
async def packages_page(ctx: Context) -> web.Response:
    """The sanctions packages my party takes part in, newest first."""
    async with ctx.read() as session:
        packages = [await get_package(session, pid, ctx.caller) for pid in await list_package_ids(session, ctx.caller)]
    packages.sort(key=lambda p: p.id, reverse=True)
    return ctx.render("sanctions/list.html", {"packages": packages})


def _package_id(ctx: Context) -> int:
    return ctx.path_id("package")


async def _form_page(
    ctx: Context,
    package: Package,
    *,
    designation_id: str | None,
    values: dict[str, str],
    problems: list[dict[str, str]] | None = None,
    detail: str | None = None,
    candidates: list[dict[str, Any]] | None = None,
    entered: Designation | None = None,
    existing_in_package: str | None = None,
    status: int = 200,
) -> web.Response:
    parties = package.access.accepted_parties
    counts = {spec.prefix: row_count(values, spec.prefix) for spec in LISTS}
    counts["ev"] = row_count(values, "ev")
    counts["same_as"] = len([k for k, v in values.items() if k.startswith("same_as.") and v])
    rows = {prefix: count + blank_rows(count) for prefix, count in counts.items() if prefix != "same_as"}
    by_row: dict[str, list[str]] = {}
    for problem in problems or []:
        by_row.setdefault(problem["key"], []).append(f"{problem['label']}: {problem['reason']}")
    suggestions: list[tuple[str, str]] = []
    if entered is not None:
        suggestions = [(s.pointer, s.value.whole_name) for s in entered.transliteration_suggestions()]
    context = {
        "package": package,
        "designation_id": designation_id,
        "parties": parties,
        "values": values,
        "rows": rows,
        "links": [values[f"same_as.{i}"] for i in range(40) if values.get(f"same_as.{i}")],
        "choices": CHOICES,
        "detail": detail,
        "problems": problems or [],
        "by_row": by_row,
        "candidates": candidates or [],
        "entered": entered,
        "existing_in_package": existing_in_package,
        "suggestions": suggestions,
    }
    return ctx.render("sanctions/designation.html", context, status=status)


@routes.get("/sanctions/packages/{package}/designations/new", name="sanctions-designation-new")
async def new_form(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        package = await get_package(session, _package_id(ctx), ctx.caller)
    number = len(package.designations) + 1
    taken = {p.designation.id for p in package.designations}
    while f"D-{number:03d}" in taken:
        number += 1
    values = {"id": f"D-{number:03d}", "subject_type": "person", "marking": "public"}
    return await _form_page(ctx, package, designation_id=None, values=values)


@routes.get("/sanctions/packages/{package}/designations/{designation}/edit", name="sanctions-designation-form")
async def edit_form(ctx: Context) -> web.Response:
    async with ctx.read() as session:
        package = await get_package(session, _package_id(ctx), ctx.caller)
    placed = package.get(ctx.segment("designation"))
    values = rows_of(placed.designation.to_annex_content(), placed.marking.to_dict())
    return await _form_page(ctx, package, designation_id=placed.designation.id, values=values)


@routes.post("/sanctions/packages/{package}/designations", name="sanctions-designation-add")
async def add_submit(ctx: Context) -> web.StreamResponse:
    return await _submit(ctx, None)


@routes.post("/sanctions/packages/{package}/designations/{designation}", name="sanctions-designation-edit")
async def edit_submit(ctx: Context) -> web.StreamResponse:
    return await _submit(ctx, ctx.segment("designation"))


async def _submit(ctx: Context, designation_id: str | None) -> web.StreamResponse:
    """Save the designation form; ``action=suggest`` fills in the offered transliterations instead."""
    package_id = _package_id(ctx)
    async with ctx.read() as session:
        package = await get_package(session, package_id, ctx.caller)
    old = package.get(designation_id) if designation_id is not None else None
    parties = package.access.accepted_parties
    form = await ctx.form(allowed_fields(parties))
    built: Built | None = None
    entered: Designation | None = None
    try:
        built = content_of(
            form, old=old.designation.to_annex_content() if old else None, parties=parties, author=ctx.caller.party
        )
        if form.get("action") == "suggest":
            values = dict(form) | suggested_transliterations(built)
            return await _form_page(ctx, package, designation_id=designation_id, values=values)
        entered = Designation.from_annex_content({"proposed_by": ctx.caller.party, **built.content})
        common: dict[str, Any] = {
            "package_id": package_id,
            "caller": ctx.caller,
            "content": built.content,
            "marking": built.marking,
            "confirm": bool(form.get("confirm")),
            "now": ctx.now,
            "ladder": ctx.ladder,
            "max_sections": ctx.settings.limits.max_sections,
        }
        async with ctx.write() as session:
            if designation_id is None:
                await operations.add_designation(session, **common)
            else:
                await operations.update_designation(session, designation_id=designation_id, **common)
    except NotFoundError:
        raise
    except SHOWN_ERRORS as exc:
        return await _refused(ctx, package, designation_id, form, built, entered, exc)
    location = ctx.url("sanctions-package", package=str(package_id))
    raise web.HTTPSeeOther(location=f"{location}#designation-{built.content['id'] if built else ''}")


def suggested_transliterations(built: Built) -> dict[str, str]:
    """Form fields filled with a machine transliteration, for each name written only in a non-Latin
    script (ICAO 9303 for Cyrillic, Revised Romanization, Pinyin); a name that does not read is skipped."""
    out: dict[str, str] = {}
    candidates = [("name.latin", built.content.get("primary_name"))]
    rows = built.rows.get("aliases", [])
    for index, alias in enumerate(built.content.get("aliases", [])):
        candidates.append((f"alias.{rows[index]}.latin", alias.get("name") if isinstance(alias, dict) else None))
    for field, value in candidates:
        try:
            suggestion = Name.model_validate(value).suggested_transliteration()
        except (ValidationError, ValueError):
            continue
        if suggestion is not None:
            out[field] = suggestion.whole_name
    return out


async def _refused(
    ctx: Context,
    package: Package,
    designation_id: str | None,
    form: dict[str, str],
    built: Built | None,
    entered: Designation | None,
    exc: EntenteError,
) -> web.Response:
    problems = []
    listed = exc.extra.get("errors") if isinstance(exc.extra.get("errors"), list) else None
    for item in listed or ([{"field": exc.field, "reason": exc.detail}] if exc.field is not None else []):
        key, label = where(str(item.get("field") or ""), built)
        reason = str(item.get("reason", ""))
        if reason.startswith(("Tuple should have at least 1 item", "List should have at least 1 item")):
            reason = "choose at least one"
        problems.append({"key": key, "label": label, "reason": reason})
    candidates: list[dict[str, Any]] = []
    if exc.code == "probable_duplicate":
        async with ctx.read() as session:
            for found in exc.extra.get("candidates", []):
                try:
                    other = (
                        package
                        if found["package"] == package.id
                        else await get_package(session, int(found["package"]), ctx.caller)
                    )
                    placed = other.get(str(found["designation"]))
                except NotFoundError:
                    continue
                candidates.append(
                    {
                        "package": other,
                        "designation": placed.designation,
                        "score": found.get("score"),
                        "reasons": found.get("reasons", []),
                        "linkable": other.id != package.id,
                    }
                )
    existing = (
        str(exc.extra.get("existing")) if exc.code == "duplicate_designation" and exc.extra.get("existing") else None
    )
    values = dict(form)
    link = values.pop("link", "")
    values.pop("confirm", None)
    if link and link not in values.values():
        free = next(i for i in range(41) if not values.get(f"same_as.{i}"))
        values[f"same_as.{free}"] = link
    return await _form_page(
        ctx,
        package,
        designation_id=designation_id,
        values=values,
        problems=problems if exc.code != "probable_duplicate" else [],
        detail=exc.detail,
        candidates=candidates,
        entered=entered,
        existing_in_package=existing,
        status=status_for(exc),
    )
