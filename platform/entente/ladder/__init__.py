"""The escalation ladder: tiers, the metrics of an incident, and the rubric that recommends a tier.

``config/ladder.toml`` declares the metrics and the tiers; :func:`load_ladder` reads and checks it,
:func:`score` turns an incident's metrics into an :class:`Assessment` (pure: no clock, no I/O).

- :mod:`.scales`: the closed vocabularies (PHIA yardstick, Healey's spectrum, harm, NIS2 sectors)
- :mod:`.model`: metrics, conditions, rules, tiers, and the response and measure categories
- :mod:`.loading`: reading the file, with ``file:line: reason`` errors
- :mod:`.rubric`: :func:`score` and the assessment it returns
- :mod:`.tomlsource` and :mod:`.problems`: reading TOML with line numbers, collecting input
  problems (shared with :mod:`entente.crisis`)
"""

from .loading import load_ladder
from .model import (
    ALWAYS_ALLOWED,
    EVIDENCE_METRIC,
    Combine,
    Comparator,
    Condition,
    ExitRamp,
    ExitRampKind,
    Ladder,
    Measure,
    Metric,
    MetricKind,
    MetricValue,
    ResponseCategory,
    Rule,
    Tier,
    Unit,
)
from .rubric import EVIDENCE_RULE, Assessment, Finding, score, validate_metrics
from .scales import SCALES, Confidence, HarmToLife, Scale, Sector, StateBacking

__all__ = [
    "ALWAYS_ALLOWED",
    "EVIDENCE_METRIC",
    "EVIDENCE_RULE",
    "SCALES",
    "Assessment",
    "Combine",
    "Comparator",
    "Condition",
    "Confidence",
    "ExitRamp",
    "ExitRampKind",
    "Finding",
    "HarmToLife",
    "Ladder",
    "Measure",
    "Metric",
    "MetricKind",
    "MetricValue",
    "ResponseCategory",
    "Rule",
    "Scale",
    "Sector",
    "StateBacking",
    "Tier",
    "Unit",
    "load_ladder",
    "score",
    "validate_metrics",
]
