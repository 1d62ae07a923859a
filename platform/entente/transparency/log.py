"""The transparency log in the database: append leaves, read them, prove, sign checkpoints, take cosignatures.

Entries are numbered from 0 without gaps: an append takes the log's lock (``pg_advisory_xact_lock`` on
PostgreSQL; SQLite transactions begin IMMEDIATE, so writers are serialised already) and writes the
next index. Nothing is ever updated or deleted.

Proofs and roots come from a :class:`TreeCache` when one is given (the server keeps one for its life):
an in-memory :class:`~entente.transparency.merkle.Tree` of the committed leaf hashes that reads only
the rows it has not seen. Entries a session appended itself are not committed yet, so they never
enter the cache: a proof that needs them is made on a copy.

A checkpoint is the C2SP signed note of one tree size, signed once per size by the platform's log key
under the log's origin. Parties add tlog-cosignatures to checkpoints they checked for consistency;
the checkpoint is served with them as extra signature lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import audit, canonical, quorum, signing
from entente.clock import as_utc
from entente.errors import ConflictError, InvalidInputError, NotFoundError
from entente.models import LogCheckpoint, LogCosignature, LogEntry
from entente.parties import get_party, key_records
from entente.parties.keys import IAT_MAX_SKEW
from entente.platformkeys import PlatformKeys
from entente.transparency import merkle, note

__all__ = [
    "LogEntryKind",
    "TreeCache",
    "add_cosignature",
    "append_entry",
    "consistency_proof",
    "find_latest_checkpoint",
    "get_checkpoint",
    "get_entry",
    "inclusion_proof",
    "latest_checkpoint",
    "log_origin",
    "log_verifier",
    "root_hash",
    "sign_checkpoint",
    "tree_size",
]

_PG_LOG_LOCK = 0x746C6F67  # "tlog": one log writer at a time across server instances
_FIRST_APPENDED = "entente.transparency.first_appended"
"""``session.info`` key: the first index this session appended (its rows are not committed yet)."""


class LogEntryKind(StrEnum):
    COMMITMENT = "commitment"
    """At scheduling: a salted commitment to the version digest, text fixed before the embargo."""
    PUBLICATION = "publication"
    """At release: the publication record (version, envelope and PDF digests, release instant)."""
    ALIGNMENT = "alignment"
    """After release: a party aligned with the released version (its envelope's and statement's digests)."""
    ALIGNMENT_WITHDRAWAL = "alignment-withdrawal"
    """After release: a party withdrew its alignment (the alignment entry's index, the reason's digest)."""


class TreeCache:
    """The committed leaf hashes in memory, for one server's life (``app[log_tree_key]``)."""

    def __init__(self) -> None:
        self.tree = merkle.Tree()


# --- the origin and the key -----------------------------------------------------------------------


def log_origin(public_url: str) -> str:
    """The C2SP origin line: the public URL without its scheme, then ``/log`` (``example.org/log``)."""
    parts = urlsplit(public_url)
    if not parts.netloc:
        raise InvalidInputError(f"public URL {public_url!r} has no host")
    return f"{parts.netloc}{parts.path.rstrip('/')}/log"


def log_verifier(keys: PlatformKeys, origin: str) -> note.Verifier:
    """The log's public key under its origin; ``str()`` of it is the verifier key string."""
    return note.Verifier(origin, keys.log.public_key)


# --- entries --------------------------------------------------------------------------------------


async def _lock(session: AsyncSession) -> None:
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        await session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOG_LOCK})


async def tree_size(session: AsyncSession) -> int:
    """How many entries the log holds, as this session sees it."""
    last = await session.scalar(select(sa.func.max(LogEntry.idx)))
    return 0 if last is None else int(last) + 1


async def append_entry(session: AsyncSession, *, kind: str, leaf: bytes, now: datetime) -> int:
    """Append ``leaf`` (canonical JSON, RFC 8785) as the next entry; its index."""
    try:
        kind = LogEntryKind(kind)
    except ValueError:
        raise InvalidInputError(f"unknown log entry kind {kind!r}", field="kind") from None
    if not isinstance(leaf, bytes) or not canonical.is_canonical(leaf):
        raise InvalidInputError("a log leaf is canonical JSON (RFC 8785) bytes", field="leaf")
    await _lock(session)
    index = await tree_size(session)
    session.add(LogEntry(idx=index, kind=kind, leaf=leaf, leaf_hash=merkle.leaf_hash(leaf), created_at=now))
    await session.flush()
    session.info.setdefault(_FIRST_APPENDED, index)
    return index


