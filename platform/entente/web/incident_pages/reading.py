"""Reading the pages' forms into the API's data models, and rendering Markdown."""

from __future__ import annotations

import re
from typing import Any

from entente.drafting.markdown import render_markdown
from entente.errors import (
    ConflictError,
    EntenteError,
    InvalidInputError,
    PermissionDeniedError,
    PreconditionRequiredError,
)
from entente.ladder import Ladder, MetricKind
from entente.models import IncidentMarkingIn

_NUMBER = re.compile(r"\d+(\.\d+)?")
METRIC_PREFIX = "metric."
#: Refusals shown beside the form that caused them (anything else: the error page).
SHOWN_ERRORS = (InvalidInputError, ConflictError, PreconditionRequiredError, PermissionDeniedError)


markdown = render_markdown  # one Markdown renderer for every page (raw HTML disabled)


# --- reading forms ------------------------------------------------------------------------------


def metric_fields(ladder: Ladder) -> set[str]:
    names = set()
    for metric in ladder.metrics.values():
        if metric.kind is MetricKind.SET:
            assert metric.scale is not None
            names.update(f"{METRIC_PREFIX}{metric.name}.{member}" for member in metric.scale.members)
        else:
            names.add(f"{METRIC_PREFIX}{metric.name}")
    return names


def metrics_from_form(ladder: Ladder, form: dict[str, str]) -> dict[str, Any]:
    """Reported metrics from a form: empty fields are not reported; numbers are read with a decimal point."""
    metrics: dict[str, Any] = {}
    for metric in ladder.metrics.values():
        if metric.kind is MetricKind.SET:
            assert metric.scale is not None
            chosen = [str(m) for m in metric.scale.members if form.get(f"{METRIC_PREFIX}{metric.name}.{m}")]
            if chosen:
                metrics[metric.name] = chosen
            continue
        raw = form.get(f"{METRIC_PREFIX}{metric.name}", "").strip()
        if not raw:
            continue
        if metric.kind is MetricKind.QUANTITY:
            compact = raw.replace(" ", "").replace("_", "").replace("\u202f", "")
            if _NUMBER.fullmatch(compact):
                metrics[metric.name] = float(compact) if "." in compact else int(compact)
                continue
        metrics[metric.name] = raw
    return metrics


def metric_values(metrics: dict[str, Any]) -> dict[str, str]:
    """Stored metrics as the form fields that would report them (to prefill a form)."""
    values: dict[str, str] = {}
    for name, value in metrics.items():
        if isinstance(value, list):
            values.update({f"{METRIC_PREFIX}{name}.{member}": "on" for member in value})
        elif value is not None:
            values[f"{METRIC_PREFIX}{name}"] = str(value)
    return values


def marking_from_form(form: dict[str, str], participants: tuple[str, ...]) -> IncidentMarkingIn:
    if form.get("marking", "restricted") == "public":
        return IncidentMarkingIn(public=True)
    return IncidentMarkingIn(releasable_to=[p for p in participants if form.get(f"releasable_to.{p}")])


def marking_fields(participants: tuple[str, ...]) -> set[str]:
    return {"marking", *(f"releasable_to.{p}" for p in participants)}


def errors_of(error: EntenteError) -> dict[str, str]:
    """Problems keyed by field (JSON Pointer) for display beside the form, ``""`` for the form itself."""
    found = {"": error.detail}
    for item in error.extra.get("errors", []) if isinstance(error.extra.get("errors"), list) else []:
        if isinstance(item, dict) and item.get("field"):
            found[str(item["field"])] = str(item.get("reason", ""))
    if error.field:
        found.setdefault(error.field, error.detail)
    return found
