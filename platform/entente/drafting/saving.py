"""Saving a version: ``If-Match`` names the version edited; a stale save merges or answers 409.

The caller sends the title, sections and annex items *as it sees them*. Items it cannot see are
untouched by its save and keep their place (after their nearest visible predecessor). When the
communiqué moved on since the edited version, :func:`entente.drafting.merge.merge_items` merges
section by section against that version; any conflict answers ``ConflictError`` (409,
``merge_conflict``) carrying base, theirs and yours for each conflicting item (only what the
caller may see; an item it can no longer see is shown as gone) and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entente import audit
from entente.auth import Caller
from entente.disclosure import may_see
from entente.drafting.access import Access, find_versions, get_access, items_of, load_items_of, require_editor
from entente.drafting.communiques import require_editable
from entente.drafting.merge import Conflict, MergeResult, merge_items, place_missing, proposal
from entente.drafting.reading import VersionView, recall, remember
from entente.drafting.versions import ANNEX, SECTION, BuiltVersion, Item, StoredItem
from entente.drafting.writing import check_counts, input_items, write_version
from entente.errors import ConflictError, PreconditionFailedError, PreconditionRequiredError
from entente.models import CommuniqueVersion, VersionSave

__all__ = ["SaveOutcome", "conflict_view", "save_version"]


@dataclass(frozen=True)
class SaveOutcome:
    access: Access
    version: CommuniqueVersion
    merged_head: str | None
    built: BuiltVersion | None = None

    def view(self) -> VersionView:
        """The saved version as its author sees it, from what was written (no read back)."""
        assert self.built is not None
        return VersionView(self.access, self.version, self.built.sections, self.built.annex)


def _yours(
    part: str,
    given: Sequence[Any] | None,
    base: Sequence[Item],
    everything: set[str],
    access: Access,
) -> list[Item]:
    """The caller's full list: its visible items as sent, its invisible ones where they were."""
    if given is None:
        return list(base)
    viewer, admitted = access.viewer, access.admitted  # once, not per item
    editable = {item.id: item for item in base if may_see(item.marking, viewer, admitted=admitted)}
    sent = input_items(
        part,
        given,
        editable=editable,
        taken=set(everything),
        roster=access.roster,
        party=access.caller.party,
        pointer=f"/{'sections' if part == SECTION else 'annex'}",
    )
    hidden = [item for item in base if item.id not in editable]
    if not hidden:
        return sent
    by_id = {item.id: item for item in [*sent, *hidden]}
    order = place_missing([item.id for item in sent], [item.id for item in base], {item.id for item in hidden})
    return [by_id[item_id] for item_id in order]


def _merge(base: Sequence[Item], head: Sequence[Item], yours: list[Item], moved_on: bool) -> MergeResult:
    if not moved_on:
        return MergeResult(items=yours)
    return merge_items(base, head, yours)


def _title(base: str, head: str, yours: str | None) -> tuple[str, bool]:
    """The merged title and whether the titles conflict."""
    mine = base if yours is None else yours.strip()
    if mine == base or mine == head:
        return head, False
    if head == base:
        return mine, False
    return head, True


def conflict_view(conflict: Conflict, access: Access) -> dict[str, Any]:
    """A conflict as the caller may see it: a side it may not see is shown as absent."""

    def side(item: Item | None) -> dict[str, Any] | None:
        if item is None or not access.may_see(item.marking):
            return None
        return {"id": item.id, **item.value, "marking": item.marking.to_dict(), "origin": item.origin}

    base, theirs, yours = side(conflict.base), side(conflict.theirs), side(conflict.yours)
    kind = conflict.kind
    if kind == "edit_edit" and theirs is None:
        kind = "edit_delete"
    return {"part": conflict.part, "id": conflict.id, "kind": kind, "base": base, "theirs": theirs, "yours": yours}


def _proposal(
    access: Access, base: Sequence[Item], head: Sequence[Item], yours: Sequence[Item]
) -> list[dict[str, Any]]:
    """The sections to resubmit against the head (as the editor sends them), visible ones only."""
    visible_head = {item.id for item in head if access.may_see(item.marking)}
    out = []
    for item, fresh in proposal(base, head, yours):
        if not access.may_see(item.marking):
            continue
        keep_id = not fresh and item.id in visible_head
        out.append({"id": item.id if keep_id else None, **item.value, "marking": item.marking.to_dict()})
    return out


_Items = tuple[list[StoredItem], list[StoredItem]]


