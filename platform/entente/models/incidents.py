"""Incidents the escalation ladder judges: tables, and the data models that cross the API.

An incident is shared by its participating parties (the opening party, the *lead*, and the
parties it invited). What every participant sees (title, description, metrics, the rubric's
recommendation, each party's decided tier, legal reviews) is versioned by ``Incident.version``.
Marked items (evidence, each party's attribution assessment) carry a ``disclosure.Marking`` and
their own version, so that the incident's version never moves because of something a participant
may not see. ``IncidentChange`` records every change, for the history and the audit trail.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import Field as InputField
from sqlmodel import Column, Field, SQLModel

from entente.models.base import ApiModel, Instant, MarkingInput, MarkingPublic, instant_column, json_column
from entente.models.ladder import MAX_METRICS, LadderAssessmentPublic

__all__ = [
    "DraftStartCreate",
    "DraftStartPublic",
    "DraftStartSectionPublic",
    "DraftStartTemplatePublic",
    "Incident",
    "IncidentAttribution",
    "IncidentAttributionPublic",
    "IncidentAttributionUpdate",
    "IncidentChange",
    "IncidentChangePublic",
    "IncidentClose",
    "IncidentCreate",
    "IncidentDecision",
    "IncidentEvidence",
    "IncidentEvidenceCreate",
    "IncidentEvidenceKind",
    "IncidentEvidencePublic",
    "IncidentInvite",
    "IncidentLegalReview",
    "IncidentMarkingUpdate",
    "IncidentParticipant",
    "IncidentPublic",
    "IncidentState",
    "IncidentSummary",
    "IncidentUpdate",
    "LegalReviewCreate",
    "LegalReviewOutcome",
    "LegalReviewPublic",
    "TierDecisionCreate",
    "TierDecisionPublic",
]

TITLE_MAX = 200
TEXT_MAX = 50_000
MAX_PARTICIPANTS = 40


class IncidentState(StrEnum):
    """open -> assessed (every participant decided its tier) -> closed."""

    OPEN = "open"
    ASSESSED = "assessed"
    CLOSED = "closed"


class IncidentEvidenceKind(StrEnum):
    TECHNICAL_DATA = "technical_data"
    OPEN_SOURCE_CORROBORATION = "open_source_corroboration"
    THIRD_PARTY_ASSESSMENT = "third_party_assessment"


class LegalReviewOutcome(StrEnum):
    CLEARED = "cleared"
    NOT_CLEARED = "not_cleared"


# --- tables -------------------------------------------------------------------------------------


class IncidentRecord(SQLModel):
    """The first columns of a table of an incident's rows: a sequential ``id``, then the incident's
    (indexed). Not a table: the tables of incidents, de-escalation and after-action reviews inherit it."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)


class RandomIdIncidentRecord(IncidentRecord):
    """An :class:`IncidentRecord` whose ``id`` is drawn at random (it reveals neither how many rows there
    are nor that hidden ones exist)."""

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})


class Incident(SQLModel, table=True):
    """The shared record (``id`` is random: ids reveal neither counts nor hidden incidents).
    ``assessment`` is the rubric's last answer (``ladder.Assessment.to_dict``)."""

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    title: str = Field(max_length=TITLE_MAX)
    description: str
    state: IncidentState = Field(sa_column=Column(sa.String(16), nullable=False, index=True))
    version: int
    lead: str = Field(foreign_key="party.code", max_length=16)
    opened_by: str = Field(max_length=64)
    metrics: dict[str, Any] = json_column()
    assessment: dict[str, Any] = json_column()
    recommended_tier: int
    ladder_version: int
    close_reason: str | None = Field(default=None, max_length=2_000)
    opened_at: datetime = instant_column()
    updated_at: datetime = instant_column(index=True)
    closed_at: datetime | None = instant_column(nullable=True)


class IncidentParticipant(SQLModel, table=True):
    __tablename__ = "incident_participant"

    incident_id: int = Field(foreign_key="incident.id", primary_key=True)
    party: str = Field(foreign_key="party.code", primary_key=True, max_length=16, index=True)
    invited_by: str = Field(max_length=64)
    joined_at: datetime = instant_column()


