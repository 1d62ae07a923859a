"""The public annex as pages show it: sanctions designations as a readable table (names in their own
script, with the transliteration beside them), other annex items as plain JSON in their own script.

Shared by the public release page and the press briefing; the rows are the same the public PDF prints
(:func:`entente.documents.specs.designation_row`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from entente.documents.spec import DesignationRow, measure_name
from entente.documents.specs import DESIGNATION_KIND, EVIDENCE_KIND, designation_row

__all__ = ["annex_view"]


def annex_view(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``designations`` (table rows) and ``others`` (kind, JSON text) from decoded public annex items
    (each ``{"id", "kind", "content"}``)."""
    items = list(items)
    evidence: dict[str, list[str]] = {}
    for item in items:
        if item["kind"] == EVIDENCE_KIND and isinstance(item["content"], Mapping):
            evidence.setdefault(str(item["content"].get("designation")), []).append(
                str(item["content"].get("text", ""))
            )
    designations: list[DesignationRow] = []
    others: list[dict[str, str]] = []
    for item in items:
        content = item["content"]
        if item["kind"] == DESIGNATION_KIND and isinstance(content, Mapping):
            designations.append(designation_row(content, evidence=evidence.get(str(content.get("id")), ())))
        elif item["kind"] != EVIDENCE_KIND:
            text = json.dumps(content, ensure_ascii=False, indent=2, sort_keys=True)
            others.append({"id": str(item.get("id", "")), "kind": str(item["kind"]), "json": text})
    return {"designations": designations, "others": others, "measure_name": measure_name}
