"""Marked items of an incident: evidence, and each party's attribution assessment.

Each carries a ``disclosure.Marking``: public (every participant), or releasable to named
participating parties, the author's party always among them. Every read goes through
``disclosure.visible`` / ``require_visible``; an item a viewer may not see answers like one that
does not exist. Evidence text never changes; its marking may: anyone participating who sees it
may narrow it, only its author's party may widen it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente.auth import Caller
from entente.disclosure import Marking, may_see, require_visible, visible
from entente.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from entente.ladder import Confidence, StateBacking
from entente.ladder.scales import parse_member
from entente.models import (
    IncidentAttribution,
    IncidentAttributionUpdate,
    IncidentEvidence,
    IncidentEvidenceCreate,
    MarkingInput,
)

from . import access
from .access import CONTENT_ROLES, NO_EVIDENCE, Loaded

__all__ = [
    "add_evidence",
    "change_evidence_marking",
    "get_evidence",
    "is_evidence_visible",
    "list_attributions",
    "list_evidence",
    "list_evidence_of",
    "set_attribution",
]


def _evidence_marking(evidence: IncidentEvidence) -> Marking:
    return access.stored_marking(evidence.marking, evidence.author_party)


def _attribution_marking(attribution: IncidentAttribution) -> Marking:
    return access.stored_marking(attribution.marking, attribution.party)


# --- evidence -----------------------------------------------------------------------------------


async def add_evidence(
    session: AsyncSession, *, incident_id: int, caller: Caller, data: IncidentEvidenceCreate, now: datetime
) -> IncidentEvidence:
    """A new evidence item authored by the caller's party (a drafter or signatory of a participant)."""
    loaded, marking = await access.load_as_author(session, incident_id, caller, data.marking, *CONTENT_ROLES)
    access.require_open(loaded)
    evidence = IncidentEvidence(
        id=await access.unused_id(session, IncidentEvidence),
        incident_id=loaded.id,
        kind=data.kind,
        title=access.text(data.title.strip()),
        body=access.text(data.body),
        source=access.text(data.source.strip()),
        marking=marking.to_dict(),
        author_party=caller.party,
        author=caller.username,
        version=1,
        added_at=now,
    )
    await access.add_marked(session, loaded, evidence, marking, caller=caller, action="evidence:add",
                            subject=f"evidence:{evidence.id}", now=now,
                            details={"evidence_id": evidence.id, "kind": str(evidence.kind)})
    return evidence


def is_evidence_visible(evidence: IncidentEvidence, caller: Caller) -> bool:
    """Whether ``caller`` (admitted to the incident) may see ``evidence`` as it is marked now."""
    return may_see(_evidence_marking(evidence), access.viewer_of(caller), admitted=True)


async def list_evidence(session: AsyncSession, *, incident_id: int, caller: Caller) -> list[IncidentEvidence]:
    loaded = await access.load(session, incident_id, caller)
    return await list_evidence_of(session, loaded, caller)


async def list_evidence_of(session: AsyncSession, loaded: Loaded, caller: Caller) -> list[IncidentEvidence]:
    rows = await access.rows_of(
        session, IncidentEvidence, loaded.id, col(IncidentEvidence.added_at), col(IncidentEvidence.id)
    )
    return visible(rows, access.viewer_of(caller), _evidence_marking, admitted=True)


async def get_evidence(
    session: AsyncSession, *, incident_id: int, evidence_id: int, caller: Caller, lock: bool = False
) -> IncidentEvidence:
    loaded = await access.load(session, incident_id, caller, lock=lock)
    return await _visible_evidence(session, loaded, evidence_id, caller, lock=lock)


async def _visible_evidence(
    session: AsyncSession, loaded: Loaded, evidence_id: int, caller: Caller, *, lock: bool
) -> IncidentEvidence:
    if not access.in_id_range(evidence_id):
        raise NotFoundError(NO_EVIDENCE)
    query = select(IncidentEvidence).where(IncidentEvidence.id == evidence_id)
    query = query.execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    evidence = (await session.execute(query)).scalar_one_or_none()
    if evidence is None or evidence.incident_id != loaded.id:
        raise NotFoundError(NO_EVIDENCE)
    require_visible(_evidence_marking(evidence), access.viewer_of(caller), admitted=True, what=NO_EVIDENCE)
    return evidence


