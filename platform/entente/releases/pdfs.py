"""The public PDFs of a release: which are due, keeping what was rendered, and reading them.

The PDF is rendered off the event loop (``publisher.Publisher``); here :func:`pdf_work` lists the
releases whose public PDF is missing or names another instant (lifted), :func:`store_pdf` keeps one
unless the release moved on meanwhile; likewise :func:`aligned_pdf_work` and :func:`store_aligned_pdf`
for the PDF with later alignments, which :func:`get_aligned_pdf` reads. What a PDF embeds is
:func:`entente.releases.publication.attachments`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import canonical
from entente.models import AlignedPdf, Alignment, Release, ReleasePdf
from entente.parties.coalition import party_names
from entente.releases.alignments import alignments_digest, public_alignments
from entente.releases.common import PUBLIC_STATES, public_at
from entente.releases.publication import LogIdentity, alignments_part, attachments, roster_chain
from entente.transparency import log as tlog


async def has_current_pdf(session: AsyncSession, release: Release) -> bool:
    """Whether the release's public PDF is stored and names its current instant."""
    rendered = (
        await session.execute(select(ReleasePdf.embargo_at).where(ReleasePdf.release_id == release.id))
    ).scalar()
    return rendered is not None and rendered == release.embargo_at


@dataclass(frozen=True)
class PdfWork:
    """A release whose public PDF is due: its record, the instant the PDF must name, what to attach."""

    release_id: int
    embargo_at: datetime
    record: dict[str, Any]
    party_names: dict[str, str]
    attachments: dict[str, bytes]


async def pdf_work(
    session: AsyncSession, log: LogIdentity, *, release_id: int | None = None, tree: tlog.TreeCache | None = None
) -> list[PdfWork]:
    """Releases scheduled or released whose stored PDF is missing or names another instant (lifted)."""
    query = (
        select(Release.id, Release.embargo_at, ReleasePdf.embargo_at)
        .outerjoin(ReleasePdf, ReleasePdf.release_id == Release.id)  # type: ignore[arg-type]
        .where(
            Release.state.in_(PUBLIC_STATES),  # type: ignore[attr-defined]
            Release.public_body.is_not(None),  # type: ignore[union-attr]
            Release.commitment_index.is_not(None),  # type: ignore[union-attr]  # the PDF carries its proof
        )
        .order_by(col(Release.embargo_at))
    )
    if release_id is not None:
        query = query.where(Release.id == release_id)
    due = [rid for rid, embargo, rendered in (await session.execute(query)).all() if rendered != embargo]
    if not due:
        return []
    names = await party_names(session)
    chain = await roster_chain(session)
    work = []
    for rid in due:
        release = await session.get(Release, rid)
        assert release is not None and release.public_body is not None
        record = canonical.parse_strict(release.public_body)
        work.append(
            PdfWork(
                release_id=rid,
                embargo_at=release.embargo_at,
                record=record,
                party_names={code: names.get(code, code) for code in record["parties"]},
                attachments=await attachments(session, release, record, chain, log, tree),
            )
        )
    return work


async def store_pdf(session: AsyncSession, *, release_id: int, embargo_at: datetime, pdf: bytes, now: datetime) -> bool:
    """Keep the signed PDF rendered for ``embargo_at``, unless the release moved on meanwhile (cancelled,
    held, lifted to another instant): then it is dropped and False returned."""
    release = await session.get(Release, release_id, with_for_update=True)
    if release is None or release.state not in PUBLIC_STATES or release.embargo_at != embargo_at:
        return False
    await _keep(session, ReleasePdf, release_id, pdf, now, embargo_at=embargo_at)
    return True


async def _keep(
    session: AsyncSession,
    model: type[ReleasePdf | AlignedPdf],
    release_id: int,
    pdf: bytes,
    now: datetime,
    **shows: Any,
) -> None:
    """Store ``pdf`` as the release's row of ``model``, new or replacing the one rendered before; ``shows``:
    what it was rendered for (the instant it names, the state of the alignments it shows)."""
    values = {"pdf": pdf, "digest": canonical.digest(pdf), "created_at": now, **shows}
    row = await session.get(model, release_id)
    if row is None:
        row = model(release_id=release_id, **values)
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)


@dataclass(frozen=True)
class AlignedPdfWork:
    """A release whose PDF with alignments is due: the record, the alignments part, what it shows."""

    release_id: int
    through: str
    record: dict[str, Any]
    alignments: list[dict[str, Any]]
    party_names: dict[str, str]
    attachments: dict[str, bytes]


async def aligned_pdf_work(
    session: AsyncSession, log: LogIdentity, *, communique_id: int | None = None, tree: tlog.TreeCache | None = None
) -> list[AlignedPdfWork]:
    """Released communiqués with alignments whose PDF with alignments is missing or shows an older state."""
    query = select(Alignment.communique_id).distinct()
    if communique_id is not None:
        query = query.where(Alignment.communique_id == communique_id)
    ids = list((await session.execute(query)).scalars().all())
    if not ids:
        return []
    by_communique = await public_alignments(session, ids)
    names = await party_names(session)
    chain: list[dict[str, Any]] | None = None
    work = []
    for cid in sorted(by_communique):
        rows = by_communique[cid]
        release = await session.get(Release, rows[0].release_id)
        if release is None or release.public_body is None or release.state not in PUBLIC_STATES:
            continue
        through = alignments_digest(rows)
        stored = (await session.execute(select(AlignedPdf.through).where(AlignedPdf.release_id == release.id))).scalar()
        if stored == through:
            continue
        record = canonical.parse_strict(release.public_body)
        part = await alignments_part(session, rows, tree)
        chain = chain if chain is not None else await roster_chain(session)
        files = await attachments(session, release, record, chain, log, tree)
        files["alignments.json"] = canonical.canonical_bytes(part)
        codes = set(record["parties"]) | {row.party for row in rows}
        work.append(
            AlignedPdfWork(
                release_id=release.id or 0,
                through=through,
                record=record,
                alignments=part,
                party_names={code: names.get(code, code) for code in codes},
                attachments=files,
            )
        )
    return work


async def store_aligned_pdf(session: AsyncSession, *, release_id: int, through: str, pdf: bytes, now: datetime) -> bool:
    """Keep the PDF with alignments rendered for state ``through``, unless alignments changed meanwhile."""
    release = await session.get(Release, release_id, with_for_update=True)
    if release is None:
        return False
    rows = (await public_alignments(session, [release.communique_id])).get(release.communique_id, [])
    if alignments_digest(rows) != through:
        return False
    await _keep(session, AlignedPdf, release_id, pdf, now, through=through)
    return True


async def get_aligned_pdf(session: AsyncSession, communique_id: int, now: datetime) -> bytes | None:
    """The PDF with alignments of a communiqué public at ``now``, once rendered."""
    body = (
        await session.execute(
            select(AlignedPdf.pdf)
            .join(Release, Release.id == AlignedPdf.release_id)  # type: ignore[arg-type]
            .where(Release.communique_id == communique_id, public_at(now))
            .limit(1)
        )
    ).scalar_one_or_none()
    return bytes(body) if body is not None else None
