"""Versions as Entente wrote them before format 2 (a plain module: no tests here).

``format_1_build_version`` is the version builder of format 1: each item's marking in the clear in the
version object, no ``format`` member, no marking disclosures. Patch it in for one communiqué
(``monkeypatch.setattr(entente.drafting.writing, "build_version", format_1_build_version)``) to replay
a version written before format 2.
"""

from __future__ import annotations

from typing import Any

from entente import canonical
from entente.drafting import versions as drafting_versions


def format_1_build_version(**kwargs: Any) -> drafting_versions.BuiltVersion:
    """The version builder as it was before format 2: each marking in the clear, no marking disclosures."""
    built = drafting_versions.build_version(**kwargs)
    old_sections = [drafting_versions.StoredItem(s.item, s.digest, s.disclosure) for s in built.sections]
    old_annex = [drafting_versions.StoredItem(s.item, s.digest, s.disclosure) for s in built.annex]
    obj = {key: value for key, value in built.object.items() if key != "format"}
    obj["sections"] = [{"digest": s.digest, "marking": s.item.marking.to_dict()} for s in old_sections]
    obj["annex"] = [{"digest": s.digest, "marking": s.item.marking.to_dict()} for s in old_annex]
    content = canonical.canonical_bytes(obj)
    return drafting_versions.BuiltVersion(obj, content, canonical.digest(content), old_sections, old_annex)
