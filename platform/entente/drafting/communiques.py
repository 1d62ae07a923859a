"""Creating communiqués (directly or from a crisis template), listing them, invitations.

Every change here is audited as ``drafting:<subject>:<action>`` in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit, crisis
from entente.auth import Caller, require_party_role, require_role
from entente.disclosure import Marking
from entente.drafting.access import Access, find_version, get_access, items_of, load_items, require_editor
from entente.drafting.versions import ANNEX, SECTION, Item, make_item
from entente.drafting.writing import check_counts, input_items, write_version
from entente.errors import ConflictError, InvalidInputError
from entente.incidents.drafts import find_template, party_names, start_draft
from entente.incidents.lifecycle import get_incident
from entente.ladder import Ladder
from entente.models import (
    Communique,
    CommuniqueCreate,
    CommuniqueParticipant,
    CommuniqueState,
    CommuniqueVersion,
    Release,
    ReleaseState,
    Role,
)

__all__ = [
    "MAX_COMMUNIQUE_ID",
    "accept_invitation",
    "create_communique",
    "invite_party",
    "list_communiques",
    "new_communique_id",
    "require_editable",
    "start_communique",
    "template_items",
]


MAX_COMMUNIQUE_ID = 2**31 - 1


def require_editable(communique: Communique) -> None:
    if not CommuniqueState(communique.state).editable:
        raise ConflictError(
            f"communiqué {communique.id} is {communique.state}: its text can no longer change",
            code="communique_frozen",
        )


def template_items(rendered: crisis.RenderedTemplate, *, lead: str, roster: set[str]) -> list[Item]:
    """Sections of a template rendering; template markings become disclosure markings."""
    markings = {
        crisis.Marking.PUBLIC: Marking.everyone(),
        crisis.Marking.PARTICIPANTS: Marking.releasable_to(roster, author=lead),
        crisis.Marking.LEAD: Marking.releasable_to([lead], author=lead),
    }
    return [
        make_item(SECTION, s.id, {"heading": s.heading, "body": s.body}, markings[s.marking], lead)
        for s in rendered.sections
    ]


async def create_communique(
    session: AsyncSession,
    *,
    caller: Caller,
    data: CommuniqueCreate,
    now: datetime,
    max_sections: int,
    templates: Mapping[str, crisis.CrisisTemplate],
    ladder: Ladder,
) -> tuple[Communique, CommuniqueVersion]:
    """A new communiqué led by the caller's party, its invited participants and version 1.

    Three ways: sections written directly; ``template`` + ``params`` (+ ``tier``) rendered here;
    or ``incident`` + ``template`` + ``params``, through :func:`entente.incidents.drafts.start_draft`
    (the party's decided tier, the ladder's rules and legal review apply; the tier comes from there).
    """
    require_role(caller, Role.DRAFTER, Role.SECRETARIAT)
    lead = caller.party
    active = await party_names(session)
    invited: list[str] = []
    for index, code in enumerate(data.participants):
        if code not in active:
            raise InvalidInputError(f"no active party {code!r}", code="unknown_party", field=f"/participants/{index}")
        if code != lead and code not in invited:
            invited.append(code)
    roster = {lead, *invited}
    template: crisis.CrisisTemplate | None
    params: dict[str, Any] | None
    tier: int | None
    if data.incident is not None and data.template is not None:
        template, params, sections, tier = await _from_incident(session, data, caller, active, templates, ladder)
    else:
        if data.incident is not None:
            await get_incident(session, incident_id=data.incident, caller=caller)
        template, params, sections = await _initial_sections(
            data, lead=lead, roster=roster, active=active, templates=templates
        )
        tier = data.tier
    annex = input_items(ANNEX, data.annex, editable={}, taken=set(), roster=roster, party=lead, pointer="/annex")
    check_counts(sections, annex, max_sections=max_sections)
    communique = Communique(
        kind=data.kind,
        title=data.title.strip(),
        lead=lead,
        incident_id=data.incident,
        template_id=template.id if template else None,
        template_version=template.version if template else None,
        template_digest=template.digest if template else None,
        tier=tier if template else None,
        created_by=caller.username,
        created_at=now,
        updated_at=now,
    )
    version = await start_communique(
        session, communique, invited=invited, sections=sections, annex=annex, template_params=params
    )
    await audit.record_by(
        session,
        caller,
        "drafting:communique:add",
        f"communique:{communique.id}",
        at=now,
        party=lead,
        details={
            "kind": communique.kind,
            "invited": invited,
            "template": communique.template_id,
            "version": version.number,
            "digest": version.digest,
        },
    )
    return communique, version


def new_communique_id() -> int:
    """A random id in 1..2^31-1: public ids reveal neither how many communiqués exist nor unreleased ones."""
    return secrets.randbelow(MAX_COMMUNIQUE_ID) + 1


async def start_communique(
    session: AsyncSession,
    communique: Communique,
    *,
    invited: Sequence[str],
    sections: Sequence[Item],
    annex: Sequence[Item],
    template_params: dict[str, Any] | None,
) -> CommuniqueVersion:
    """Store a new communiqué, under a fresh random id, with its lead (accepted) and the parties it
    invites, and write its version 1: by its creator, for the lead alone (invited parties join the
    parties of a version once they accept)."""
    by, now = communique.created_by, communique.created_at
    communique.id = new_communique_id()
    while await session.get(Communique, communique.id) is not None:
        communique.id = new_communique_id()
    session.add(communique)
    await session.flush()
    assert communique.id is not None
    session.add(
        CommuniqueParticipant(
            communique_id=communique.id,
            party=communique.lead,
            accepted=True,
            invited_by=by,
            invited_at=now,
            accepted_at=now,
        )
    )
    for code in invited:
        session.add(CommuniqueParticipant(communique_id=communique.id, party=code, invited_by=by, invited_at=now))
    return await write_version(
        session,
        communique,
        parties=[communique.lead],
        title=communique.title,
        sections=sections,
        annex=annex,
        author=by,
        author_party=communique.lead,
        now=now,
        template_params=template_params,
    )


async def _initial_sections(
    data: CommuniqueCreate,
    *,
    lead: str,
    roster: set[str],
    active: Mapping[str, str],
    templates: Mapping[str, crisis.CrisisTemplate],
) -> tuple[crisis.CrisisTemplate | None, dict[str, Any] | None, list[Item]]:
    if data.template is None:
        if data.params is not None or data.tier is not None:
            raise InvalidInputError("params and tier go with a template", code="template_required", field="/template")
        sections = input_items(
            SECTION, data.sections, editable={}, taken=set(), roster=roster, party=lead, pointer="/sections"
        )
        return None, None, sections
    if data.sections:
        raise InvalidInputError(
            "a communiqué from a template takes its sections from the template; send params, not sections",
            code="template_sections",
            field="/sections",
        )
    template = templates.get(data.template)
    if template is None:
        raise InvalidInputError(f"no crisis template {data.template!r}", code="unknown_template", field="/template")
    if data.tier is not None and data.tier not in template.tiers:
        raise InvalidInputError(
            f"template {template.id!r} is for tiers {', '.join(map(str, template.tiers))}",
            code="tier_not_allowed",
            field="/tier",
        )
    values: dict[str, Any] = dict(data.params or {})
    blank = template.parameters.get("participants")
    if blank is not None and blank.type is crisis.ParameterType.PARTY_LIST and "participants" not in values:
        values["participants"] = [lead, *sorted(roster - {lead})]
    rendered = crisis.render(template, values, parties=dict(active))
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in rendered.params.items()}
    return template, params, template_items(rendered, lead=lead, roster=roster)


async def _from_incident(
    session: AsyncSession,
    data: CommuniqueCreate,
    caller: Caller,
    active: Mapping[str, str],
    templates: Mapping[str, crisis.CrisisTemplate],
    ladder: Ladder,
) -> tuple[crisis.CrisisTemplate, dict[str, Any], list[Item], int]:
    assert data.incident is not None and data.template is not None
    if data.sections or data.tier is not None:
        raise InvalidInputError(
            "a communiqué started from an incident takes its sections from the template and its tier from "
            "the party's decision: send incident, template and params",
            code="template_sections",
            field="/sections" if data.sections else "/tier",
        )
    template = find_template(templates, data.template)
    draft = await start_draft(
        session,
        incident_id=data.incident,
        caller=caller,
        template=template,
        params=data.params or {},
        participants=data.participants,
        ladder=ladder,
    )
    sections = [
        make_item(SECTION, s.id, {"heading": s.heading, "body": s.body}, s.marking, draft.lead) for s in draft.sections
    ]
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in draft.params.items()}
    return template, params, sections, draft.tier


async def list_communiques(session: AsyncSession, caller: Caller, *, limit: int = 200) -> list[Access]:
    """The communiqués the caller's party is on the roster of (invited or accepted), newest first."""
    from entente.drafting.access import READ_ROLES

    if not caller.has_role(*READ_ROLES):
        return []
    # EXISTS, not IN: the newest-first index (ix_communique_updated) is walked and each row checked
    # against the participant key, instead of sorting every communiqué of the party.
    mine = (
        sa.select(sa.literal(1))
        .where(
            col(CommuniqueParticipant.communique_id) == col(Communique.id),
            col(CommuniqueParticipant.party) == caller.party,
        )
        .exists()
    )
    # Core rows, not ORM objects: a list of 200 is read, never changed, and building 800 tracked
    # instances cost several times the query. Rows answer the same attribute names (read-only).
    communiques = Communique.__table__  # type: ignore[attr-defined]
    rows = (
        await session.execute(
            sa.select(communiques)
            .where(mine)
            .order_by(communiques.c.updated_at.desc(), communiques.c.id.desc())
            .limit(limit)
        )
    ).all()
    if not rows:
        return []
    table = CommuniqueParticipant.__table__  # type: ignore[attr-defined]
    participants = (
        await session.execute(
            sa.select(table)
            .where(table.c.communique_id.in_([c.id for c in rows]))
            .order_by(table.c.invited_at, table.c.party)
        )
    ).all()
    by_id: dict[int, list[CommuniqueParticipant]] = {}
    for p in participants:
        by_id.setdefault(p.communique_id, []).append(cast(CommuniqueParticipant, p))
    return [Access(cast(Communique, c), by_id.get(c.id, []), caller) for c in rows]


