"""The escalation ladder as JSON: the ladder itself, and the rubric's assessment of metrics."""

from __future__ import annotations

from typing import Any

from pydantic import Field as InputField
from sqlmodel import SQLModel

from entente.models.base import ApiModel

__all__ = [
    "LadderAssessmentPublic",
    "LadderConditionPublic",
    "LadderExitRampPublic",
    "LadderFindingPublic",
    "LadderMetricPublic",
    "LadderPublic",
    "LadderRulePublic",
    "LadderScoreRequest",
    "LadderTierPublic",
]

MAX_METRICS = 64


class LadderScoreRequest(ApiModel):
    metrics: dict[str, Any] = InputField(max_length=MAX_METRICS)


class LadderFindingPublic(SQLModel):
    tier: int
    rule: str
    sentence: str


class LadderAssessmentPublic(SQLModel):
    """The rubric's answer (``ladder.Assessment``), as JSON."""

    tier: int
    tier_name: str
    indicated_tier: int
    capped: bool
    cap_reason: str | None = None
    evidence_met: bool
    evidence_standard: str
    attribution_confidence: str | None = None
    fired: list[LadderFindingPublic]
    next_tier: int | None = None
    missing: list[LadderFindingPublic]
    legal_review_required: bool
    responses: list[str]
    templates: list[str]
    measures: list[str]
    review_days: int
    explanation: str
    ladder_version: int
    metrics: dict[str, Any]


class LadderMetricPublic(SQLModel):
    name: str
    label: str
    description: str
    kind: str
    unit: str | None = None
    min: int | float | None = None
    max: int | float | None = None
    integer: bool | None = None
    scale: str | None = None
    values: list[str] | None = None


class LadderConditionPublic(SQLModel):
    metric: str
    op: str
    value: Any
    text: str


class LadderRulePublic(SQLModel):
    id: str
    description: str
    combine: str
    conditions: list[LadderConditionPublic]


class LadderExitRampPublic(SQLModel):
    id: str
    kind: str
    description: str
    days: int | None = None
    step_to: int


class LadderTierPublic(SQLModel):
    tier: int
    name: str
    description: str
    evidence_standard: str
    evidence_band: list[int]
    legal_review: bool
    responses: list[str]
    templates: list[str]
    measures: list[str]
    review_days: int
    combine: str
    rules: list[LadderRulePublic]
    exit_ramps: list[LadderExitRampPublic] = []


class LadderPublic(SQLModel):
    version: int
    title: str
    tiers: list[LadderTierPublic]
    metrics: list[LadderMetricPublic]