async def change_evidence_marking(
    session: AsyncSession,
    *,
    incident_id: int,
    evidence_id: int,
    caller: Caller,
    marking: MarkingInput,
    expected_version: int | None,
    now: datetime,
) -> IncidentEvidence:
    """Narrow (any participant who sees it) or widen (its author's party only) an evidence marking."""
    loaded = await access.load(session, incident_id, caller, lock=True)
    evidence = await _visible_evidence(session, loaded, evidence_id, caller, lock=True)
    access.require_participant(caller, loaded, *CONTENT_ROLES)
    new = access.read_marking(marking, author=evidence.author_party, participants=loaded.participants, field="/marking")
    access.require_open(loaded)
    old = _evidence_marking(evidence)
    widened = old.widens(new)
    if widened and caller.party != evidence.author_party:
        raise PermissionDeniedError(
            f"only {evidence.author_party}, whose evidence this is, may widen its marking; you may narrow it",
            code="widening_not_allowed",
        )
    access.check_version(evidence.version, expected_version, required=False, what="evidence marking")
    if new == old:
        return evidence
    evidence.marking = new.to_dict()
    evidence.version += 1
    session.add(evidence)
    await access.record_change(
        session,
        loaded.incident,
        caller=caller,
        action="evidence:mark",
        subject=f"evidence:{evidence.id}",
        now=now,
        details={
            "evidence_id": evidence.id,
            "from": old.to_dict(),
            "to": new.to_dict(),
            "widened": widened,
            "evidence_version": evidence.version,
        },
    )
    return evidence


# --- attribution assessments --------------------------------------------------------------------


async def list_attributions(session: AsyncSession, loaded: Loaded, caller: Caller) -> list[IncidentAttribution]:
    rows = await access.rows_of(session, IncidentAttribution, loaded.id, col(IncidentAttribution.party))
    return visible(rows, access.viewer_of(caller), _attribution_marking, admitted=True)


async def set_attribution(
    session: AsyncSession,
    *,
    incident_id: int,
    caller: Caller,
    data: IncidentAttributionUpdate,
    expected_version: int | None,
    now: datetime,
) -> IncidentAttribution:
    """Record or replace the caller's party's attribution assessment (replacing names the version)."""
    loaded = await access.load(session, incident_id, caller, lock=True)
    access.require_participant(caller, loaded, *CONTENT_ROLES)
    confidence = parse_member(Confidence, data.confidence)
    if confidence is None:
        raise InvalidInputError(f"must be one of: {', '.join(Confidence)}", field="/confidence")
    backing = None
    if data.state_backing is not None:
        backing = parse_member(StateBacking, data.state_backing)
        if backing is None:
            raise InvalidInputError(f"must be one of: {', '.join(StateBacking)}", field="/state_backing")
    marking = access.read_marking(data.marking, author=caller.party, participants=loaded.participants, field="/marking")
    access.require_open(loaded)
    existing = (
        await session.execute(
            select(IncidentAttribution)
            .where(IncidentAttribution.incident_id == loaded.id, IncidentAttribution.party == caller.party)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    access.check_version(
        existing.version if existing else 0,
        expected_version,
        required=existing is not None,
        what=f"{caller.party} attribution assessment",
    )
    attribution = existing or IncidentAttribution(
        incident_id=loaded.id,
        party=caller.party,
        version=0,
        suspected_actor="",
        confidence="",
        reasoning="",
        updated_by=caller.username,
    )
    attribution.suspected_actor = access.text(data.suspected_actor.strip())
    attribution.confidence = str(confidence)
    attribution.state_backing = str(backing) if backing else None
    attribution.reasoning = access.text(data.reasoning)
    attribution.marking = marking.to_dict()
    attribution.version += 1
    attribution.updated_by = caller.username
    attribution.updated_at = now
    await access.add_marked(session, loaded, attribution, marking, caller=caller, action="attribution:set",
                            subject=f"attribution:{caller.party}", now=now,
                            details={"party": caller.party, "attribution_version": attribution.version})
    return attribution
