"""Exit ramps and stepping down: the ladder's de-escalation conditions, applied to one incident.

The ladder names, per tier, the conditions under which partners may step an incident down to the
tier below (``ladder.ExitRamp``: verifiable restraint, cooperation on investigation, time without
recurrence). Here a participant records that a condition is met, with what shows it; a party
whose decided tier has a condition met proposes to step down one tier, citing it; and every party
then decides the lower tier *as tiers are always decided* (``decisions.decide_tier``, with a
justification). The step-down is agreed once every participating party's current tier is at or
below the proposed one (``decisions.settle_step_downs``, run after every decision).

Time without recurrence is checked, not asserted: the quiet period runs from the latest of the
incident's opening and the last change of its metrics (a recurrence is recorded by updating the
metrics), and a condition recorded as met before the period is over is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente.auth import Caller
from entente.clock import isoformat, require_aware
from entente.errors import ConflictError, InvalidInputError, NotFoundError
from entente.ladder import ExitRamp, ExitRampKind, Ladder
from entente.models import (
    ExitRampMeet,
    Incident,
    IncidentChange,
    IncidentDecision,
    IncidentRampMet,
    IncidentStepDown,
    StepDownCreate,
    StepDownDecide,
    StepDownState,
)

from . import access
from .access import Loaded
from .decisions import current_decisions, decide_tier, party_for

NO_STEP_DOWN = "no such step-down"


@dataclass(frozen=True)
class RampStatus:
    tier: int
    ramp: ExitRamp
    met: bool
    due_at: datetime | None  # time_without_recurrence: when the quiet period is complete


@dataclass(frozen=True)
class StepDownView:
    step_down: IncidentStepDown
    waiting_for: tuple[str, ...]


@dataclass(frozen=True)
class Deescalation:
    incident: Incident
    participants: tuple[str, ...]
    decided_tiers: dict[str, int]
    last_recurrence_at: datetime
    ramps: tuple[RampStatus, ...]
    met: tuple[IncidentRampMet, ...]
    step_downs: tuple[StepDownView, ...]


def find_ramp(ladder: Ladder, ramp_id: str) -> tuple[int, ExitRamp] | None:
    for tier in ladder.tiers:
        ramp = tier.exit_ramp(ramp_id)
        if ramp is not None:
            return tier.number, ramp
    return None


async def last_recurrence_at(session: AsyncSession, incident: Incident) -> datetime:
    """When activity was last recorded: the opening, or the latest change of the incident's metrics."""
    latest = incident.opened_at
    changes = (
        await session.execute(
            select(IncidentChange).where(
                IncidentChange.incident_id == incident.id, IncidentChange.action == "incident:update"
            )
        )
    ).scalars()
    for change in changes:
        if "metrics" in (change.details or {}).get("changed", []) and change.at > latest:
            latest = change.at
    return latest


async def _met(session: AsyncSession, incident_id: int) -> list[IncidentRampMet]:
    return await access.rows_of(session, IncidentRampMet, incident_id)


async def list_step_downs(session: AsyncSession, incident_id: int) -> list[IncidentStepDown]:
    return await access.rows_of(session, IncidentStepDown, incident_id)


def _waiting_for(step_down: IncidentStepDown, participants: tuple[str, ...],
                 decisions: dict[str, IncidentDecision]) -> tuple[str, ...]:
    if step_down.state != StepDownState.PROPOSED:
        return ()
    return tuple(p for p in participants if p not in decisions or decisions[p].tier > step_down.to_tier)


async def get_deescalation(
    session: AsyncSession, *, incident_id: int, caller: Caller, ladder: Ladder
) -> Deescalation:
    """The exit ramps of every tier a party decided (above tier 1), what was met, and the proposals."""
    loaded = await access.load(session, incident_id, caller)
    return await _view(session, loaded, ladder)


def _due(ramp: ExitRamp, recurrence: datetime) -> datetime | None:
    """When a time-without-recurrence ramp is due (the ladder loader sets its ``days``); None for other kinds."""
    if ramp.kind is not ExitRampKind.TIME_WITHOUT_RECURRENCE:
        return None
    return recurrence + timedelta(days=cast(int, ramp.days))


