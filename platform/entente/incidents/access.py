"""Who may see and change an incident, and the bookkeeping every change shares.

The container gate: an incident exists, for a caller, only when the caller's party takes part in
it or the caller is the secretariat; otherwise it answers exactly like an id that was never used
(the same ``NotFoundError``, raised before any other check, so no error reveals it either). Items
inside (evidence, attribution assessments) then pass their own marking through
``disclosure.may_see``.

Writes lock the incident row first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite transactions
begin ``IMMEDIATE``), so concurrent writes to one incident run one after the other: a write that
names a version it edits is compared with the version it finds under the lock, and a stale one
is refused (409) instead of overwriting.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select

from entente import audit
from entente.auth import Caller, require_role
from entente.disclosure import Marking, Viewer
from entente.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionRequiredError,
)
from entente.ladder import Assessment, Ladder, score
from entente.models import (
    Incident,
    IncidentChange,
    IncidentParticipant,
    IncidentState,
    MarkingInput,
    Party,
    PartyStatus,
    Role,
)

Row = TypeVar("Row", bound=SQLModel)

MAX_ID = 2**31 - 1
NO_INCIDENT = "no such incident"
NO_EVIDENCE = "no such evidence"
#: Roles that act for their party on an incident's content (evidence, assessments, decisions).
CONTENT_ROLES = (Role.DRAFTER, Role.SIGNATORY)


def new_id() -> int:
    """A random id in 1..2^31-1: ids reveal neither how many incidents exist nor hidden items."""
    return secrets.randbelow(MAX_ID) + 1


async def unused_id(session: AsyncSession, model: type[SQLModel]) -> int:
    """A :func:`new_id` that no row of ``model`` has yet."""
    value = new_id()
    while await session.get(model, value) is not None:
        value = new_id()
    return value


def in_id_range(value: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def viewer_of(caller: Caller) -> Viewer:
    return Viewer(party=caller.party)


#: Roles that may know of a party's incidents at all. A press account never does: it reads only the
#: embargoed briefings its comms officer invites it to, never incident material.
READ_ROLES = (Role.DRAFTER, Role.COMMS, Role.SIGNATORY, Role.SECRETARIAT, Role.OVERSIGHT)


def is_admitted(caller: Caller, participants: Iterable[str]) -> bool:
    if not caller.has_role(*READ_ROLES):
        return False
    return caller.party in participants or caller.has_role(Role.SECRETARIAT)


def text(value: str) -> str:
    """Stored text is NFC-normalised, like every JSON body, so forms and the API store the same bytes."""
    return unicodedata.normalize("NFC", value)


def required_text(value: str, *, field: str, message: str, code: str | None = None) -> str:
    """``value`` stripped and normalised (:func:`text`); refused with ``message`` when nothing is left."""
    stripped = text(value.strip())
    if not stripped:
        raise InvalidInputError(message, code=code, field=field)
    return stripped


@dataclass
class Loaded:
    """An incident the caller is admitted to, with its participating parties (the lead first)."""

    incident: Incident
    participants: tuple[str, ...]

    @property
    def id(self) -> int:
        return self.incident.id


async def participants_of(session: AsyncSession, incident_id: int) -> tuple[str, ...]:
    rows = (
        await session.execute(
            select(IncidentParticipant.party)
            .where(IncidentParticipant.incident_id == incident_id)
            .order_by(col(IncidentParticipant.joined_at), col(IncidentParticipant.party))
        )
    ).scalars()
    return tuple(rows)


async def rows_of(session: AsyncSession, model: type[Row], incident_id: int, *order: Any) -> list[Row]:
    """The rows of ``model`` that belong to the incident, in ``order`` (by default: by id, oldest first)."""
    # a row type of the incident's: its columns ``incident_id`` and ``id`` are not known to the type
    query = select(model).where(col(getattr(model, "incident_id")) == incident_id)  # noqa: B009
    query = query.order_by(*(order or (col(getattr(model, "id")),)))  # noqa: B009
    return list((await session.execute(query)).scalars())


async def load(session: AsyncSession, incident_id: int, caller: Caller, *, lock: bool = False) -> Loaded:
    """The incident, if ``caller`` is admitted to it; ``NotFoundError`` otherwise (missing or not theirs)."""
    if not in_id_range(incident_id):
        raise NotFoundError(NO_INCIDENT)
    query = select(Incident).where(Incident.id == incident_id).execution_options(populate_existing=True)
    if lock:
        query = query.with_for_update()
    incident = (await session.execute(query)).scalar_one_or_none()
    if incident is None:
        raise NotFoundError(NO_INCIDENT)
    participants = await participants_of(session, incident_id)
    if not is_admitted(caller, participants):
        raise NotFoundError(NO_INCIDENT)
    lead = incident.lead
    ordered = (lead, *(p for p in participants if p != lead)) if lead in participants else participants
    return Loaded(incident, ordered)


# --- authorisation ------------------------------------------------------------------------------


def require_participant(caller: Caller, loaded: Loaded, *roles: Role) -> None:
    """The caller's party takes part and the caller holds one of ``roles`` (the secretariat gets no pass:
    what a party asserts on an incident is that party's own)."""
    if caller.party not in loaded.participants:
        raise PermissionDeniedError(
            f"{caller.party} does not take part in this incident; the lead can invite it", code="not_participating"
        )
    require_role(caller, *roles)


