"""Opening, listing, updating, inviting to and closing incidents; the view and the history.

open -> assessed (every participating party has decided its tier) -> closed. Inviting a party
to an assessed incident returns it to open until the new party decides too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente.auth import Caller, require_role
from entente.disclosure import Marking, may_see
from entente.ladder import Ladder
from entente.models import (
    AfterActionLesson,
    Incident,
    IncidentAttribution,
    IncidentChange,
    IncidentCreate,
    IncidentDecision,
    IncidentEvidence,
    IncidentLegalReview,
    IncidentParticipant,
    IncidentState,
    IncidentUpdate,
    Role,
)

from . import access
from .access import Loaded
from .decisions import current_decisions, list_legal_reviews, state_after
from .items import list_attributions, list_evidence_of


@dataclass(frozen=True)
class IncidentListing:
    incident: Incident
    participants: tuple[str, ...]
    my_decided_tier: int | None


@dataclass(frozen=True)
class IncidentView:
    """Everything about one incident that one caller may see."""

    incident: Incident
    participants: tuple[str, ...]
    decisions: tuple[IncidentDecision, ...]
    legal_reviews: tuple[IncidentLegalReview, ...]
    attributions: tuple[IncidentAttribution, ...]
    evidence: tuple[IncidentEvidence, ...]


async def open_incident(
    session: AsyncSession, *, caller: Caller, data: IncidentCreate, ladder: Ladder, now: datetime
) -> Incident:
    """A new incident led by the caller's party, its recommendation computed from ``data.metrics``."""
    require_role(caller, Role.DRAFTER, Role.SECRETARIAT)
    assessment = access.assess(ladder, data.metrics)
    invited = [
        p for p in await access.check_parties(session, data.participants, field="/participants") if p != caller.party
    ]
    incident = Incident(
        id=await access.unused_id(session, Incident),
        title=access.text(data.title.strip()),
        description=access.text(data.description),
        state=IncidentState.OPEN,
        version=1,
        lead=caller.party,
        opened_by=caller.username,
        metrics={},
        assessment={},
        recommended_tier=1,
        ladder_version=ladder.version,
        opened_at=now,
        updated_at=now,
    )
    access.apply_assessment(incident, ladder, assessment)
    session.add(incident)
    await session.flush()
    for party in (caller.party, *invited):
        session.add(
            IncidentParticipant(incident_id=incident.id, party=party, invited_by=caller.username, joined_at=now)
        )
    await session.flush()
    await access.record_change(
        session,
        incident,
        caller=caller,
        action="incident:open",
        subject="incident",
        now=now,
        details={"participants": [caller.party, *invited], "recommended_tier": incident.recommended_tier},
    )
    return incident


async def get_incident(session: AsyncSession, *, incident_id: int, caller: Caller) -> Incident:
    return (await access.load(session, incident_id, caller)).incident


async def list_incidents(
    session: AsyncSession, *, caller: Caller, state: IncidentState | None = None, limit: int = 200
) -> list[IncidentListing]:
    """The incidents the caller's party takes part in (the secretariat: all), latest change first."""
    if not caller.has_role(*access.READ_ROLES):
        return []
    query = select(Incident).order_by(col(Incident.updated_at).desc(), col(Incident.id)).limit(limit)
    if not caller.has_role(Role.SECRETARIAT):
        mine = select(IncidentParticipant.incident_id).where(IncidentParticipant.party == caller.party)
        query = query.where(col(Incident.id).in_(mine))
    if state is not None:
        query = query.where(Incident.state == state)
    incidents = list((await session.execute(query)).scalars())
    ids = [i.id for i in incidents]
    participants: dict[int, list[str]] = {i: [] for i in ids}
    decided: dict[int, int] = {}
    if ids:
        rows = await session.execute(
            select(IncidentParticipant.incident_id, IncidentParticipant.party)
            .where(col(IncidentParticipant.incident_id).in_(ids))
            .order_by(col(IncidentParticipant.joined_at), col(IncidentParticipant.party))
        )
        for incident_id, party in rows:
            participants[incident_id].append(party)
        rows = await session.execute(
            select(IncidentDecision.incident_id, IncidentDecision.tier)
            .where(col(IncidentDecision.incident_id).in_(ids), col(IncidentDecision.party) == caller.party)
            .order_by(col(IncidentDecision.id))
        )
        for incident_id, tier in rows:
            decided[incident_id] = tier
    return [IncidentListing(i, _lead_first(i.lead, participants[i.id]), decided.get(i.id)) for i in incidents]


def _lead_first(lead: str, parties: Sequence[str]) -> tuple[str, ...]:
    return (lead, *(p for p in parties if p != lead)) if lead in parties else tuple(parties)


def _shared_state(incident: Incident) -> dict[str, Any]:
    return {"title": incident.title, "description": incident.description, "metrics": incident.metrics}


