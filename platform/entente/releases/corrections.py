"""Corrections: a successor communiqué supersedes a released one, for every kind.

A released communiqué is never edited (DESIGN). A correction is a new communiqué that supersedes it
(``Communique.supersedes_id``, as sanctions packages' reviews do): same kind, parties invited again,
version 1 carries the released text as stored with a first public section, *What changed*, naming the
superseded version's digest and stating the changes, so the statement of changes is part of what the
parties sign. The old record stays as it was; once the successor is public, the public list, page and
bundle of the old one say "superseded by" with a link (:func:`public_successors`), and the successor's
say what it supersedes.

Sanctions packages have their own successor step (``sanctions.supersede_package``), which carries
every designation as it then stands in the record; this one refuses them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from entente import drafting
from entente.auth import Caller
from entente.errors import ConflictError
from entente.models import Communique, CommuniqueKind, CommuniqueState, CommuniqueVersion
from entente.releases.scheduling import public_instants

__all__ = ["supersede_communique"]


async def supersede_communique(
    session: AsyncSession,
    *,
    communique_id: int,
    caller: Caller,
    title: str | None,
    changes: str,
    now: datetime,
) -> tuple[Communique, CommuniqueVersion]:
    """Start the correction of a released communiqué (a drafter of a party that took part in it)."""
    access = drafting.require_editor(await drafting.get_access(session, communique_id, caller, lock=True))
    old = access.communique
    if old.kind == CommuniqueKind.SANCTIONS_PACKAGE:
        raise ConflictError(
            f"communiqué {old.id} is a sanctions package: its successor carries the designations as they stand "
            f"(POST /api/v1/sanctions/packages/{old.id}/successor)",
            code="package_successor",
        )
    if old.id not in await public_instants(session, [access.id], now) or old.state == CommuniqueState.WITHDRAWN:
        raise ConflictError(
            f"communiqué {old.id} is not released: change it in the communiqué itself", code="communique_not_released"
        )
    return await drafting.create_successor(
        session,
        predecessor=access,
        caller=caller,
        title=title if title is not None else old.title,
        changes=changes,
        now=now,
    )
