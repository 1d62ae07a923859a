"""Starting a communiqué from a crisis template, at the tier a party decided for an incident.

:func:`start_draft` checks everything the ladder asks before a template may speak for a party,
renders the template, and resolves each section's template marking to a concrete
``disclosure.Marking``. It stores nothing: ``drafting`` turns the result into a communiqué's first
version (and records that), so the same checks hold whichever way a draft is started.

The checks, in order: the incident exists for the caller (404 otherwise); the caller is a drafter
of a participating party (403); the incident is not closed (409); the caller's party has decided a
tier (409 ``tier_not_decided``); the template is allowed at that tier, by the ladder and by the
template itself (422 ``template_not_allowed``); when the ladder asks for legal review at that tier,
the party's latest legal review of that tier cleared it (409 ``legal_review_required``); the
participants take part in the incident (422); the parameters fit the template's schema (422, one
entry per field).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import crisis
from entente.auth import Caller
from entente.crisis import CrisisTemplate, ParamValue
from entente.disclosure import Marking
from entente.errors import ConflictError, InvalidInputError
from entente.ladder import Ladder
from entente.models import Party, PartyStatus, Role

from . import access
from .decisions import current_decisions, has_legal_clearance


@dataclass(frozen=True)
class TemplateRef:
    id: str
    version: int
    digest: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class DraftSection:
    """A rendered section and who may read it (a concrete marking, no longer a template marking)."""

    id: str
    heading: str
    body: str
    marking: Marking


@dataclass(frozen=True)
class DraftStart:
    """What a communiqué's first version is made of, when started from an incident and a template.

    ``lead`` is the caller's party; ``participants`` the communiqué's parties, the lead first.
    ``params`` are the normalised parameters the sections were rendered with (re-rendering the
    template with them gives the same bytes).
    """

    incident_id: int
    tier: int
    template_ref: TemplateRef
    params: Mapping[str, ParamValue] = field(hash=False)
    sections: tuple[DraftSection, ...]
    lead: str
    participants: tuple[str, ...]


def find_template(templates: Mapping[str, CrisisTemplate], template_id: str) -> CrisisTemplate:
    """The loaded template ``template_id``; an unknown id is a 422 naming ``/template``."""
    template = templates.get(template_id)
    if template is None:
        raise InvalidInputError(
            f"no crisis template {template_id!r} (known: {', '.join(sorted(templates))})",
            code="unknown_template",
            field="/template",
        )
    return template


async def party_names(session: AsyncSession) -> dict[str, str]:
    """The active coalition parties' codes and names, by code."""
    rows = await session.execute(
        select(Party.code, Party.name).where(Party.status == PartyStatus.ACTIVE).order_by(Party.code)
    )
    return {code: name for code, name in rows}


def resolve_marking(marking: crisis.Marking, *, lead: str, participants: Sequence[str]) -> Marking:
    """A template marking made concrete: public; releasable to the participants; the lead only."""
    if marking is crisis.Marking.PUBLIC:
        return Marking.everyone()
    if marking is crisis.Marking.PARTICIPANTS:
        return Marking.releasable_to(participants, author=lead)
    return Marking.releasable_to((), author=lead)


async def start_draft(
    session: AsyncSession,
    *,
    incident_id: int,
    caller: Caller,
    template: CrisisTemplate,
    params: Mapping[str, object],
    participants: Sequence[str],
    ladder: Ladder,
) -> DraftStart:
    """Render ``template`` for the caller's party at its decided tier on the incident; see the module
    docstring for every check. The active parties' names fill ``party_list`` parameters and the
    ``party_name`` filter. A template ``participants`` parameter of type ``party_list`` that ``params``
    leaves out is filled with the draft's participants."""
    loaded = await access.load(session, incident_id, caller)
    access.require_participant(caller, loaded, Role.DRAFTER)
    access.require_open(loaded)
    lead = caller.party
    decision = (await current_decisions(session, loaded.id)).get(lead)
    if decision is None:
        raise ConflictError(
            f"{lead} has not decided a tier for this incident; record its decided tier first",
            code="tier_not_decided",
        )
    tier = ladder.tier(decision.tier)
    if template.id not in tier.templates or tier.number not in template.tiers:
        allowed = ", ".join(tier.templates) or "none"
        raise InvalidInputError(
            f"template {template.id!r} is not allowed at tier {tier.number} ({lead}'s decided tier); "
            f"allowed there: {allowed}",
            code="template_not_allowed",
            field="/template",
        )
    if tier.legal_review and not await has_legal_clearance(session, loaded.id, party=lead, tier=tier.number):
        raise ConflictError(
            f"tier {tier.number} needs legal review: record a cleared legal review of tier {tier.number} "
            f"by {lead} before starting a communiqué at this tier",
            code="legal_review_required",
            extra={"tier": tier.number, "party": lead},
        )
    access.require_taking_part(loaded, participants, field="/participants")
    members = list(dict.fromkeys([lead, *participants]))
    values: dict[str, object] = dict(params)
    blank = template.parameters.get("participants")
    if blank is not None and blank.type is crisis.ParameterType.PARTY_LIST and "participants" not in values:
        values["participants"] = list(members)
    try:
        rendered = crisis.render(template, values, parties=await party_names(session))
    except InvalidInputError as exc:
        raise access.with_pointers(exc) from None
    sections = tuple(
        DraftSection(s.id, s.heading, s.body, resolve_marking(s.marking, lead=lead, participants=members))
        for s in rendered.sections
    )
    return DraftStart(
        incident_id=loaded.id,
        tier=tier.number,
        template_ref=TemplateRef(rendered.template_id, rendered.version, rendered.digest),
        params=MappingProxyType(dict(rendered.params)),
        sections=sections,
        lead=lead,
        participants=tuple(members),
    )
