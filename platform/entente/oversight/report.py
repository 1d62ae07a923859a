"""The oversight report of a period: decisions, outcomes, timings and lessons, as JSON and as a PDF.

The seed asks for "regular reporting on escalation decisions, outcomes and lessons learned" to
"independent oversight mechanisms". A report covers the incidents the reader's party takes part in
(the secretariat: all) that were open at some point of the period ``[from, to)``; for each, the tier
decisions and legal reviews made in the period, the step-downs, the releases and sign-offs of the
communiqués started from it (those the reader's party is on the roster of), the timings of the
whole response (from the audit trail), and the lessons recorded in the period that the reader may
see. The JSON is canonical (RFC 8785) and its digest is printed on the PDF, which embeds the JSON.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entente import canonical, incidents
from entente.auth import Caller, require_role
from entente.clock import isoformat, require_aware
from entente.documents import DocumentAttachment, PartyName, SectionSpec
from entente.documents.spec import ReportSpec
from entente.errors import InvalidInputError
from entente.incidents import access as incident_access
from entente.models import IncidentState, Role

from .timeline import incident_steps, seconds, visible_communiques

__all__ = ["REPORT_ROLES", "Report", "build_report", "report_spec"]

#: Who may read an oversight report (each sees what its party may see): everyone but press.
REPORT_ROLES = (Role.OVERSIGHT, Role.SECRETARIAT, Role.DRAFTER, Role.SIGNATORY, Role.COMMS)
MAX_INCIDENTS = 10_000
RULE = "| --- | --- | --- | --- | --- |"  # a Markdown table's header rule, five columns


@dataclass(frozen=True)
class Report:
    body: dict[str, Any]  # the JSON, without its digest
    digest: str

    def public(self) -> dict[str, Any]:
        return self.body | {"digest": self.digest}


def _in(at: datetime, start: datetime, end: datetime) -> bool:
    return start <= at < end


def _median(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return int(statistics.median(known)) if known else None


def _first(entries: list[Any], event: str, *, state: str | None = None) -> datetime | None:
    for e in entries:
        if e.event == event and (state is None or (e.details or {}).get("state") == state):
            return e.at
    return None


async def _incident(session: AsyncSession, loaded: Any, caller: Caller, start: datetime, end: datetime,
                    ) -> dict[str, Any]:
    incident = loaded.incident
    communiques = await visible_communiques(session, loaded.id, caller)
    entries = await incident_steps(session, loaded, caller, communiques)
    opened = incident.opened_at

    def after_open(at: datetime | None) -> int | None:
        return seconds(at, opened) if at is not None else None

    decisions = [
        {"party": d.party, "tier": d.tier, "recommended_tier": d.recommended_tier, "justification": d.justification,
         "decided_by": d.decided_by, "decided_at": isoformat(d.decided_at)}
        for d in await incidents.list_decisions(session, loaded.id)
        if _in(d.decided_at, start, end)
    ]
    reviews = [
        {"party": r.party, "tier": r.tier, "outcome": str(r.outcome), "reviewer": r.reviewer,
         "conclusion": r.conclusion, "reviewed_at": isoformat(r.reviewed_at)}
        for r in await incidents.list_legal_reviews(session, loaded.id)
        if _in(r.reviewed_at, start, end)
    ]
    step_downs = [
        {"id": s.id, "party": s.party, "from_tier": s.from_tier, "to_tier": s.to_tier, "ramps": list(s.ramps),
         "state": str(s.state), "proposed_at": isoformat(s.proposed_at),
         "settled_at": isoformat(s.settled_at) if s.settled_at else None}
        for s in await incidents.list_step_downs(session, loaded.id)
        if _in(s.proposed_at, start, end) or (s.settled_at is not None and _in(s.settled_at, start, end))
    ]
    releases = [
        {"communique": int(e.object.split(":", 1)[1]), "title": communiques[int(e.object.split(":", 1)[1])].title,
         "released_at": isoformat(e.at), "after_open": after_open(e.at)}
        for e in entries
        if e.event == "releases:release:publish" and _in(e.at, start, end)
    ]
    signoffs = []
    for e in entries:
        if e.event not in ("signoffs:signoff:add", "signoffs:presigned:add") or not _in(e.at, start, end):
            continue
        parties = (e.details or {}).get("parties") if e.event == "signoffs:presigned:add" else [e.party]
        for party in parties or []:
            signoffs.append({"communique": int(e.object.split(":", 1)[1]), "party": party,
                             "version": (e.details or {}).get("version"), "signed_at": isoformat(e.at),
                             "how": "pre-signed" if e.event == "signoffs:presigned:add" else "explicit"})
    lessons = [
        {"id": lesson.id, "topic": str(lesson.topic), "body": lesson.body,
         "marking": incidents.lesson_marking(lesson).to_dict(), "author_party": lesson.author_party,
         "author": lesson.author, "added_at": isoformat(lesson.added_at)}
        for lesson in await incidents.list_lessons_of(session, loaded, caller)
        if _in(lesson.added_at, start, end)
    ]
    decided = await incidents.current_decisions(session, loaded.id)
    return {
        "id": incident.id,
        "title": incident.title,
        "state": str(incident.state),
        "lead": incident.lead,
        "participants": list(loaded.participants),
        "recommended_tier": incident.recommended_tier,
        "decided_tiers": {p: d.tier for p, d in decided.items()},
        "opened_at": isoformat(opened),
        "closed_at": isoformat(incident.closed_at) if incident.closed_at else None,
        "decisions": decisions,
        "legal_reviews": reviews,
        "step_downs": step_downs,
        "releases": releases,
        "signoffs": signoffs,
        "timings": {
            "first_decision": after_open(_first(entries, "incidents:tier:decide")),
            "assessed": after_open(_first(entries, "incidents:tier:decide", state="assessed")),
            "first_release": after_open(_first(entries, "releases:release:publish")),
            "closed": after_open(incident.closed_at),
        },
        "lessons": lessons,
    }


async def build_report(
    session: AsyncSession, *, caller: Caller, period_from: datetime, period_to: datetime, now: datetime
) -> Report:
    """The report of ``[period_from, period_to)`` as ``caller``'s party may see it."""
    require_role(caller, *REPORT_ROLES)
    start, end = require_aware(period_from), require_aware(period_to)
    if end <= start:
        raise InvalidInputError("the period ends after it starts", code="invalid_period", field="to")
    listed = await incidents.list_incidents(session, caller=caller, limit=MAX_INCIDENTS)
    chosen = sorted(
        (r.incident for r in listed
         if r.incident.opened_at < end and (r.incident.closed_at is None or r.incident.closed_at >= start)),
        key=lambda i: (i.opened_at, i.id),
    )
    rows = []
    for incident in chosen:
        loaded = await incident_access.load(session, incident.id, caller)
        rows.append(await _incident(session, loaded, caller, start, end))
    summary = {
        "incidents": len(rows),
        "opened": sum(1 for r in rows if _in(datetime.fromisoformat(r["opened_at"]), start, end)),
        "closed": sum(1 for r in rows if r["closed_at"] and _in(datetime.fromisoformat(r["closed_at"]), start, end)),
        "still_open": sum(1 for r in rows if r["state"] != IncidentState.CLOSED),
        "decisions": sum(len(r["decisions"]) for r in rows),
        "legal_reviews": sum(len(r["legal_reviews"]) for r in rows),
        "step_downs_agreed": sum(1 for r in rows for s in r["step_downs"] if s["state"] == "agreed"),
        "releases": sum(len(r["releases"]) for r in rows),
        "signoffs": sum(len(r["signoffs"]) for r in rows),
        "lessons": sum(len(r["lessons"]) for r in rows),
        "median_seconds": {
            key: _median([r["timings"][key] for r in rows])
            for key in ("first_decision", "assessed", "first_release", "closed")
        },
    }
    body = {
        "party": caller.party,
        "period_from": isoformat(start),
        "period_to": isoformat(end),
        "generated_at": isoformat(now),
        "summary": summary,
        "incidents": rows,
    }
    return Report(body, canonical.digest(canonical.canonical_bytes(body)))