class IncidentEvidence(RandomIdIncidentRecord, table=True):
    """An evidence item; its text never changes, its marking may (``version`` counts marking changes)."""

    __tablename__ = "incident_evidence"

    kind: IncidentEvidenceKind = Field(sa_column=Column(sa.String(32), nullable=False))
    title: str = Field(max_length=TITLE_MAX)
    body: str
    source: str = Field(max_length=500)
    marking: dict[str, Any] = json_column()
    author_party: str = Field(max_length=16)
    author: str = Field(max_length=64)
    version: int
    added_at: datetime = instant_column()


class IncidentAttribution(IncidentRecord, table=True):
    """One party's attribution assessment of an incident (each party reaches its own judgement)."""

    __tablename__ = "incident_attribution"
    __table_args__ = (sa.UniqueConstraint("incident_id", "party", name="uq_incident_attribution_party"),)

    party: str = Field(max_length=16)
    suspected_actor: str = Field(max_length=200)
    confidence: str = Field(max_length=32)
    state_backing: str | None = Field(default=None, max_length=40)
    reasoning: str
    marking: dict[str, Any] = json_column()
    version: int
    updated_by: str = Field(max_length=64)
    updated_at: datetime = instant_column()


class IncidentDecision(IncidentRecord, table=True):
    """A party's decided tier; append-only, the latest row of a party is its current decision."""

    __tablename__ = "incident_decision"

    party: str = Field(max_length=16)
    tier: int
    justification: str
    recommended_tier: int
    decided_by: str = Field(max_length=64)
    decided_at: datetime = instant_column()


class IncidentLegalReview(IncidentRecord, table=True):
    __tablename__ = "incident_legal_review"

    party: str = Field(max_length=16)
    tier: int
    outcome: LegalReviewOutcome = Field(sa_column=Column(sa.String(16), nullable=False))
    reviewer: str = Field(max_length=200)
    conclusion: str
    reviewed_at: datetime = instant_column()
    recorded_by: str = Field(max_length=64)
    recorded_at: datetime = instant_column()


class IncidentChange(IncidentRecord, table=True):
    """One change, for the history. ``subject`` names what a viewer must be able to see to read it:
    ``incident`` (every participant), ``evidence:<id>`` or ``attribution:<party>``. ``details``
    never holds marked text."""

    __tablename__ = "incident_change"

    at: datetime = instant_column()
    actor: str = Field(max_length=64)
    party: str = Field(max_length=16)
    action: str = Field(max_length=40)
    subject: str = Field(max_length=64)
    incident_version: int
    details: dict[str, Any] = json_column()


# --- input bodies -------------------------------------------------------------------------------


class IncidentCreate(ApiModel):
    title: str = InputField(min_length=1, max_length=TITLE_MAX)
    description: str = InputField(default="", max_length=TEXT_MAX)
    metrics: dict[str, Any] = InputField(default_factory=dict, max_length=MAX_METRICS)
    participants: list[str] = InputField(default_factory=list, max_length=MAX_PARTICIPANTS)


class IncidentUpdate(ApiModel):
    """Fields left out stay as they are; ``metrics`` replaces the whole set. ``version`` (or
    ``If-Match``) names the version edited."""

    title: str | None = InputField(default=None, min_length=1, max_length=TITLE_MAX)
    description: str | None = InputField(default=None, max_length=TEXT_MAX)
    metrics: dict[str, Any] | None = InputField(default=None, max_length=MAX_METRICS)
    version: int | None = InputField(default=None, ge=1)


class IncidentInvite(ApiModel):
    parties: list[str] = InputField(min_length=1, max_length=MAX_PARTICIPANTS)


class IncidentClose(ApiModel):
    reason: str = InputField(default="", max_length=2_000)
    version: int | None = InputField(default=None, ge=1)