async def get_entry(session: AsyncSession, index: int) -> LogEntry:
    row = await session.get(LogEntry, index) if 0 <= index <= 2**31 - 1 else None
    if row is None:
        raise NotFoundError(f"the log has no entry {index}", code="unknown_log_entry")
    return row


async def _tree(session: AsyncSession, size: int, cache: TreeCache | None) -> merkle.Tree:
    """A tree of at least ``size`` leaves, from the cache (topped up) or, without one, from every row."""
    tree = cache.tree if cache is not None else merkle.Tree()
    if tree.size >= size:
        return tree
    query = select(LogEntry.idx, LogEntry.leaf_hash).where(LogEntry.idx >= tree.size, LogEntry.idx < size)
    rows: Sequence[tuple[int, bytes]] = (await session.execute(query.order_by(LogEntry.idx))).tuples().all()
    own = session.info.get(_FIRST_APPENDED)
    for index, hash_ in rows:  # another task may have topped the cache up meanwhile: skip what it holds
        if own is not None and index >= own and cache is not None:
            tree = tree.copy()  # this session's uncommitted entries: never into the cache
            cache = None
        if index == tree.size:
            tree.append(bytes(hash_))
    if tree.size < size:
        raise ConflictError(f"the log's entries below {size} are not contiguous", code="log_gap")
    return tree


async def _check_size(session: AsyncSession, size: int, cache: TreeCache | None, field: str) -> None:
    """Refuse a size beyond the log. The cache holds committed entries only: a size within it needs no
    query (so serving a proof touches the database only when the log has grown)."""
    if cache is not None and 0 <= size <= cache.tree.size:
        return
    current = await tree_size(session)
    if not 0 <= size <= current:
        raise InvalidInputError(f"{field} {size} is beyond the log's {current} entries", field=field)


async def root_hash(session: AsyncSession, size: int, *, cache: TreeCache | None = None) -> bytes:
    await _check_size(session, size, cache, "size")
    return (await _tree(session, size, cache)).root(size)


async def inclusion_proof(
    session: AsyncSession, index: int, size: int, *, cache: TreeCache | None = None
) -> list[bytes]:
    """The RFC 9162 inclusion proof of entry ``index`` in the tree of the first ``size`` entries."""
    await _check_size(session, size, cache, "size")
    if not 0 <= index < size:
        raise InvalidInputError(f"index {index} is not below size {size}", field="index")
    return (await _tree(session, size, cache)).inclusion_proof(index, size)


async def consistency_proof(
    session: AsyncSession, first: int, second: int, *, cache: TreeCache | None = None
) -> list[bytes]:
    """The RFC 9162 consistency proof from the tree of ``first`` entries to that of ``second``."""
    await _check_size(session, second, cache, "second")
    if not 0 < first <= second:
        raise InvalidInputError(f"first must be between 1 and second ({second}); got {first}", field="first")
    return (await _tree(session, second, cache)).consistency_proof(first, second)


# --- checkpoints ----------------------------------------------------------------------------------


async def sign_checkpoint(
    session: AsyncSession, keys: PlatformKeys, origin: str, now: datetime, *, cache: TreeCache | None = None
) -> LogCheckpoint:
    """The checkpoint of the log's current size, signed and stored the first time (once per size)."""
    await _lock(session)
    size = await tree_size(session)
    existing = await session.get(LogCheckpoint, size)
    if existing is not None:
        return existing
    root = (await _tree(session, size, cache)).root(size)
    signed = note.sign_note(note.checkpoint_text(origin, size, root), [note.Signer(origin, keys.log)])
    row = LogCheckpoint(size=size, root=root, note=signed, created_at=now)
    session.add(row)
    await session.flush()
    return row


async def _with_cosignatures(session: AsyncSession, row: LogCheckpoint) -> str:
    query = (
        select(LogCosignature.line)
        .where(LogCosignature.size == row.size)
        .order_by(LogCosignature.party, LogCosignature.id)  # type: ignore[arg-type]
    )
    return row.note + "".join((await session.execute(query)).scalars().all())


