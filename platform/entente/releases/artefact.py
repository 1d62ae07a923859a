"""The public artefact of a release, rendered when it is scheduled, and the public reads of it.

The artefact is canonical JSON (RFC 8785), so the same release always gives the same bytes:

    {"type": "entente-release", "communique": 7, "kind": "joint_statement", "title": "...",
     "lead": "EE", "parties": ["EE", "FR"], "embargo_at": "2026-12-01T09:00:00Z",
     "version_number": 4, "version_digest": "sha256:...", "version": "<base64url of the version bytes>",
     "disclosures": {"sections": ["<encoded disclosure>", ...], "annex": [...]},
     "withheld": {"sections": 1, "annex": 0},
     "signoffs": {"explicit": [<JWS>, ...], "presigned": [<JWS>, ...]},
     "keys": [{"party": "EE", "kid": "...", "jwk": {...}}, ...]}

Only disclosures of items marked public are included (through :func:`entente.disclosure.visible`
with the public viewer); the version object lists every item's digest and marking, so a reader
knows what was withheld and from whom, never what it was. Anyone can check: SHA-256 of the decoded
``version`` equals ``version_digest``; each ``explicit`` JWS verifies over those bytes (detached
payload) with the listed keys, which are the parties' keys of the roster; each disclosure hashes to
a digest the version object lists. ``presigned`` envelopes are crisis-template pre-signatures.

Every read here applies the release predicate at ``now``: what is not public answers exactly like
a communiqué that does not exist.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import canonical, disclosure, drafting, signing
from entente.clock import isoformat
from entente.errors import InvalidInputError, MalformedInputError, NotFoundError
from entente.models import (
    Alignment,
    Communique,
    CommuniqueVersion,
    PartyKey,
    PublicAlignmentRef,
    PublicBundleRef,
    PublicReleaseSummary,
    Release,
    ReleaseBundle,
    ReleasePdf,
)
from entente.releases.common import public_at
from entente.releases.index import PublicIndex
from entente.signoffs.recording import signoff_envelopes

__all__ = [
    "ARTEFACT_TYPE",
    "PublicPage",
    "PublicRecords",
    "get_public_artefact",
    "get_public_pdf",
    "list_public_releases",
    "parse_cursor",
    "public_pdf_lengths",
    "public_not_found",
    "public_successors",
    "render_artefact",
    "with_embargo",
]

ARTEFACT_TYPE = "entente-release"


def public_not_found(text: object) -> NotFoundError:
    """The one answer for "no such communiqué" and "not public (yet, or any more)"."""
    return NotFoundError(f"no public communiqué {str(text)[:20]}")


def _kids(envelopes: Sequence[dict[str, Any]]) -> set[str]:
    return {
        header["kid"]
        for envelope in envelopes
        for header in signing.protected_headers(envelope)
        if header is not None and isinstance(header.get("kid"), str)
    }


async def render_artefact(
    session: AsyncSession, communique: Communique, version: CommuniqueVersion, embargo_at: datetime
) -> bytes:
    """The public artefact of ``version`` released at ``embargo_at`` (canonical JSON bytes)."""
    assert version.id is not None and communique.id is not None
    obj = canonical.parse_strict(version.content)
    sections, annex = await drafting.load_items(session, version.id)
    public = disclosure.Viewer.public()
    shown_sections = disclosure.visible(sections, public, lambda s: s.item.marking, admitted=True)
    shown_annex = disclosure.visible(annex, public, lambda s: s.item.marking, admitted=True)
    envelopes = await signoff_envelopes(session, version)
    explicit = [canonical.parse_strict(body) for body in envelopes["explicit"]]
    presigned = [canonical.parse_strict(body) for body in envelopes["presigned"]]
    kids = _kids(explicit)
    keys = []
    if kids:
        rows = (
            await session.execute(
                select(PartyKey.party_code, PartyKey.kid, PartyKey.jwk)
                .where(PartyKey.kid.in_(sorted(kids)))  # type: ignore[attr-defined]
                .order_by(PartyKey.party_code, PartyKey.kid)
            )
        ).all()
        keys = [{"party": party, "kid": kid, "jwk": jwk} for party, kid, jwk in rows]
    artefact = {
        "type": ARTEFACT_TYPE,
        "communique": communique.id,
        "kind": obj["kind"],
        "title": obj["title"],
        "lead": obj["lead"],
        "parties": obj["parties"],
        "embargo_at": isoformat(embargo_at),
        "version_number": version.number,
        "version_digest": version.digest,
        "version": canonical.b64url_encode(version.content),
        "disclosures": {
            "sections": [s.disclosure for s in shown_sections],
            "annex": [s.disclosure for s in shown_annex],
        },
        "withheld": {"sections": len(sections) - len(shown_sections), "annex": len(annex) - len(shown_annex)},
        "signoffs": {"explicit": explicit, "presigned": presigned},
        "keys": keys,
    }
    return canonical.canonical_bytes(artefact)


def with_embargo(body: bytes, embargo_at: datetime) -> bytes:
    """The same artefact with another embargo instant (an embargo lifted early)."""
    artefact = canonical.parse_strict(body)
    artefact["embargo_at"] = isoformat(embargo_at)
    return canonical.canonical_bytes(artefact)


@dataclass(frozen=True, slots=True)
class PublicPage:
    """One page of the public list, newest instant first; ``next`` is the cursor of the page after it."""

    releases: list[PublicReleaseSummary]
    next: str | None


def _cursor(summary: PublicReleaseSummary) -> str:
    """An opaque cursor naming a position in the list: after this release (its instant, then its id)."""
    return canonical.b64url_encode(f"{isoformat(summary.embargo_at)}|{summary.id}".encode("ascii"))


def parse_cursor(text: str) -> tuple[datetime, int]:
    """The position a cursor of :func:`_cursor` names; ``InvalidInputError`` (422 ``cursor_invalid``) otherwise."""
    try:
        if len(text) > 64:
            raise ValueError(text)
        at_text, _, id_text = canonical.b64url_decode(text).decode("ascii").partition("|")
        at = datetime.fromisoformat(at_text)
        if at.tzinfo is None or not id_text.isascii() or not id_text.isdigit() or len(id_text) > 18:
            raise ValueError(text)
        return at.astimezone(UTC), int(id_text)
    except (ValueError, UnicodeDecodeError, MalformedInputError):
        raise InvalidInputError(
            "this `after` cursor is not one this server gave: follow the `next` link",
            code="cursor_invalid",
            field="after",
        ) from None


async def list_public_releases(
    session: AsyncSession, now: datetime, *, limit: int = 50, after: str | None = None
) -> PublicPage:
    """A page of the communiqués whose release predicate holds at ``now``, newest instant first,
    after the position ``after`` names (a cursor from an earlier page's ``next``; None: the first page).

    Keyset pagination: each page costs one indexed range scan, however deep, and a release that
    becomes public meanwhile never shifts a page a reader is following. The members of a release
    bundle share its instant, so they come together. Each entry carries its bundle, what it
    supersedes, what supersedes it (once public) and the parties that aligned with it later
    (withdrawn ones marked).
    """
    query = (
        sa.select(
            col(Communique.id),
            col(Communique.kind),
            col(Communique.title),
            col(Communique.lead),
            col(Release.embargo_at),
            col(Release.version_number),
            col(Release.version_digest),
            col(Communique.supersedes_id),
            col(ReleaseBundle.id),
            col(ReleaseBundle.title),
        )
        .join(Communique, col(Communique.id) == col(Release.communique_id))
        .outerjoin(ReleaseBundle, col(ReleaseBundle.id) == col(Release.bundle_id))
        .where(public_at(now))
        .order_by(col(Release.embargo_at).desc(), col(Release.communique_id).desc())
        .limit(limit + 1)
    )
    if after is not None:
        at, cid = parse_cursor(after)
        query = query.where(
            sa.or_(
                col(Release.embargo_at) < at,
                sa.and_(col(Release.embargo_at) == at, col(Release.communique_id) < cid),
            )
        )
    rows = (await session.execute(query)).all()
    ids = [row[0] for row in rows[:limit]]
    successors = await public_successors(session, ids, now)
    aligned: dict[int, list[PublicAlignmentRef]] = {}
    if ids:
        found_alignments = await session.execute(
            select(Alignment.communique_id, Alignment.party, Alignment.aligned_at, Alignment.withdrawn_at)
            .where(col(Alignment.communique_id).in_(ids))
            .order_by(col(Alignment.id))
        )
        for aligned_id, party, aligned_at, withdrawn in found_alignments.all():
            aligned.setdefault(aligned_id, []).append(
                PublicAlignmentRef(party=party, aligned_at=aligned_at, withdrawn_at=withdrawn)
            )
    found = [
        PublicReleaseSummary(
            id=cid,
            kind=kind,
            title=title,
            lead=lead,
            embargo_at=at,
            version_number=number or 0,
            version_digest=digest or "",
            bundle=PublicBundleRef(id=bundle_id, title=bundle_title) if bundle_id is not None else None,
            supersedes=supersedes,
            superseded_by=successors.get(cid),
            alignments=aligned.get(cid, []),
        )
        for cid, kind, title, lead, at, number, digest, supersedes, bundle_id, bundle_title in rows[:limit]
    ]
    return PublicPage(found, _cursor(found[-1]) if len(rows) > limit else None)


async def public_successors(session: AsyncSession, communique_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """For each of ``communique_ids``: the communiqué superseding it whose release is public at ``now``
    (the latest, if several were released one after the other)."""
    ids = sorted(set(communique_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(col(Communique.supersedes_id), sa.func.max(col(Communique.id)))
        .join(Release, col(Release.communique_id) == col(Communique.id))
        .where(col(Communique.supersedes_id).in_(ids), public_at(now))
        .group_by(col(Communique.supersedes_id))
    )
    return {int(old): int(new) for old, new in rows.all()}


async def get_public_artefact(session: AsyncSession, communique_id: int, now: datetime) -> bytes:
    """The artefact of a communiqué whose release predicate holds at ``now``; otherwise the same
    ``NotFoundError`` as for a communiqué that does not exist."""
    body = (
        await session.execute(
            select(Release.public_body).where(Release.communique_id == communique_id, public_at(now)).limit(1)
        )
    ).scalar_one_or_none()
    if body is None:
        raise public_not_found(communique_id)
    return bytes(body)


async def get_public_pdf(session: AsyncSession, communique_id: int, now: datetime) -> bytes:
    """The signed PDF of a communiqué whose release predicate holds at ``now`` (once rendered); otherwise
    the same ``NotFoundError`` as for a communiqué that does not exist."""
    body = (
        await session.execute(
            select(ReleasePdf.pdf)
            .join(Release, Release.id == ReleasePdf.release_id)  # type: ignore[arg-type]
            .where(Release.communique_id == communique_id, public_at(now), ReleasePdf.embargo_at == Release.embargo_at)
            .limit(1)
        )
    ).scalar_one_or_none()
    if body is None:
        raise public_not_found(communique_id)
    return bytes(body)


async def public_pdf_lengths(session: AsyncSession, communique_ids: Sequence[int], now: datetime) -> dict[int, int]:
    """The size in bytes of the signed PDF of each of ``communique_ids`` that is public at ``now`` and has one."""
    if not communique_ids:
        return {}
    rows = await session.execute(
        select(Release.communique_id, sa.func.length(ReleasePdf.pdf))
        .join(ReleasePdf, ReleasePdf.release_id == Release.id)  # type: ignore[arg-type]
        .where(
            Release.communique_id.in_(sorted(set(communique_ids))),  # type: ignore[attr-defined]
            public_at(now),
            ReleasePdf.embargo_at == Release.embargo_at,
        )
    )
    return {cid: int(length) for cid, length in rows.all()}


class PublicRecords:
    """Public release records, PDFs and pages already served, kept in memory (at most ``size``, least
    recently read first out). Once public they never change and never stop being public (nothing can
    cancel, hold or lift the release any more), so a copy is always right; anything not public yet is
    read from the database every time, so the embargo lifts at the instant on every server instance.
    With an ``index``, an id the index knows is not public answers 404 without the database."""

    def __init__(self, size: int = 1024, *, index: PublicIndex | None = None) -> None:
        self.size = size
        self.index = index
        self._records: OrderedDict[tuple[str, int], tuple[bytes, str]] = OrderedDict()

    async def get(
        self, session_factory: Callable[[], AsyncSession], communique_id: int, now: datetime
    ) -> tuple[bytes, str]:
        """The record and its digest (a strong ETag), or the NotFoundError of :func:`get_public_artefact`."""
        return await self._get(("record", communique_id), session_factory, get_public_artefact, now)

    async def get_pdf(
        self, session_factory: Callable[[], AsyncSession], communique_id: int, now: datetime
    ) -> tuple[bytes, str]:
        """The signed PDF and its digest, or the NotFoundError of :func:`get_public_pdf`."""
        return await self._get(("pdf", communique_id), session_factory, get_public_pdf, now)

    def recall(self, key: tuple[str, int]) -> tuple[bytes, str] | None:
        """Bytes made from a public record and kept with :meth:`keep` (a rendered page), or None."""
        found = self._records.get(key)
        if found is not None:
            self._records.move_to_end(key)
        return found

    def keep(self, key: tuple[str, int], body: bytes) -> tuple[bytes, str]:
        """Keep bytes made from a record that is public (it never changes again); with their digest."""
        found = self._records[key] = (body, canonical.digest(body))
        if len(self._records) > self.size:
            self._records.popitem(last=False)
        return found

    async def is_not_public(
        self, session_factory: Callable[[], AsyncSession], communique_id: int, now: datetime
    ) -> bool:
        """True when the index says the communiqué is not public at ``now`` (no statement beyond the
        index's own refresh); False when only the database can say."""
        if self.index is None:
            return False
        await self.index.ensure(session_factory)
        return not self.index.may_be_public(communique_id, now)

    async def _get(
        self,
        key: tuple[str, int],
        session_factory: Callable[[], AsyncSession],
        read: Callable[[AsyncSession, int, datetime], Awaitable[bytes]],
        now: datetime,
    ) -> tuple[bytes, str]:
        found = self.recall(key)
        if found is not None:
            return found
        if await self.is_not_public(session_factory, key[1], now):
            raise public_not_found(key[1])
        if key[0] == "pdf" and self.index is not None and self.index.has_pdf(key[1]) is False:
            raise public_not_found(key[1])
        async with session_factory() as session:
            body = await read(session, key[1], now)
        return self.keep(key, body)