class IncidentEvidenceCreate(ApiModel):
    kind: IncidentEvidenceKind
    title: str = InputField(min_length=1, max_length=TITLE_MAX)
    body: str = InputField(min_length=1, max_length=TEXT_MAX)
    source: str = InputField(min_length=1, max_length=500)
    marking: MarkingInput


class IncidentMarkingUpdate(ApiModel):
    marking: MarkingInput
    version: int | None = InputField(default=None, ge=1)


class IncidentAttributionUpdate(ApiModel):
    suspected_actor: str = InputField(min_length=1, max_length=200)
    confidence: str = InputField(min_length=1, max_length=32)
    state_backing: str | None = InputField(default=None, max_length=40)
    reasoning: str = InputField(min_length=1, max_length=TEXT_MAX)
    marking: MarkingInput
    version: int | None = InputField(default=None, ge=1)


class TierDecisionCreate(ApiModel):
    tier: int = InputField(ge=-(2**31), le=2**31)
    justification: str = InputField(max_length=TEXT_MAX)
    party: str | None = InputField(default=None, max_length=16)


class LegalReviewCreate(ApiModel):
    tier: int = InputField(ge=-(2**31), le=2**31)
    outcome: LegalReviewOutcome
    reviewer: str = InputField(min_length=1, max_length=200)
    conclusion: str = InputField(min_length=1, max_length=TEXT_MAX)
    reviewed_at: Instant | None = None
    party: str | None = InputField(default=None, max_length=16)


class DraftStartCreate(ApiModel):
    template: str = InputField(min_length=1, max_length=64)
    params: dict[str, Any] = InputField(default_factory=dict, max_length=64)
    participants: list[str] = InputField(default_factory=list, max_length=MAX_PARTICIPANTS)


# --- output shapes ------------------------------------------------------------------------------


class TierDecisionPublic(SQLModel):
    party: str
    tier: int
    justification: str
    recommended_tier: int
    decided_by: str
    decided_at: datetime


class LegalReviewPublic(SQLModel):
    id: int
    party: str
    tier: int
    outcome: LegalReviewOutcome
    reviewer: str
    conclusion: str
    reviewed_at: datetime
    recorded_by: str
    recorded_at: datetime


class IncidentEvidencePublic(SQLModel):
    id: int
    kind: IncidentEvidenceKind
    title: str
    body: str
    source: str
    marking: MarkingPublic
    author_party: str
    author: str
    version: int
    added_at: datetime


class IncidentAttributionPublic(SQLModel):
    party: str
    suspected_actor: str
    confidence: str
    state_backing: str | None = None
    reasoning: str
    marking: MarkingPublic
    version: int
    updated_by: str
    updated_at: datetime


class IncidentSummary(SQLModel):
    id: int
    title: str
    state: IncidentState
    version: int
    lead: str
    participants: list[str]
    recommended_tier: int
    my_decided_tier: int | None = None
    opened_at: datetime
    updated_at: datetime


class IncidentPublic(SQLModel):
    id: int
    title: str
    description: str
    state: IncidentState
    version: int
    lead: str
    opened_by: str
    participants: list[str]
    metrics: dict[str, Any]
    recommended_tier: int
    recommendation: LadderAssessmentPublic
    decisions: list[TierDecisionPublic]
    legal_reviews: list[LegalReviewPublic]
    attributions: list[IncidentAttributionPublic]
    evidence: list[IncidentEvidencePublic]
    close_reason: str | None = None
    opened_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None


class IncidentChangePublic(SQLModel):
    at: datetime
    actor: str
    party: str
    action: str
    subject: str
    incident_version: int
    details: dict[str, Any]


class DraftStartTemplatePublic(SQLModel):
    id: str
    version: int
    digest: str


class DraftStartSectionPublic(SQLModel):
    id: str
    heading: str
    body: str
    marking: MarkingPublic


class DraftStartPublic(SQLModel):
    incident_id: int
    tier: int
    lead: str
    participants: list[str]
    template: DraftStartTemplatePublic
    params: dict[str, Any]
    sections: list[DraftStartSectionPublic]
