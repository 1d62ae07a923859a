"""Reading communiqués: their public shape, versions, history and diffs, each filtered per reader.

Every item that leaves this module went through :func:`entente.drafting.access.visible_items`
(``disclosure.visible``); a reader gets the version object (digests only; format 1 objects show
markings too) plus the disclosures it may see, and a count of what was withheld; a participant also
gets the marking (and its disclosure) of each item it may not read, to sign knowingly.
"""

from __future__ import annotations

import functools
import json
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import canonical
from entente.disclosure import Marking
from entente.drafting.access import _ITEM_COLUMNS, Access, require_admitted, visible_items
from entente.drafting.diffs import ItemDiff, diff_items, word_diff
from entente.drafting.versions import SECTION, StoredItem, decode_item
from entente.errors import NotFoundError
from entente.models import (
    AnnexItemPublic,
    CommuniqueKind,
    CommuniquePublic,
    CommuniqueState,
    CommuniqueVersion,
    DiffPublic,
    ItemDiffPublic,
    MarkingPublic,
    ParticipantPublic,
    SectionPublic,
    TemplateRefPublic,
    VersionItem,
    VersionPublic,
    VersionRef,
    VersionSummary,
    WithheldMarkingPublic,
    WithheldPublic,
)

__all__ = [
    "KeptVersion",
    "VersionView",
    "communique_public",
    "database_of",
    "diff_versions",
    "kept_version",
    "list_versions",
    "marking_public",
    "read_version",
    "recall",
    "remember",
    "summary",
    "version_object",
]


@functools.lru_cache(maxsize=4096)
def marking_public(marking: Marking) -> MarkingPublic:
    """A marking as answered (built once per marking: a few distinct ones serve every item)."""
    return MarkingPublic.model_validate(marking.to_dict())


@functools.lru_cache(maxsize=256)
def version_object(content: bytes) -> dict[str, Any]:
    """A version's object, parsed strictly once per content (the bytes never change)."""
    obj: dict[str, Any] = canonical.parse_strict(content)
    return obj


def _template(access: Access) -> TemplateRefPublic | None:
    c = access.communique
    if c.template_id is None or c.template_version is None or c.template_digest is None:
        return None
    return TemplateRefPublic(id=c.template_id, version=c.template_version, digest=c.template_digest, tier=c.tier)


