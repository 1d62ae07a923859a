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
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import canonical, disclosure, drafting, signing
from entente.clock import isoformat
from entente.errors import NotFoundError
from entente.models import Communique, CommuniqueVersion, PartyKey, PublicReleaseSummary, Release, ReleasePdf
from entente.releases.common import PUBLIC_STATES
from entente.signoffs.recording import signoff_envelopes

__all__ = [
    "ARTEFACT_TYPE",
    "PublicRecords",
    "get_public_artefact",
    "get_public_pdf",
    "list_public_releases",
    "public_pdf_lengths",
    "public_not_found",
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


def _public(now: datetime) -> Any:
    return sa.and_(Release.state.in_(PUBLIC_STATES), Release.embargo_at <= now)  # type: ignore[attr-defined]


async def list_public_releases(session: AsyncSession, now: datetime, *, limit: int = 200) -> list[PublicReleaseSummary]:
    """Every communiqué whose release predicate holds at ``now``, newest instant first."""
    rows = (
        await session.execute(
            select(Release, Communique)
            .join(Communique, Communique.id == Release.communique_id)  # type: ignore[arg-type]
            .where(_public(now))
            .order_by(Release.embargo_at.desc(), Communique.created_at.desc(), Release.communique_id.desc())  # type: ignore[attr-defined]
            .limit(limit)
        )
    ).all()
    return [
        PublicReleaseSummary(
            id=c.id or 0,
            kind=c.kind,
            title=c.title,
            lead=c.lead,
            embargo_at=r.embargo_at,
            version_number=r.version_number or 0,
            version_digest=r.version_digest or "",
        )
        for r, c in rows
    ]


async def get_public_artefact(session: AsyncSession, communique_id: int, now: datetime) -> bytes:
    """The artefact of a communiqué whose release predicate holds at ``now``; otherwise the same
    ``NotFoundError`` as for a communiqué that does not exist."""
    body = (
        await session.execute(
            select(Release.public_body).where(Release.communique_id == communique_id, _public(now)).limit(1)
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
            .where(Release.communique_id == communique_id, _public(now), ReleasePdf.embargo_at == Release.embargo_at)
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
            _public(now),
            ReleasePdf.embargo_at == Release.embargo_at,
        )
    )
    return {cid: int(length) for cid, length in rows.all()}


class PublicRecords:
    """Public release records and PDFs already served, kept in memory (at most ``size``, least recently
    read first out). Once public they never change and never stop being public (nothing can cancel,
    hold or lift the release any more), so a copy is always right; anything not public yet is read from
    the database every time, so the embargo lifts at the instant on every server instance."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
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

    async def _get(
        self,
        key: tuple[str, int],
        session_factory: Callable[[], AsyncSession],
        read: Callable[[AsyncSession, int, datetime], Awaitable[bytes]],
        now: datetime,
    ) -> tuple[bytes, str]:
        found = self._records.get(key)
        if found is not None:
            self._records.move_to_end(key)
            return found
        async with session_factory() as session:
            body = await read(session, key[1], now)
        found = self._records[key] = (body, canonical.digest(body))
        if len(self._records) > self.size:
            self._records.popitem(last=False)
        return found
