"""The rubric: incident metrics in, a recommended tier out, with the reasons in plain words.

:func:`score` is a pure function of the ladder and the metrics. How it decides:

1. Every metric is validated first; all problems are reported together.
2. Each tier's rules are evaluated. A metric that was not reported never satisfies a condition:
   the rubric does not guess.
3. The *indicated* tier is the highest tier whose rules fired (tiers combine their rules with
   ``any`` or ``all``). Tier 1 is the floor: information sharing is always appropriate, so an
   incident is never "tier 0".
4. The *recommended* tier is the highest tier, at or below the indicated one, whose evidence
   standard the attribution confidence meets. When that is lower than the indicated tier the
   assessment says so (``cap_reason``): harm may justify sanctions while the evidence does not yet
   justify naming anyone, and ministers must see both halves of that sentence.
5. For the tier above the recommended one, the assessment lists what is missing: the nearest rule
   that did not fire (with the gap, "economic loss 12 M EUR (threshold 50 M EUR)"), and the
   evidence standard if it is not met.

The rubric recommends; parties decide, each recording its own tier with a justification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .model import (
    EVIDENCE_METRIC,
    Combine,
    Comparator,
    Condition,
    Ladder,
    Measure,
    MetricValue,
    ResponseCategory,
    Rule,
    Tier,
)
from .problems import Problems
from .scales import SCALES, Confidence

__all__ = ["EVIDENCE_RULE", "Assessment", "Finding", "score", "validate_metrics"]

#: The rule id a finding carries when what is missing is the evidence standard.
EVIDENCE_RULE = "evidence_standard"
_FLOOR = "no escalation rule fired; information sharing is always appropriate"


@dataclass(frozen=True)
class Finding:
    """One reason, in a sentence: a rule that fired, or what a rule (or the evidence) still lacks."""

    tier: int
    rule: str
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Assessment:
    """The rubric's recommendation for one incident, with everything needed to explain it."""

    tier: int
    indicated_tier: int
    cap_reason: str | None
    evidence_met: bool
    evidence_standard: Confidence
    attribution_confidence: Confidence | None
    fired: tuple[Finding, ...]
    next_tier: int | None
    missing: tuple[Finding, ...]
    legal_review_required: bool
    responses: tuple[ResponseCategory, ...]
    templates: tuple[str, ...]
    measures: tuple[Measure, ...]
    review_days: int
    explanation: str
    ladder_version: int
    metrics: Mapping[str, MetricValue] = field(hash=False)

    @property
    def capped(self) -> bool:
        return self.tier < self.indicated_tier

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (enums as their values, tuples as lists)."""
        return {
            "tier": self.tier,
            "indicated_tier": self.indicated_tier,
            "capped": self.capped,
            "cap_reason": self.cap_reason,
            "evidence_met": self.evidence_met,
            "evidence_standard": str(self.evidence_standard),
            "attribution_confidence": _json(self.attribution_confidence),
            "fired": [finding.to_dict() for finding in self.fired],
            "next_tier": self.next_tier,
            "missing": [finding.to_dict() for finding in self.missing],
            "legal_review_required": self.legal_review_required,
            "responses": [str(r) for r in self.responses],
            "templates": list(self.templates),
            "measures": [str(m) for m in self.measures],
            "review_days": self.review_days,
            "explanation": self.explanation,
            "ladder_version": self.ladder_version,
            "metrics": {name: _json(value) for name, value in self.metrics.items()},
        }


def _json(value: MetricValue | None) -> Any:
    if isinstance(value, tuple):
        return [str(member) for member in value]
    if isinstance(value, StrEnum):
        return str(value)
    return value


def validate_metrics(ladder: Ladder, metrics: Mapping[str, object]) -> dict[str, MetricValue]:
    """Check reported metrics against the ladder; return them normalised (None means not reported).

    Raises one InvalidInputError listing every problem (``field`` = ``metrics.<name>``).
    """
    problems = Problems("metrics")
    if not isinstance(metrics, Mapping):
        problems.found.append(("metrics", "must be an object of metric names to values"))
        problems.raise_if_any()
    values: dict[str, MetricValue] = {}
    for name, raw in metrics.items():
        metric = ladder.metrics.get(name) if isinstance(name, str) else None
        if metric is None:
            problems.add(str(name), f"unknown metric (expected one of: {', '.join(ladder.metrics)})")
        elif raw is not None:
            try:
                values[name] = metric.parse(raw)
            except ValueError as exc:
                problems.add(name, str(exc))
    problems.raise_if_any()
    return {name: values[name] for name in ladder.metrics if name in values}


@dataclass(frozen=True)
class _RuleResult:
    rule: Rule
    held: tuple[Condition, ...]
    unheld: tuple[Condition, ...]

    @property
    def fired(self) -> bool:
        return not self.unheld if self.rule.combine is Combine.ALL else bool(self.held)


def _evaluate(tier: Tier, values: Mapping[str, MetricValue]) -> tuple[bool, list[_RuleResult]]:
    results = []
    for rule in tier.rules:
        held = tuple(c for c in rule.conditions if c.holds(values.get(c.metric.name)))
        results.append(_RuleResult(rule, held, tuple(c for c in rule.conditions if c not in held)))
    return tier.combine([r.fired for r in results]), results


def score(ladder: Ladder, metrics: Mapping[str, object]) -> Assessment:
    """Recommend a tier for an incident's metrics; see the module docstring for the method."""
    values = validate_metrics(ladder, metrics)
    evaluated = {tier.number: _evaluate(tier, values) for tier in ladder.tiers}
    indicated = max((n for n, (fired, _) in evaluated.items() if fired), default=1)
    confidence = values.get(EVIDENCE_METRIC)
    assert confidence is None or isinstance(confidence, Confidence)
    tier_number = next((n for n in range(indicated, 0, -1) if _evidence_met(ladder.tier(n), confidence)), 1)
    tier = ladder.tier(tier_number)

    fired = tuple(
        Finding(number, result.rule.id, _sentence(result.held, values))
        for number, (tier_fired, results) in evaluated.items()
        if tier_fired and number <= indicated
        for result in results
        if result.fired
    )
    cap_reason = None
    if tier_number < indicated:
        standard = ladder.tier(indicated).evidence_standard
        cap_reason = (
            f"attribution confidence {_confidence(confidence)} is below the evidence standard for "
            f"tier {indicated}, {_confidence(standard)}"
        )
    next_tier = tier_number + 1 if tier_number < len(ladder.tiers) else None
    missing = () if next_tier is None else _missing(ladder, next_tier, evaluated[next_tier], values, confidence)

    reasons = "; ".join(f.sentence for f in fired if f.tier == indicated) or _FLOOR
    head = f"tier {tier_number}" + (f" (capped from tier {indicated}: {cap_reason})" if cap_reason else "")
    evidence_met = _evidence_met(tier, confidence)
    if not evidence_met:
        reasons += f"; evidence standard {_confidence(tier.evidence_standard)} not met"
    return Assessment(
        tier=tier_number,
        indicated_tier=indicated,
        cap_reason=cap_reason,
        evidence_met=evidence_met,
        evidence_standard=tier.evidence_standard,
        attribution_confidence=confidence,
        fired=fired,
        next_tier=next_tier,
        missing=missing,
        legal_review_required=tier.legal_review,
        responses=tier.allowed_responses,
        templates=tier.templates,
        measures=tier.measures,
        review_days=tier.review_days,
        explanation=f"{head}: {reasons}",
        ladder_version=ladder.version,
        metrics=MappingProxyType(values),
    )


