"""The public trail of a release: the commitment logged at scheduling, the signed public PDF, the
publication entry logged at release, and the publication bundle a verifier checks offline.

- At scheduling, :func:`log_commitment` appends a *salted commitment* to the version digest to the
  transparency log: ``SHA-256(salt || version_digest)``, which says nothing of the text before the
  instant yet proves it was fixed then.
- After scheduling (and again after an early lift, since it names the release instant) the public PDF is
  rendered off the event loop and stored (:mod:`entente.releases.pdfs`).
- At release, :func:`log_publication` appends the publication entry: the communiqué, version digest,
  digest of the sign-off envelopes, PDF digest, release instant and the commitment's index and salt, so
  anyone can open the commitment and see that the text was logged before the embargo lifted.
- :func:`publication_bundle` is everything a verifier needs offline, with inclusion proofs of both
  entries against the latest checkpoint (see docs/verification.md).

Leaves are RFC 8785 canonical JSON; their formats are fixed here (``commitment_leaf``, ``publication_leaf``).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import canonical
from entente.clock import isoformat
from entente.models import AlignedPdf, Alignment, Communique, Release, ReleaseBundle, ReleasePdf, RosterVersion
from entente.parties import roster as rosters
from entente.releases.alignments import alignment_keys, public_alignments
from entente.releases.artefact import public_successors
from entente.releases.common import PUBLIC_STATES, is_public, public_at
from entente.transparency import log as tlog

BUNDLE_TYPE = "entente-bundle"
COMMITMENT, PUBLICATION = "commitment", "publication"


def commitment_of(salt: bytes, version_digest: str) -> str:
    """``sha256:`` + hex of SHA-256(salt || UTF-8 of the version digest)."""
    return "sha256:" + hashlib.sha256(salt + version_digest.encode("ascii")).hexdigest()


def commitment_leaf(commitment: str, at: datetime) -> bytes:
    return canonical.canonical_bytes({"type": "entente-commitment", "commitment": commitment, "at": isoformat(at)})


def envelopes_digest(record: dict[str, Any]) -> str:
    """The digest of the record's sign-off envelopes (RFC 8785 bytes of ``record["signoffs"]``)."""
    return canonical.digest(canonical.canonical_bytes(record["signoffs"]))


def publication_leaf(
    record: dict[str, Any], *, pdf_digest: str | None, commitment_index: int, salt: str, at: datetime
) -> bytes:
    return canonical.canonical_bytes(
        {
            "type": "entente-publication",
            "communique": record["communique"],
            "version_digest": record["version_digest"],
            "envelopes_digest": envelopes_digest(record),
            "pdf_digest": pdf_digest,
            "released_at": record["embargo_at"],
            "commitment": {"index": commitment_index, "salt": salt},
            "at": isoformat(at),
        }
    )


async def log_commitment(session: AsyncSession, release: Release, now: datetime) -> None:
    """Append the salted commitment to the frozen version's digest (once per release: a release
    resumed after a hold keeps its commitment, the text being the same)."""
    assert release.version_digest is not None
    if release.commitment_index is not None:
        return
    salt = secrets.token_bytes(32)
    leaf = commitment_leaf(commitment_of(salt, release.version_digest), now)
    release.commitment_index = await tlog.append_entry(session, kind=COMMITMENT, leaf=leaf, now=now)
    release.commitment_salt = canonical.b64url_encode(salt)
    session.add(release)


async def log_publication(session: AsyncSession, release: Release, now: datetime) -> None:
    """Append the publication entry of a release that became public (once)."""
    if release.publication_index is not None or release.public_body is None or release.commitment_index is None:
        return
    assert release.id is not None and release.commitment_salt is not None
    pdf = (
        await session.execute(
            select(ReleasePdf.digest).where(
                ReleasePdf.release_id == release.id, ReleasePdf.embargo_at == release.embargo_at
            )
        )
    ).scalar()
    leaf = publication_leaf(
        canonical.parse_strict(release.public_body),
        pdf_digest=pdf,
        commitment_index=release.commitment_index,
        salt=release.commitment_salt,
        at=now,
    )
    release.publication_index = await tlog.append_entry(session, kind=PUBLICATION, leaf=leaf, now=now)
    session.add(release)