async def _base_and_head(
    session: AsyncSession, access: Access, base_digest: str
) -> tuple[CommuniqueVersion, CommuniqueVersion, _Items, _Items]:
    """The version edited and the head, with their items: kept in memory (a version never changes)
    when read or written lately, otherwise two selects."""
    communique = access.communique
    base_read = recall(session, access.id, base_digest)
    head_read = recall(session, access.id, communique.head_digest) if communique.head_digest else None
    if base_read is not None and head_read is not None and head_read.columns["number"] == communique.head_number:
        return (
            base_read.version(),
            head_read.version(),
            (base_read.sections, base_read.annex),
            (head_read.sections, head_read.annex),
        )
    found = await find_versions(session, access.id, base_digest, communique.head_number)
    base = next((v for v in found if v.digest == base_digest), None)
    if base is None:
        raise PreconditionFailedError(
            f"no version {base_digest} of communiqué {access.id}",
            code="version_unknown",
            extra={"head": communique.head_digest},
        )
    head = next(v for v in found if v.number == communique.head_number)
    items = await load_items_of(session, [base.id or 0, head.id or 0])
    for version in (base, head):
        remember(session, version, *items[version.id or 0])
    return base, head, items[base.id or 0], items[head.id or 0]


async def save_version(
    session: AsyncSession,
    *,
    communique_id: int,
    caller: Caller,
    base_digest: str | None,
    data: VersionSave,
    now: datetime,
    max_sections: int,
) -> SaveOutcome:
    """Save the caller's edit of version ``base_digest`` as a new version (merging if needed)."""
    access = require_editor(await get_access(session, communique_id, caller, lock=True))
    if base_digest is None:
        raise PreconditionRequiredError(
            'name the version you edit: If-Match: "<version digest>"', code="precondition_required"
        )
    communique = access.communique
    require_editable(communique)
    base, head, (base_sections, base_annex), (head_sections, head_annex) = await _base_and_head(
        session, access, base_digest
    )
    moved_on = base.number != head.number
    everything = {s.item.id for s in (*base_sections, *base_annex, *head_sections, *head_annex)}
    yours_sections = _yours(SECTION, data.sections, items_of(base_sections), everything, access)
    sections = _merge(items_of(base_sections), items_of(head_sections), yours_sections, moved_on)
    annex = _merge(
        items_of(base_annex),
        items_of(head_annex),
        _yours(ANNEX, data.annex, items_of(base_annex), everything, access),
        moved_on,
    )
    title, title_conflict = _title(base.title, head.title, data.title)
    if sections.conflicts or annex.conflicts or title_conflict:
        suggested = _proposal(access, items_of(base_sections), items_of(head_sections), yours_sections)
        _raise_conflicts(access, base, head, sections, annex, title_conflict, data.title, suggested)
    check_counts(sections.items, annex.items, max_sections=max_sections)
    written: list[BuiltVersion] = []
    version = await write_version(
        session,
        communique,
        parties=access.accepted_parties,
        title=title,
        sections=sections.items,
        annex=annex.items,
        author=caller.username,
        author_party=caller.party,
        now=now,
        merged_head=head.digest if moved_on else None,
        template_params=head.template_params,
        written=written,
    )
    remember(session, version, written[0].sections, written[0].annex)  # the next save's head
    await audit.record_by(
        session,
        caller,
        "drafting:version:add",
        f"communique:{access.id}",
        at=now,
        details={"version": version.number, "digest": version.digest, "base": base.digest, "merged": moved_on},
    )
    return SaveOutcome(access, version, head.digest if moved_on else None, written[0])


def _raise_conflicts(
    access: Access,
    base: CommuniqueVersion,
    head: CommuniqueVersion,
    sections: MergeResult,
    annex: MergeResult,
    title_conflict: bool,
    yours_title: str | None,
    suggested: list[dict[str, Any]],
) -> None:
    conflicts = [conflict_view(c, access) for c in (*sections.conflicts, *annex.conflicts)]
    if title_conflict:
        conflicts.insert(
            0,
            {
                "part": "title",
                "id": None,
                "kind": "edit_edit",
                "base": {"title": base.title},
                "theirs": {"title": head.title},
                "yours": {"title": yours_title},
            },
        )
    if not conflicts:
        return
    raise ConflictError(
        f"version {head.number} changed the same {'item' if len(conflicts) == 1 else 'items'} since version "
        f"{base.number}; nothing was saved: reconcile and save again against the head",
        code="merge_conflict",
        extra={
            "base": {"number": base.number, "digest": base.digest},
            "head": {"number": head.number, "digest": head.digest},
            "conflicts": conflicts,
            "proposal": {"title": yours_title if title_conflict else head.title, "sections": suggested},
        },
    )