def _evidence_met(tier: Tier, confidence: Confidence | None) -> bool:
    """The lowest point of the yardstick asks for nothing; anything higher needs a reported confidence."""
    scale = SCALES["confidence"]
    if scale.rank(tier.evidence_standard) == 0:
        return True
    return confidence is not None and scale.rank(confidence) >= scale.rank(tier.evidence_standard)


def _confidence(value: Confidence | None) -> str:
    if value is None:
        return "not reported"
    low, high = value.band
    return f"{value.label} ({low}-{high}%)"


def _sentence(conditions: tuple[Condition, ...], values: Mapping[str, MetricValue]) -> str:
    return " and ".join(c.describe(values.get(c.metric.name)) for c in conditions)


def _missing(
    ladder: Ladder,
    number: int,
    evaluated: tuple[bool, list[_RuleResult]],
    values: Mapping[str, MetricValue],
    confidence: Confidence | None,
) -> tuple[Finding, ...]:
    """What tier ``number`` lacks: its unfired rules (or the nearest one) and its evidence standard."""
    tier = ladder.tier(number)
    tier_fired, results = evaluated
    gaps: list[Finding] = []
    if not tier_fired:
        unfired = [r for r in results if not r.fired]
        if tier.combine is Combine.ANY:
            unfired = [min(unfired, key=lambda r: _distance(r, values))]
        for result in unfired:
            gaps.append(Finding(number, result.rule.id, _sentence(_needed(result, values), values)))
    if not _evidence_met(tier, confidence):
        standard = Condition(ladder.metrics[EVIDENCE_METRIC], Comparator.AT_LEAST, tier.evidence_standard)
        gaps.append(Finding(number, EVIDENCE_RULE, standard.describe(confidence)))
    return tuple(gaps)


def _needed(result: _RuleResult, values: Mapping[str, MetricValue]) -> tuple[Condition, ...]:
    """The conditions still to meet: all unmet ones for ``all``, the nearest for ``any``."""
    if result.rule.combine is Combine.ALL:
        return result.unheld
    return (min(result.unheld, key=lambda c: c.shortfall(values.get(c.metric.name))),)


def _distance(result: _RuleResult, values: Mapping[str, MetricValue]) -> float:
    return sum(c.shortfall(values.get(c.metric.name)) for c in _needed(result, values))