async def load_as_author(
    session: AsyncSession, incident_id: int, caller: Caller, marking: MarkingInput, *roles: Role
) -> tuple[Loaded, Marking]:
    """The incident, locked, for a participant in one of ``roles`` adding a marked item of its party's;
    and the item's marking as read from ``marking``."""
    loaded = await load(session, incident_id, caller, lock=True)
    require_participant(caller, loaded, *roles)
    return loaded, read_marking(marking, author=caller.party, participants=loaded.participants, field="/marking")


def require_taking_part(loaded: Loaded, codes: Sequence[str], *, field: str) -> None:
    """Each of ``codes`` is a party taking part in the incident (``field``: the JSON Pointer of the list)."""
    for index, code in enumerate(codes):
        if code not in loaded.participants:
            raise InvalidInputError(
                f"{code!r} does not take part in this incident", code="not_participating", field=f"{field}/{index}"
            )


def require_editor(caller: Caller, loaded: Loaded) -> None:
    """Shared fields (title, description, metrics): a drafter of a participating party, or the secretariat."""
    if caller.has_role(Role.SECRETARIAT):
        return
    require_participant(caller, loaded, Role.DRAFTER)


def require_lead(caller: Caller, loaded: Loaded) -> None:
    """Inviting and closing: a drafter of the lead party, or the secretariat."""
    if caller.has_role(Role.SECRETARIAT):
        return
    if caller.party != loaded.incident.lead:
        raise PermissionDeniedError(f"only the lead party ({loaded.incident.lead}) may do this", code="lead_only")
    require_role(caller, Role.DRAFTER)


def require_open(loaded: Loaded) -> None:
    if loaded.incident.state == IncidentState.CLOSED:
        raise ConflictError("the incident is closed; nothing more can be recorded on it", code="incident_closed")


def check_version(
    current: int, expected: int | None, *, required: bool, what: str, current_state: Mapping[str, Any] | None = None
) -> None:
    """Refuse a write that does not name the version it edits (428) or names an older one (409)."""
    if expected is None:
        if required:
            raise PreconditionRequiredError(
                f'name the version of the {what} you edit: send If-Match: "{current}" or "version": {current}',
                code="version_required",
                extra={"current_version": current},
            )
        return
    if expected != current:
        extra: dict[str, Any] = {"current_version": current, "your_version": expected}
        if current_state is not None:
            extra["current"] = dict(current_state)
        raise ConflictError(
            f"the {what} is at version {current}, not {expected}: it changed since you read it; "
            "read it again and reapply your change",
            code="stale_version",
            extra=extra,
        )


async def check_parties(session: AsyncSession, codes: Sequence[str], *, field: str) -> list[str]:
    """Codes of active coalition parties, deduplicated in order; ``field`` is the JSON Pointer of the list."""
    seen: list[str] = []
    for index, code in enumerate(codes):
        party = await session.get(Party, code) if isinstance(code, str) and code else None
        if party is None or party.status != PartyStatus.ACTIVE:
            raise InvalidInputError(
                f"{code!r} is not an active party of the coalition", code="unknown_party", field=f"{field}/{index}"
            )
        if code not in seen:
            seen.append(code)
    return seen


# --- markings -----------------------------------------------------------------------------------


def read_marking(value: MarkingInput, *, author: str, participants: Sequence[str], field: str) -> Marking:
    """A marking from input: public, or releasable to participating parties (``author`` always among them)."""
    marking = Marking.from_dict(value.model_dump(exclude={"tlp"}), author=author, field=field)
    for index, code in enumerate(value.releasable_to):
        if code not in participants:
            raise InvalidInputError(
                f"{code!r} does not take part in this incident; a marking names participating parties only",
                code="not_participating",
                field=f"{field}/releasable_to/{index}",
            )
    return marking


def stored_marking(value: Mapping[str, Any], author: str) -> Marking:
    return Marking.from_dict(value, author=author)


