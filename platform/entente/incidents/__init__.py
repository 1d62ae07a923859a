"""Incidents: what the ladder judges, what parties decide about it, and where a communiqué starts.

An incident is opened by a drafter (its party becomes the *lead*) and shared with the parties the
lead invites; only they, and the secretariat, know it exists. It carries metrics (the rubric's
input, validated by the ladder), the rubric's recommended tier with its explanation (recomputed
and stored at every change of the shared record), each party's decided tier with a justification,
legal reviews, and marked items: evidence and each party's attribution assessment.

- :mod:`.access`: the container gate, roles, locking, versions, markings, history and audit
- :mod:`.lifecycle`: open, list, update, invite, close, the view, the history
- :mod:`.items`: evidence and attribution assessments, through ``disclosure``
- :mod:`.decisions`: decided tiers and legal reviews
- :mod:`.deescalation`: exit ramps met and step-down proposals
- :mod:`.aftermath`: after-action lessons (marked) and proposed ladder changes
- :mod:`.drafts`: :func:`start_draft`, the first step of a communiqué from a crisis template
- :mod:`.rubric`: the ladder and assessments described for the API, the command line and pages

What callers use is named here, in ``__all__``; a module that only feeds this list keeps none of its own.

Audit events: ``incidents:incident:open``, ``incidents:incident:update``,
``incidents:participant:invite``, ``incidents:incident:close``, ``incidents:evidence:add``,
``incidents:evidence:mark``, ``incidents:attribution:set``, ``incidents:tier:decide``,
``incidents:legal_review:record``, ``incidents:exit_ramp:meet``, ``incidents:step_down:propose``,
``incidents:step_down:agree``, ``incidents:step_down:supersede``, ``incidents:lesson:add``,
``incidents:ladder_change:propose``.
"""

from .access import MAX_ID, is_admitted, new_id
from .aftermath import (
    LESSON_ROLES,
    add_lesson,
    lesson_marking,
    list_ladder_proposals,
    list_lessons,
    list_lessons_of,
    propose_ladder_change,
)
from .decisions import (
    current_decisions,
    decide_tier,
    has_legal_clearance,
    list_decisions,
    list_legal_reviews,
    record_legal_review,
)
from .deescalation import (
    Deescalation,
    RampStatus,
    StepDownView,
    decide_step_down,
    get_deescalation,
    last_recurrence_at,
    list_step_downs,
    propose_step_down,
    ramps_for_measures,
    record_ramp_met,
)
from .drafts import DraftSection, DraftStart, TemplateRef, find_template, party_names, resolve_marking, start_draft
from .items import (
    add_evidence,
    change_evidence_marking,
    get_evidence,
    is_evidence_visible,
    list_attributions,
    list_evidence,
    set_attribution,
)
from .lifecycle import (
    IncidentListing,
    IncidentView,
    close_incident,
    get_incident,
    get_incident_view,
    invite_parties,
    list_history,
    list_incidents,
    open_incident,
    update_incident,
)
from .rubric import assessment_public, describe_ladder, score_metrics

__all__ = [
    "MAX_ID",
    "LESSON_ROLES",
    "add_lesson",
    "lesson_marking",
    "list_ladder_proposals",
    "list_lessons",
    "list_lessons_of",
    "propose_ladder_change",
    "Deescalation",
    "RampStatus",
    "StepDownView",
    "decide_step_down",
    "get_deescalation",
    "last_recurrence_at",
    "list_step_downs",
    "propose_step_down",
    "ramps_for_measures",
    "record_ramp_met",
    "DraftSection",
    "DraftStart",
    "IncidentListing",
    "IncidentView",
    "TemplateRef",
    "add_evidence",
    "assessment_public",
    "change_evidence_marking",
    "close_incident",
    "current_decisions",
    "decide_tier",
    "describe_ladder",
    "find_template",
    "get_evidence",
    "get_incident",
    "get_incident_view",
    "has_legal_clearance",
    "invite_parties",
    "is_evidence_visible",
    "is_admitted",
    "list_attributions",
    "list_decisions",
    "list_evidence",
    "list_history",
    "list_incidents",
    "list_legal_reviews",
    "new_id",
    "open_incident",
    "party_names",
    "record_legal_review",
    "resolve_marking",
    "score_metrics",
    "set_attribution",
    "start_draft",
    "update_incident",
]