@dataclass(frozen=True)
class LogIdentity:
    """The log's name (its C2SP origin) and its verifier key string, as published."""

    origin: str
    key: str


async def public_relations(session: AsyncSession, communique_id: int, now: datetime) -> dict[str, Any]:
    """What the public page shows around a released communiqué (the caller read its record already):
    the bundle it was released with (its other public members), what it supersedes and what supersedes
    it (once public), the parties that aligned with it later, and whether a PDF with them exists."""
    public = public_at(now)
    release = (
        (await session.execute(select(Release).where(Release.communique_id == communique_id, public).limit(1)))
        .scalars()
        .first()
    )
    out: dict[str, Any] = {
        "bundle": None,
        "supersedes": None,
        "superseded_by": None,
        "alignments": [],
        "has_aligned_pdf": False,
    }
    if release is None:
        return out
    if release.bundle_id is not None:
        row = await session.get(ReleaseBundle, release.bundle_id)
        members = (
            await session.execute(
                select(Communique.id, Communique.title)
                .join(Release, col(Release.communique_id) == col(Communique.id))
                .where(Release.bundle_id == release.bundle_id, public)
                .order_by(col(Communique.id))
            )
        ).all()
        out["bundle"] = {
            "id": release.bundle_id,
            "title": row.title if row else "",
            "members": [{"id": cid, "title": title} for cid, title in members],
        }
    communique = await session.get(Communique, communique_id)
    if communique is not None and communique.supersedes_id is not None:
        old = (
            await session.execute(
                select(Communique.id, Communique.title)
                .join(Release, Release.communique_id == Communique.id)  # type: ignore[arg-type]
                .where(Communique.id == communique.supersedes_id, public)
            )
        ).first()
        out["supersedes"] = {"id": old[0], "title": old[1]} if old else None
    successor = (await public_successors(session, [communique_id], now)).get(communique_id)
    if successor is not None:
        title = (await session.execute(select(Communique.title).where(Communique.id == successor))).scalar()
        out["superseded_by"] = {"id": successor, "title": title}
    out["alignments"] = (await public_alignments(session, [communique_id])).get(communique_id, [])
    out["has_aligned_pdf"] = (
        await session.execute(select(AlignedPdf.release_id).where(AlignedPdf.release_id == release.id))
    ).scalar() is not None
    return out


# --- what a verifier needs ---------------------------------------------------------------------------


async def roster_chain(session: AsyncSession) -> list[dict[str, Any]]:
    """Every effective roster document, oldest first (a verifier walks it from the first)."""
    rows = (await session.execute(select(RosterVersion).order_by(RosterVersion.version))).scalars().all()  # type: ignore[arg-type]
    return [rosters.roster_document(row) for row in rows]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def _entry(session: AsyncSession, index: int, size: int, tree: tlog.TreeCache | None) -> dict[str, Any]:
    leaf = (await tlog.get_entry(session, index)).leaf
    proof = await tlog.inclusion_proof(session, index, size, cache=tree)
    return {"index": index, "leaf": _b64(bytes(leaf)), "proof": [_b64(h) for h in proof]}


async def _log_part(
    session: AsyncSession, release: Release, log: LogIdentity, tree: tlog.TreeCache | None
) -> dict[str, Any]:
    """The release's log entries with inclusion proofs against the newest signed checkpoint (an entry
    the checkpoint does not cover yet, signed at the next scheduler tick, is left out: ``None``)."""
    latest = await tlog.find_latest_checkpoint(session)
    size = latest.size if latest is not None else 0
    part: dict[str, Any] = {
        "origin": log.origin,
        "key": log.key,
        "checkpoint": await tlog.get_checkpoint(session, size) if latest is not None else None,
        "commitment": None,
        "publication": None,
    }
    if release.commitment_index is not None and release.commitment_index < size:
        part["commitment"] = {
            **await _entry(session, release.commitment_index, size, tree),
            "salt": release.commitment_salt,
        }
    if release.publication_index is not None and release.publication_index < size:
        part["publication"] = await _entry(session, release.publication_index, size, tree)
    return part


