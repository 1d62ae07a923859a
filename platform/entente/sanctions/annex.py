"""How designations are stored as annex items of a package version, and read back per reader.

Chosen so drafting's per-item disclosure decides who sees what:

- each designation is an annex item of kind ``designation`` holding its content WITHOUT evidence
  and links, under the marking the drafter gave (public by default: the statement of reasons is
  usually public);
- each evidence item is an annex item of kind ``designation_evidence`` holding
  ``{"designation": <designation id>, "id", "text"}`` under the evidence item's own marking;
- each party's reason for declining a designation is an annex item of kind ``designation_reason``
  holding ``{"designation", "party", "text"}`` under the reason's own marking (the declining
  party's choice; by default the package's participants; never wider than the designation's own
  marking, so a reason never reveals a designation to someone who may not see it);
- each link to the same subject in another package (``same_as``) is an annex item of kind
  ``designation_link`` holding ``{"designation", "package", "linked"}``, releasable only to the
  parties that may see the linked designation there: never public, so neither a reader outside
  that package nor the public learns that package exists.

A reader's designation is reassembled from the items it may see (:func:`assemble`); a change is
written back with :func:`rewrite`, which leaves every item the caller did not change as stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from entente.disclosure import Marking
from entente.drafting.versions import StoredItem
from entente.errors import InvalidInputError
from entente.models import AnnexItemInput

from .model import ANNEX_KIND, Designation

__all__ = ["EVIDENCE_KIND", "LINK_KIND", "REASON_KIND", "LinkKey", "PlacedDesignation", "assemble", "rewrite"]

#: The annex item kind an evidence item of a designation is stored under.
EVIDENCE_KIND = "designation_evidence"
#: The annex item kind a party's reason for declining a designation is stored under.
REASON_KIND = "designation_reason"
#: The annex item kind a designation's link to the same subject in another package is stored under.
LINK_KIND = "designation_link"

#: ``(package id, designation id)`` of a linked designation.
LinkKey = tuple[int, str]


@dataclass(frozen=True)
class PlacedDesignation:
    """A designation as one reader sees it, with the annex item that holds it."""

    designation: Designation
    item_id: str
    marking: Marking


def _kind(stored: StoredItem) -> str:
    return str(stored.item.value["kind"])


def _content(stored: StoredItem) -> dict[str, Any]:
    return dict(stored.item.value["content"])


def _evidence_entries(annex: Sequence[StoredItem]) -> list[tuple[str, str, StoredItem]]:
    """``(designation id, evidence id, item)`` for each visible evidence item. An editor who could not see
    an evidence item may reuse its id: both are kept, the later one shown as ``<id>.<annex item id>``."""
    out = []
    seen: set[tuple[str, str]] = set()
    for stored in annex:
        if _kind(stored) != EVIDENCE_KIND:
            continue
        content = _content(stored)
        evidence_id = content["id"]
        if (content["designation"], evidence_id) in seen:
            evidence_id = f"{evidence_id[:40]}.{stored.item.id}"
        seen.add((content["designation"], evidence_id))
        out.append((content["designation"], evidence_id, stored))
    return out


def _link_entries(annex: Sequence[StoredItem]) -> list[tuple[str, LinkKey, StoredItem]]:
    return [
        (c["designation"], (c["package"], c["linked"]), stored)
        for stored in annex
        if _kind(stored) == LINK_KIND
        for c in [_content(stored)]
    ]


def _reason_entries(annex: Sequence[StoredItem]) -> list[tuple[str, str, StoredItem]]:
    """``(designation id, party, item)`` for each visible reason item."""
    return [
        (c["designation"], c["party"], stored)
        for stored in annex
        if _kind(stored) == REASON_KIND
        for c in [_content(stored)]
    ]


def _with_reasons(content: dict[str, Any], reasons: Mapping[str, StoredItem]) -> None:
    """Put each visible reason into its party's declined position (new dicts: stored items are shared)."""
    positions = content.get("parties")
    if not isinstance(positions, list) or not reasons:
        return
    out = []
    for position in positions:
        stored = reasons.get(position.get("party")) if isinstance(position, dict) else None
        if stored is not None and position.get("state") == "declined" and "reason" not in position:
            marking = stored.item.marking.to_dict()
            marking.pop("tlp", None)
            position = {**position, "reason": _content(stored)["text"], "reason_marking": marking}
        out.append(position)
    content["parties"] = out


def assemble(annex: Sequence[StoredItem]) -> list[PlacedDesignation]:
    """Designations from visible annex items, each with the visible evidence, reasons and links that
    reference it."""
    reasons: dict[str, dict[str, StoredItem]] = {}
    for designation_id, party, stored in _reason_entries(annex):
        reasons.setdefault(designation_id, {})[party] = stored
    evidence: dict[str, list[dict[str, Any]]] = {}
    for designation_id, evidence_id, stored in _evidence_entries(annex):
        evidence.setdefault(designation_id, []).append(
            {"id": evidence_id, "text": _content(stored)["text"], "marking": stored.item.marking.to_dict()}
        )
    links: dict[str, set[LinkKey]] = {}
    for designation_id, key, _ in _link_entries(annex):
        links.setdefault(designation_id, set()).add(key)
    out = []
    for stored in annex:
        if _kind(stored) != ANNEX_KIND:
            continue
        content = _content(stored)
        content["evidence"] = evidence.get(content["id"], [])
        _with_reasons(content, reasons.get(content["id"], {}))
        content["same_as"] = [{"package": p, "designation": d} for p, d in sorted(links.get(content["id"], ()))]
        out.append(PlacedDesignation(Designation.from_annex_content(content), stored.item.id, stored.item.marking))
    return out


