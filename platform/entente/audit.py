"""The internal audit trail: append-only and hash-chained.

Each entry's ``hash`` is the SHA-256 of the canonical bytes of its fields and the previous entry's
hash, so editing, deleting or reordering any row breaks the chain at that row. ``verify_chain``
walks the whole trail and reports the first broken link. Event tags read ``source:subject:action``
(``auth:login:fail``, ``parties:key:revoke``); every tag is declared once, in :class:`Event`, and
listed in docs/reference/audit-events.md (tests/test_vocabularies.py holds the source to both).
Callers may pass the string: a member equals it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

import rfc8785
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente.clock import isoformat
from entente.models import AuditEntry

GENESIS = "sha256:" + "0" * 64
EVENT_TAG = re.compile(r"[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*")
_PG_LOCK_KEY = 0x656E7465  # "ente": serialises appends across server instances on PostgreSQL


class Event(StrEnum):
    """Every audit event tag Entente records, ``source:subject:action``, with its meaning."""

    meaning: str

    def __new__(cls, value: str, meaning: str) -> Event:
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    AUTH_USER_ADD = "auth:user:add", "a user was added to a party"
    AUTH_LOGIN_OK = "auth:login:ok", "a user signed in"
    AUTH_LOGIN_FAIL = "auth:login:fail", "a password check failed (unknown user, wrong password or disabled account)"
    AUTH_LOGOUT_OK = "auth:logout:ok", "a user signed out"
    AUTH_PASSWORD_SET = "auth:password:set", "init --demo gave a demo user the new ENTENTE_DEMO_PASSWORD"
    AUTH_TOKEN_CREATE = "auth:token:create", "an API token was created"
    AUTH_TOKEN_REVOKE = "auth:token:revoke", "an API token was revoked"
    PARTIES_PARTY_ADD = "parties:party:add", "a party joined the coalition"
    PARTIES_PARTY_ACTIVE = "parties:party:active", "a party was made active again"
    PARTIES_PARTY_SUSPENDED = "parties:party:suspended", "a party was suspended"
    PARTIES_KEY_ADD = "parties:key:add", "a party's public key was registered"
    PARTIES_KEY_REVOKE = "parties:key:revoke", "a party's key was revoked"
    PARTIES_ROSTER_PROPOSE = "parties:roster:propose", "the secretariat proposed the next roster version"
    PARTIES_ROSTER_SIGN = "parties:roster:sign", "a signatory signed a roster proposal"
    PARTIES_ROSTER_ADOPT = "parties:roster:adopt", "a roster version took effect (both thresholds met)"
    PARTIES_ROSTER_WITHDRAW = "parties:roster:withdraw", "a pending roster proposal was withdrawn by a newer one"
    TEMPLATES_PRESIGNATURE_ADD = "templates:presignature:add", "a party pre-signed a crisis template"
    TEMPLATES_PRESIGNATURE_WITHDRAW = "templates:presignature:withdraw", "a party withdrew a template pre-signature"
    INCIDENTS_INCIDENT_OPEN = "incidents:incident:open", "an incident was opened"
    INCIDENTS_INCIDENT_UPDATE = "incidents:incident:update", "an incident's title, description or metrics changed"
    INCIDENTS_PARTICIPANT_INVITE = "incidents:participant:invite", "parties were invited to an incident"
    INCIDENTS_EVIDENCE_ADD = "incidents:evidence:add", "an evidence item was added"
    INCIDENTS_EVIDENCE_MARK = "incidents:evidence:mark", "an evidence item's marking changed"
    INCIDENTS_ATTRIBUTION_SET = "incidents:attribution:set", "a party recorded its attribution assessment"
    INCIDENTS_TIER_DECIDE = "incidents:tier:decide", "a party decided its tier, with a justification"
    INCIDENTS_LEGAL_REVIEW_RECORD = "incidents:legal_review:record", "a party recorded a legal review of a tier"
    INCIDENTS_INCIDENT_CLOSE = "incidents:incident:close", "an incident was closed"
    INCIDENTS_EXIT_RAMP_MEET = "incidents:exit_ramp:meet", "a party recorded that an exit ramp of the ladder is met"
    INCIDENTS_STEP_DOWN_PROPOSE = "incidents:step_down:propose", "a party proposed stepping the incident down a tier"
    INCIDENTS_STEP_DOWN_AGREE = (
        "incidents:step_down:agree", "every party decided the lower tier: the step-down is agreed"
    )
    INCIDENTS_STEP_DOWN_SUPERSEDE = (
        "incidents:step_down:supersede", "a party decided a higher tier: the step-down lapsed"
    )
    INCIDENTS_LESSON_ADD = "incidents:lesson:add", "a participant added a lesson to a closed incident's review"
    INCIDENTS_LADDER_CHANGE_PROPOSE = (
        "incidents:ladder_change:propose", "a change to the ladder was proposed from a review"
    )
    DRAFTING_COMMUNIQUE_ADD = "drafting:communique:add", "a communiqué was started (version 1)"
    DRAFTING_COMMUNIQUE_SUPERSEDE = "drafting:communique:supersede", "a successor of a released communiqué was started"
    DRAFTING_PARTICIPANT_INVITE = "drafting:participant:invite", "a party was invited to a communiqué"
    DRAFTING_PARTICIPANT_ACCEPT = "drafting:participant:accept", "an invited party accepted and takes part"
    DRAFTING_VERSION_ADD = "drafting:version:add", "a new version was saved (merged or not)"
    DRAFTING_COMMENT_ADD = "drafting:comment:add", "a comment was added to a section"
    DRAFTING_COMMENT_RESOLVE = "drafting:comment:resolve", "a comment thread was resolved"
    SIGNOFFS_SIGNOFF_ADD = "signoffs:signoff:add", "a party signed off a version"
    SIGNOFFS_PRESIGNED_ADD = "signoffs:presigned:add", "a party's template pre-signature was recorded as its sign-off"
    SIGNOFFS_SIGNOFF_WITHDRAW = "signoffs:signoff:withdraw", "a party withdrew its sign-off"
    RELEASES_RELEASE_PROPOSE = "releases:release:propose", "a comms officer proposed an embargo instant"
    RELEASES_RELEASE_ACCEPT = "releases:release:accept", "a party accepted the proposed instant"
    RELEASES_RELEASE_COUNTER = "releases:release:counter", "a party counter-proposed another instant"
    RELEASES_RELEASE_AGREE = "releases:release:agree", "every participating party accepted: the instant is agreed"
    RELEASES_RELEASE_SCHEDULE = "releases:release:schedule", "the release was scheduled: version frozen, committed"
    RELEASES_RELEASE_HOLD = "releases:release:hold", "the release was held (a sign-off withdrawn or voided)"
    RELEASES_RELEASE_CANCEL = "releases:release:cancel", "the release was cancelled, with a reason"
    RELEASES_RELEASE_LIFT = "releases:release:lift", "the embargo was lifted now, with a reason"
    RELEASES_RELEASE_PUBLISH = "releases:release:publish", "the scheduler marked the release released, once"
    RELEASES_BRIEFING_INVITE = "releases:briefing:invite", "a comms officer invited a press account to a briefing"
    RELEASES_BRIEFING_REVOKE = "releases:briefing:revoke", "a comms officer withdrew a briefing invitation"
    RELEASES_BRIEFING_READ = "releases:briefing:read", "a press account read a briefing (one entry per reading)"
    INBOX_WEBHOOK_SET = "inbox:webhook:set", "a party registered or replaced its notice webhook (new secret)"
    INBOX_WEBHOOK_DELETE = "inbox:webhook:delete", "a party removed its notice webhook"
    RELEASES_BUNDLE_CREATE = "releases:bundle:create", "a comms officer gathered communiqués into a release bundle"
    RELEASES_BUNDLE_ADD = "releases:bundle:add", "a comms officer added a communiqué to a release bundle"
    RELEASES_BUNDLE_REMOVE = "releases:bundle:remove", "a communiqué was taken out of a release bundle (reason)"
    RELEASES_ALIGNMENT_ADD = "releases:alignment:add", "a party aligned with a released communiqué (logged)"
    RELEASES_ALIGNMENT_WITHDRAW = "releases:alignment:withdraw", "a party withdrew its alignment (reason; logged)"
    SANCTIONS_PACKAGE_ADD = "sanctions:package:add", "a sanctions package was started from an incident"
    SANCTIONS_PACKAGE_SUPERSEDE = "sanctions:package:supersede", "a successor package of a released one was started"
    SANCTIONS_DESIGNATION_ADD = "sanctions:designation:add", "a designation was added to a package"
    SANCTIONS_DESIGNATION_UPDATE = "sanctions:designation:update", "a designation's content was replaced"
    SANCTIONS_DESIGNATION_ADOPTION = "sanctions:designation:adoption", "a party recorded its position on a designation"
    SANCTIONS_DESIGNATION_RENEW = "sanctions:designation:renew", "a successor renews a designation"
    SANCTIONS_DESIGNATION_LIFT = "sanctions:designation:lift", "a successor lifts a designation"
    SANCTIONS_DESIGNATION_KEEP = "sanctions:designation:keep", "a successor keeps a designation as it stood"
    SANCTIONS_DESIGNATION_AMEND = "sanctions:designation:amend", "a successor amends a designation's reasons"
    SANCTIONS_DESIGNATION_IMPORT = "sanctions:designation:import", "designations were imported from a CSV file"
    TRANSPARENCY_COSIGNATURE_ADD = "transparency:cosignature:add", "a party cosigned a log checkpoint"


def entry_hash(entry: AuditEntry) -> str:
    """The SHA-256 of the canonical bytes of ``entry``'s fields and the hash of the entry before it."""
    body: dict[str, Any] = {
        "seq": entry.seq,
        "at": isoformat(entry.at),
        "actor": entry.actor,
        "party": entry.party,
        "event": entry.event,
        "object": entry.object,
        "details": entry.details,
        "prev": entry.prev_hash,
    }
    return "sha256:" + hashlib.sha256(rfc8785.dumps(body)).hexdigest()


