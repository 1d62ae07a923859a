"""What waits for the signed-in user: the dashboard's first card and the top bar's count.

Computed from the current state on every read, never stored, so it is right the moment the step is
done elsewhere. Each kind of item is asked only of the roles that can act on it:

| kind | who | what |
| --- | --- | --- |
| ``invitation`` | drafter, signatory, secretariat | a communiqué the party is invited to and has not accepted |
| ``signature`` | signatory | the head version of a communiqué the party takes part in, not signed by the party |
| ``instant`` | comms | a proposed embargo instant the party has not accepted (accept or counter) |
| ``conflict`` | comms | a held release (a sign-off withdrawn), or an instant that passed before scheduling |
| ``tier`` | drafter, signatory | an open incident where the party has not decided its tier |
| ``review`` | drafter, signatory | a designation in effect due for review in a chain the party takes part in |
| ``briefing`` | press | an embargoed briefing the press account is invited to |

Items name only what the caller may see: communiqué titles of the party's roster (what an invited
party sees), incident titles of incidents it takes part in, public titles for press briefings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import releases
from entente.auth import Caller
from entente.clock import isoformat
from entente.ladder import Ladder
from entente.models import (
    Communique,
    CommuniqueParticipant,
    CommuniqueState,
    CommuniqueVersion,
    Incident,
    IncidentDecision,
    IncidentParticipant,
    IncidentState,
    ReleaseResponse,
    ReleaseState,
    Role,
    Signoff,
)
from entente.sanctions.views import reviews_due

__all__ = ["KINDS", "WaitingItem", "count_waiting", "waiting_for"]

#: Kinds in the order the dashboard lists them, with their headings.
KINDS = {
    "invitation": "Invitations to accept",
    "signature": "Versions to sign",
    "instant": "Embargo instants to accept or counter",
    "conflict": "Conflicts to resolve",
    "tier": "Tiers to decide",
    "review": "Sanctions reviews due",
    "briefing": "Embargoed briefings",
}


@dataclass(frozen=True)
class WaitingItem:
    """One thing the caller must do: its kind, the object (``communique``, ``incident``, ``package``,
    ``briefing``) and its id, a title the caller may see, what to do, and since when or until when."""

    kind: str
    object: str
    object_id: int
    title: str
    detail: str
    at: datetime | None = None


async def waiting_for(
    session: AsyncSession, caller: Caller, now: datetime, *, ladder: Ladder, reviews: bool = True
) -> list[WaitingItem]:
    """Everything waiting for ``caller`` now, grouped by kind in :data:`KINDS` order."""
    items: list[WaitingItem] = []
    if caller.has_role(Role.DRAFTER, Role.SIGNATORY, Role.SECRETARIAT):
        items += await _invitations(session, caller)
    if caller.has_role(Role.SIGNATORY):
        items += await _signatures(session, caller)
    if caller.has_role(Role.COMMS):
        items += await _instants(session, caller, now)
    if caller.has_role(Role.DRAFTER, Role.SIGNATORY):
        items += await _tiers(session, caller)
        if reviews:
            items += await _reviews(session, caller, now, ladder)
    if caller.has_role(Role.PRESS):
        for cid, title, at in await releases.list_briefings(session, caller, now):
            items.append(WaitingItem("briefing", "briefing", cid, title, f"embargoed until {isoformat(at)}", at))
    order = list(KINDS)
    return sorted(items, key=lambda i: order.index(i.kind))


async def count_waiting(session: AsyncSession, caller: Caller, now: datetime, *, ladder: Ladder) -> int:
    """How many items wait for ``caller`` (the top bar's count)."""
    return len(await waiting_for(session, caller, now, ladder=ladder))


def _communique_item(kind: str, c: Communique, detail: str, at: datetime | None) -> WaitingItem:
    return WaitingItem(kind, "communique", c.id or 0, c.title, detail, at)


async def _mine(
    session: AsyncSession, caller: Caller, *, accepted: bool
) -> list[tuple[Communique, CommuniqueParticipant]]:
    query = (
        select(Communique, CommuniqueParticipant)
        .join(CommuniqueParticipant, col(CommuniqueParticipant.communique_id) == col(Communique.id))
        .where(CommuniqueParticipant.party == caller.party, col(CommuniqueParticipant.accepted).is_(accepted))
        .order_by(col(Communique.updated_at).desc(), col(Communique.id))
    )
    return [(c, p) for c, p in (await session.execute(query)).all()]


async def _invitations(session: AsyncSession, caller: Caller) -> list[WaitingItem]:
    return [
        _communique_item("invitation", c, f"{c.lead} invited {caller.party}", p.invited_at)
        for c, p in await _mine(session, caller, accepted=False)
        if c.state not in (CommuniqueState.RELEASED, CommuniqueState.WITHDRAWN)
    ]


async def _signatures(session: AsyncSession, caller: Caller) -> list[WaitingItem]:
    out = []
    for c, p in await _mine(session, caller, accepted=True):
        if p.awaits_instant or c.head_number == 0 or not CommuniqueState(c.state).editable:
            continue
        signed = await session.execute(
            select(sa.func.count())
            .select_from(Signoff)
            .join(CommuniqueVersion, CommuniqueVersion.id == Signoff.version_id)  # type: ignore[arg-type]
            .where(
                Signoff.communique_id == c.id,
                CommuniqueVersion.number == c.head_number,
                Signoff.party == caller.party,
                Signoff.withdrawn_at.is_(None),  # type: ignore[union-attr]
            )
        )
        if not signed.scalar_one():
            out.append(
                _communique_item(
                    "signature", c, f"version {c.head_number} waits for {caller.party}'s sign-off", c.updated_at
                )
            )
    return out


async def _instants(session: AsyncSession, caller: Caller, now: datetime) -> list[WaitingItem]:
    out = []
    for c, _ in await _mine(session, caller, accepted=True):
        release = await releases.find_open_release(session, c.id or 0)
        if release is None:
            continue
        if release.state == ReleaseState.HELD:
            out.append(
                _communique_item(
                    "conflict", c, "the release is held: restore the quorum and schedule it again", release.held_at
                )
            )
            continue
        if release.state not in (ReleaseState.PROPOSED, ReleaseState.AGREED):
            continue
        if release.embargo_at <= now:
            out.append(
                _communique_item(
                    "conflict",
                    c,
                    f"the instant {isoformat(release.embargo_at)} passed before scheduling: cancel and propose another",
                    release.embargo_at,
                )
            )
            continue
        accepted = await session.execute(
            select(sa.func.count())
            .select_from(ReleaseResponse)
            .where(
                ReleaseResponse.release_id == release.id,
                ReleaseResponse.party == caller.party,
                ReleaseResponse.instant == release.embargo_at,
            )
        )
        if not accepted.scalar_one():
            out.append(
                _communique_item(
                    "instant",
                    c,
                    f"{release.proposed_party} proposed {isoformat(release.embargo_at)}",
                    release.embargo_at,
                )
            )
    return out


async def _tiers(session: AsyncSession, caller: Caller) -> list[WaitingItem]:
    decided = select(IncidentDecision.incident_id).where(IncidentDecision.party == caller.party)
    query = (
        select(Incident)
        .join(IncidentParticipant, IncidentParticipant.incident_id == Incident.id)  # type: ignore[arg-type]
        .where(
            IncidentParticipant.party == caller.party,
            Incident.state != IncidentState.CLOSED,
            Incident.id.not_in(decided),  # type: ignore[attr-defined]
        )
        .order_by(Incident.updated_at.desc())  # type: ignore[attr-defined]
    )
    return [
        WaitingItem(
            "tier",
            "incident",
            i.id,
            i.title,
            f"the rubric recommends tier {i.recommended_tier}: {caller.party} has not decided",
            i.updated_at,
        )
        for i in (await session.execute(query)).scalars()
    ]


async def _reviews(session: AsyncSession, caller: Caller, now: datetime, ladder: Ladder) -> list[WaitingItem]:
    return [
        WaitingItem(
            "review",
            "package",
            r.package.id,
            r.package.communique.title,
            f"designation {r.designation.id} is due for review",
            r.designation.review_at,
        )
        for r in await reviews_due(session, caller, now, ladder=ladder)
    ]
