"""Oversight: after-action reviews of closed incidents and periodic oversight reports.

- :mod:`.timeline`: the after-action timeline of a closed incident, from the audit trail, with durations
- :mod:`.report`: the oversight report of a period (decisions, outcomes, timings, lessons), JSON and PDF

Lessons and proposed ladder changes are recorded on the incident (``entente.incidents.aftermath``);
this package reads across incidents, communiqués and the audit trail, so it sits above them.
"""

from .report import REPORT_ROLES, Report, build_report, report_spec
from .timeline import FACTS, AfterAction, Milestone, PartyTiming, Step, after_action_review, seconds

__all__ = [
    "FACTS",
    "REPORT_ROLES",
    "AfterAction",
    "Milestone",
    "PartyTiming",
    "Report",
    "Step",
    "after_action_review",
    "build_report",
    "report_spec",
    "seconds",
]