def communique_public(access: Access) -> CommuniquePublic:
    c = access.communique
    assert c.id is not None
    return CommuniquePublic(
        id=c.id,
        kind=CommuniqueKind(c.kind),
        title=c.title,
        lead=c.lead,
        state=CommuniqueState(c.state),
        incident=c.incident_id,
        template=_template(access),
        participants=[ParticipantPublic.model_validate(p, from_attributes=True) for p in access.participants],
        head=VersionRef(number=c.head_number, digest=c.head_digest) if c.head_digest else None,
        ready_for_release=c.ready_digest is not None and c.ready_digest == c.head_digest,
        accepted=access.admitted,
        supersedes=c.supersedes_id,
        created_by=c.created_by,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def summary(version: CommuniqueVersion) -> VersionSummary:
    return VersionSummary.model_validate(version, from_attributes=True, update={"prev": version.prev_digest})


async def list_versions(session: AsyncSession, access: Access) -> list[VersionSummary]:
    require_admitted(access)
    rows = (
        (
            await session.execute(
                select(CommuniqueVersion)
                .where(CommuniqueVersion.communique_id == access.id)
                .order_by(CommuniqueVersion.number.desc())  # type: ignore[attr-defined]
            )
        )
        .scalars()
        .all()
    )
    out = [summary(v) for v in rows]
    # what each version holds, without salts: (part, item id, content hash, marking) in order
    held: dict[int, list[tuple[str, str, str, str]]] = {}
    items = await session.execute(
        sa.select(
            col(VersionItem.version_id),
            col(VersionItem.part),
            col(VersionItem.item_id),
            col(VersionItem.content_hash),
            col(VersionItem.marking),
        )
        .where(col(VersionItem.communique_id) == access.id)
        .order_by(col(VersionItem.version_id), col(VersionItem.part), col(VersionItem.position))
    )
    for version_id, part, item_id, content_hash, marking in items.all():
        held.setdefault(version_id, []).append((part, item_id, content_hash, json.dumps(marking, sort_keys=True)))
    for index, (row, version) in enumerate(zip(out, rows, strict=True)):
        if row.number == 1:
            row.change = "start"
        elif index + 1 < len(rows):
            before = rows[index + 1]
            added = sorted(
                set(json.loads(version.content).get("parties", ())) - set(json.loads(before.content).get("parties", ()))
            )
            if added and version.title == before.title and held.get(version.id or 0) == held.get(before.id or 0):
                row.change, row.joined = "join", added
    return out


def _shown(s: StoredItem) -> dict[str, Any]:
    """What a section and an annex item show alike: the marking, the origin and the disclosures."""
    return {
        "marking": marking_public(s.item.marking),
        "origin": s.item.origin,
        "digest": s.digest,
        "disclosure": s.disclosure,
        "marking_disclosure": s.marking_disclosure,
    }


class VersionView:
    """A version as one reader sees it: the object, the visible items and what was withheld."""

    def __init__(
        self, access: Access, version: CommuniqueVersion, sections: Sequence[StoredItem], annex: Sequence[StoredItem]
    ) -> None:
        self.access = access
        self.version = version
        self.all_sections = len(sections)
        self.all_annex = len(annex)
        self.sections = visible_items(access, sections)
        self.annex = visible_items(access, annex)
        shown = {s.digest for s in self.sections} | {s.digest for s in self.annex}
        #: The items this participant may not read, with their markings: a signatory signs knowing who
        #: may read what (the viewer is admitted, or ``visible_items`` above would have shown nothing).
        self.withheld_items = (
            [
                (part, position, stored)
                for part, group in (("section", sections), ("annex", annex))
                for position, stored in enumerate(group)
                if stored.digest not in shown
            ]
            if access.admitted
            else []
        )

    @property
    def withheld(self) -> WithheldPublic:
        return WithheldPublic(sections=self.all_sections - len(self.sections), annex=self.all_annex - len(self.annex))

    def public(self) -> VersionPublic:
        obj = version_object(self.version.content)
        return VersionPublic(
            **summary(self.version).model_dump(),
            communique=self.access.id,
            kind=obj["kind"],
            lead=obj["lead"],
            parties=obj["parties"],
            template=TemplateRefPublic.model_validate(obj["template"]) if obj["template"] else None,
            object=obj,
            sections=[
                SectionPublic(id=s.item.id, heading=s.item.heading, body=s.item.body, **_shown(s))
                for s in self.sections
            ],
            annex=[
                AnnexItemPublic(id=s.item.id, kind=s.item.value["kind"], content=s.item.value["content"], **_shown(s))
                for s in self.annex
            ],
            withheld=self.withheld,
            withheld_markings=[
                WithheldMarkingPublic(
                    part=part,
                    position=position,
                    digest=s.digest,
                    marking=marking_public(s.item.marking),
                    marking_disclosure=s.marking_disclosure,
                )
                for part, position, s in self.withheld_items
            ],
        )


@dataclass(frozen=True)
class KeptVersion:
    """A version and its items as read once: a version never changes, so this is kept by digest."""

    columns: dict[str, Any]
    sections: list[StoredItem]
    annex: list[StoredItem]

    def version(self) -> CommuniqueVersion:
        # A fresh, detached copy each time (never added to a session: it could not be).
        return CommuniqueVersion.model_construct(**self.columns)


_READS: OrderedDict[tuple[str | None, int, str], KeptVersion] = OrderedDict()
_READS_KEPT = 64
_VERSION_COLUMNS = tuple(col(c) for c in CommuniqueVersion.__table__.columns)  # type: ignore[attr-defined]
_VERSION_KEYS = tuple(c.key for c in CommuniqueVersion.__table__.columns)  # type: ignore[attr-defined]
_WIDTH = len(_VERSION_COLUMNS)
# One statement for a version and its items (built once: SQLAlchemy caches its compiled form).
_JOINED = (
    sa.select(*_VERSION_COLUMNS, *_ITEM_COLUMNS)
    .select_from(sa.outerjoin(CommuniqueVersion, VersionItem, col(VersionItem.version_id) == col(CommuniqueVersion.id)))
    .where(col(CommuniqueVersion.communique_id) == sa.bindparam("communique"))
    .order_by(col(VersionItem.part).desc(), col(VersionItem.position))
)
_BY_NUMBER = _JOINED.where(col(CommuniqueVersion.number) == sa.bindparam("ref"))
_BY_DIGEST = _JOINED.where(col(CommuniqueVersion.digest) == sa.bindparam("ref"))


def database_of(session: AsyncSession) -> str | None:
    """Which database (a process may serve or test several): part of the memo's key."""
    bind = session.sync_session.bind
    return bind.engine.url.database if bind is not None else None


async def kept_version(session: AsyncSession, access: Access, ref: int | str) -> KeptVersion:
    """The version ``ref`` with its items: from memory when its digest is known (the head, or a
    digest), otherwise one joined select (the version's row repeats on each item's)."""
    require_admitted(access)
    c = access.communique
    digest = ref if isinstance(ref, str) else c.head_digest if ref == c.head_number else None
    key = (database_of(session), access.id, digest or "")
    found = _READS.get(key) if digest is not None else None
    if found is not None:
        _READS.move_to_end(key)
        return found
    query = _BY_NUMBER if isinstance(ref, int) else _BY_DIGEST
    rows = (await session.execute(query, {"communique": access.id, "ref": ref})).all()
    if not rows:
        raise NotFoundError(f"no version {ref} of communiqué {access.id}")
    columns = dict(zip(_VERSION_KEYS, rows[0], strict=False))
    sections: list[StoredItem] = []
    annex: list[StoredItem] = []
    for row in rows:
        item = row[_WIDTH:]
        if item[0] is not None:
            (sections if item[0] == SECTION else annex).append(decode_item(*item))
    found = KeptVersion(columns, sections, annex)
    _remember((key[0], access.id, columns["digest"]), found)
    return found


def _remember(key: tuple[str | None, int, str], read: KeptVersion) -> None:
    _READS[key] = read
    _READS.move_to_end(key)
    if len(_READS) > _READS_KEPT:
        _READS.popitem(last=False)


def recall(session: AsyncSession, communique_id: int, digest: str) -> KeptVersion | None:
    """Version ``digest`` of the communiqué with its items, if kept (no statement)."""
    return _READS.get((database_of(session), communique_id, digest))


def remember(
    session: AsyncSession, version: CommuniqueVersion, sections: Sequence[StoredItem], annex: Sequence[StoredItem]
) -> None:
    """Keep a version just read or written with its items. An entry is found only by a digest the
    database gave (the head) or a client was answered, so a version whose transaction did not
    commit is never found: nobody learnt its digest."""
    columns = {key: getattr(version, key) for key in _VERSION_KEYS}
    _remember(
        (database_of(session), version.communique_id, version.digest), KeptVersion(columns, list(sections), list(annex))
    )


async def read_version(session: AsyncSession, access: Access, ref: int | str) -> VersionView:
    read = await kept_version(session, access, ref)
    return VersionView(access, read.version(), read.sections, read.annex)


def _diff_public(diff: ItemDiff) -> ItemDiffPublic:
    markings = {
        "marking_from": marking_public(diff.marking_from) if diff.marking_from else None,
        "marking_to": marking_public(diff.marking_to) if diff.marking_to else None,
    }
    return ItemDiffPublic.model_validate(diff, from_attributes=True, update=markings)


async def diff_versions(session: AsyncSession, access: Access, before: int | str, after: int | str) -> DiffPublic:
    """Item-by-item differences between two versions, over the items the reader sees in each."""
    old = await read_version(session, access, before)
    new = await read_version(session, access, after)
    sections = diff_items([s.item for s in old.sections], [s.item for s in new.sections])
    annex = diff_items([s.item for s in old.annex], [s.item for s in new.annex])
    title = (
        word_diff(old.version.title, new.version.title)
        if old.version.title != new.version.title
        else [["=", new.version.title]]
    )
    return DiffPublic(
        communique=access.id,
        from_version=VersionRef(number=old.version.number, digest=old.version.digest),
        to_version=VersionRef(number=new.version.number, digest=new.version.digest),
        title=title,
        sections=[_diff_public(d) for d in sections],
        annex=[_diff_public(d) for d in annex],
    )