async def _view(session: AsyncSession, loaded: Loaded, ladder: Ladder) -> Deescalation:
    decisions = await current_decisions(session, loaded.id)
    recurrence = await last_recurrence_at(session, loaded.incident)
    met = await _met(session, loaded.id)
    met_ids = {(m.tier, m.ramp) for m in met}
    in_play = sorted({d.tier for d in decisions.values() if d.tier in ladder.numbers and d.tier > 1}, reverse=True)
    ramps = []
    for number in in_play:
        for ramp in ladder.tier(number).exit_ramps:
            ramps.append(RampStatus(number, ramp, (number, ramp.id) in met_ids, _due(ramp, recurrence)))
    step_downs = [
        StepDownView(s, _waiting_for(s, loaded.participants, decisions))
        for s in await list_step_downs(session, loaded.id)
    ]
    return Deescalation(
        incident=loaded.incident,
        participants=loaded.participants,
        decided_tiers={p: d.tier for p, d in decisions.items()},
        last_recurrence_at=recurrence,
        ramps=tuple(ramps),
        met=tuple(met),
        step_downs=tuple(step_downs),
    )


async def ramps_for_measures(
    session: AsyncSession, *, incident_id: int, caller: Caller, ladder: Ladder, tier: int
) -> tuple[RampStatus, ...]:
    """The exit ramps that apply to measures taken at ``tier`` on the incident, with whether each is met
    (what a review of those measures weighs); empty when the caller may not see the incident."""
    if tier not in ladder.numbers:
        return ()
    try:
        loaded = await access.load(session, incident_id, caller)
    except NotFoundError:
        return ()
    recurrence = await last_recurrence_at(session, loaded.incident)
    met = {m.ramp for m in await _met(session, loaded.id) if m.tier == tier}
    return tuple(
        RampStatus(tier, ramp, ramp.id in met, _due(ramp, recurrence)) for ramp in ladder.tier(tier).exit_ramps
    )


async def record_ramp_met(
    session: AsyncSession, *, incident_id: int, caller: Caller, data: ExitRampMeet, ladder: Ladder, now: datetime
) -> IncidentRampMet:
    """Record that exit ramp ``data.ramp`` is met, for ``data.party`` (default: the caller's party)."""
    loaded = await access.load(session, incident_id, caller, lock=True)
    party = party_for(caller, loaded, data.party)
    found = find_ramp(ladder, data.ramp)
    if found is None:
        raise InvalidInputError(f"the ladder has no exit ramp {data.ramp!r}", code="unknown_exit_ramp", field="/ramp")
    tier, ramp = found
    met_at = require_aware(data.met_at) if data.met_at is not None else now
    if met_at > now:
        raise InvalidInputError("a condition cannot be met in the future", field="/met_at")
    showing = access.required_text(data.showing, field="/showing", code="justification_required",
                                   message="say what shows the condition is met")
    access.require_open(loaded)
    decisions = await current_decisions(session, loaded.id)
    if not any(d.tier == tier for d in decisions.values()):
        raise ConflictError(
            f"exit ramp {ramp.id!r} leads down from tier {tier}, and no party has decided tier {tier} "
            "on this incident",
            code="exit_ramp_not_in_play",
            extra={"tier": tier, "decided_tiers": {p: d.tier for p, d in decisions.items()}},
        )
    if ramp.kind is ExitRampKind.TIME_WITHOUT_RECURRENCE:
        assert ramp.days is not None
        recurrence = await last_recurrence_at(session, loaded.incident)
        due = recurrence + timedelta(days=ramp.days)
        if met_at < due:
            raise ConflictError(
                f"exit ramp {ramp.id!r} needs {ramp.days} days without a recurrence: the last was recorded "
                f"{isoformat(recurrence)}, so it is met from {isoformat(due)}",
                code="exit_ramp_not_met",
                extra={"last_recurrence_at": isoformat(recurrence), "due_at": isoformat(due)},
            )
    row = IncidentRampMet(
        incident_id=loaded.id,
        tier=tier,
        ramp=ramp.id,
        kind=str(ramp.kind),
        party=party,
        showing=showing,
        met_at=met_at,
        recorded_by=caller.username,
        recorded_at=now,
    )
    await access.add_record(session, row)
    details = {"party": party, "tier": tier, "ramp": ramp.id, "kind": str(ramp.kind), "met_at": isoformat(met_at),
               "record_id": row.id}
    await access.record_update(session, loaded.incident, ladder, now, caller=caller, party=party,
                               action="exit_ramp:meet", details=details)
    return row