# --- the rubric's recommendation ----------------------------------------------------------------


def pointer(field: str | None) -> str | None:
    """``metrics.economic_loss_eur`` (the rubric's and templates' field names) as a JSON Pointer."""
    if field is None or field.startswith("/"):
        return field
    head, _, rest = field.partition(".")
    rest = rest.replace("~", "~0").replace("/", "~1")
    return f"/{head}/{rest}" if rest else f"/{head}"


def with_pointers(exc: InvalidInputError) -> InvalidInputError:
    extra = dict(exc.extra)
    if isinstance(extra.get("errors"), list):
        extra["errors"] = [
            {**item, "field": pointer(item.get("field"))} if isinstance(item, dict) else item
            for item in extra["errors"]
        ]
    return type(exc)(exc.detail, code=exc.code, field=pointer(exc.field), extra=extra)


def assess(ladder: Ladder, metrics: Mapping[str, Any]) -> Assessment:
    """``ladder.score`` with problems named by JSON Pointer (``/metrics/<name>``)."""
    if not isinstance(metrics, Mapping):
        raise InvalidInputError("metrics is an object of metric names to values", field="/metrics")
    try:
        return score(ladder, metrics)
    except InvalidInputError as exc:
        raise with_pointers(exc) from None


def assessment_dict(ladder: Ladder, assessment: Assessment) -> dict[str, Any]:
    return assessment.to_dict() | {"tier_name": ladder.tier(assessment.tier).name}


def apply_assessment(incident: Incident, ladder: Ladder, assessment: Assessment) -> None:
    incident.metrics = assessment.to_dict()["metrics"]
    incident.assessment = assessment_dict(ladder, assessment)
    incident.recommended_tier = assessment.tier
    incident.ladder_version = ladder.version


def bump(incident: Incident, ladder: Ladder, now: datetime) -> None:
    """A new version of the shared record, its recommendation recomputed with the ladder in force.

    Stored metrics the ladder no longer accepts (a metric dropped by a new ladder file) keep the
    last recommendation until someone updates the metrics; the change itself is not refused.
    """
    incident.version += 1
    incident.updated_at = now
    try:
        apply_assessment(incident, ladder, score(ladder, incident.metrics))
    except InvalidInputError:
        pass


# --- history and audit --------------------------------------------------------------------------


async def record_change(
    session: AsyncSession,
    incident: Incident,
    *,
    caller: Caller,
    party: str | None = None,
    action: str,
    subject: str,
    now: datetime,
    details: dict[str, Any],
    audit_details: dict[str, Any] | None = None,
) -> IncidentChange:
    """One history entry and one audit entry (``incidents:<action>``), in the caller's transaction.

    ``details`` never carries marked text: the history shows it to whoever may see ``subject``.
    """
    party = party or caller.party
    change = IncidentChange(
        incident_id=incident.id,
        at=now,
        actor=caller.username,
        party=party,
        action=action,
        subject=subject,
        incident_version=incident.version,
        details=details,
    )
    session.add(change)
    await audit.record_by(
        session,
        caller,
        f"incidents:{action}",
        f"incident:{incident.id}" if subject == "incident" else f"incident:{incident.id}/{subject}",
        at=now,
        party=party,
        details={"version": incident.version} | details | (audit_details or {}),
    )
    return change


async def add_record(session: AsyncSession, row: SQLModel) -> None:
    """Store a new record of the incident (flushed, so its id is known for the history entry)."""
    session.add(row)
    await session.flush()


async def add_marked(
    session: AsyncSession,
    loaded: Loaded,
    row: SQLModel,
    marking: Marking,
    *,
    caller: Caller,
    action: str,
    subject: str,
    now: datetime,
    details: dict[str, Any],
) -> None:
    """Store a marked item (evidence, an attribution assessment, a lesson) and record the change: the
    history names its TLP, the audit entry its whole marking."""
    await add_record(session, row)
    await record_change(
        session,
        loaded.incident,
        caller=caller,
        action=action,
        subject=subject,
        now=now,
        details=details | {"tlp": marking.tlp},
        audit_details={"marking": marking.to_dict()},
    )


async def record_update(
    session: AsyncSession,
    incident: Incident,
    ladder: Ladder,
    now: datetime,
    *,
    caller: Caller,
    party: str | None = None,
    action: str,
    details: dict[str, Any],
) -> IncidentChange:
    """A new version of the shared record (:func:`bump`) and the change that made it (:func:`record_change`)."""
    bump(incident, ladder, now)
    session.add(incident)
    return await record_change(
        session, incident, caller=caller, party=party, action=action, subject="incident", now=now, details=details
    )