def _duration(value: int | None) -> str:
    if value is None:
        return "—"
    days, rest = divmod(value, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = ([f"{days} d"] if days else []) + ([f"{hours} h"] if hours else []) + [f"{minutes} min"]
    return " ".join(parts)


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def report_spec(report: Report, *, party_name: str, party_names: dict[str, str]) -> ReportSpec:
    """What the PDF of a report says: a summary, one section per incident, the JSON attached."""
    body = report.body
    s = body["summary"]
    summary = "\n".join([
        f"- Incidents followed: {s['incidents']} (opened in the period: {s['opened']}, closed: {s['closed']}, "
        f"still open: {s['still_open']})",
        f"- Tier decisions: {s['decisions']}; legal reviews: {s['legal_reviews']}; "
        f"step-downs agreed: {s['step_downs_agreed']}",
        f"- Releases: {s['releases']}; sign-offs: {s['signoffs']}; lessons recorded: {s['lessons']}",
        f"- Median time from opening to the first decision: {_duration(s['median_seconds']['first_decision'])}; "
        f"to every party's decision: {_duration(s['median_seconds']['assessed'])}; "
        f"to the first release: {_duration(s['median_seconds']['first_release'])}; "
        f"to closing: {_duration(s['median_seconds']['closed'])}",
    ])
    sections = [SectionSpec("Summary", summary)]
    for row in body["incidents"]:
        lines = [
            f"Lead: {party_names.get(row['lead'], row['lead'])}. Participants: "
            f"{', '.join(row['participants'])}. State: {row['state']}. Recommended tier: {row['recommended_tier']}. "
            "Decided tiers: "
            + (", ".join(f"{p} {t}" for p, t in row["decided_tiers"].items()) or "none") + ".",
            "",
            f"Timings from opening: first decision {_duration(row['timings']['first_decision'])}, "
            f"every party decided {_duration(row['timings']['assessed'])}, "
            f"first release {_duration(row['timings']['first_release'])}, "
            f"closed {_duration(row['timings']['closed'])}.",
        ]
        if row["decisions"]:
            lines += ["", "| Decided (UTC) | Party | Tier | Rubric | Justification |", RULE]
            lines += [f"| {d['decided_at'][:16]} | {d['party']} | {d['tier']} | {d['recommended_tier']} | "
                      f"{_cell(d['justification'])} |" for d in row["decisions"]]
        if row["legal_reviews"]:
            lines += ["", "| Reviewed (UTC) | Party | Tier | Outcome | Reviewer |", RULE]
            lines += [f"| {r['reviewed_at'][:16]} | {r['party']} | {r['tier']} | {r['outcome']} | "
                      f"{_cell(r['reviewer'])} |" for r in row["legal_reviews"]]
        for sd in row["step_downs"]:
            lines += ["", f"Step-down {sd['from_tier']} → {sd['to_tier']} proposed by {sd['party']} "
                      f"through {', '.join(sd['ramps'])}: {sd['state']}."]
        for rel in row["releases"]:
            lines += ["", f"Released: “{_cell(rel['title'])}” at {rel['released_at'][:16]} UTC "
                      f"({_duration(rel['after_open'])} after opening)."]
        if row["signoffs"]:
            lines += ["", "| Signed (UTC) | Party | Communiqué | Version | How |", RULE]
            lines += [f"| {x['signed_at'][:16]} | {x['party']} | {x['communique']} | {x['version']} | {x['how']} |"
                      for x in row["signoffs"]]
        for lesson in row["lessons"]:
            label = lesson["marking"].get("tlp", "")
            lines += ["", f"Lesson on {lesson['topic']} ({lesson['author_party']}, {label}): {_cell(lesson['body'])}"]
        sections.append(SectionSpec(f"Incident {row['id']}: {row['title']}", "\n".join(lines)))
    if not body["incidents"]:
        sections.append(SectionSpec("Incidents", "No incident of this party was open during the period."))
    data = canonical.canonical_bytes(report.body)
    return ReportSpec(
        title=f"Oversight report, {body['period_from'][:10]} to {body['period_to'][:10]}",
        party=PartyName(body["party"], party_name),
        period_from=datetime.fromisoformat(body["period_from"]),
        period_to=datetime.fromisoformat(body["period_to"]),
        generated_at=datetime.fromisoformat(body["generated_at"]),
        digest=report.digest,
        sections=tuple(sections),
        attachments=(
            DocumentAttachment("oversight-report.json", data, "application/json",
                               "The report as canonical JSON (RFC 8785); its SHA-256 is the digest printed"),
        ),
    )
