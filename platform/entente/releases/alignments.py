"""Late alignment: a coalition party that did not sign a released communiqué aligns with it later.

Its signatory signs the *released version bytes* (the exact bytes the original parties signed) with
one of its party's keys: a JWS with a detached payload like a sign-off, but with ``typ``
``entente-alignment+jws`` so that neither can be taken for the other. An optional alignment statement
is bound to the signature: the protected header then carries ``statement_digest``, ``sha256:`` + hex
of SHA-256 over the statement's UTF-8 bytes (NFC). The original release record, its signatures and
its PDF stay exactly as they were; each alignment is a record of its own beside them, with its own
date, appended to the transparency log::

    {"type": "entente-alignment", "communique": 7, "version_digest": "sha256:...", "party": "FR",
     "envelope_digest": "sha256:...", "statement_digest": "sha256:..." | null, "aligned_at": "..."}

An alignment can be withdrawn (by a signatory of its party, with a reason): it is marked withdrawn and
the withdrawal is logged too (``entente-alignment-withdrawal``, naming the alignment's log index);
nothing is erased. ``entente verify`` reports the quorum at release and each alignment separately.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit, canonical, parties, signing
from entente.auth import Caller, require_role
from entente.clock import isoformat
from entente.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError, SignatureError
from entente.models import Alignment, AlignmentPublic, PartyKey, Release, Role
from entente.releases.artefact import public_not_found
from entente.releases.common import PUBLIC_STATES, is_public
from entente.transparency import log as tlog

__all__ = [
    "ALIGNMENT_TYP",
    "add_alignment",
    "alignment_leaf",
    "alignment_public",
    "alignments_digest",
    "list_alignments",
    "public_alignments",
    "statement_digest",
    "withdrawal_leaf",
    "withdraw_alignment",
]

ALIGNMENT_TYP = "entente-alignment+jws"
ALIGNMENT, WITHDRAWAL = "alignment", "alignment-withdrawal"
IAT_WINDOW = timedelta(minutes=10)


def statement_digest(statement: str) -> str:
    """``sha256:`` + hex of SHA-256 over the statement's UTF-8 bytes, trimmed of surrounding white space
    and NFC-normalised (``entente sign --statement`` computes the same)."""
    return "sha256:" + hashlib.sha256(unicodedata.normalize("NFC", statement.strip()).encode("utf-8")).hexdigest()


def alignment_leaf(row: Alignment) -> bytes:
    return canonical.canonical_bytes(
        {
            "type": "entente-alignment",
            "communique": row.communique_id,
            "version_digest": row.version_digest,
            "party": row.party,
            "envelope_digest": canonical.digest(bytes(row.envelope)),
            "statement_digest": statement_digest(row.statement) if row.statement is not None else None,
            "aligned_at": isoformat(row.aligned_at),
        }
    )


def withdrawal_leaf(row: Alignment) -> bytes:
    assert row.withdrawn_at is not None and row.withdrawal_reason is not None
    return canonical.canonical_bytes(
        {
            "type": "entente-alignment-withdrawal",
            "communique": row.communique_id,
            "party": row.party,
            "alignment": row.log_index,
            "reason_digest": statement_digest(row.withdrawal_reason),
            "withdrawn_at": isoformat(row.withdrawn_at),
        }
    )


async def _public_release(session: AsyncSession, communique_id: int, now: datetime, *, lock: bool = False) -> Release:
    query = select(Release).where(Release.communique_id == communique_id, Release.state.in_(PUBLIC_STATES))  # type: ignore[attr-defined]
    if lock:
        query = query.with_for_update()
    release = (await session.execute(query)).scalars().first()
    if release is None or not is_public(release, now) or release.public_body is None:
        raise public_not_found(communique_id)
    return release


def _original_signers(record: dict[str, Any], keys: Sequence[dict[str, Any]]) -> set[str]:
    by_kid = {k["kid"]: k["party"] for k in keys}
    signed = set()
    for envelope in record["signoffs"]["explicit"]:
        for header in signing.protected_headers(envelope):
            if header is not None and header.get("kid") in by_kid:
                signed.add(by_kid[header["kid"]])
    return signed


def _require_statement_bound(envelope: Any, statement: str | None) -> None:
    """The statement is what the party signed beside the version: its digest in every protected header."""
    expected = statement_digest(statement) if statement is not None else None
    for index, header in enumerate(signing.protected_headers(signing.parse_envelope(envelope))):
        named = header.get("statement_digest") if header is not None else None
        if named != expected:
            raise SignatureError(
                "the alignment statement must be bound to the signature: its protected header carries "
                f"statement_digest {expected}"
                if expected
                else "no statement was sent, but the signature names one",
                code="statement_mismatch",
                field=f"/jws/signatures/{index}",
                extra={"statement_digest": expected},
            )


async def add_alignment(
    session: AsyncSession,
    *,
    communique_id: int,
    caller: Caller,
    envelope: dict[str, Any],
    statement: str | None,
    now: datetime,
) -> Alignment:
    """A signatory of a party that did not sign the released version aligns with it: its JWS over the
    released bytes is verified with its party's keys, recorded, logged and audited."""
    require_role(caller, Role.SIGNATORY)
    release = await _public_release(session, communique_id, now, lock=True)
    record = canonical.parse_strict(release.public_body or b"")
    party = caller.party
    if party in _original_signers(record, record["keys"]):
        raise ConflictError(
            f"{party} signed communiqué {communique_id} before its release: its signature is in the record",
            code="already_signed",
        )
    existing = (
        await session.execute(
            select(Alignment.id).where(
                Alignment.communique_id == communique_id,
                Alignment.party == party,
                Alignment.withdrawn_at.is_(None),  # type: ignore[union-attr]
            )
        )
    ).scalar()
    if existing is not None:
        raise ConflictError(
            f"{party} is aligned with communiqué {communique_id} already",
            code="already_aligned",
            extra={"alignment": existing},
        )
    if statement is not None:
        statement = unicodedata.normalize("NFC", statement.strip())
        if not statement:
            raise InvalidInputError("an empty statement", code="invalid_text", field="/statement")
    version = canonical.b64url_decode(record["version"])
    for index, header in enumerate(signing.protected_headers(signing.parse_envelope(envelope))):
        named = header.get("digest") if header is not None else None
        if isinstance(named, str) and named != record["version_digest"]:
            raise SignatureError(
                f"signature {index} signs {named}, not the released version ({record['version_digest']})",
                code="wrong_version",
                field=f"/jws/signatures/{index}",
            )
    _require_statement_bound(envelope, statement)
    keys = await parties.key_records(session)
    accepted = parties.verify_party_envelope(
        version, envelope, party=party, keys=keys, typ=ALIGNMENT_TYP, now=now, earliest=now - IAT_WINDOW
    )
    row = Alignment(
        communique_id=communique_id,
        release_id=release.id or 0,
        version_digest=record["version_digest"],
        party=party,
        signer=caller.username,
        envelope=parties.keys.canonical_envelope(a.entry for a in accepted),
        kids=sorted({a.kid for a in accepted}),
        statement=statement,
        aligned_at=now,
    )
    session.add(row)
    await session.flush()
    row.log_index = await tlog.append_entry(session, kind=ALIGNMENT, leaf=alignment_leaf(row), now=now)
    session.add(row)
    await audit.record_by(
        session,
        caller,
        "releases:alignment:add",
        f"communique:{communique_id}",
        at=now,
        details={
            "alignment": row.id,
            "digest": row.version_digest,
            "kids": row.kids,
            "log_index": row.log_index,
            "statement": row.statement is not None,
        },
    )
    return row


