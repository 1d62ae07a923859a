"""The after-action timeline of a closed incident, built from the audit trail.

Every step is an audit entry (so the timeline is as trustworthy as the hash-chained trail it is read
from): the incident's own events (opened, metrics, tiers decided by each party, legal reviews, exit
ramps, step-downs, closing) and those of the communiqués and sanctions packages started from it
(drafts, sign-offs per party, release negotiation, release, successors and reviews of measures).
Each step carries the seconds since the step before and since the incident opened.

What a reader sees passes the same gates as everything else: a communiqué's steps only for a party
on its roster, an evidence item's, an attribution assessment's or a lesson's only for a party it is
releasable to; details are reduced to the plain facts named in ``FACTS`` (never a marking, never
text), so a step cannot carry what its reader may not see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import drafting, incidents
from entente.audit import Event
from entente.auth import Caller
from entente.clock import isoformat
from entente.disclosure import Marking, may_see
from entente.errors import ConflictError, NotFoundError
from entente.incidents import access as incident_access
from entente.models import (
    AfterActionLesson,
    AuditEntry,
    Communique,
    IncidentAttribution,
    IncidentDecision,
    IncidentEvidence,
    IncidentState,
    LadderProposal,
)

__all__ = [
    "FACTS",
    "AfterAction",
    "Milestone",
    "PartyTiming",
    "Step",
    "after_action_review",
    "incident_steps",
    "seconds",
]

#: Detail keys a timeline step may show: plain facts, never text or a marking.
FACTS = frozenset({
    "version", "digest", "state", "release", "embargo_at", "parties", "met", "tier", "participants",
    "supersedes", "released_at", "party", "from_tier", "to_tier", "ramps", "ramp", "kind", "met_at",
    "step_down", "recommended_tier", "previous_recommended_tier", "changed", "topic", "tlp", "proposal",
    "base_version", "proposed_version", "outcome", "decided_tiers", "merged",
})

#: Milestones of a response, each the first audit entry of its event (and condition).
MILESTONES: tuple[tuple[str, str], ...] = (
    ("incident opened", "incidents:incident:open"),
    ("first tier decided", "incidents:tier:decide"),
    ("every party decided", "incidents:tier:decide/assessed"),
    ("first legal review", "incidents:legal_review:record"),
    ("first communiqué started", "drafting:communique:add"),
    ("first sign-off", "signoffs:signoff:add"),
    ("release scheduled", "releases:release:schedule"),
    ("released", "releases:release:publish"),
    ("exit ramp met", "incidents:exit_ramp:meet"),
    ("step-down agreed", "incidents:step_down:agree"),
    ("incident closed", "incidents:incident:close"),
)


def seconds(later: datetime, earlier: datetime) -> int:
    """Whole seconds from ``earlier`` to ``later`` (what the timeline and reports state)."""
    return int((later - earlier).total_seconds())


@dataclass(frozen=True)
class Step:
    entry: AuditEntry
    what: str
    communique: int | None
    details: dict[str, Any]
    since_previous: int
    since_open: int


@dataclass(frozen=True)
class Milestone:
    name: str
    at: datetime | None
    after_open: int | None


@dataclass(frozen=True)
class PartyTiming:
    party: str
    decided_tier: int | None
    first_decision_after_open: int | None
    legal_reviews: int
    signoffs: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class AfterAction:
    incident: Any
    participants: tuple[str, ...]
    steps: tuple[Step, ...]
    milestones: tuple[Milestone, ...]
    parties: tuple[PartyTiming, ...]
    lessons: tuple[AfterActionLesson, ...]
    proposals: tuple[LadderProposal, ...]


def _facts(details: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (details or {}).items() if k in FACTS}


async def _subject_markings(session: AsyncSession, incident_id: int) -> dict[str, Marking]:
    """The marking of every marked item of the incident, by the subject its audit entries name."""
    markings: dict[str, Marking] = {}
    for evidence in (
        await session.execute(select(IncidentEvidence).where(IncidentEvidence.incident_id == incident_id))
    ).scalars():
        markings[f"evidence:{evidence.id}"] = incident_access.stored_marking(evidence.marking, evidence.author_party)
    for attribution in (
        await session.execute(select(IncidentAttribution).where(IncidentAttribution.incident_id == incident_id))
    ).scalars():
        markings[f"attribution:{attribution.party}"] = incident_access.stored_marking(
            attribution.marking, attribution.party
        )
    for lesson in (
        await session.execute(select(AfterActionLesson).where(AfterActionLesson.incident_id == incident_id))
    ).scalars():
        markings[f"lesson:{lesson.id}"] = incident_access.stored_marking(lesson.marking, lesson.author_party)
    return markings


async def visible_communiques(session: AsyncSession, incident_id: int, caller: Caller) -> dict[int, Communique]:
    """Communiqués (and sanctions packages) started from the incident whose roster has the caller's party."""
    found: dict[int, Communique] = {}
    rows = (await session.execute(select(Communique.id).where(Communique.incident_id == incident_id))).scalars()
    for communique_id in list(rows):
        try:
            found[communique_id] = (await drafting.get_access(session, communique_id, caller)).communique
        except NotFoundError:
            continue
    return found


