"""A participant's own PDF of a version: the spec of what its reader may see (domain; takes a session)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import canonical, drafting, signing
from entente.documents.spec import DocumentSpec
from entente.documents.specs import party_spec
from entente.models import Party, PartyKey, ReleaseState

__all__ = ["party_names", "party_view_spec"]

# An instant agreed (or scheduled, or held) and still ahead: the text is under embargo.
_EMBARGO_STATES = (ReleaseState.AGREED, ReleaseState.SCHEDULED, ReleaseState.HELD)


async def party_names(session: AsyncSession) -> dict[str, str]:
    """Every party's code and full name (the roster is public to participants)."""
    return dict((await session.execute(select(Party.code, Party.name))).all())  # type: ignore[arg-type]


async def party_view_spec(
    session: AsyncSession, access: drafting.Access, ref: int | str, *, now: datetime
) -> DocumentSpec:
    """The caller's view of version ``ref`` as a DocumentSpec, read through the visibility function
    (``drafting.read_version``): nothing the caller may not see reaches the spec."""
    from entente.releases import find_open_release, is_public
    from entente.signoffs.recording import signoff_envelopes

    view = await drafting.read_version(session, access, ref)
    names = await party_names(session)
    envelopes = await signoff_envelopes(session, view.version)
    explicit = [canonical.parse_strict(body) for body in envelopes["explicit"]]
    presigned = [canonical.parse_strict(body) for body in envelopes["presigned"]]
    headers = [h for e in explicit + presigned for h in signing.protected_headers(e) if h is not None]
    kids = sorted({h["kid"] for h in headers if isinstance(h.get("kid"), str)})
    party_of_kid: dict[str, str] = {}
    if kids:
        rows = await session.execute(
            select(PartyKey.kid, PartyKey.party_code).where(PartyKey.kid.in_(kids))  # type: ignore[attr-defined]
        )
        party_of_kid = dict(rows.all())  # type: ignore[arg-type]
    released_at = embargoed_until = None
    release = await find_open_release(session, access.id)
    if release is not None and release.version_number in (None, view.version.number):
        if is_public(release, now):
            released_at = release.embargo_at
        elif release.state in _EMBARGO_STATES and now < release.embargo_at:
            embargoed_until = release.embargo_at
    return party_spec(
        view,
        viewer_party=access.caller.party,
        party_names=names,
        explicit=explicit,
        presigned=presigned,
        party_of_kid=party_of_kid,
        released_at=released_at,
        embargoed_until=embargoed_until,
    )
