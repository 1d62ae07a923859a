"""``entente ladder show`` and ``entente ladder score FILE``: the escalation ladder without a server.

Both read the ladder named by ``paths.ladder``; neither needs the database. ``score`` reads the
metrics of an incident from a JSON or TOML file (``.toml`` is read as TOML, anything else as
JSON; ``-`` is standard input, JSON), either as a ``metrics`` table or as the top level itself.
Exit 0 with the tier and its explanation; 1 when the file or a metric is refused (each field with
its reason); 2 when the file cannot be read or the configuration is broken.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from entente.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, command, command_group, settings
from entente.errors import ConfigError, InvalidInputError
from entente.incidents import describe_ladder, score_metrics
from entente.ladder import Ladder, load_ladder
from entente.models import LadderAssessmentPublic, LadderPublic
from entente.settings import parse_toml


def register(commands: Any) -> None:
    ladder = command_group(
        commands,
        "ladder",
        help="the escalation ladder and its rubric",
        description="Show the ladder; score incident metrics.",
    )
    p = command(ladder, "show", cmd_show)
    p.add_argument("--json", action="store_true", help="print the ladder as JSON (as GET /api/v1/ladder)")
    p = command(ladder, "score", cmd_score)
    p.add_argument("file", metavar="FILE", help="metrics of an incident, JSON or TOML")
    p.add_argument("--json", action="store_true", help="print the assessment (or the problems) as JSON")


def _ladder(args: argparse.Namespace) -> Ladder:
    return load_ladder(settings(args).paths.ladder)


def cmd_show(args: argparse.Namespace) -> int:
    """print the tiers, what lifts an incident to each, and the metrics

    Print the ladder of paths.ladder: tiers, evidence standards, legal review, responses, templates,
    measures, review periods, the rules that lift an incident to each tier, the exit ramps down from it, and the
    metrics."""
    described = describe_ladder(_ladder(args))
    if args.json:
        print(described.model_dump_json(indent=2))
    else:
        print(show_ladder(described))
    return EXIT_OK


def show_ladder(ladder: LadderPublic) -> str:
    lines = [f"{ladder.title} (version {ladder.version})", ""]
    for tier in ladder.tiers:
        low, high = tier.evidence_band
        lines.append(f"tier {tier.tier}: {tier.name}")
        lines.append(f"  {tier.description}")
        lines.append(f"  evidence standard: {tier.evidence_standard.replace('_', ' ')} ({low}-{high}%)")
        lines.append(f"  legal review: {'required' if tier.legal_review else 'not required'}")
        lines.append(f"  responses: {', '.join(tier.responses)}")
        lines.append(f"  templates: {', '.join(tier.templates) or '-'}")
        lines.append(f"  measures: {', '.join(tier.measures) or '-'}")
        lines.append(f"  review within {tier.review_days} days")
        if tier.rules:
            lines.append(f"  lifted here when {'all' if tier.combine == 'all' else 'any'} of these rules fire:")
            for rule in tier.rules:
                joined = " and " if rule.combine == "all" else " or "
                lines.append(f"    {rule.id}: {joined.join(c.text for c in rule.conditions)}")
        else:
            lines.append("  the floor: every incident is at least here")
        if tier.exit_ramps:
            lines.append(f"  exit ramps down to tier {tier.tier - 1}:")
            for ramp in tier.exit_ramps:
                days = f", {ramp.days} days" if ramp.days else ""
                lines.append(f"    {ramp.id} ({ramp.kind.replace('_', ' ')}{days}): {ramp.description}")
        lines.append("")
    lines.append("metrics:")
    for metric in ladder.metrics:
        if metric.kind == "quantity":
            shape = f"{metric.unit}, {metric.min} to {metric.max}" + ("" if metric.integer else " (decimals allowed)")
        else:
            values = metric.values or []
            shape = f"{'one of' if metric.kind == 'ordinal' else 'any of'}: {', '.join(values)}"
        lines.append(f"  {metric.name} ({metric.label}): {shape}")
    return "\n".join(lines)


def _read(path_text: str) -> Any:
    """The document in FILE; ``OSError`` when it cannot be read, ``InvalidInputError`` when it is not JSON/TOML."""
    if path_text == "-":
        text, name, as_toml = sys.stdin.read(), "standard input", False
    else:
        path = Path(path_text)
        text, name, as_toml = path.read_text(encoding="utf-8"), str(path), path.suffix.lower() == ".toml"
    if as_toml:
        try:
            return parse_toml(text, name)
        except ConfigError as exc:
            raise InvalidInputError(exc.detail) from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except (json.JSONDecodeError, ValueError) as exc:
        raise InvalidInputError(f"{name}: not valid JSON: {exc}") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice")
        result[key] = value
    return result


def _metrics(document: Any) -> Any:
    if isinstance(document, dict) and "metrics" in document:
        if set(document) != {"metrics"}:
            extra = sorted(set(document) - {"metrics"})[0]
            raise InvalidInputError(f"{extra!r}: beside 'metrics', the file holds nothing else", field=extra)
        return document["metrics"]
    return document


def cmd_score(args: argparse.Namespace) -> int:
    """recommend a tier for the metrics in FILE

    Score the metrics in FILE (JSON, or TOML when it ends in .toml; - reads JSON from standard input),
    given as a 'metrics' table or at the top level. Exit 1 names every refused metric."""
    ladder = _ladder(args)
    try:
        document = _read(args.file)
    except OSError as exc:
        print(f"entente: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    try:
        assessment = score_metrics(ladder, _metrics(document))
    except InvalidInputError as exc:
        problems = exc.extra.get("errors") or [{"field": exc.field or "-", "reason": exc.detail}]
        problems = [
            {"field": (p["field"] or "-").lstrip("/").replace("/", "."), "reason": p["reason"]} for p in problems
        ]
        if args.json:
            print(json.dumps({"errors": problems}, indent=2, ensure_ascii=False))
        for problem in problems:
            print(f"entente: {problem['field']}: {problem['reason']}", file=sys.stderr)
        return EXIT_FAILED
    print(assessment.model_dump_json(indent=2) if args.json else show_assessment(assessment))
    return EXIT_OK


def show_assessment(assessment: LadderAssessmentPublic) -> str:
    lines = [f"tier {assessment.tier}: {assessment.tier_name}", assessment.explanation]
    if assessment.fired:
        lines.append("rules that fired:")
        lines.extend(f"  tier {f.tier} {f.rule}: {f.sentence}" for f in assessment.fired)
    if assessment.next_tier is not None:
        lines.append(f"tier {assessment.next_tier} would need:")
        lines.extend(f"  {f.rule}: {f.sentence}" for f in assessment.missing)
    lines.append(
        f"legal review {'required' if assessment.legal_review_required else 'not required'}; "
        f"review within {assessment.review_days} days"
    )
    lines.append(f"responses: {', '.join(assessment.responses)}")
    lines.append(f"templates: {', '.join(assessment.templates) or '-'}")
    lines.append(f"measures: {', '.join(assessment.measures) or '-'}")
    return "\n".join(lines)