async def propose_step_down(
    session: AsyncSession, *, incident_id: int, caller: Caller, data: StepDownCreate, ladder: Ladder, now: datetime
) -> IncidentStepDown:
    """Propose stepping down one tier from the party's decided tier, citing exit ramps of that tier met."""
    loaded = await access.load(session, incident_id, caller, lock=True)
    party = party_for(caller, loaded, data.party)
    justification = access.required_text(data.justification, field="/justification", code="justification_required",
                                         message="say why the incident should step down")
    access.require_open(loaded)
    decisions = await current_decisions(session, loaded.id)
    decision = decisions.get(party)
    if decision is None:
        raise ConflictError(f"{party} has not decided a tier on this incident: there is nothing to step down from",
                            code="tier_not_decided", extra={"tier": None})
    if decision.tier <= 1 or decision.tier not in ladder.numbers:
        raise ConflictError(f"tier {decision.tier} is the floor of the ladder: there is no tier below it",
                            code="no_lower_tier", extra={"tier": decision.tier})
    from_tier = decision.tier
    tier = ladder.tier(from_tier)
    met = {m.ramp for m in await _met(session, loaded.id) if m.tier == from_tier}
    cited: list[str] = []
    for index, ramp_id in enumerate(data.ramps):
        if tier.exit_ramp(ramp_id) is None:
            names = ", ".join(r.id for r in tier.exit_ramps) or "none"
            raise InvalidInputError(f"{ramp_id!r} is not an exit ramp of tier {from_tier} (its ramps: {names})",
                                    code="unknown_exit_ramp", field=f"/ramps/{index}")
        if ramp_id not in met:
            raise ConflictError(f"exit ramp {ramp_id!r} has not been recorded as met on this incident",
                                code="exit_ramp_not_met", extra={"ramp": ramp_id})
        if ramp_id not in cited:
            cited.append(ramp_id)
    for pending in await list_step_downs(session, loaded.id):
        if pending.state == StepDownState.PROPOSED and pending.from_tier == from_tier:
            raise ConflictError(
                f"step-down {pending.id} from tier {from_tier} is already proposed: decide on it instead",
                code="step_down_pending", extra={"step_down": pending.id},
            )
    step_down = IncidentStepDown(
        incident_id=loaded.id,
        party=party,
        from_tier=from_tier,
        to_tier=from_tier - 1,
        ramps=cited,
        justification=justification,
        state=StepDownState.PROPOSED,
        proposed_by=caller.username,
        proposed_at=now,
    )
    await access.add_record(session, step_down)
    details = {"party": party, "step_down": step_down.id, "from_tier": from_tier, "to_tier": from_tier - 1,
               "ramps": cited}
    await access.record_update(session, loaded.incident, ladder, now, caller=caller, party=party,
                               action="step_down:propose", details=details)
    return step_down


async def get_step_down(session: AsyncSession, loaded: Loaded, step_down_id: int) -> IncidentStepDown:
    step_down = await session.get(IncidentStepDown, step_down_id) if access.in_id_range(step_down_id) else None
    if step_down is None or step_down.incident_id != loaded.id:
        raise NotFoundError(NO_STEP_DOWN)
    return step_down


async def decide_step_down(
    session: AsyncSession,
    *,
    incident_id: int,
    step_down_id: int,
    caller: Caller,
    data: StepDownDecide,
    ladder: Ladder,
    now: datetime,
) -> tuple[IncidentStepDown, IncidentDecision]:
    """The party decides the proposed lower tier: a decided tier like any other, linked to the step-down."""
    loaded = await access.load(session, incident_id, caller, lock=True)
    step_down = await get_step_down(session, loaded, step_down_id)
    if step_down.state != StepDownState.PROPOSED:
        raise ConflictError(f"step-down {step_down.id} is {step_down.state}: nothing more to decide on it",
                            code="step_down_settled", extra={"state": str(step_down.state)})
    decision = await decide_tier(
        session,
        incident_id=incident_id,
        caller=caller,
        tier=step_down.to_tier,
        justification=data.justification,
        party=data.party,
        ladder=ladder,
        now=now,
        step_down=step_down.id,
    )
    await session.refresh(step_down)
    return step_down, decision
