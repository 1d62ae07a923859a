"""What participants draw from a closed incident: lessons (marked) and proposed changes to the ladder.

A lesson is about thresholds, messages or tools; like evidence it carries a marking, so a lesson
reaches only the parties it is releasable to (``disclosure.may_see``), in JSON, pages, the history
and oversight reports. A proposed ladder change is the whole new ``config/ladder.toml``: it must load
(the loader's own checks, with ``line: reason``), agree with the crisis templates, and raise the
ladder's version; what is stored and shown is its unified diff against the file in force. Adopting it
remains the secretariat's act (a new version of the file, deployed), so nothing changes by itself.
"""

from __future__ import annotations

import difflib
import hashlib
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entente.auth import Caller, require_role
from entente.crisis import CrisisTemplate, check_ladder_templates
from entente.disclosure import may_see
from entente.errors import ConfigError, ConflictError, InvalidInputError
from entente.ladder import Ladder, load_ladder
from entente.models import (
    AfterActionLesson,
    IncidentState,
    LadderProposal,
    LadderProposalCreate,
    LessonCreate,
    Role,
)

from . import access
from .access import Loaded

#: Who writes lessons: the people of a participating party who took part in the response.
LESSON_ROLES = (Role.DRAFTER, Role.SIGNATORY, Role.COMMS)


def require_closed(loaded: Loaded) -> None:
    if loaded.incident.state != IncidentState.CLOSED:
        raise ConflictError(
            "the after-action review starts when the incident is closed", code="incident_not_closed"
        )


def lesson_marking(lesson: AfterActionLesson) -> access.Marking:
    return access.stored_marking(lesson.marking, lesson.author_party)


async def add_lesson(
    session: AsyncSession, *, incident_id: int, caller: Caller, data: LessonCreate, now: datetime
) -> AfterActionLesson:
    """A lesson of the caller's party on a closed incident, marked like any text."""
    loaded, marking = await access.load_as_author(session, incident_id, caller, data.marking, *LESSON_ROLES)
    body = access.required_text(data.body, field="/body", message="write the lesson")
    require_closed(loaded)
    lesson = AfterActionLesson(
        id=await access.unused_id(session, AfterActionLesson),
        incident_id=loaded.id,
        topic=data.topic,
        body=body,
        marking=marking.to_dict(),
        author_party=caller.party,
        author=caller.username,
        added_at=now,
    )
    await access.add_marked(session, loaded, lesson, marking, caller=caller, action="lesson:add",
                            subject=f"lesson:{lesson.id}", now=now,
                            details={"lesson_id": lesson.id, "topic": str(lesson.topic)})
    return lesson


async def list_lessons_of(session: AsyncSession, loaded: Loaded, caller: Caller) -> list[AfterActionLesson]:
    """The lessons of an incident the caller is admitted to, as far as their markings let it see them."""
    rows = await access.rows_of(
        session, AfterActionLesson, loaded.id, col(AfterActionLesson.added_at), col(AfterActionLesson.id)
    )
    viewer = access.viewer_of(caller)
    return [lesson for lesson in rows if may_see(lesson_marking(lesson), viewer, admitted=True)]


async def list_lessons(session: AsyncSession, *, incident_id: int, caller: Caller) -> list[AfterActionLesson]:
    return await list_lessons_of(session, await access.load(session, incident_id, caller), caller)


def _digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_proposed(text: str, templates: Mapping[str, CrisisTemplate]) -> Ladder:
    """Load the proposed text as the server would load config/ladder.toml; ``line: reason`` when it cannot."""
    with tempfile.TemporaryDirectory(prefix="entente-ladder-") as folder:
        path = Path(folder) / "ladder.toml"
        path.write_text(text, encoding="utf-8")
        try:
            proposed = load_ladder(path)
            check_ladder_templates(proposed, templates)
        except ConfigError as exc:
            message = str(exc).replace(str(path), "ladder.toml")
            raise InvalidInputError(
                f"the proposed ladder does not load: {message}", code="ladder_invalid", field="/ladder_toml"
            ) from None
    return proposed


async def propose_ladder_change(
    session: AsyncSession,
    *,
    incident_id: int,
    caller: Caller,
    data: LadderProposalCreate,
    ladder: Ladder,
    templates: Mapping[str, CrisisTemplate],
    now: datetime,
) -> LadderProposal:
    """A proposed new ladder file from a closed incident's review: checked, diffed, stored, audited."""
    loaded = await access.load(session, incident_id, caller, lock=True)
    if not caller.has_role(Role.SECRETARIAT):
        access.require_participant(caller, loaded, Role.DRAFTER, Role.SIGNATORY)
    else:
        require_role(caller, Role.SECRETARIAT)
    rationale = access.required_text(data.rationale, field="/rationale", code="justification_required",
                                     message="say what the change would fix")
    text = access.text(data.ladder_toml).replace("\r\n", "\n")
    proposed = _check_proposed(text, templates)
    if proposed.version <= ladder.version:
        raise InvalidInputError(
            f"a change raises [ladder] version above the one in force ({ladder.version}), not {proposed.version}",
            code="ladder_version_not_raised",
            field="/ladder_toml",
        )
    current = ladder.path.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile=f"a/config/ladder.toml (version {ladder.version})",
            tofile=f"b/config/ladder.toml (version {proposed.version})",
        )
    )
    require_closed(loaded)
    proposal = LadderProposal(
        incident_id=loaded.id,
        party=caller.party,
        rationale=rationale,
        base_version=ladder.version,
        base_digest=_digest(current),
        proposed_version=proposed.version,
        proposed_digest=_digest(text),
        proposed_text=text,
        diff=diff,
        proposed_by=caller.username,
        proposed_at=now,
    )
    await access.add_record(session, proposal)
    await access.record_change(
        session,
        loaded.incident,
        caller=caller,
        action="ladder_change:propose",
        subject="incident",
        now=now,
        details={
            "proposal": proposal.id,
            "base_version": ladder.version,
            "proposed_version": proposed.version,
            "proposed_digest": proposal.proposed_digest,
        },
    )
    return proposal


async def list_ladder_proposals(session: AsyncSession, loaded: Loaded) -> list[LadderProposal]:
    return await access.rows_of(session, LadderProposal, loaded.id)
