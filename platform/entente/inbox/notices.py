"""Notices: the audit trail turned into notifications for the people who must act or know.

:func:`dispatch_notices` reads the audit entries written since its last run (a cursor row) and, for
each event that concerns someone, writes one :class:`~entente.models.Notice` per recipient and
queues its e-mail (when SMTP is configured and the user gave an address) and one webhook delivery
per recipient party (when the party registered a webhook). It is idempotent and safe to run from
several places: the cursor advances in the same transaction as the notices it covers.

What a notice may say is decided here, per recipient party, from the rules every read path uses:

- a communiqué is named (id and title) only to parties on its roster: an invited party sees its
  metadata, a party that accepted sees the release steps; never a section, a comment or a marking;
- an incident is named only to the parties taking part in it;
- a press account hears only of its own briefing invitations, with the public title of the release;
- reasons of a lift, cancel or hold go to the participating parties, who read them on the release panel.

Nothing else is ever copied from the audit details into a notice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente.clock import isoformat
from entente.models import (
    AuditEntry,
    Communique,
    CommuniqueParticipant,
    Delivery,
    DeliveryChannel,
    Incident,
    IncidentParticipant,
    Notice,
    NoticeCursor,
    PartyWebhook,
    Role,
    User,
    UserSetting,
)
from entente.releases.briefings import briefing_title

__all__ = [
    "NoticeText",
    "dispatch_notices",
    "list_notices",
    "mark_read",
    "unread_count",
]

CURSOR = "audit"
BATCH = 500


@dataclass(frozen=True)
class NoticeText:
    """One notice to the users of one party with one of ``roles`` (or to one user)."""

    party: str
    roles: tuple[Role, ...]
    text: str
    link: str
    user_id: int | None = None
    webhook: bool = True


def _c(cid: int, title: str) -> str:
    return f"communiqué {cid} «{title}»"


async def _communique(session: AsyncSession, cid: int) -> tuple[Communique, list[CommuniqueParticipant]] | None:
    communique = await session.get(Communique, cid)
    if communique is None:
        return None
    rows = (
        await session.execute(select(CommuniqueParticipant).where(CommuniqueParticipant.communique_id == cid))
    ).scalars()
    return communique, list(rows)


_SIGNERS = (Role.SIGNATORY,)
_ACCEPTERS = (Role.DRAFTER, Role.SIGNATORY, Role.SECRETARIAT)
_COMMS = (Role.COMMS,)
_RELEASE_WATCHERS = (Role.COMMS, Role.SIGNATORY, Role.DRAFTER)
_INCIDENT = (Role.DRAFTER, Role.SIGNATORY, Role.COMMS)


async def notices_for(session: AsyncSession, entry: AuditEntry) -> list[NoticeText]:
    """The notices one audit entry gives rise to (none for most events)."""
    event = entry.event
    kind, _, raw_id = entry.object.partition(":")
    if not raw_id.isdigit():
        return []
    oid = int(raw_id)
    details = entry.details or {}
    if kind == "communique":
        found = await _communique(session, oid)
        if found is None:
            return []
        c, participants = found
        link = f"/communiques/{oid}"
        roster = {p.party for p in participants}
        joined = sorted(p.party for p in participants if p.accepted)
        admitted = sorted(p.party for p in participants if p.accepted and not p.awaits_instant)
        if event in ("drafting:communique:add", "drafting:participant:invite"):
            invited = details.get("invited") if event == "drafting:communique:add" else [details.get("party")]
            return [
                NoticeText(p, _ACCEPTERS, f"{entry.party} invites {p} to take part in {_c(oid, c.title)}", link)
                for p in invited or []
                if isinstance(p, str) and p in roster and p != entry.party
            ]
        if event in ("drafting:version:add", "drafting:participant:accept") and "version" in details:
            number = details["version"]
            return [
                NoticeText(
                    p, _SIGNERS, f"version {number} of {_c(oid, c.title)} waits for {p}'s sign-off", f"{link}/signoff"
                )
                for p in admitted
            ]
        if event in ("releases:release:propose", "releases:release:counter"):
            at = details.get("embargo_at", "")
            verb = "proposes" if event.endswith("propose") else "counter-proposes"
            return [
                NoticeText(
                    p,
                    _COMMS,
                    f"{entry.party} {verb} the embargo instant {at} for {_c(oid, c.title)}",
                    f"{link}#release",
                )
                for p in joined
                if p != entry.party
            ]
        if event.startswith("releases:release:") and event.rsplit(":", 1)[1] in (
            "agree",
            "schedule",
            "hold",
            "cancel",
            "lift",
            "publish",
        ):
            action = event.rsplit(":", 1)[1]
            at = details.get("embargo_at", "")
            words = {
                "agree": f"every party accepted the embargo instant {at}",
                "schedule": f"the release is scheduled for {at}",
                "hold": "the release is held",
                "cancel": "the release is cancelled",
                "lift": f"{entry.party} lifted the embargo early, at {at}",
                "publish": f"the statement is released ({at})",
            }
            text = f"{_c(oid, c.title)}: {words[action]}"
            reason = details.get("reason")
            if action in ("hold", "cancel", "lift") and isinstance(reason, str):
                text += f". Reason: {reason[:500]}"
            return [NoticeText(p, _RELEASE_WATCHERS, text, f"{link}#release") for p in joined]
        if event == "releases:briefing:invite":
            press = details.get("press")
            user = (
                (await session.execute(select(User).where(User.username == press))).scalar_one_or_none()
                if isinstance(press, str)
                else None
            )
            title = await briefing_title(session, oid)
            if user is None or title is None or user.party_code not in roster:
                return []
            at = details.get("embargo_at", "")
            return [
                NoticeText(
                    user.party_code,
                    (Role.PRESS,),
                    f"you are invited to the embargoed briefing of «{title}», embargoed until {at}",
                    f"/briefings/{oid}",
                    user_id=user.id,
                    webhook=False,
                )
            ]
        return []
    if kind == "incident" and event in ("incidents:participant:invite", "incidents:incident:open"):
        incident = await session.get(Incident, oid)
        if incident is None:
            return []
        taking_part = set(
            (
                await session.execute(select(IncidentParticipant.party).where(IncidentParticipant.incident_id == oid))
            ).scalars()
        )
        return [
            NoticeText(
                p, _INCIDENT, f"{entry.party} invites {p} to incident {oid} «{incident.title}»", f"/incidents/{oid}"
            )
            for p in details.get("parties" if event.endswith("invite") else "participants") or []
            if isinstance(p, str) and p in taking_part and p != entry.party
        ]
    return []


def _has_role(user: User, roles: Iterable[Role]) -> bool:
    mine = set(user.roles or [])
    return any(r.value in mine for r in roles)


async def dispatch_notices(session: AsyncSession, now: datetime, *, email: bool = False, limit: int = BATCH) -> int:
    """Turn the audit entries since the last run into notices and queued deliveries; returns how many
    notices were written. ``email`` says whether an SMTP server is configured."""
    cursor = await session.get(NoticeCursor, CURSOR, with_for_update=True)
    if cursor is None:
        cursor = NoticeCursor(name=CURSOR, seq=0)
        session.add(cursor)
        await session.flush()
    entries = (
        (
            await session.execute(
                select(AuditEntry).where(AuditEntry.seq > cursor.seq).order_by(AuditEntry.seq).limit(limit)  # type: ignore[arg-type]
            )
        )
        .scalars()
        .all()
    )
    written = 0
    for entry in entries:
        texts = await notices_for(session, entry)
        for text in texts:
            written += await _write(session, entry, text, now, email=email)
        cursor.seq = entry.seq
    session.add(cursor)
    await session.flush()
    return written


async def _write(session: AsyncSession, entry: AuditEntry, text: NoticeText, now: datetime, *, email: bool) -> int:
    query = select(User).where(User.party_code == text.party, User.active.is_(True))  # type: ignore[attr-defined]
    if text.user_id is not None:
        query = query.where(User.id == text.user_id)
    users = [u for u in (await session.execute(query)).scalars() if _has_role(u, text.roles)]
    # What the notice says: stored for each user, and the body of the party's webhook call.
    said: dict[str, Any] = {
        "audit_seq": entry.seq,
        "event": entry.event,
        "object": entry.object,
        "text": text.text,
        "link": text.link,
        "at": entry.at,
    }
    written = 0
    for user in users:
        notice = Notice(user_id=user.id or 0, **said)
        session.add(notice)
        await session.flush()
        written += 1
        setting = await session.get(UserSetting, user.id)
        if email and setting is not None and setting.email:
            session.add(
                Delivery(
                    channel=DeliveryChannel.EMAIL,
                    party=user.party_code,
                    user_id=user.id,
                    notice_id=notice.id,
                    target=setting.email,
                    subject=f"Entente: {text.text[:200]}",
                    body=f"{text.text}\n\n{text.link}\n",
                    next_at=now,
                    created_at=now,
                )
            )
    if text.webhook and users:
        hook = await session.get(PartyWebhook, text.party)
        if hook is not None:
            body = json.dumps(
                {"type": "entente-notice", "party": text.party, **said, "at": isoformat(entry.at)},
                ensure_ascii=False,
                sort_keys=True,
            )
            session.add(
                Delivery(
                    channel=DeliveryChannel.WEBHOOK,
                    party=text.party,
                    target=hook.url,
                    subject=entry.event,
                    body=body,
                    next_at=now,
                    created_at=now,
                )
            )
    return written


async def list_notices(session: AsyncSession, user_id: int, *, limit: int = 50) -> Sequence[Notice]:
    query = select(Notice).where(Notice.user_id == user_id).order_by(Notice.id.desc()).limit(limit)  # type: ignore[union-attr]
    return (await session.execute(query)).scalars().all()


async def unread_count(session: AsyncSession, user_id: int) -> int:
    query = (
        select(sa.func.count())
        .select_from(Notice)
        .where(
            Notice.user_id == user_id,
            Notice.read_at.is_(None),  # type: ignore[union-attr]
        )
    )
    return int((await session.execute(query)).scalar_one())


async def mark_read(session: AsyncSession, user_id: int, now: datetime) -> int:
    """Mark every unread notice of the user read; returns how many."""
    result = await session.execute(
        sa.update(Notice).where(col(Notice.user_id) == user_id, col(Notice.read_at).is_(None)).values(read_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
