"""The ladder and the rubric's answers as people and programs read them (API, command line, pages).

``describe_ladder`` turns the loaded ladder into ``LadderPublic``: tiers with what they permit and
the rules that lift an incident to them, in words ("economic loss at least 50 M EUR"), and the
metrics with their units, ranges or allowed values. ``assessment_public`` does the same for one
``ladder.Assessment``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from entente.ladder import Assessment, Comparator, Condition, Ladder, Metric, MetricKind
from entente.models import (
    LadderAssessmentPublic,
    LadderConditionPublic,
    LadderExitRampPublic,
    LadderMetricPublic,
    LadderPublic,
    LadderRulePublic,
    LadderTierPublic,
)

from .access import assess, assessment_dict

__all__ = ["assessment_public", "condition_text", "describe_ladder", "score_metrics"]


def _json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [str(member) for member in value]
    if isinstance(value, StrEnum):
        return str(value)
    return value


def condition_text(condition: Condition) -> str:
    """One condition in words: "economic loss at least 50 M EUR", "sectors affected: at least 2"."""
    metric, op, threshold = condition.metric, condition.op, condition.threshold
    if op is Comparator.COUNT_AT_LEAST:
        return f"{metric.label}: at least {threshold}"
    if op is Comparator.CONTAINS_ANY:
        return f"{metric.label} include {metric.show(threshold)}"
    if op is Comparator.IN:
        return f"{metric.label}: one of {metric.show(threshold)}"
    words = {Comparator.AT_LEAST: "at least", Comparator.ABOVE: "above", Comparator.EQUALS: "exactly"}[op]
    return f"{metric.label} {words} {metric.show(threshold)}"


def _metric(metric: Metric) -> LadderMetricPublic:
    if metric.kind is MetricKind.QUANTITY:
        return LadderMetricPublic(
            name=metric.name,
            label=metric.label,
            description=metric.description,
            kind=str(metric.kind),
            unit=str(metric.unit),
            min=metric.minimum,
            max=metric.maximum,
            integer=metric.integer,
        )
    assert metric.scale is not None
    return LadderMetricPublic(
        name=metric.name,
        label=metric.label,
        description=metric.description,
        kind=str(metric.kind),
        scale=metric.scale.name,
        values=[str(member) for member in metric.scale.members],
    )


def describe_ladder(ladder: Ladder) -> LadderPublic:
    tiers = []
    for tier in ladder.tiers:
        rules = [
            LadderRulePublic(
                id=rule.id,
                description=rule.description,
                combine=str(rule.combine),
                conditions=[
                    LadderConditionPublic(
                        metric=c.metric.name, op=str(c.op), value=_json(c.threshold), text=condition_text(c)
                    )
                    for c in rule.conditions
                ],
            )
            for rule in tier.rules
        ]
        tiers.append(
            LadderTierPublic(
                tier=tier.number,
                name=tier.name,
                description=tier.description,
                evidence_standard=str(tier.evidence_standard),
                evidence_band=list(tier.evidence_standard.band),
                legal_review=tier.legal_review,
                responses=[str(r) for r in tier.allowed_responses],
                templates=list(tier.templates),
                measures=[str(m) for m in tier.measures],
                review_days=tier.review_days,
                combine=str(tier.combine),
                rules=rules,
                exit_ramps=[
                    LadderExitRampPublic(
                        id=r.id, kind=str(r.kind), description=r.description, days=r.days, step_to=tier.number - 1
                    )
                    for r in tier.exit_ramps
                ],
            )
        )
    return LadderPublic(
        version=ladder.version,
        title=ladder.title,
        tiers=tiers,
        metrics=[_metric(metric) for metric in ladder.metrics.values()],
    )


def assessment_public(ladder: Ladder, assessment: Assessment | Mapping[str, Any]) -> LadderAssessmentPublic:
    """An assessment (or one stored on an incident, as a dict) as the API shows it."""
    data = assessment_dict(ladder, assessment) if isinstance(assessment, Assessment) else dict(assessment)
    if "tier_name" not in data:
        data["tier_name"] = ladder.tier(data["tier"]).name if data["tier"] in ladder.numbers else ""
    return LadderAssessmentPublic.model_validate(data)


def score_metrics(ladder: Ladder, metrics: Mapping[str, Any]) -> LadderAssessmentPublic:
    """Score ``metrics``; invalid ones raise one InvalidInputError naming each ``/metrics/<name>``."""
    return assessment_public(ladder, assess(ladder, metrics))
