"""De-escalation on an incident: exit-ramp conditions recorded as met, and proposals to step down a tier.

The ladder names, per tier, the conditions under which partners may step an incident down
(``ladder.ExitRamp``). A participant records that a condition is met (``IncidentRampMet``, with
what shows it); a party proposes stepping down from its decided tier to the tier below, citing the
conditions met (``IncidentStepDown``); each party then decides its new tier as tiers are always
decided, and the step-down is *agreed* once every participating party's current tier is at or
below the proposed one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import AwareDatetime
from pydantic import Field as InputField
from sqlmodel import Column, Field, SQLModel

from entente.models.base import ApiModel, instant_column, json_column
from entente.models.incidents import IncidentRecord

__all__ = [
    "ExitRampMeet",
    "ExitRampPublic",
    "IncidentRampMet",
    "IncidentStepDown",
    "RampMetPublic",
    "StepDownCreate",
    "StepDownDecide",
    "StepDownPublic",
    "StepDownState",
    "DeescalationPublic",
]

TEXT_MAX = 50_000


class StepDownState(StrEnum):
    """proposed -> agreed (every participating party decided the lower tier) | superseded."""

    PROPOSED = "proposed"
    AGREED = "agreed"
    SUPERSEDED = "superseded"


class IncidentRampMet(IncidentRecord, table=True):
    """A ladder exit ramp recorded as met on an incident, by a party, with what shows it."""

    __tablename__ = "incident_ramp_met"

    tier: int
    ramp: str = Field(max_length=64)
    kind: str = Field(max_length=40)
    party: str = Field(max_length=16)
    showing: str
    met_at: datetime = instant_column()
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = instant_column()


class IncidentStepDown(IncidentRecord, table=True):
    """A party's proposal to step the incident down from ``from_tier`` to ``to_tier`` through exit ramps."""

    __tablename__ = "incident_step_down"

    party: str = Field(max_length=16)
    from_tier: int
    to_tier: int
    ramps: list[str] = json_column()
    justification: str
    state: StepDownState = Field(sa_column=Column(sa.String(16), nullable=False))
    proposed_by: str = Field(max_length=64)
    proposed_at: datetime = instant_column()
    settled_at: datetime | None = instant_column(nullable=True)


# --- input bodies -------------------------------------------------------------------------------


class ExitRampMeet(ApiModel):
    """Record that exit ramp ``ramp`` (an id of the ladder) is met, and what shows it."""

    ramp: str = InputField(min_length=1, max_length=64)
    showing: str = InputField(min_length=1, max_length=TEXT_MAX)
    met_at: AwareDatetime | None = None
    party: str | None = InputField(default=None, max_length=16)


class StepDownCreate(ApiModel):
    """Propose stepping down one tier from my party's decided tier, citing exit ramps recorded as met."""

    ramps: list[str] = InputField(min_length=1, max_length=20)
    justification: str = InputField(min_length=1, max_length=TEXT_MAX)
    party: str | None = InputField(default=None, max_length=16)


class StepDownDecide(ApiModel):
    """My party decides the proposed lower tier (recorded as a decided tier, with this justification)."""

    justification: str = InputField(min_length=1, max_length=TEXT_MAX)
    party: str | None = InputField(default=None, max_length=16)


# --- output shapes ------------------------------------------------------------------------------


class ExitRampPublic(SQLModel):
    tier: int
    id: str
    kind: str
    description: str
    days: int | None = None
    met: bool
    #: For time_without_recurrence: when the quiet period is (or was) complete, as things stand.
    due_at: datetime | None = None


class RampMetPublic(SQLModel):
    id: int
    tier: int
    ramp: str
    kind: str
    party: str
    showing: str
    met_at: datetime
    recorded_by: str
    recorded_at: datetime


class StepDownPublic(SQLModel):
    id: int
    party: str
    from_tier: int
    to_tier: int
    ramps: list[str]
    justification: str
    state: StepDownState
    proposed_by: str
    proposed_at: datetime
    settled_at: datetime | None = None
    #: Parties whose current decided tier is still above ``to_tier``.
    waiting_for: list[str]


class DeescalationPublic(SQLModel):
    """Everything about stepping one incident down: the ramps of the tiers in play, what was met, proposals."""

    incident_id: int
    decided_tiers: dict[str, int]
    last_recurrence_at: datetime
    exit_ramps: list[ExitRampPublic]
    met: list[RampMetPublic]
    step_downs: list[StepDownPublic]
