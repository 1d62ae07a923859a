"""Each party's decided tier, and legal reviews.

The rubric recommends; parties decide. A drafter or signatory of a participating party records
its party's tier with a justification (the secretariat may record it for a party); decisions are
append-only, the latest of a party being its current one, and each keeps the tier the rubric
recommended at that moment. A legal review is a party's legal adviser's conclusion on a tier:
cleared or not cleared. The latest review of a party for a tier is the one that counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente.auth import Caller, require_party_role
from entente.clock import require_aware
from entente.errors import InvalidInputError
from entente.ladder import Ladder
from entente.models import (
    Incident,
    IncidentDecision,
    IncidentLegalReview,
    IncidentState,
    IncidentStepDown,
    LegalReviewCreate,
    LegalReviewOutcome,
    StepDownState,
)

from . import access
from .access import CONTENT_ROLES, Loaded

__all__ = [
    "current_decisions",
    "decide_tier",
    "has_legal_clearance",
    "list_decisions",
    "list_legal_reviews",
    "party_for",
    "record_legal_review",
    "settle_step_downs",
    "state_after",
]


def party_for(caller: Caller, loaded: Loaded, party: str | None) -> str:
    party = party or caller.party
    if party not in loaded.participants:
        raise InvalidInputError(
            f"{party!r} does not take part in this incident", code="not_participating", field="/party"
        )
    require_party_role(caller, party, *CONTENT_ROLES)
    return party


def _tier(ladder: Ladder, tier: int) -> int:
    if tier not in ladder.numbers:
        raise InvalidInputError(
            f"no tier {tier}: the ladder has tiers 1 to {len(ladder.tiers)}", code="unknown_tier", field="/tier"
        )
    return tier


async def decide_tier(
    session: AsyncSession,
    *,
    incident_id: int,
    caller: Caller,
    tier: int,
    justification: str,
    party: str | None = None,
    ladder: Ladder,
    now: datetime,
    step_down: int | None = None,
) -> IncidentDecision:
    """Record ``party``'s (default: the caller's) decided tier; a justification is required.

    ``step_down`` names the step-down proposal this decision answers (it goes into the record);
    after any decision, proposals to step down are settled (:func:`settle_step_downs`).
    """
    loaded = await access.load(session, incident_id, caller, lock=True)
    party = party_for(caller, loaded, party)
    _tier(ladder, tier)
    justification = access.required_text(justification, field="/justification", code="justification_required",
                                         message="say why your party decided this tier (the rubric recommends; the "
                                         "justification is the record)")
    access.require_open(loaded)
    incident = loaded.incident
    decision = IncidentDecision(
        incident_id=incident.id,
        party=party,
        tier=tier,
        justification=justification,
        recommended_tier=incident.recommended_tier,
        decided_by=caller.username,
        decided_at=now,
    )
    await access.add_record(session, decision)
    incident.state = await state_after(session, incident, loaded.participants)
    details = {"party": party, "tier": tier, "recommended_tier": decision.recommended_tier,
               "state": str(incident.state)}
    if step_down is not None:
        details["step_down"] = step_down
    await access.record_update(session, incident, ladder, now, caller=caller, party=party, action="tier:decide",
                               details=details)
    await settle_step_downs(session, loaded, caller=caller, now=now)
    return decision


async def settle_step_downs(session: AsyncSession, loaded: Loaded, *, caller: Caller, now: datetime) -> None:
    """Agree each proposed step-down once every participating party's current tier is at or below its
    lower tier; supersede it when a party decides a tier above the one it steps down from."""
    proposed = list(
        (
            await session.execute(
                select(IncidentStepDown).where(
                    IncidentStepDown.incident_id == loaded.id, IncidentStepDown.state == StepDownState.PROPOSED
                )
            )
        ).scalars()
    )
    if not proposed:
        return
    decided = await current_decisions(session, loaded.id)
    for step_down in proposed:
        tiers = [decided[p].tier if p in decided else None for p in loaded.participants]
        details = {"step_down": step_down.id, "from_tier": step_down.from_tier, "to_tier": step_down.to_tier,
                   "decided_tiers": {p: decided[p].tier for p in loaded.participants if p in decided}}
        if any(t is not None and t > step_down.from_tier for t in tiers):
            settled, action = StepDownState.SUPERSEDED, "step_down:supersede"
        elif all(t is not None and t <= step_down.to_tier for t in tiers):
            settled, action = StepDownState.AGREED, "step_down:agree"
        else:
            continue
        step_down.state, step_down.settled_at = settled, now
        await access.record_change(session, loaded.incident, caller=caller, action=action, subject="incident",
                                   now=now, details=details)
        session.add(step_down)


async def list_decisions(session: AsyncSession, incident_id: int) -> list[IncidentDecision]:
    """Every decision ever recorded on the incident, oldest first."""
    return await access.rows_of(session, IncidentDecision, incident_id)


async def current_decisions(session: AsyncSession, incident_id: int) -> dict[str, IncidentDecision]:
    current: dict[str, IncidentDecision] = {}
    for decision in await list_decisions(session, incident_id):
        current[decision.party] = decision
    return current


async def state_after(session: AsyncSession, incident: Incident, participants: Iterable[str]) -> IncidentState:
    """Assessed once every participating party has a decided tier; open otherwise; closed stays closed."""
    if incident.state == IncidentState.CLOSED:
        return IncidentState.CLOSED
    decided = await current_decisions(session, incident.id)
    return IncidentState.ASSESSED if all(p in decided for p in participants) else IncidentState.OPEN


async def record_legal_review(
    session: AsyncSession,
    *,
    incident_id: int,
    caller: Caller,
    data: LegalReviewCreate,
    ladder: Ladder,
    now: datetime,
) -> IncidentLegalReview:
    """Record a party's legal review of a tier (by a drafter or signatory of that party)."""
    loaded = await access.load(session, incident_id, caller, lock=True)
    party = party_for(caller, loaded, data.party)
    _tier(ladder, data.tier)
    reviewed_at = require_aware(data.reviewed_at) if data.reviewed_at is not None else now
    if reviewed_at > now:
        raise InvalidInputError("a review cannot be dated in the future", field="/reviewed_at")
    conclusion = access.required_text(data.conclusion, field="/conclusion",
                                      message="write the conclusion of the review")
    access.require_open(loaded)
    incident = loaded.incident
    review = IncidentLegalReview(
        incident_id=incident.id,
        party=party,
        tier=data.tier,
        outcome=data.outcome,
        reviewer=access.text(data.reviewer.strip()),
        conclusion=conclusion,
        reviewed_at=reviewed_at,
        recorded_by=caller.username,
        recorded_at=now,
    )
    await access.add_record(session, review)
    details = {"party": party, "tier": data.tier, "outcome": str(data.outcome), "review_id": review.id}
    await access.record_update(session, incident, ladder, now, caller=caller, party=party,
                               action="legal_review:record", details=details)
    return review


async def list_legal_reviews(session: AsyncSession, incident_id: int) -> list[IncidentLegalReview]:
    return await access.rows_of(
        session, IncidentLegalReview, incident_id, col(IncidentLegalReview.reviewed_at), col(IncidentLegalReview.id)
    )


async def has_legal_clearance(session: AsyncSession, incident_id: int, *, party: str, tier: int) -> bool:
    """True when ``party``'s latest legal review of ``tier`` on the incident cleared it."""
    latest = (
        await session.execute(
            select(IncidentLegalReview.outcome)
            .where(
                IncidentLegalReview.incident_id == incident_id,
                IncidentLegalReview.party == party,
                IncidentLegalReview.tier == tier,
            )
            .order_by(col(IncidentLegalReview.reviewed_at).desc(), col(IncidentLegalReview.id).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return latest == LegalReviewOutcome.CLEARED
