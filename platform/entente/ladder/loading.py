"""Loading ``config/ladder.toml`` into a :class:`~entente.ladder.model.Ladder`, refusing mistakes.

A ladder decides what governments may do; a typo that silently drops a rule or a threshold that
makes tier 4 easier to reach than tier 3 must stop the server at start-up, with the line to fix.
Refused: unknown or missing keys, wrong types, unknown metrics and scales, comparators that do not
fit a metric, thresholds outside a metric's range, gaps in tier numbers, and thresholds or
evidence standards that fall from one tier to the next. Whether the crisis templates a tier names
exist is checked by :func:`entente.crisis.check_ladder_templates`, which knows the templates.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .model import (
    COMPARATORS,
    EVIDENCE_METRIC,
    ORDERED_COMPARATORS,
    Combine,
    Comparator,
    Condition,
    ExitRamp,
    ExitRampKind,
    Ladder,
    Measure,
    Metric,
    MetricKind,
    ResponseCategory,
    Rule,
    Threshold,
    Tier,
    Unit,
)
from .scales import SCALES, Confidence, parse_member
from .tomlsource import TomlTable, describe, read_toml

__all__ = ["load_ladder"]

NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
RULE_ID = re.compile(r"[a-z][a-z0-9-]{0,62}")
TEMPLATE_ID = re.compile(r"[a-z][a-z0-9-]{0,62}")
MAX_QUANTITY = 2**53 - 1


def load_ladder(path: Path | str) -> Ladder:
    """Read, check and build the ladder at ``path``; raise ConfigError ``file:line: reason``."""
    source, data = read_toml(path)
    root = TomlTable(source, (), data, "")
    header = root.table("ladder", "[ladder]")
    version = header.integer("version", minimum=1, maximum=1_000_000)
    title = header.string("title", max_length=200)
    header.finish()

    metrics = {name: _metric(name, table) for name, table in root.subtables("metrics", lambda n: f"metric '{n}'")}
    evidence = metrics.get(EVIDENCE_METRIC)
    if evidence is None or evidence.scale is not SCALES["confidence"] or evidence.kind is not MetricKind.ORDINAL:
        root.fail(f"the ladder must declare metric '{EVIDENCE_METRIC}' as an ordinal on the 'confidence' scale",
                  key="metrics")

    tier_tables = root.tables("tiers", lambda i, t: f"tier {t.get('tier', i + 1)}", max_items=20)
    if not tier_tables:
        root.fail("the ladder has no tiers", key="tiers")
    rule_ids: set[str] = set()
    ramp_ids: set[str] = set()
    tiers = tuple(_tier(index, table, metrics, rule_ids, ramp_ids) for index, table in enumerate(tier_tables))
    root.finish()
    _check_order(tiers, tier_tables)
    return Ladder(version=version, title=title, metrics=MappingProxyType(metrics), tiers=tiers, path=Path(path))


def _metric(name: str, table: TomlTable) -> Metric:
    if not NAME.fullmatch(name):
        table.fail("a metric name is lower case letters, digits and '_'")
    label = table.string("label", max_length=80)
    description = table.string("description", max_length=1_000)
    kind = table.choice("kind", MetricKind, "metric kind")
    if kind is MetricKind.QUANTITY:
        unit = table.choice("unit", Unit, "unit")
        integer = table.optional("integer", table.boolean, True)
        minimum = _number(table, "min", integer)
        maximum = _number(table, "max", integer)
        if minimum < 0 or maximum <= minimum or maximum > MAX_QUANTITY:
            table.fail(f"'max' must be above 'min', with 0 <= min and max <= {MAX_QUANTITY}", key="max")
        table.finish()
        return Metric(name, label, description, kind, unit=unit, minimum=minimum, maximum=maximum, integer=integer)
    scale_name = table.string("scale")
    scale = SCALES.get(scale_name)
    if scale is None:
        table.fail(f"unknown scale '{scale_name}' (expected one of: {', '.join(SCALES)})", key="scale")
    if kind is MetricKind.ORDINAL and not scale.ordered:
        table.fail(f"scale '{scale_name}' is not ordered; use kind = \"set\"", key="scale")
    table.finish()
    return Metric(name, label, description, kind, scale=scale)


def _number(table: TomlTable, key: str, integer: bool) -> int | float:
    value = table.raw(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        table.fail(f"'{key}' must be {'an integer' if integer else 'a number'}, not {describe(value)}", key=key)
    return value


def _tier(
    index: int, table: TomlTable, metrics: dict[str, Metric], rule_ids: set[str], ramp_ids: set[str]
) -> Tier:
    number = table.integer("tier", minimum=1, maximum=20)
    if number != index + 1:
        expected = "the first tier must be tier 1" if index == 0 else f"tier {number} follows tier {index}"
        table.fail(f"{expected}: tier numbers run 1, 2, 3, ... in order, without gaps", key="tier")
    tier = Tier(
        number=number,
        name=table.string("name", max_length=200),
        description=table.string("description", max_length=2_000),
        evidence_standard=table.choice("evidence_standard", Confidence, "evidence standard"),
        legal_review=table.boolean("legal_review"),
        responses=table.items("responses", lambda v: parse_member(ResponseCategory, v), "a response category"),
        templates=table.items("templates", _template_id, "a template id"),
        measures=table.items("measures", lambda v: parse_member(Measure, v), "a measure"),
        review_days=table.integer("review_days", minimum=1, maximum=3_650),
        combine=table.optional("combine", lambda k: table.choice(k, Combine, "combination"), Combine.ANY),
        rules=tuple(
            _rule(rule_table, metrics, rule_ids)
            for rule_table in table.optional(
                "rules", lambda k: table.tables(k, lambda i, t: f"tier {number} rule '{t.get('id', i + 1)}'"), []
            )
        ),
        exit_ramps=tuple(
            _exit_ramp(ramp_table, ramp_ids)
            for ramp_table in table.optional(
                "exit_ramps",
                lambda k: table.tables(k, lambda i, t: f"tier {number} exit ramp '{t.get('id', i + 1)}'", max_items=20),
                [],
            )
        ),
    )
    if tier.exit_ramps and number == 1:
        table.fail("tier 1 is the floor: there is no tier below it to step down to, so it has no exit ramps",
                   key="exit_ramps")
    if not tier.rules and number > 1:
        table.fail("only tier 1 (the floor) may have no rules", key="tier")
    table.finish()
    return tier


def _exit_ramp(table: TomlTable, ramp_ids: set[str]) -> ExitRamp:
    ramp_id = table.string("id", pattern=RULE_ID, hint="lower case letters, digits and '-'")
    if ramp_id in ramp_ids:
        table.fail(f"exit ramp id '{ramp_id}' is used twice in the ladder", key="id")
    ramp_ids.add(ramp_id)
    kind = table.choice("kind", ExitRampKind, "exit ramp kind")
    description = table.string("description", max_length=1_000)
    days = None
    if kind is ExitRampKind.TIME_WITHOUT_RECURRENCE:
        days = table.integer("days", minimum=1, maximum=3_650)
    elif table.has("days"):
        table.fail(f"'days' applies to time_without_recurrence only, not to {kind}", key="days")
    table.finish()
    return ExitRamp(ramp_id, kind, description, days)


def _template_id(value: Any) -> str | None:
    return value if isinstance(value, str) and TEMPLATE_ID.fullmatch(value) else None


def _rule(table: TomlTable, metrics: dict[str, Metric], rule_ids: set[str]) -> Rule:
    rule_id = table.string("id", pattern=RULE_ID, hint="lower case letters, digits and '-'")
    if rule_id in rule_ids:
        table.fail(f"rule id '{rule_id}' is used twice in the ladder", key="id")
    rule_ids.add(rule_id)
    description = table.string("description", max_length=500)
    combine = table.optional("combine", lambda k: table.choice(k, Combine, "combination"), Combine.ANY)
    conditions = tuple(_condition(t, metrics) for t in table.tables("conditions", lambda i, t: table.context))
    if not conditions:
        table.fail("a rule needs at least one condition", key="conditions")
    table.finish()
    return Rule(rule_id, description, combine, conditions)


def _condition(table: TomlTable, metrics: dict[str, Metric]) -> Condition:
    name = table.string("metric")
    metric = metrics.get(name)
    if metric is None:
        table.fail(f"unknown metric '{name}'", key="metric")
    op = table.choice("op", Comparator, "comparator")
    if op not in COMPARATORS[metric.kind]:
        allowed = ", ".join(sorted(COMPARATORS[metric.kind]))
        table.fail(f"comparator '{op}' does not apply to {metric.kind} metric '{name}' (use {allowed})", key="op")
    threshold = _threshold(table, metric, op)
    table.finish()
    return Condition(metric, op, threshold)


def _threshold(table: TomlTable, metric: Metric, op: Comparator) -> Threshold:
    """The ``value`` of a condition, typed for its metric and comparator."""
    value = table.raw("value")
    if metric.kind is MetricKind.QUANTITY:
        try:
            return metric.parse(value)
        except ValueError as exc:
            table.fail(f"threshold {describe(value)} for '{metric.name}' {exc}", key="value")
    scale = metric.scale
    assert scale is not None
    if op is Comparator.COUNT_AT_LEAST:
        return table.integer("value", minimum=1, maximum=scale.size)
    if op in (Comparator.IN, Comparator.CONTAINS_ANY):
        members = table.items("value", scale.parse, f"a {scale.name} value ({scale.allowed()})")
        if not members:
            table.fail("the list of values must not be empty", key="value")
        return members
    member = scale.parse(value)
    if member is None:
        table.fail(f"threshold {describe(value)} is not a {scale.name} value ({scale.allowed()})", key="value")
    return member


def _check_order(tiers: tuple[Tier, ...], tables: list[TomlTable]) -> None:
    """Refuse a ladder whose standards or thresholds fall as tiers rise.

    Evidence standards must not fall. For each metric and ordered comparator (``>=``, ``>``,
    ``count>=``), the lowest threshold any rule of a tier uses must not be below the lowest a lower
    tier uses: otherwise the higher tier would be easier to reach on that measure.
    """
    for lower, higher, table in zip(tiers, tiers[1:], tables[1:], strict=False):
        if _rank(higher.evidence_standard) < _rank(lower.evidence_standard):
            table.fail(
                f"evidence standard '{higher.evidence_standard}' is below tier {lower.number}'s "
                f"'{lower.evidence_standard}'",
                key="evidence_standard",
            )
    lowest: dict[tuple[str, Comparator], tuple[Condition, int, int]] = {}  # -> condition, tier, line
    for tier, table in zip(tiers, tables, strict=True):
        here: dict[tuple[str, Comparator], tuple[Condition, int]] = {}
        for r, rule in enumerate(tier.rules):
            for c, condition in enumerate(rule.conditions):
                if condition.op not in ORDERED_COMPARATORS:
                    continue
                key = (condition.metric.name, condition.op)
                line = table.line("rules", r, "conditions", c, "value")
                if key not in here or condition.rank() < here[key][0].rank():
                    here[key] = (condition, line)
                below = lowest.get(key)
                if below is not None and condition.rank() < below[0].rank():
                    earlier, earlier_tier, earlier_line = below
                    table.fail(
                        f"rule '{rule.id}': threshold {_shown(condition)} for '{condition.metric.name} {condition.op}' "
                        f"is below tier {earlier_tier}'s {_shown(earlier)} (line {earlier_line})",
                        line=line,
                    )
        for key, (condition, line) in here.items():
            lowest[key] = (condition, tier.number, line)


def _shown(condition: Condition) -> str:
    if condition.op is Comparator.COUNT_AT_LEAST:
        return str(condition.threshold)
    return condition.metric.show(condition.threshold)


def _rank(confidence: Confidence) -> int:
    return SCALES["confidence"].rank(confidence)