async def update_incident(
    session: AsyncSession,
    *,
    incident_id: int,
    caller: Caller,
    data: IncidentUpdate,
    expected_version: int | None,
    ladder: Ladder,
    now: datetime,
) -> Incident:
    """Change title, description or metrics of the version the caller names; stale versions are refused."""
    loaded = await access.load(session, incident_id, caller, lock=True)
    access.require_editor(caller, loaded)
    assessment = access.assess(ladder, data.metrics) if data.metrics is not None else None
    access.require_open(loaded)
    incident = loaded.incident
    access.check_version(
        incident.version, expected_version, required=True, what="incident", current_state=_shared_state(incident)
    )
    changed: list[str] = []
    if data.title is not None and access.text(data.title.strip()) != incident.title:
        incident.title = access.text(data.title.strip())
        changed.append("title")
    if data.description is not None and access.text(data.description) != incident.description:
        incident.description = access.text(data.description)
        changed.append("description")
    if assessment is not None and assessment.to_dict()["metrics"] != incident.metrics:
        incident.metrics = assessment.to_dict()["metrics"]
        changed.append("metrics")
    if not changed:
        return incident
    previous = incident.recommended_tier
    access.bump(incident, ladder, now)
    session.add(incident)
    await access.record_change(
        session,
        incident,
        caller=caller,
        action="incident:update",
        subject="incident",
        now=now,
        details={
            "changed": changed,
            "recommended_tier": incident.recommended_tier,
            "previous_recommended_tier": previous,
        },
    )
    return incident


async def invite_parties(
    session: AsyncSession, *, incident_id: int, caller: Caller, parties: Sequence[str], ladder: Ladder, now: datetime
) -> Incident:
    """Add parties to the incident (the lead's drafters or the secretariat); parties are never removed."""
    loaded = await access.load(session, incident_id, caller, lock=True)
    access.require_lead(caller, loaded)
    codes = await access.check_parties(session, parties, field="/parties")
    access.require_open(loaded)
    new = [code for code in codes if code not in loaded.participants]
    incident = loaded.incident
    if not new:
        return incident
    for party in new:
        session.add(
            IncidentParticipant(incident_id=incident.id, party=party, invited_by=caller.username, joined_at=now)
        )
    await session.flush()
    incident.state = await state_after(session, incident, (*loaded.participants, *new))
    await access.record_update(session, incident, ladder, now, caller=caller, action="participant:invite",
                               details={"parties": new, "state": str(incident.state)})
    return incident


async def close_incident(
    session: AsyncSession,
    *,
    incident_id: int,
    caller: Caller,
    reason: str,
    expected_version: int | None,
    ladder: Ladder,
    now: datetime,
) -> Incident:
    loaded = await access.load(session, incident_id, caller, lock=True)
    access.require_lead(caller, loaded)
    access.require_open(loaded)
    incident = loaded.incident
    access.check_version(incident.version, expected_version, required=False, what="incident")
    incident.state = IncidentState.CLOSED
    incident.closed_at = now
    incident.close_reason = access.text(reason.strip()) or None
    await access.record_update(session, incident, ladder, now, caller=caller, action="incident:close",
                               details={"reason": incident.close_reason})
    return incident


async def get_incident_view(session: AsyncSession, *, incident_id: int, caller: Caller) -> IncidentView:
    loaded = await access.load(session, incident_id, caller)
    return await view_of(session, loaded, caller)


async def view_of(session: AsyncSession, loaded: Loaded, caller: Caller) -> IncidentView:
    decisions = await current_decisions(session, loaded.id)
    order = {party: index for index, party in enumerate(loaded.participants)}
    return IncidentView(
        incident=loaded.incident,
        participants=loaded.participants,
        decisions=tuple(sorted(decisions.values(), key=lambda d: order.get(d.party, len(order)))),
        legal_reviews=tuple(await list_legal_reviews(session, loaded.id)),
        attributions=tuple(await list_attributions(session, loaded, caller)),
        evidence=tuple(await list_evidence_of(session, loaded, caller)),
    )


async def list_history(session: AsyncSession, *, incident_id: int, caller: Caller) -> list[IncidentChange]:
    """Every change the caller may see, oldest first: changes to evidence or an attribution assessment
    are shown only to those who may see that item now."""
    loaded = await access.load(session, incident_id, caller)
    changes = await access.rows_of(session, IncidentChange, loaded.id)
    markings: dict[str, Marking] = {}
    for evidence in (
        await session.execute(select(IncidentEvidence).where(IncidentEvidence.incident_id == loaded.id))
    ).scalars():
        markings[f"evidence:{evidence.id}"] = access.stored_marking(evidence.marking, evidence.author_party)
    for attribution in (
        await session.execute(select(IncidentAttribution).where(IncidentAttribution.incident_id == loaded.id))
    ).scalars():
        markings[f"attribution:{attribution.party}"] = access.stored_marking(attribution.marking, attribution.party)
    for lesson in (
        await session.execute(select(AfterActionLesson).where(AfterActionLesson.incident_id == loaded.id))
    ).scalars():
        markings[f"lesson:{lesson.id}"] = access.stored_marking(lesson.marking, lesson.author_party)
    viewer = access.viewer_of(caller)
    nobody = Marking(public=False, parties=frozenset())
    return [
        change
        for change in changes
        if change.subject == "incident" or may_see(markings.get(change.subject, nobody), viewer, admitted=True)
    ]