async def attachments(
    session: AsyncSession,
    release: Release,
    record: dict[str, Any],
    chain: list[dict[str, Any]],
    log: LogIdentity,
    tree: tlog.TreeCache | None = None,
) -> dict[str, bytes]:
    """The files the public PDF embeds (the publication entry cannot be one: it names the PDF's digest)."""
    proof = await _log_part(session, release, log, tree)
    proof.pop("publication", None)
    return {
        "version.json": canonical.b64url_decode(record["version"]),
        "disclosures.json": canonical.canonical_bytes(record["disclosures"]),
        "signoffs.json": canonical.canonical_bytes(record["signoffs"]),
        "roster.json": canonical.canonical_bytes(chain),
        "log-proof.json": canonical.canonical_bytes(proof),
    }


async def publication_bundle(
    session: AsyncSession,
    communique_id: int,
    now: datetime,
    *,
    log: LogIdentity,
    pdf_url: str,
    certificate: str,
    tree: tlog.TreeCache | None = None,
) -> dict[str, Any] | None:
    """The bundle of a communiqué whose release is public at ``now``; None otherwise."""
    release = (
        (
            await session.execute(
                select(Release).where(Release.communique_id == communique_id, Release.state.in_(PUBLIC_STATES))  # type: ignore[attr-defined]
            )
        )
        .scalars()
        .first()
    )
    if release is None or not is_public(release, now) or release.public_body is None:
        return None
    record = canonical.parse_strict(release.public_body)
    pdf = (await session.execute(select(ReleasePdf.digest).where(ReleasePdf.release_id == release.id))).scalar()
    bundle: dict[str, Any] = {
        "type": BUNDLE_TYPE,
        "communique": communique_id,
        "record": record,
        "roster": await roster_chain(session),
        "log": await _log_part(session, release, log, tree),
        "pdf": {"url": pdf_url, "digest": pdf, "certificate": certificate} if pdf is not None else None,
    }
    communique = await session.get(Communique, communique_id)
    successors = await public_successors(session, [communique_id], now)
    if communique is not None and communique.supersedes_id is not None:
        bundle["supersedes"] = communique.supersedes_id
    if communique_id in successors:
        bundle["superseded_by"] = successors[communique_id]
    if release.bundle_id is not None:
        row = await session.get(ReleaseBundle, release.bundle_id)
        members = (
            (
                await session.execute(
                    select(Release.communique_id)
                    .where(Release.bundle_id == release.bundle_id, col(Release.state).in_(PUBLIC_STATES))
                    .order_by(col(Release.communique_id))
                )
            )
            .scalars()
            .all()
        )
        bundle["release_bundle"] = {
            "id": release.bundle_id,
            "title": row.title if row else "",
            "members": list(members),
        }
    rows = (await public_alignments(session, [communique_id])).get(communique_id, [])
    if rows:
        bundle["alignments"] = await alignments_part(session, rows, tree)
    return bundle


async def alignments_part(
    session: AsyncSession, rows: list[Alignment], tree: tlog.TreeCache | None
) -> list[dict[str, Any]]:
    """Each alignment as a verifier checks it: its envelope over the released version bytes, its
    statement, its party's keys, and its log entries (and withdrawal's) with inclusion proofs against the
    newest checkpoint (an entry the checkpoint does not cover yet is ``None`` until the next tick)."""
    latest = await tlog.find_latest_checkpoint(session)
    size = latest.size if latest is not None else 0
    keys = await alignment_keys(session, rows)
    out = []
    for row in rows:
        entry = (
            await _entry(session, row.log_index, size, tree)
            if row.log_index is not None and row.log_index < size
            else None
        )
        item: dict[str, Any] = {
            "party": row.party,
            "aligned_at": isoformat(row.aligned_at),
            "statement": row.statement,
            "envelope": canonical.parse_strict(bytes(row.envelope)),
            "keys": [k for k in keys if k["kid"] in row.kids],
            "log": entry,
            "withdrawn": None,
        }
        if row.withdrawn_at is not None:
            idx = row.withdrawal_log_index
            item["withdrawn"] = {
                "at": isoformat(row.withdrawn_at),
                "reason": row.withdrawal_reason,
                "log": await _entry(session, idx, size, tree) if idx is not None and idx < size else None,
            }
        out.append(item)
    return out
