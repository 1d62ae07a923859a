"""Superseding a released communiqué: a correction, or a sanctions package's review.

A released communiqué is never edited (DESIGN); its successor is a new communiqué that supersedes it
(``Communique.supersedes_id``), carries its text as stored, and is signed off and released in turn.
At most one successor is open at a time (a withdrawn one aside).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import audit
from entente.auth import Caller
from entente.disclosure import Marking
from entente.drafting.access import Access, find_version, items_of, load_items, require_editor
from entente.drafting.communiques import start_communique
from entente.drafting.versions import SECTION, Item, make_item
from entente.errors import ConflictError, InvalidInputError
from entente.models import Communique, CommuniqueState, CommuniqueVersion

__all__ = ["CHANGES_SECTION", "changes_section", "create_successor", "find_successor"]

CHANGES_SECTION = "changes"
"""The id of the section in which a correction states what changed (public, first)."""

INHERITED = ("kind", "incident_id", "template_id", "template_version", "template_digest", "tier")
"""What a successor keeps of the communiqué it supersedes: its kind, incident, template and tier."""


def changes_section(*, predecessor: int, digest: str, changes: str, lead: str) -> Item:
    """The first section of a correction: which released version it supersedes and what changed, in the
    text the parties sign (so the statement of changes is as verifiable as the rest)."""
    text = changes.strip()
    if not text:
        raise InvalidInputError("say what changed", code="invalid_text", field="/changes")
    body = f"This statement supersedes communiqué {predecessor} (version {digest}).\n\n{text}"
    return make_item(SECTION, CHANGES_SECTION, {"heading": "What changed", "body": body}, Marking.everyone(), lead)


async def find_successor(session: AsyncSession, communique_id: int) -> Communique | None:
    """The communiqué superseding ``communique_id`` (the latest, withdrawn ones aside), if any."""
    return (
        (
            await session.execute(
                select(Communique)
                .where(Communique.supersedes_id == communique_id, Communique.state != CommuniqueState.WITHDRAWN)
                .order_by(Communique.created_at.desc(), Communique.id.desc())  # type: ignore[union-attr,attr-defined]
                .limit(1)
            )
        )
        .scalars()
        .first()
    )


async def create_successor(
    session: AsyncSession,
    *,
    predecessor: Access,
    caller: Caller,
    title: str,
    annex: Sequence[Item] | None = None,
    changes: str | None = None,
    now: datetime,
) -> tuple[Communique, CommuniqueVersion]:
    """A communiqué superseding ``predecessor`` (whose release the caller checked), led by the caller's
    party: same kind, incident, template and tier; the predecessor's accepted parties invited again;
    version 1 carries every section and annex item of the predecessor's head as stored (each keeps its
    marking and originating party, including items the caller may not see), or ``annex`` in place of
    the annex (items of the same kind: the caller built them from the stored ones). With ``changes`` (a
    correction) a first public section states what changed (:func:`changes_section`); the predecessor's
    own statement of changes is not carried."""
    require_editor(predecessor)
    old = predecessor.communique
    assert old.id is not None
    existing = await find_successor(session, old.id)
    if existing is not None:
        # Named: a successor invites every party of the communiqué it supersedes, the caller's included.
        raise ConflictError(
            f"communiqué {old.id} is already superseded by communiqué {existing.id}",
            code="successor_exists",
            extra={"successor": existing.id},
        )
    title = title.strip()
    if not title:
        raise InvalidInputError("a title is needed", code="invalid_text", field="/title")
    version = await find_version(session, old.id, old.head_number)
    assert version is not None and version.id is not None
    sections, stored_annex = await load_items(session, version.id)
    lead = caller.party
    carried = items_of(sections)
    if changes is not None:
        first = changes_section(predecessor=old.id, digest=version.digest, changes=changes, lead=lead)
        carried = [first, *(item for item in carried if item.id != CHANGES_SECTION)]
    communique = Communique(
        **{name: getattr(old, name) for name in INHERITED},
        title=title,
        lead=lead,
        supersedes_id=old.id,
        created_by=caller.username,
        created_at=now,
        updated_at=now,
    )
    invited = [p for p in predecessor.accepted_parties if p != lead]
    written = await start_communique(
        session,
        communique,
        invited=invited,
        sections=carried,
        annex=list(annex) if annex is not None else items_of(stored_annex),
        template_params=version.template_params,
    )
    await audit.record_by(
        session,
        caller,
        "drafting:communique:supersede",
        f"communique:{communique.id}",
        at=now,
        party=lead,
        details={
            "supersedes": old.id,
            "from": version.digest,
            "invited": invited,
            "digest": written.digest,
            "correction": changes is not None,
        },
    )
    return communique, written
