"""Turning what an editor sends into items, and writing a new immutable version.

Rules enforced here, for every section and annex item the caller sends:

- an existing item is named by its id and must be one the caller can see in the version it edits
  (an id it cannot see is answered exactly like an id that does not exist); a new item has no id
  and the server names it;
- headings are one line, bodies are Markdown without HTML (:mod:`entente.drafting.markdown`);
- a marking names only parties on the communiqué's roster, always includes the item's originating
  party, and may be widened only by that party (anyone who can see an item may narrow it).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from entente import canonical
from entente.disclosure import Marking
from entente.drafting.markdown import check_markdown, check_plain_text
from entente.drafting.versions import ANNEX, SECTION, BuiltVersion, Item, build_version, make_item
from entente.errors import InvalidInputError, PermissionDeniedError
from entente.models import AnnexItemInput, Communique, CommuniqueVersion, MarkingInput, SectionInput, VersionItem

__all__ = ["MAX_ANNEX_ITEMS", "check_counts", "input_items", "template_ref", "write_version"]

MAX_ANNEX_ITEMS = 2000
_PREFIX = {SECTION: "s-", ANNEX: "a-"}


def _marking(
    given: MarkingInput, *, origin: str, roster: set[str], field: str, old: Marking | None, party: str
) -> Marking:
    marking = Marking.from_dict(
        {"public": given.public, "releasable_to": list(given.releasable_to)}, author=origin, field=field
    )
    outside = sorted(marking.parties - roster)
    if outside:
        raise InvalidInputError(
            f"{', '.join(outside)} {'does' if len(outside) == 1 else 'do'} not take part in this communiqué",
            code="marking_party_not_participating",
            field=f"{field}/releasable_to",
        )
    if old is not None and old.widens(marking) and party != origin:
        raise PermissionDeniedError(
            f"only {origin}, which wrote this item, may widen who it is releasable to (you may narrow it)",
            code="marking_widen_forbidden",
            extra={"field": field},
        )
    return marking


def _new_id(part: str, taken: set[str]) -> str:
    while True:
        candidate = _PREFIX[part] + secrets.token_hex(5)
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def input_items(
    part: str,
    given: Sequence[SectionInput | AnnexItemInput],
    *,
    editable: Mapping[str, Item],
    taken: set[str],
    roster: set[str],
    party: str,
    pointer: str,
) -> list[Item]:
    """Items from the editor's input. ``editable``: the items the caller may see in the version it
    edits (by id); ``taken``: every id in use anywhere (new ids avoid them); ``party``: the caller's."""
    items: list[Item] = []
    seen: set[str] = set()
    for index, entry in enumerate(given):
        field = f"{pointer}/{index}"
        old = editable.get(entry.id) if entry.id is not None else None
        if entry.id is not None and old is None:
            raise InvalidInputError(
                f"no {part} {entry.id!r} in the version you edit (new {part}s are sent without an id)",
                code="unknown_item",
                field=f"{field}/id",
            )
        if entry.id in seen:
            raise InvalidInputError(f"{part} {entry.id!r} appears twice", code="duplicate_item", field=f"{field}/id")
        item_id = entry.id if entry.id is not None else _new_id(part, taken)
        seen.add(item_id)
        origin = old.origin if old is not None else party
        marking = _marking(
            entry.marking,
            origin=origin,
            roster=roster,
            field=f"{field}/marking",
            old=old.marking if old is not None else None,
            party=party,
        )
        if old is not None and marking == old.marking and _unchanged(entry, old):
            items.append(old)
            continue
        if isinstance(entry, SectionInput):
            if not entry.heading.strip():
                raise InvalidInputError("a section needs a heading", code="invalid_text", field=f"{field}/heading")
            value: dict[str, Any] = {
                "heading": check_plain_text(entry.heading.strip(), field=f"{field}/heading"),
                "body": check_markdown(entry.body, field=f"{field}/body"),
            }
        else:
            value = {"kind": entry.kind, "content": entry.content}
        items.append(make_item(part, item_id, value, marking, origin))
    return items


def _unchanged(entry: SectionInput | AnnexItemInput, old: Item) -> bool:
    """The editor sent an item back as it was: keep the stored one (already checked, hashed)."""
    if isinstance(entry, SectionInput):
        heading = entry.heading.strip()
        if old.value["heading"] == heading and old.value["body"] == entry.body:
            return True  # the common case: sent back as read (already NFC)
        return old.value == canonical.normalize({"heading": heading, "body": entry.body})
    return old.value == {"kind": entry.kind, "content": canonical.normalize(entry.content)}


def check_counts(sections: Sequence[Item], annex: Sequence[Item], *, max_sections: int) -> None:
    if len(sections) > max_sections:
        raise InvalidInputError(
            f"{len(sections)} sections; a communiqué has at most {max_sections}",
            code="too_many_sections",
            field="/sections",
        )
    if len(annex) > MAX_ANNEX_ITEMS:
        raise InvalidInputError(
            f"{len(annex)} annex items; a communiqué has at most {MAX_ANNEX_ITEMS}",
            code="too_many_annex_items",
            field="/annex",
        )


def template_ref(communique: Communique) -> dict[str, Any] | None:
    if communique.template_id is None:
        return None
    return {
        "id": communique.template_id,
        "version": communique.template_version,
        "digest": communique.template_digest,
        "tier": communique.tier,
    }


async def write_version(
    session: AsyncSession,
    communique: Communique,
    *,
    parties: Sequence[str],
    title: str,
    sections: Sequence[Item],
    annex: Sequence[Item],
    author: str,
    author_party: str,
    now: datetime,
    merged_head: str | None = None,
    template_params: dict[str, Any] | None = None,
    written: list[BuiltVersion] | None = None,
) -> CommuniqueVersion:
    """Append version ``head + 1`` and move the head to it (the caller holds the communiqué lock).
    ``written``, when given, receives the version as built (its stored items), so the caller can
    answer with it without reading back what it just wrote."""
    assert communique.id is not None
    number = communique.head_number + 1
    built = build_version(
        communique=communique.id,
        number=number,
        prev=communique.head_digest,
        kind=communique.kind,
        title=title,
        lead=communique.lead,
        parties=parties,
        template=template_ref(communique),
        sections=sections,
        annex=annex,
    )
    version = CommuniqueVersion(
        **built.stored(),
        author=author,
        author_party=author_party,
        created_at=now,
        merged_head=merged_head,
        template_params=template_params,
    )
    session.add(version)
    await session.flush()
    rows = [
        {
            "version_id": version.id,
            "part": stored.item.part,
            "position": position,
            "communique_id": communique.id,
            "item_id": stored.item.id,
            "digest": stored.digest,
            "disclosure": stored.disclosure,
            "marking": stored.item.marking.to_dict(),
            "marking_disclosure": stored.marking_disclosure,
            "origin": stored.item.origin,
            "content_hash": stored.item.content_hash,
        }
        for group in (built.sections, built.annex)
        for position, stored in enumerate(group)
    ]
    if rows:
        # Core insert (executemany): the ORM's bulk path costs more than the rows themselves here.
        await session.execute(sa.insert(VersionItem.__table__), rows)  # type: ignore[attr-defined]
    communique.head_number = number
    communique.head_digest = built.digest
    communique.title = title
    communique.updated_at = now
    communique.ready_digest = None
    session.add(communique)
    if written is not None:
        written.append(built)
    return version