async def withdraw_alignment(
    session: AsyncSession, *, communique_id: int, alignment_id: int, caller: Caller, reason: str, now: datetime
) -> Alignment:
    """A signatory of the aligned party withdraws the alignment: recorded and logged, never erased."""
    require_role(caller, Role.SIGNATORY)
    await _public_release(session, communique_id, now)
    row = await session.get(Alignment, alignment_id, with_for_update=True)
    if row is None or row.communique_id != communique_id:
        raise NotFoundError(f"no alignment {alignment_id}")
    if row.party != caller.party:
        raise PermissionDeniedError(f"only a signatory of {row.party} may withdraw its alignment", code="wrong_party")
    if row.withdrawn_at is not None:
        raise ConflictError(f"the alignment was withdrawn at {isoformat(row.withdrawn_at)}", code="alignment_withdrawn")
    text = reason.strip()
    if not text:
        raise InvalidInputError("say why", code="reason_required", field="/reason")
    row.withdrawn_at, row.withdrawn_by, row.withdrawal_reason = now, caller.username, text
    row.withdrawal_log_index = await tlog.append_entry(session, kind=WITHDRAWAL, leaf=withdrawal_leaf(row), now=now)
    session.add(row)
    await session.flush()
    await audit.record_by(
        session,
        caller,
        "releases:alignment:withdraw",
        f"communique:{communique_id}",
        at=now,
        details={"alignment": row.id, "reason": text, "log_index": row.withdrawal_log_index},
    )
    return row


def alignment_public(row: Alignment, *, signer: bool = True) -> AlignmentPublic:
    renamed = {"id": row.id or 0, "communique": row.communique_id, "signer": row.signer if signer else None}
    return AlignmentPublic.model_validate(row, from_attributes=True, update=renamed)


async def list_alignments(session: AsyncSession, communique_id: int, now: datetime) -> list[Alignment]:
    """The alignments of a communiqué whose release is public at ``now`` (withdrawn ones included),
    oldest first; the same 404 as a missing communiqué otherwise."""
    await _public_release(session, communique_id, now)
    rows = await session.execute(
        select(Alignment).where(Alignment.communique_id == communique_id).order_by(Alignment.id)  # type: ignore[arg-type]
    )
    return list(rows.scalars().all())


async def public_alignments(session: AsyncSession, communique_ids: Sequence[int]) -> dict[int, list[Alignment]]:
    """The alignments of each communiqué (callers pass ids public already), oldest first."""
    if not communique_ids:
        return {}
    rows = await session.execute(
        select(Alignment)
        .where(col(Alignment.communique_id).in_(sorted(set(communique_ids))))
        .order_by(col(Alignment.id))
    )
    out: dict[int, list[Alignment]] = {}
    for row in rows.scalars().all():
        out.setdefault(row.communique_id, []).append(row)
    return out


def alignments_digest(rows: Sequence[Alignment]) -> str:
    """What an aligned PDF shows, as one digest: the alignments and their withdrawals."""
    return canonical.digest(canonical.canonical_bytes([[r.id, r.log_index, r.withdrawal_log_index] for r in rows]))


async def alignment_keys(session: AsyncSession, rows: Sequence[Alignment]) -> list[dict[str, Any]]:
    kids = sorted({kid for r in rows for kid in r.kids})
    if not kids:
        return []
    found = await session.execute(
        select(PartyKey.party_code, PartyKey.kid, PartyKey.jwk)
        .where(PartyKey.kid.in_(kids))  # type: ignore[attr-defined]
        .order_by(PartyKey.party_code, PartyKey.kid)
    )
    return [{"party": party, "kid": kid, "jwk": jwk} for party, kid, jwk in found.all()]