async def invite_party(
    session: AsyncSession, *, communique_id: int, caller: Caller, party: str, now: datetime
) -> Access:
    """The lead party's drafters invite another party; it sees the text once it accepts."""
    access = require_editor(await get_access(session, communique_id, caller, lock=True))
    require_party_role(caller, access.communique.lead, Role.DRAFTER)
    require_editable(access.communique)
    if party not in await party_names(session):
        raise InvalidInputError(f"no active party {party!r}", code="unknown_party", field="/party")
    if party in access.roster:
        raise ConflictError(f"{party} is already on this communiqué", code="already_participating")
    participant = CommuniqueParticipant(
        communique_id=access.id, party=party, invited_by=caller.username, invited_at=now
    )
    session.add(participant)
    access.participants.append(participant)
    await audit.record_by(
        session, caller, "drafting:participant:invite", f"communique:{access.id}", at=now, details={"party": party}
    )
    return access


async def accept_invitation(
    session: AsyncSession, *, communique_id: int, caller: Caller, now: datetime
) -> tuple[Access, CommuniqueVersion]:
    """The caller's party accepts to take part: it is added to the parties of a new version
    (same text), so the next sign-off needs its signature too. When the release instant was already
    agreed, the party reads the text only once its comms officer accepted an instant too
    (``awaits_instant``; see :mod:`entente.releases`)."""
    access = await get_access(session, communique_id, caller, lock=True)
    require_role(caller, Role.DRAFTER, Role.SIGNATORY, Role.SECRETARIAT)
    mine = next(p for p in access.participants if p.party == caller.party)
    if mine.accepted:
        raise ConflictError(f"{caller.party} already takes part in this communiqué", code="already_accepted")
    require_editable(access.communique)
    mine.accepted = True
    mine.accepted_at = now
    agreed = await session.scalar(
        select(Release.id).where(Release.communique_id == access.id, Release.state == ReleaseState.AGREED)
    )
    mine.awaits_instant = agreed is not None  # it sees the text once it accepted the agreed instant
    session.add(mine)
    head = await _head(session, access)
    sections, annex = await load_items(session, head.id or 0)
    version = await write_version(
        session,
        access.communique,
        parties=access.accepted_parties,
        title=head.title,
        sections=items_of(sections),
        annex=items_of(annex),
        author=caller.username,
        author_party=caller.party,
        now=now,
        template_params=head.template_params,
    )
    await audit.record_by(
        session,
        caller,
        "drafting:participant:accept",
        f"communique:{access.id}",
        at=now,
        details={"version": version.number, "digest": version.digest, "awaits_instant": mine.awaits_instant},
    )
    return access, version


async def _head(session: AsyncSession, access: Access) -> CommuniqueVersion:
    head = await find_version(session, access.id, access.communique.head_number)
    assert head is not None, "a communiqué always has a head version"
    return head
