"""Embargoed press briefings: a party's comms officer invites its own press accounts to read the
public text of a scheduled communiqué before the instant.

What a press account reads is the release's public artefact (rendered when the release was
scheduled): the public sections and annex items, nothing else: no restricted section, no comment,
no incident. It reads it only while the release is scheduled and not public yet; after the instant
the public site has it, and a held or cancelled release has no briefing. Every invitation and every
reading is audited per person (``releases:briefing:invite``, ``releases:briefing:read``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit, canonical
from entente.auth import Caller, require_role
from entente.clock import isoformat
from entente.errors import ConflictError, InvalidInputError, NotFoundError
from entente.models import PressBriefing, Release, ReleaseState, Role, User
from entente.releases.common import comms_access, find_open_release, is_public, require_open_release

NO_BRIEFING = "no such briefing"


@dataclass(frozen=True)
class PressAccount:
    username: str
    display_name: str
    invited: bool


@dataclass(frozen=True)
class Briefing:
    """What a press account may read: the public text of one scheduled communiqué and its instant."""

    communique_id: int
    title: str
    kind: str
    lead: str
    parties: list[str]
    embargo_at: datetime
    sections: list[dict[str, Any]]
    annex: list[dict[str, Any]]


def public_text(artefact: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The public sections and annex items of a release artefact, decoded from their disclosures."""
    sections = [canonical.decode_disclosure(d) for d in artefact["disclosures"]["sections"]]
    annex = [canonical.decode_disclosure(d) for d in artefact["disclosures"]["annex"]]
    return (
        [{"id": d.name, "heading": d.value["heading"], "body": d.value["body"]} for d in sections],
        [{"id": d.name, "kind": d.value["kind"], "content": d.value["content"]} for d in annex],
    )


def _is_press(user: User) -> bool:
    return Role.PRESS.value in (user.roles or [])


async def list_press_accounts(session: AsyncSession, *, communique_id: int, party: str) -> list[PressAccount]:
    """``party``'s active press accounts, and whether each is invited to this communiqué's briefing."""
    users = (
        await session.execute(
            select(User).where(User.party_code == party, col(User.active).is_(True)).order_by(col(User.username))
        )
    ).scalars()
    invited = set(
        (
            await session.execute(
                select(PressBriefing.user_id).where(
                    PressBriefing.communique_id == communique_id,
                    PressBriefing.revoked_at.is_(None),  # type: ignore[union-attr]
                )
            )
        ).scalars()
    )
    return [PressAccount(u.username, u.display_name, u.id in invited) for u in users if _is_press(u)]


async def invite_press(
    session: AsyncSession, *, communique_id: int, caller: Caller, usernames: list[str], now: datetime
) -> list[str]:
    """A comms officer of a participating party invites press accounts of its own party to the
    embargoed briefing of a scheduled communiqué (and withdraws the invitation of those it leaves out).
    Returns the usernames invited now."""
    access = await comms_access(session, communique_id, caller)
    release = await require_open_release(session, access.id)
    if release.state != ReleaseState.SCHEDULED or is_public(release, now):
        raise ConflictError(
            "a briefing needs a scheduled release whose instant has not come", code="release_not_scheduled"
        )
    wanted: list[User] = []
    for name in dict.fromkeys(usernames):
        user = (await session.execute(select(User).where(User.username == name))).scalar_one_or_none()
        if user is None or user.party_code != caller.party or not user.active or not _is_press(user):
            raise InvalidInputError(
                f"{name[:64]!r} is not an active press account of {caller.party}", code="not_press_account"
            )
        wanted.append(user)
    current = {
        b.user_id: b
        for b in (
            await session.execute(
                select(PressBriefing).where(
                    PressBriefing.communique_id == access.id, PressBriefing.party == caller.party
                )
            )
        ).scalars()
    }
    added: list[str] = []
    for user in wanted:
        row = current.get(user.id or 0)
        if row is not None and row.revoked_at is None:
            continue
        if row is None:
            row = PressBriefing(
                communique_id=access.id,
                user_id=user.id or 0,
                party=caller.party,
                invited_by=caller.username,
                invited_at=now,
            )
        else:
            row.revoked_at, row.invited_by, row.invited_at = None, caller.username, now
        session.add(row)
        added.append(user.username)
        await _record(
            session,
            action="invite",
            caller=caller,
            communique_id=access.id,
            press=user.username,
            now=now,
            embargo_at=release.embargo_at,
        )
    keep = {u.id for u in wanted}
    for user_id, row in current.items():
        if user_id not in keep and row.revoked_at is None:
            row.revoked_at = now
            session.add(row)
            user = await session.get(User, user_id)
            press = user.username if user else str(user_id)
            await _record(session, action="revoke", caller=caller, communique_id=access.id, press=press, now=now)
    await session.flush()
    return added