async def incident_steps(
    session: AsyncSession, loaded: incident_access.Loaded, caller: Caller, communiques: Iterable[int]
) -> list[AuditEntry]:
    """The audit entries of the incident and of ``communiques`` that the caller may see, oldest first."""
    prefix = f"incident:{loaded.id}"
    objects = [prefix, *(f"communique:{c}" for c in communiques)]
    entries = (
        await session.execute(
            select(AuditEntry)
            .where(sa.or_(col(AuditEntry.object).in_(objects), col(AuditEntry.object).like(f"{prefix}/%")))
            .order_by(col(AuditEntry.seq))
        )
    ).scalars()
    markings = await _subject_markings(session, loaded.id)
    viewer = incident_access.viewer_of(caller)
    nobody = Marking(public=False, parties=frozenset())
    visible = []
    for entry in entries:
        if entry.object.startswith(prefix + "/"):
            subject = entry.object[len(prefix) + 1:]
            if not may_see(markings.get(subject, nobody), viewer, admitted=True):
                continue
        visible.append(entry)
    return visible


def _what(event: str) -> str:
    try:
        return Event(event).meaning  # type: ignore[call-arg]  # a lookup by value, not the __new__ of a member
    except ValueError:
        return event


def _milestones(entries: Sequence[AuditEntry], opened: datetime) -> tuple[Milestone, ...]:
    out = []
    for name, key in MILESTONES:
        event, _, condition = key.partition("/")
        hit = next(
            (e for e in entries if e.event == event and (not condition or (e.details or {}).get("state") == condition)),
            None,
        )
        out.append(Milestone(name, hit.at if hit else None, seconds(hit.at, opened) if hit else None))
    return tuple(out)


def _party_timings(
    entries: Sequence[AuditEntry], participants: Sequence[str], decided: dict[str, IncidentDecision], opened: datetime
) -> tuple[PartyTiming, ...]:
    version_at: dict[tuple[str, int], datetime] = {}
    for e in entries:  # a version is made by the drafting step that first names it
        number = (e.details or {}).get("version")
        if e.event.startswith("drafting:") and isinstance(number, int):
            version_at.setdefault((e.object, number), e.at)
    timings = []
    for party in participants:
        first = next((e for e in entries if e.event == "incidents:tier:decide" and e.party == party), None)
        reviews = sum(1 for e in entries if e.event == "incidents:legal_review:record" and e.party == party)
        signoffs = []
        for e in entries:
            details = e.details or {}
            signed = (e.event == "signoffs:signoff:add" and e.party == party) or (
                e.event == "signoffs:presigned:add" and party in (details.get("parties") or [])
            )
            if not signed:
                continue
            number = details.get("version")
            drafted = version_at.get((e.object, number)) if isinstance(number, int) else None
            signoffs.append({
                "communique": int(e.object.split(":", 1)[1]),
                "version": number,
                "at": isoformat(e.at),
                "how": "pre-signed" if e.event == "signoffs:presigned:add" else "explicit",
                "after_open": seconds(e.at, opened),
                "after_version": seconds(e.at, drafted) if drafted is not None else None,
            })
        timings.append(
            PartyTiming(
                party=party,
                decided_tier=decided[party].tier if party in decided else None,
                first_decision_after_open=seconds(first.at, opened) if first else None,
                legal_reviews=reviews,
                signoffs=tuple(signoffs),
            )
        )
    return tuple(timings)


async def after_action_review(session: AsyncSession, *, incident_id: int, caller: Caller) -> AfterAction:
    """The review of a closed incident: its timeline from the audit trail, with durations, per-party
    timings, the lessons the caller may see and the proposed ladder changes. 409 while it is open."""
    loaded = await incident_access.load(session, incident_id, caller)
    if loaded.incident.state != IncidentState.CLOSED:
        raise ConflictError("the after-action review starts when the incident is closed", code="incident_not_closed")
    communiques = await visible_communiques(session, loaded.id, caller)
    entries = await incident_steps(session, loaded, caller, communiques)
    opened = loaded.incident.opened_at
    steps = []
    previous = opened
    for entry in entries:
        communique = int(entry.object.split(":", 1)[1]) if entry.object.startswith("communique:") else None
        steps.append(
            Step(
                entry=entry,
                what=_what(entry.event),
                communique=communique,
                details=_facts(entry.details),
                since_previous=seconds(entry.at, previous),
                since_open=seconds(entry.at, opened),
            )
        )
        previous = entry.at
    decided = await incidents.current_decisions(session, loaded.id)
    return AfterAction(
        incident=loaded.incident,
        participants=loaded.participants,
        steps=tuple(steps),
        milestones=_milestones(entries, opened),
        parties=_party_timings(entries, loaded.participants, decided, opened),
        lessons=tuple(await incidents.list_lessons_of(session, loaded, caller)),
        proposals=tuple(await incidents.list_ladder_proposals(session, loaded)),
    )
