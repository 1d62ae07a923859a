"""Comment threads on sections. A thread inherits its section's marking, as it stands now.

The marking that governs a thread is the section's marking in the newest version holding that
section (the head, or the last version before it was deleted), so narrowing a section narrows its
threads at once. A comment on a section the caller may not see answers like a missing section.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit
from entente.auth import Caller, require_role
from entente.disclosure import Marking
from entente.drafting.access import Access, get_access, require_admitted
from entente.drafting.markdown import check_markdown
from entente.drafting.versions import SECTION, stored_marking
from entente.errors import ConflictError, NotFoundError
from entente.models import CommentPublic, CommuniqueVersion, Role, SectionComment, VersionItem

__all__ = ["COMMENT_ROLES", "add_comment", "comment_public", "list_comments", "resolve_thread", "section_markings"]

COMMENT_ROLES = (Role.DRAFTER, Role.SIGNATORY, Role.SECRETARIAT)


async def section_markings(session: AsyncSession, communique_id: int, section_ids: Iterable[str]) -> dict[str, Marking]:
    """Each section's marking in the newest version that holds it."""
    ids = sorted(set(section_ids))
    if not ids:
        return {}
    rows = (
        await session.execute(
            sa.select(col(VersionItem.item_id), col(VersionItem.marking), col(VersionItem.origin))
            .join(CommuniqueVersion, col(CommuniqueVersion.id) == col(VersionItem.version_id))
            .where(
                col(VersionItem.communique_id) == communique_id,
                col(VersionItem.part) == SECTION,
                VersionItem.item_id.in_(ids),  # type: ignore[attr-defined]
            )
            .order_by(CommuniqueVersion.number.desc())  # type: ignore[attr-defined]
        )
    ).all()
    markings: dict[str, Marking] = {}
    for item_id, marking, origin in rows:
        markings.setdefault(item_id, stored_marking(marking, origin))
    return markings


async def _head_section_marking(session: AsyncSession, access: Access, section_id: str) -> Marking:
    row = (
        await session.execute(
            sa.select(col(VersionItem.marking), col(VersionItem.origin))
            .join(CommuniqueVersion, col(CommuniqueVersion.id) == col(VersionItem.version_id))
            .where(
                col(CommuniqueVersion.communique_id) == access.id,
                col(CommuniqueVersion.number) == access.communique.head_number,
                col(VersionItem.part) == SECTION,
                col(VersionItem.item_id) == section_id,
            )
        )
    ).first()
    marking = stored_marking(row[0], row[1]) if row else None
    if marking is None or not access.may_see(marking):
        raise NotFoundError(f"no section {section_id!r} in communiqué {access.id}")
    return marking


def comment_public(comment: SectionComment) -> CommentPublic:
    assert comment.id is not None
    renamed = {
        "section": comment.section_id,
        "thread": comment.thread_id or comment.id,
        "reply_to": comment.thread_id,
        "version": comment.version_number,
    }
    return CommentPublic.model_validate(comment, from_attributes=True, update=renamed)


async def add_comment(
    session: AsyncSession,
    *,
    communique_id: int,
    section_id: str,
    caller: Caller,
    body: str,
    reply_to: int | None,
    now: datetime,
) -> SectionComment:
    """Comment on a section of the head version (or reply within a thread on it)."""
    access = require_admitted(await get_access(session, communique_id, caller))
    await _head_section_marking(session, access, section_id)
    require_role(caller, *COMMENT_ROLES)
    check_markdown(body, field="/body")
    thread_id = None
    if reply_to is not None:
        root = await session.get(SectionComment, reply_to)
        if root is None or root.communique_id != access.id or root.section_id != section_id:
            raise NotFoundError(f"no comment {reply_to} on section {section_id!r}")
        thread_id = root.thread_id or root.id
    comment = SectionComment(
        communique_id=access.id,
        section_id=section_id,
        thread_id=thread_id,
        version_number=access.communique.head_number,
        author=caller.username,
        author_party=caller.party,
        body=body,
        created_at=now,
    )
    session.add(comment)
    await session.flush()
    await audit.record_by(
        session,
        caller,
        "drafting:comment:add",
        f"communique:{access.id}",
        at=now,
        details={"comment": comment.id, "thread": thread_id or comment.id},
    )
    return comment


async def list_comments(
    session: AsyncSession, access: Access, *, section_id: str | None = None
) -> list[SectionComment]:
    """The comments the caller may see, oldest first (optionally of one section)."""
    require_admitted(access)
    query = select(SectionComment).where(SectionComment.communique_id == access.id)
    if section_id is not None:
        query = query.where(SectionComment.section_id == section_id)
    comments = list((await session.execute(query.order_by(col(SectionComment.id)))).scalars().all())
    markings = await section_markings(session, access.id, (c.section_id for c in comments))
    return [c for c in comments if c.section_id in markings and access.may_see(markings[c.section_id])]


async def resolve_thread(
    session: AsyncSession, *, communique_id: int, comment_id: int, caller: Caller, now: datetime
) -> SectionComment:
    """Mark the thread holding ``comment_id`` resolved; returns its first comment."""
    access = require_admitted(await get_access(session, communique_id, caller))
    comment = await session.get(SectionComment, comment_id)
    missing = NotFoundError(f"no comment {comment_id} in communiqué {communique_id}")
    if comment is None or comment.communique_id != access.id:
        raise missing
    markings = await section_markings(session, access.id, [comment.section_id])
    marking = markings.get(comment.section_id)
    if marking is None or not access.may_see(marking):
        raise missing
    require_role(caller, Role.DRAFTER, Role.SECRETARIAT)
    root = comment if comment.thread_id is None else await session.get(SectionComment, comment.thread_id)
    assert root is not None
    if root.resolved_at is not None:
        raise ConflictError("this thread is already resolved", code="already_resolved")
    root.resolved_at = now
    root.resolved_by = caller.username
    session.add(root)
    await audit.record_by(
        session, caller, "drafting:comment:resolve", f"communique:{access.id}", at=now, details={"thread": root.id}
    )
    return root