async def list_briefings(session: AsyncSession, caller: Caller, now: datetime) -> list[tuple[int, str, datetime]]:
    """The briefings open to a press account now: (communiqué id, public title, embargo instant)."""
    if not caller.has_role(Role.PRESS):
        return []
    rows = (
        await session.execute(
            select(PressBriefing.communique_id, Release)
            .join(Release, Release.communique_id == PressBriefing.communique_id)  # type: ignore[arg-type]
            .where(
                PressBriefing.user_id == caller.user_id,
                PressBriefing.revoked_at.is_(None),  # type: ignore[union-attr]
                Release.state == ReleaseState.SCHEDULED,
                Release.embargo_at > now,
            )
            .order_by(col(Release.embargo_at))
        )
    ).all()
    out = []
    for cid, release in rows:
        artefact = canonical.parse_strict(release.public_body or b"{}")
        out.append((cid, str(artefact.get("title", "")), release.embargo_at))
    return out


async def get_briefing(session: AsyncSession, *, communique_id: int, caller: Caller, now: datetime) -> Briefing:
    """The briefing for a press account invited to it, while the release is scheduled and not public;
    audited per reading. Anyone else, and any other moment, gets the answer of a missing briefing."""
    require_role(caller, Role.PRESS)
    row = await session.get(PressBriefing, (communique_id, caller.user_id))
    if row is None or row.revoked_at is not None or row.party != caller.party:
        raise NotFoundError(NO_BRIEFING, code="no_briefing")
    release = await find_open_release(session, communique_id)
    if release is None or release.state != ReleaseState.SCHEDULED or release.public_body is None:
        raise NotFoundError(NO_BRIEFING, code="no_briefing")
    if is_public(release, now):
        raise ConflictError("the embargo has passed: the statement is public", code="release_public")
    artefact = canonical.parse_strict(release.public_body)
    sections, annex = public_text(artefact)
    await _record(session, action="read", caller=caller, communique_id=communique_id, press=caller.username, now=now)
    return Briefing(
        communique_id=communique_id,
        title=artefact["title"],
        kind=artefact["kind"],
        lead=artefact["lead"],
        parties=list(artefact["parties"]),
        embargo_at=release.embargo_at,
        sections=sections,
        annex=annex,
    )


async def briefing_title(session: AsyncSession, communique_id: int) -> str | None:
    """The public title a briefing shows (from the scheduled release's artefact), if there is one."""
    release = await find_open_release(session, communique_id)
    if release is None or release.public_body is None:
        return None
    return str(canonical.parse_strict(release.public_body).get("title", ""))


async def _record(
    session: AsyncSession,
    *,
    action: str,
    caller: Caller,
    communique_id: int,
    press: str,
    now: datetime,
    **details: Any,
) -> None:
    extra = {k: (isoformat(v) if isinstance(v, datetime) else v) for k, v in details.items()}
    await audit.record_by(
        session,
        caller,
        f"releases:briefing:{action}",
        f"communique:{communique_id}",
        at=now,
        details={"press": press, **extra},
    )