async def record(
    session: AsyncSession,
    *,
    at: datetime,
    actor: str,
    party: str | None,
    event: str,
    object: str,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits or rolls back with the change)."""
    if not EVENT_TAG.fullmatch(event):
        raise ValueError(f"audit event tag {event!r} is not source:subject:action")
    details = json.loads(json.dumps(details or {}, default=str))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    last = (
        await session.execute(
            select(col(AuditEntry.seq), col(AuditEntry.hash)).order_by(col(AuditEntry.seq).desc()).limit(1)
        )
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    entry = AuditEntry(
        seq=seq, at=at, actor=actor, party=party, event=event, object=object, details=details, prev_hash=prev, hash=""
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    await session.flush()
    return entry


class Acting(Protocol):
    """Who acts, as the trail names them: a signed-in ``entente.auth.Caller`` fits."""

    @property
    def username(self) -> str: ...

    @property
    def party(self) -> str | None: ...


async def record_by(
    session: AsyncSession,
    by: Acting | str,
    event: str,
    object: str,
    *,
    at: datetime,
    party: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """:func:`record` an action of ``by``: a caller, or a bare username (``init``, or one passed down
    without its caller). The party is ``party`` when given (the secretariat acting for a party, a
    user acting in a party's name), else the caller's own; a bare username has none of its own."""
    actor, own_party = (by, None) if isinstance(by, str) else (by.username, by.party)
    return await record(
        session, at=at, actor=actor, party=party or own_party, event=event, object=object, details=details
    )


@dataclass(frozen=True)
class ChainReport:
    """What ``verify_chain`` found: ``ok`` with the number of entries, or the first broken link."""

    entries: int
    broken_at: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


async def _entries(session: AsyncSession, batch: int = 1000) -> AsyncIterator[AuditEntry]:
    after = 0
    while True:
        rows = (
            (
                await session.execute(
                    select(AuditEntry).where(col(AuditEntry.seq) > after).order_by(col(AuditEntry.seq)).limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].seq


async def verify_chain(session: AsyncSession) -> ChainReport:
    prev, expected_seq, count = GENESIS, 1, 0
    async for entry in _entries(session):
        if entry.seq != expected_seq:
            return ChainReport(count, expected_seq, f"entry {expected_seq} is missing (next is {entry.seq})")
        if entry.prev_hash != prev:
            return ChainReport(count, entry.seq, "prev_hash does not match the hash of the entry before it")
        if entry_hash(entry) != entry.hash:
            return ChainReport(count, entry.seq, "entry content does not match its hash (edited after the fact)")
        prev, expected_seq, count = entry.hash, expected_seq + 1, count + 1
    return ChainReport(count)


async def list_entries(
    session: AsyncSession, *, party: str | None = None, limit: int = 100, before: int | None = None
) -> list[AuditEntry]:
    """The latest entries (of ``party``, when given), newest first; ``before`` pages back by ``seq``."""
    query = select(AuditEntry).order_by(col(AuditEntry.seq).desc()).limit(limit)
    if party is not None:
        query = query.where(AuditEntry.party == party)
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    return list((await session.execute(query)).scalars().all())
