"""After-action reviews and oversight reports: lessons, proposed ladder changes, timelines, reports.

When an incident closes, its after-action review is built from the audit trail (the timeline, with
the durations between steps); participants add *lessons* (marked like any text: a lesson reaches
only the parties it is releasable to) on thresholds, messages and tools, and may propose changes
to ``config/ladder.toml`` as a reviewable diff. An oversight report gathers, for a period, the
decisions, outcomes, timings and lessons the reader may see.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import Field as InputField
from sqlmodel import Column, Field, SQLModel

from entente.models.base import ApiModel, MarkingInput, MarkingPublic, instant_column, json_column
from entente.models.incidents import IncidentRecord, RandomIdIncidentRecord

__all__ = [
    "AfterActionLesson",
    "AfterActionPublic",
    "AuditEntryPublic",
    "LadderProposal",
    "LadderProposalCreate",
    "LadderProposalPublic",
    "LessonCreate",
    "LessonPublic",
    "LessonTopic",
    "MilestonePublic",
    "OversightReportPublic",
    "PartyTimingPublic",
    "ReportIncidentPublic",
    "TimelineStepPublic",
]

TEXT_MAX = 50_000
LADDER_TEXT_MAX = 200_000


class LessonTopic(StrEnum):
    """What a lesson is about (the seed: "refine thresholds, messages and tools")."""

    THRESHOLDS = "thresholds"
    MESSAGES = "messages"
    TOOLS = "tools"


class AfterActionLesson(RandomIdIncidentRecord, table=True):
    """A lesson a participant drew from a closed incident; ``marking`` says who may read it."""

    __tablename__ = "after_action_lesson"

    topic: LessonTopic = Field(sa_column=Column(sa.String(16), nullable=False))
    body: str
    marking: dict[str, Any] = json_column()
    author_party: str = Field(max_length=16)
    author: str = Field(max_length=64)
    added_at: datetime = instant_column()


class LadderProposal(IncidentRecord, table=True):
    """A proposed new ``config/ladder.toml``, from an after-action review: the full text, checked by the
    ladder loader, and its unified diff against the file in force when it was proposed."""

    __tablename__ = "ladder_proposal"

    party: str = Field(max_length=16)
    rationale: str
    base_version: int
    base_digest: str = Field(max_length=71)
    proposed_version: int
    proposed_digest: str = Field(max_length=71)
    proposed_text: str
    diff: str
    proposed_by: str = Field(max_length=64)
    proposed_at: datetime = instant_column()


# --- input bodies -------------------------------------------------------------------------------


class LessonCreate(ApiModel):
    topic: LessonTopic
    body: str = InputField(min_length=1, max_length=TEXT_MAX)
    marking: MarkingInput


class LadderProposalCreate(ApiModel):
    """The whole proposed ladder file (what ``config/ladder.toml`` would become) and why."""

    ladder_toml: str = InputField(min_length=1, max_length=LADDER_TEXT_MAX)
    rationale: str = InputField(min_length=1, max_length=TEXT_MAX)


# --- output shapes ------------------------------------------------------------------------------


class LessonPublic(SQLModel):
    id: int
    topic: LessonTopic
    body: str
    marking: MarkingPublic
    author_party: str
    author: str
    added_at: datetime


class LadderProposalPublic(SQLModel):
    id: int
    incident_id: int
    party: str
    rationale: str
    base_version: int
    base_digest: str
    proposed_version: int
    proposed_digest: str
    diff: str
    proposed_by: str
    proposed_at: datetime


class TimelineStepPublic(SQLModel):
    """One audited step: ``since_previous`` and ``since_open`` in seconds (from the audit instants)."""

    seq: int
    at: datetime
    event: str
    what: str
    party: str | None = None
    actor: str
    object: str
    communique: int | None = None
    details: dict[str, Any]
    since_previous: int
    since_open: int


class MilestonePublic(SQLModel):
    name: str
    at: datetime | None = None
    after_open: int | None = None


class PartyTimingPublic(SQLModel):
    party: str
    decided_tier: int | None = None
    first_decision_after_open: int | None = None
    legal_reviews: int
    signoffs: list[dict[str, Any]]


class AfterActionPublic(SQLModel):
    incident_id: int
    title: str
    state: str
    opened_at: datetime
    closed_at: datetime | None = None
    duration: int | None = None
    milestones: list[MilestonePublic]
    parties: list[PartyTimingPublic]
    timeline: list[TimelineStepPublic]
    lessons: list[LessonPublic]
    ladder_proposals: list[LadderProposalPublic]


class ReportIncidentPublic(SQLModel):
    id: int
    title: str
    state: str
    lead: str
    participants: list[str]
    recommended_tier: int
    decided_tiers: dict[str, int]
    opened_at: datetime
    closed_at: datetime | None = None
    decisions: list[dict[str, Any]]
    legal_reviews: list[dict[str, Any]]
    step_downs: list[dict[str, Any]]
    releases: list[dict[str, Any]]
    signoffs: list[dict[str, Any]]
    timings: dict[str, int | None]
    lessons: list[LessonPublic]


class OversightReportPublic(SQLModel):
    """A period's decisions, outcomes, timings and lessons, as ``party`` (the reader's) may see them."""

    party: str
    period_from: datetime
    period_to: datetime
    generated_at: datetime
    digest: str
    summary: dict[str, Any]
    incidents: list[ReportIncidentPublic]


class AuditEntryPublic(SQLModel):
    """One entry of the audit trail as a party's reader sees it (its own party's entries)."""

    seq: int
    at: datetime
    actor: str
    party: str | None = None
    event: str
    what: str
    object: str
    details: dict[str, Any]
    hash: str
    prev_hash: str
