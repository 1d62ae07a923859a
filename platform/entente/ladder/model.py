"""What a ladder is made of: metrics, conditions, rules and tiers.

Everything here is immutable and built by :mod:`entente.ladder.loading` from ``config/ladder.toml``.
A *condition* compares one metric with a threshold; a *rule* combines conditions (any or all);
a *tier* combines rules (any or all) and carries what the tier permits. Conditions also know how
to say what they found in words a minister understands: "economic loss 12 M EUR (threshold 50 M EUR)".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from .scales import Confidence, Scale


class ResponseCategory(StrEnum):
    """Kinds of response a coalition can start; each tier allows a subset."""

    INFORMATION_SHARING = "information_sharing"
    JOINT_ADVISORY = "joint_advisory"
    WARNING_DECLARATION = "warning_declaration"
    DEMARCHE = "demarche"
    JOINT_ATTRIBUTION = "joint_attribution"
    SANCTIONS = "sanctions"
    COOPERATIVE_DEFENCE = "cooperative_defence"
    DIPLOMATIC_MEASURES = "diplomatic_measures"
    PUBLIC_DIPLOMACY = "public_diplomacy"
    DE_ESCALATION = "de_escalation"


#: Public diplomacy is allowed at every tier (DESIGN: "Public diplomacy steps are allowed at any
#: tier"). Enforced here, whatever a ladder file lists, so a ladder cannot take it away.
ALWAYS_ALLOWED: tuple[ResponseCategory, ...] = (ResponseCategory.PUBLIC_DIPLOMACY,)


class Measure(StrEnum):
    """Restrictive measures a sanctions package may carry (EU cyber regime and its partners)."""

    ASSET_FREEZE = "asset_freeze"
    FUNDS_PROHIBITION = "funds_prohibition"
    TRAVEL_BAN = "travel_ban"
    EXPORT_RESTRICTIONS = "export_restrictions"
    IMPORT_RESTRICTIONS = "import_restrictions"
    INVESTMENT_RESTRICTIONS = "investment_restrictions"
    FINANCIAL_SERVICES_RESTRICTIONS = "financial_services_restrictions"


class MetricKind(StrEnum):
    QUANTITY = "quantity"  # a number in a unit, within a range
    ORDINAL = "ordinal"  # one value of an ordered scale
    SET = "set"  # distinct values of a scale (e.g. the sectors affected)


class Unit(StrEnum):
    HOURS = "hours"
    COUNT = "count"
    GIGABYTES = "gigabytes"
    EUR = "eur"
    PER_DAY = "per_day"
    PER_12_MONTHS = "per_12_months"


class Comparator(StrEnum):
    AT_LEAST = ">="
    ABOVE = ">"
    EQUALS = "=="
    IN = "in"
    CONTAINS_ANY = "contains_any"
    COUNT_AT_LEAST = "count>="


#: Which comparators make sense for which kind of metric.
COMPARATORS: Mapping[MetricKind, frozenset[Comparator]] = {
    MetricKind.QUANTITY: frozenset({Comparator.AT_LEAST, Comparator.ABOVE, Comparator.EQUALS}),
    MetricKind.ORDINAL: frozenset({Comparator.AT_LEAST, Comparator.ABOVE, Comparator.EQUALS, Comparator.IN}),
    MetricKind.SET: frozenset({Comparator.CONTAINS_ANY, Comparator.COUNT_AT_LEAST}),
}

#: Comparators whose thresholds must rise (or stay) from one tier to the next.
ORDERED_COMPARATORS = frozenset({Comparator.AT_LEAST, Comparator.ABOVE, Comparator.COUNT_AT_LEAST})


class Combine(StrEnum):
    """How parts combine: ``any`` fires when one part holds, ``all`` when every part holds."""

    ANY = "any"
    ALL = "all"

    def __call__(self, results: list[bool]) -> bool:
        return bool(results) and (any(results) if self is Combine.ANY else all(results))


#: The metric whose value is compared with each tier's evidence standard.
EVIDENCE_METRIC = "attribution_confidence"

Number = int | float
#: A validated metric value: a number, a scale member, or a tuple of scale members.
MetricValue = Number | StrEnum | tuple[StrEnum, ...]
Threshold = Number | StrEnum | tuple[StrEnum, ...]


@dataclass(frozen=True)
class Metric:
    """One measurable property of an incident, as the ladder file declares it."""

    name: str
    label: str
    description: str
    kind: MetricKind
    unit: Unit | None = None
    minimum: Number = 0
    maximum: Number = 0
    integer: bool = True
    scale: Scale | None = None

    def parse(self, raw: object) -> MetricValue:
        """Validate and normalise one reported value; ValueError carries the reason."""
        if self.kind is MetricKind.QUANTITY:
            return self._parse_quantity(raw)
        assert self.scale is not None
        if self.kind is MetricKind.ORDINAL:
            member = self.scale.parse(raw)
            if member is None:
                raise ValueError(f"must be one of: {self.scale.allowed()}")
            return member
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"must be a list of {self.scale.name} values")
        members = []
        for item in raw:
            member = self.scale.parse(item)
            if member is None:
                raise ValueError(f"unknown {self.scale.name} {item!r} (expected any of: {self.scale.allowed()})")
            if member in members:
                raise ValueError(f"lists {item!r} twice")
            members.append(member)
        return tuple(sorted(members, key=self.scale.rank))

    def _parse_quantity(self, raw: object) -> Number:
        assert self.unit is not None
        if isinstance(raw, dict):
            if set(raw) != {"value", "unit"}:
                raise ValueError('must be a number, or an object {"value": ..., "unit": ...}')
            if raw["unit"] != self.unit.value:
                raise ValueError(f"unit must be {self.unit.value!r}, not {raw['unit']!r}")
            raw = raw["value"]
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ValueError(f"must be a number of {self.unit.value}")
        if isinstance(raw, float):
            if not math.isfinite(raw):
                raise ValueError("must be a finite number")
            if self.integer and not raw.is_integer():
                raise ValueError("must be a whole number")
            if self.integer:
                raw = int(raw)
        if not self.minimum <= raw <= self.maximum:
            raise ValueError(f"must be between {self.show(self.minimum)} and {self.show(self.maximum)}")
        return raw

    def show(self, value: MetricValue | None) -> str:
        """A value as a person reads it: "36 h", "12 M EUR", "state-ordered", "energy, health"."""
        if value is None:
            return "not reported"
        if isinstance(value, tuple):
            return ", ".join(Scale.label(member) for member in value) or "none"
        if isinstance(value, StrEnum):
            return Scale.label(value)
        return _show_quantity(value, self.unit or Unit.COUNT)


def _number(value: Number, decimals: int = 2) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{decimals}f}".rstrip("0").rstrip(".")


def _show_quantity(value: Number, unit: Unit) -> str:
    if unit is Unit.EUR:
        if value >= 1_000_000_000:
            return f"{_number(value / 1_000_000_000)} bn EUR"
        if value >= 1_000_000:
            return f"{_number(value / 1_000_000)} M EUR"
        return f"{_number(value)} EUR"
    suffix = {Unit.HOURS: " h", Unit.GIGABYTES: " GB", Unit.PER_DAY: " per day",
              Unit.PER_12_MONTHS: " in 12 months", Unit.COUNT: ""}[unit]
    return _number(value) + suffix


@dataclass(frozen=True)
class Condition:
    """``metric op threshold``; a metric that was not reported never satisfies a condition."""

    metric: Metric
    op: Comparator
    threshold: Threshold

    def holds(self, value: MetricValue | None) -> bool:
        return value is not None and self.shortfall(value) == 0

    def shortfall(self, value: MetricValue | None) -> float:
        """How far from holding, from 0 (holds) to 1 (nowhere near, or unknown).

        Used only to pick the *nearest* rule that did not fire; a rough, explainable measure:
        the missing fraction of a numeric threshold, or the missing steps of a scale.
        """
        if value is None:
            return 1.0
        op, threshold = self.op, self.threshold
        if isinstance(value, tuple):
            if op is Comparator.CONTAINS_ANY:
                return 0.0 if set(value) & set(threshold) else 1.0  # type: ignore[arg-type]
            wanted = int(threshold)  # type: ignore[arg-type]
            return max(0.0, (wanted - len(value)) / wanted)
        if isinstance(value, StrEnum):
            if op is Comparator.IN:
                return 0.0 if value in threshold else 1.0  # type: ignore[operator]
            if op is Comparator.EQUALS:
                return 0.0 if value == threshold else 1.0
            assert self.metric.scale is not None and isinstance(threshold, StrEnum)
            steps = self.metric.scale.rank(threshold) - self.metric.scale.rank(value)
            steps += 1 if op is Comparator.ABOVE else 0
            return max(0.0, steps / self.metric.scale.size)
        assert isinstance(threshold, (int, float))
        if op is Comparator.EQUALS:
            return 0.0 if value == threshold else 1.0
        if value > threshold or (op is Comparator.AT_LEAST and value == threshold):
            return 0.0
        return min(1.0, max((threshold - value) / threshold if threshold else 1.0, 1e-9))

    def describe(self, value: MetricValue | None) -> str:
        """A sentence: "economic loss 12 M EUR (threshold 50 M EUR)", "state backing: not reported (...)"."""
        metric, op, threshold = self.metric, self.op, self.threshold
        if op is Comparator.COUNT_AT_LEAST:
            if value is None:
                shown = ": not reported"
            else:
                shown = f" {len(value)}" + (f": {metric.show(value)}" if value else "")  # type: ignore[arg-type]
            return f"{metric.label}{shown} (threshold {threshold})"
        words = {Comparator.AT_LEAST: "", Comparator.ABOVE: "above ", Comparator.EQUALS: "exactly ",
                 Comparator.IN: "one of ", Comparator.CONTAINS_ANY: "any of "}[op]
        shown = f": {metric.show(value)}" if value is None else f" {metric.show(value)}"
        return f"{metric.label}{shown} (threshold {words}{metric.show(threshold)})"

    def rank(self) -> float:
        """A number comparable across tiers for ordered comparators (the out-of-order check)."""
        if isinstance(self.threshold, StrEnum):
            assert self.metric.scale is not None
            return self.metric.scale.rank(self.threshold)
        assert isinstance(self.threshold, (int, float))
        return self.threshold


@dataclass(frozen=True)
class Rule:
    """A named reason to lift an incident to a tier: conditions combined by ``combine``."""

    id: str
    description: str
    combine: Combine
    conditions: tuple[Condition, ...]


class ExitRampKind(StrEnum):
    """The kinds of de-escalation condition a tier may name (the seed's "defined exit ramps")."""

    VERIFIABLE_RESTRAINT = "verifiable_restraint"  # the state concerned visibly stopped or reined in the activity
    COOPERATION_ON_INVESTIGATION = "cooperation_on_investigation"  # it shared information, acted on requests
    TIME_WITHOUT_RECURRENCE = "time_without_recurrence"  # no new activity recorded for ``days`` days


@dataclass(frozen=True)
class ExitRamp:
    """A condition under which partners may step an incident down from its tier to the tier below.

    ``days`` is set for ``time_without_recurrence`` only: how long the incident's metrics must have
    stayed unchanged (no recurrence recorded) before the condition can be recorded as met.
    """

    id: str
    kind: ExitRampKind
    description: str
    days: int | None = None


@dataclass(frozen=True)
class Tier:
    """One rung of the ladder and everything it permits."""

    number: int
    name: str
    description: str
    evidence_standard: Confidence
    legal_review: bool
    responses: tuple[ResponseCategory, ...]
    templates: tuple[str, ...]
    measures: tuple[Measure, ...]
    review_days: int
    combine: Combine
    rules: tuple[Rule, ...]
    exit_ramps: tuple[ExitRamp, ...] = ()

    def exit_ramp(self, ramp_id: str) -> ExitRamp | None:
        return next((r for r in self.exit_ramps if r.id == ramp_id), None)

    @property
    def allowed_responses(self) -> tuple[ResponseCategory, ...]:
        """The listed responses plus those allowed at every tier (public diplomacy)."""
        return self.responses + tuple(r for r in ALWAYS_ALLOWED if r not in self.responses)


@dataclass(frozen=True)
class Ladder:
    """The escalation ladder: metrics and tiers 1..n, as loaded from ``path``."""

    version: int
    title: str
    metrics: Mapping[str, Metric] = field(hash=False)
    tiers: tuple[Tier, ...]
    path: Path

    def tier(self, number: int) -> Tier:
        if not 1 <= number <= len(self.tiers):
            raise KeyError(f"no tier {number} (the ladder has tiers 1 to {len(self.tiers)})")
        return self.tiers[number - 1]

    @property
    def numbers(self) -> range:
        return range(1, len(self.tiers) + 1)

    def allows_response(self, tier: int, response: ResponseCategory) -> bool:
        return response in self.tier(tier).allowed_responses
