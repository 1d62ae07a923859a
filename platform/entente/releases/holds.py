"""Holds: a scheduled release stops when its quorum falls away.

Two steps end in a hold, and each is one domain function so that no handler strings the rules
together:

- :func:`withdraw_signoff`: a signatory withdraws its party's sign-off before the instant; if the
  version withdrawn from is the frozen one of a scheduled communiqué, the release is held;
- :func:`revoke_key`: a party revokes one of its keys; every scheduled communiqué of that party whose
  frozen version no longer meets its quorum (a revocation back to before a signature voids it) is
  held.

Both sit here, above :mod:`entente.signoffs` and :mod:`entente.parties`, which know nothing of
releases.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from entente import crisis, drafting, parties, signoffs
from entente.auth import Caller, require_caller
from entente.models import CommuniqueState, PartyKey, SignoffStatusPublic
from entente.releases.scheduling import find_scheduled, hold_release, require_withdrawable
from entente.signoffs.evaluation import evaluate, refresh_ready, version_context

__all__ = ["hold_unsigned_releases", "revoke_key", "withdraw_signoff"]


async def withdraw_signoff(
    session: AsyncSession,
    *,
    communique_id: int,
    caller: Caller,
    version: int | str,
    party: str,
    templates: Mapping[str, crisis.CrisisTemplate],
    now: datetime,
) -> SignoffStatusPublic:
    """The party's signatory withdraws its sign-off (explicit or pre-authorised) until release; a
    scheduled communiqué whose frozen version loses it is held, with its release."""
    access = drafting.require_admitted(await drafting.get_access(session, communique_id, caller, lock=True))
    signoffs.require_withdrawer(access, caller, party)
    c = access.communique
    await require_withdrawable(session, c, now)
    withdrawal = await signoffs.withdraw_rows(
        session, access, caller=caller, version=version, party=party, templates=templates, now=now
    )
    if c.state == CommuniqueState.SCHEDULED and withdrawal.version.digest == c.ready_digest:
        reason = f"{party} withdrew its sign-off of version {withdrawal.version.number}"
        await hold_release(session, communique=c, actor=caller.username, party=party, now=now, reason=reason)
    return await signoffs.record_withdrawal(session, withdrawal, caller=caller, party=party, now=now)


async def revoke_key(
    session: AsyncSession,
    caller: Caller | None,
    *,
    party: str,
    kid: str,
    reason: str,
    at: datetime | None = None,
    templates: Mapping[str, crisis.CrisisTemplate],
    now: datetime,
) -> PartyKey:
    """Revoke a party's key (``parties.revoke_key``), then hold the releases it leaves unsigned."""
    row = await parties.revoke_key(session, caller, party=party, kid=kid, reason=reason, at=at, now=now)
    await hold_unsigned_releases(
        session, party=row.party_code, kid=row.kid, caller=require_caller(caller), templates=templates, now=now
    )
    return row


async def hold_unsigned_releases(
    session: AsyncSession,
    *,
    party: str,
    kid: str,
    caller: Caller,
    templates: Mapping[str, crisis.CrisisTemplate],
    now: datetime,
) -> list[int]:
    """After ``party`` revoked key ``kid``: every scheduled communiqué of that party whose release is
    not public yet and whose frozen version no longer meets its quorum is held, with its release.
    Returns the communiqués held."""
    held = []
    for communique, participants in await find_scheduled(session, party=party, now=now):
        ctx = await version_context(session, drafting.Access(communique, participants, caller), communique.head_number)
        ev = await evaluate(session, ctx, templates, now)
        if ev.result.met:
            continue
        refresh_ready(ctx, ev)
        reason = f"{party} revoked key {kid}: version {ctx.version.number} no longer meets its quorum"
        await hold_release(session, communique=communique, actor=caller.username, party=party, now=now, reason=reason)
        held.append(communique.id or 0)
    return held