async def find_latest_checkpoint(session: AsyncSession) -> LogCheckpoint | None:
    query = select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)  # type: ignore[attr-defined]
    return (await session.execute(query)).scalars().first()


async def latest_checkpoint(session: AsyncSession) -> str:
    """The newest signed checkpoint as served: the log's note, then its cosignature lines."""
    row = await find_latest_checkpoint(session)
    if row is None:
        raise NotFoundError("the log has signed no checkpoint yet", code="unknown_checkpoint")
    return await _with_cosignatures(session, row)


async def get_checkpoint(session: AsyncSession, size: int) -> str:
    """The checkpoint of ``size`` as served (with its cosignatures), if the log signed one."""
    row = await session.get(LogCheckpoint, size) if 0 <= size <= 2**31 - 1 else None
    if row is None:
        raise NotFoundError(f"the log signed no checkpoint of size {size}", code="unknown_checkpoint")
    return await _with_cosignatures(session, row)


# --- cosignatures ---------------------------------------------------------------------------------


def _cosigning_key(records: Sequence[quorum.KeyRecord], name: str, key_id: bytes) -> quorum.KeyRecord:
    for record in records:
        if record.key.alg == signing.Algorithm.ED25519:
            if note.Verifier(name, record.key, note.COSIGNATURE_TYPE).key_id == key_id:
                return record
    raise note.NoteError(f"the cosignature's key is not a registered Ed25519 key of {name}", code="unknown_key")


async def add_cosignature(session: AsyncSession, *, party: str, size: int, line: str, now: datetime) -> LogCosignature:
    """Record ``party``'s cosignature line of the checkpoint of ``size`` (idempotent per key and size).

    The line must be a C2SP tlog-cosignature/v1 by ``<origin>/cosigner/<party>`` with one of the party's
    registered Ed25519 keys, unrevoked and valid at the cosignature's time, over the checkpoint the log
    signed at that size (a party that saw another root for that size signed something else, and is
    refused); its time may not lie in the future.
    """
    await get_party(session, party)
    row = await session.get(LogCheckpoint, size) if 0 <= size <= 2**31 - 1 else None
    if row is None:
        raise NotFoundError(f"the log signed no checkpoint of size {size}", code="unknown_checkpoint")
    text, _ = note.split_note(row.note)
    name = note.cosigner_name(note.parse_checkpoint(text).origin, party)
    if "\n" in line.removesuffix("\n"):
        raise note.NoteError("send one cosignature line", field="/line")
    parsed = note.split_note("x\n\n" + line.removesuffix("\n") + "\n")[1]
    if parsed[0].name != name:
        raise note.NoteError(f"{party} cosigns this log as {name!r}, not {parsed[0].name!r}", field="/line")
    records = [r for r in await key_records(session, [party]) if r.revoked_at is None or as_utc(r.revoked_at) > now]
    record = _cosigning_key(records, name, parsed[0].key_id)
    timestamp = note.verify_cosignature(text, parsed[0].line, note.Verifier(name, record.key, note.COSIGNATURE_TYPE))
    if timestamp > (now + IAT_MAX_SKEW).timestamp():
        raise note.NoteError("the cosignature's time is in the future", code="cosignature_time_invalid")
    if record.window_reason(timestamp) is not None or record.is_revoked_at(timestamp):
        raise note.NoteError("the key was not valid at the cosignature's time", code="cosignature_time_invalid")
    await _lock(session)
    query = select(LogCosignature).where(LogCosignature.size == size, LogCosignature.kid == record.key.kid)
    existing = (await session.execute(query)).scalars().first()
    if existing is not None:
        return existing
    cosignature = LogCosignature(
        size=size, party=party, kid=record.key.kid, line=parsed[0].line, timestamp=timestamp, created_at=now
    )
    session.add(cosignature)
    await session.flush()
    await audit.record(
        session,
        at=now,
        actor=f"cosigner:{party}",
        party=party,
        event="transparency:cosignature:add",
        object=f"log-checkpoint:{size}",
        details={"kid": record.key.kid, "timestamp": timestamp},
    )
    return cosignature