def _input(item_id: str | None, kind: str, content: Any, marking: Marking) -> AnnexItemInput:
    return AnnexItemInput.model_validate(
        {"id": item_id, "kind": kind, "content": content, "marking": {**marking.to_dict(), "tlp": None}}
    )


def _stored_content(designation: Designation) -> dict[str, Any]:
    """The designation item's content: no evidence, no links, no party's reason (each is its own item)."""
    positions = tuple(p.model_copy(update={"reason": None, "reason_marking": None}) for p in designation.parties)
    return designation.evolve(evidence=(), same_as=(), parties=positions, bump=False).to_annex_content()


def reason_marking(
    position_marking: Marking | None, *, party: str, designation: Marking, participants: Sequence[str]
) -> Marking:
    """Who may read ``party``'s reason: its own marking (by default the participants), never wider than
    the designation's marking, and always the party itself."""
    chosen = position_marking or Marking.releasable_to(participants, author=party)
    if chosen.public:
        if designation.public:
            return chosen
        chosen = designation
    elif not designation.public:
        chosen = Marking(public=False, parties=chosen.parties & designation.parties)
    return Marking.releasable_to(chosen.parties, author=party)


def _parts(
    designation: Designation,
    evidence_ids: Mapping[str, str],
    link_ids: Mapping[LinkKey, str],
    links: Mapping[LinkKey, Marking] | None,
    *,
    marking: Marking,
    reason_ids: Mapping[str, str],
    participants: Sequence[str],
) -> list[AnnexItemInput]:
    """The evidence and reason items of ``designation`` and, when ``links`` gives their markings, its
    link items."""
    out = []
    for e in designation.evidence:
        content = {"designation": designation.id, "id": e.id, "text": e.text}
        out.append(_input(evidence_ids.get(e.id), EVIDENCE_KIND, content, e.marking))
    for p in designation.parties:
        if p.reason is None or p.state.value != "declined":
            continue
        content = {"designation": designation.id, "party": p.party, "text": p.reason}
        shown = reason_marking(p.reason_marking, party=p.party, designation=marking, participants=participants)
        out.append(_input(reason_ids.get(p.party), REASON_KIND, content, shown))
    if links is None:
        return out
    for index, link in enumerate(designation.same_as):
        key = (link.package, link.designation)
        if key not in links:
            raise InvalidInputError("a link needs its marking", code="unknown_link", field=f"/same_as/{index}")
        content = {"designation": designation.id, "package": link.package, "linked": link.designation}
        out.append(_input(link_ids.get(key), LINK_KIND, content, links[key]))
    return out


def rewrite(
    annex: Sequence[StoredItem],
    changed: Sequence[tuple[Designation, Marking | None]],
    *,
    links: Mapping[LinkKey, Marking] | None,
    participants: Sequence[str] = (),
) -> list[AnnexItemInput]:
    """The annex the caller saves: each designation of ``changed`` replaces the one with its id (or is
    added, under the given marking, public by default), its evidence and reason items rewritten from
    its evidence and its parties' positions (a reason without a marking of its own is releasable to
    ``participants``) and, when ``links`` gives their markings, its link items from its ``same_as``
    (otherwise the stored link items stay as they are). Items the caller cannot see are kept by
    drafting, untouched."""
    by_id = {d.id: (d, m) for d, m in changed}
    evidence_ids: dict[str, dict[str, str]] = {}
    for designation_id, evidence_id, stored in _evidence_entries(annex):
        evidence_ids.setdefault(designation_id, {})[evidence_id] = stored.item.id
    reason_ids: dict[str, dict[str, str]] = {}
    for designation_id, party, stored in _reason_entries(annex):
        reason_ids.setdefault(designation_id, {})[party] = stored.item.id
    link_ids: dict[str, dict[LinkKey, str]] = {}
    for designation_id, key, stored in _link_entries(annex):
        link_ids.setdefault(designation_id, {})[key] = stored.item.id
    out: list[AnnexItemInput] = []
    done: set[str] = set()
    for stored in annex:
        kind, content = _kind(stored), _content(stored)
        if kind in (EVIDENCE_KIND, REASON_KIND) and content["designation"] in by_id:
            continue  # rewritten below, after its designation
        if kind == LINK_KIND and content["designation"] in by_id and links is not None:
            continue
        if kind == ANNEX_KIND and content["id"] in by_id:
            designation, marking = by_id[content["id"]]
            chosen = marking or stored.item.marking
            out.append(_input(stored.item.id, ANNEX_KIND, _stored_content(designation), chosen))
            parts = _parts(
                designation,
                evidence_ids.get(designation.id, {}),
                link_ids.get(designation.id, {}),
                links,
                marking=chosen,
                reason_ids=reason_ids.get(designation.id, {}),
                participants=participants,
            )
            out.extend(parts)
            done.add(designation.id)
            continue
        out.append(_input(stored.item.id, kind, content, stored.item.marking))
    for designation, marking in changed:
        if designation.id in done:
            continue
        chosen = marking or Marking.everyone()
        out.append(_input(None, ANNEX_KIND, _stored_content(designation), chosen))
        out.extend(
            _parts(
                designation,
                {},
                {},
                links if links is not None else {},
                marking=chosen,
                reason_ids={},
                participants=participants,
            )
        )
    return out
