"""The internal audit trail: append-only and hash-chained.

Each entry's ``hash`` is the SHA-256 of the canonical bytes of its fields and the previous entry's
hash, so editing, deleting or reordering any row breaks the chain at that row. ``verify_chain``
walks the whole trail and reports the first broken link. Event tags read ``source:subject:action``
(``auth:login:fail``, ``parties:key:revoke``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente.clock import isoformat
from entente.models import AuditEntry

GENESIS = "sha256:" + "0" * 64
EVENT_TAG = re.compile(r"[a-z][a-z0-9_]*:[a-z][a-z0-9_]*:[a-z][a-z0-9_]*")
_PG_LOCK_KEY = 0x656E7465  # "ente": serialises appends across server instances on PostgreSQL


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    party: str | None,
    event: str,
    object: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    body = {
        "seq": seq,
        "at": isoformat(at),
        "actor": actor,
        "party": party,
        "event": event,
        "object": object,
        "details": details,
        "prev": prev_hash,
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
        await session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1))
    ).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    entry = AuditEntry(
        seq=seq, at=at, actor=actor, party=party, event=event, object=object, details=details, prev_hash=prev, hash=""
    )
    entry.hash = entry_hash(
        seq=seq, at=at, actor=actor, party=party, event=event, object=object, details=details, prev_hash=prev
    )
    session.add(entry)
    await session.flush()
    return entry


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
                    select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(batch)
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
        recomputed = entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            party=entry.party,
            event=entry.event,
            object=entry.object,
            details=entry.details,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.hash:
            return ChainReport(count, entry.seq, "entry content does not match its hash (edited after the fact)")
        prev, expected_seq, count = entry.hash, expected_seq + 1, count + 1
    return ChainReport(count)


async def list_entries(session: AsyncSession, *, party: str | None = None, limit: int = 100) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if party is not None:
        query = query.where(AuditEntry.party == party)
    return list((await session.execute(query)).scalars().all())
