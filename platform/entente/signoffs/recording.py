"""Recording sign-offs: add (verify the JWS, record, re-evaluate), pre-authorised, withdraw.

Withdrawing may hold a scheduled release, which is the release's business: the whole step is
``releases.withdraw_signoff``; this module gives it the sign-off half (:func:`withdraw_rows`,
:func:`record_withdrawal`) and knows nothing of releases.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit, crisis, drafting, parties, signing
from entente.auth import Caller, require_role
from entente.drafting.reading import kept_version, version_object
from entente.errors import ConflictError, NotFoundError, PermissionDeniedError, SignatureError
from entente.models import (
    CommuniqueState,
    CommuniqueVersion,
    Role,
    Signoff,
    SignoffKind,
    SignoffStatusPublic,
)
from entente.signoffs.evaluation import (
    IAT_WINDOW,
    SIGNOFF_TYP,
    Context,
    Evaluation,
    evaluate,
    head_ref,
    load_context,
    refresh_ready,
    status_of,
)

__all__ = [
    "Withdrawal",
    "add_signoff",
    "record_presigned",
    "record_withdrawal",
    "require_withdrawer",
    "signoff_envelopes",
    "withdraw_rows",
]


# --- the context of a new sign-off, lean ------------------------------------------------------

_SIGNOFF_COLUMNS = tuple(col(c) for c in Signoff.__table__.columns)  # type: ignore[attr-defined]


async def _signing_context(session: AsyncSession, access: drafting.Access, ref: int | str) -> Context:
    """:func:`load_context` for a new sign-off, without ORM objects: the version and its items as
    kept by digest once read (:func:`entente.drafting.reading.kept_version`: the signatory read the
    head to sign it), its sign-offs as Core rows (read only here; the new one is an ORM row)."""
    kept = await kept_version(session, access, ref)
    version = kept.version()
    rows = (
        await session.execute(
            sa.select(*_SIGNOFF_COLUMNS).where(col(Signoff.version_id) == version.id).order_by(col(Signoff.id))
        )
    ).all()
    markings = [("section", s.item.marking.to_dict()) for s in kept.sections] + [
        ("annex", s.item.marking.to_dict()) for s in kept.annex
    ]
    return Context(
        access,
        version,
        list(version_object(version.content)["parties"]),
        markings,
        # Rows with every column of Signoff, read (never changed) by the evaluation.
        cast(list[Signoff], list(rows)),
    )


# --- changes -----------------------------------------------------------------------------------


def _require_signable(ctx: Context) -> None:
    c = ctx.access.communique
    # A held communiqué takes sign-offs of its frozen version (the head) again, so its quorum can be
    # restored and the release resumed (``releases.schedule_release``).
    if c.state not in (CommuniqueState.DRAFTING, CommuniqueState.SIGNING, CommuniqueState.HELD):
        raise ConflictError(f"communiqué {c.id} is {c.state}: it takes no new sign-offs", code="communique_frozen")
    if ctx.version.number != c.head_number:
        raise ConflictError(
            f"version {ctx.version.number} was superseded by version {c.head_number}; sign the head",
            code="version_superseded",
            extra={"head": {"number": c.head_number, "digest": c.head_digest}},
        )


def _check_version_named(envelope: Any, version: CommuniqueVersion) -> None:
    """A clearer refusal than a bad signature when the JWS names another version's digest."""
    for index, header in enumerate(signing.protected_headers(signing.parse_envelope(envelope))):
        named = header.get("digest") if header is not None else None
        if isinstance(named, str) and named != version.digest:
            raise SignatureError(
                f"signature {index} signs {named}, not version {version.number} ({version.digest})",
                code="wrong_version",
                field=f"/jws/signatures/{index}",
            )


def _record_covering(
    session: AsyncSession, ctx: Context, covering: dict[str, parties.CoveringPresignature], now: datetime
) -> list[str]:
    """Record the pre-authorised sign-offs in ``covering`` (emptied) with their pre-signatures."""
    recorded = []
    for party, presig in sorted(covering.items()):
        row = Signoff(
            communique_id=ctx.access.id,
            version_id=ctx.version.id or 0,
            party=party,
            kind=SignoffKind.PRESIGNED,
            signer=f"presignature:{presig.id}",
            envelope=presig.envelope_bytes,
            kids=[presig.kid],
            iat=None,
            presignature_id=presig.id,
            created_at=now,
        )
        session.add(row)
        ctx.rows.append(row)
        recorded.append(party)
    covering.clear()
    return recorded


async def _settle(session: AsyncSession, ctx: Context, ev: Evaluation, now: datetime, *, signed: bool) -> list[str]:
    """After a sign-off (``signed``) or none: record the pre-authorised sign-offs that cover the version;
    a communiqué in drafting is in signing once it has any sign-off; refresh its readiness. The
    parties whose pre-authorised sign-offs were recorded."""
    presigned = _record_covering(session, ctx, ev.covering, now)
    c = ctx.access.communique
    if (signed or presigned) and c.state == CommuniqueState.DRAFTING:
        c.state = CommuniqueState.SIGNING
    refresh_ready(ctx, ev)
    session.add(c)
    await session.flush()
    return presigned


async def add_signoff(
    session: AsyncSession,
    *,
    communique_id: int,
    caller: Caller,
    version: int | str,
    envelope: Mapping[str, Any],
    templates: Mapping[str, crisis.CrisisTemplate],
    now: datetime,
) -> SignoffStatusPublic:
    """Verify and record the caller's party's JWS over version ``version`` (the head)."""
    access = drafting.require_admitted(await drafting.get_access(session, communique_id, caller, lock=True))
    require_role(caller, Role.SIGNATORY)
    ctx = await _signing_context(session, access, head_ref(access, version))
    _require_signable(ctx)
    party = caller.party
    if party not in ctx.parties:
        raise PermissionDeniedError(f"{party} is not among the parties of this version", code="not_a_party")
    if any(r.party == party and r.withdrawn_at is None and r.kind == SignoffKind.EXPLICIT for r in ctx.rows):
        raise ConflictError(f"{party} has signed this version already", code="already_signed")
    _check_version_named(envelope, ctx.version)
    keys = await parties.key_records(session)
    accepted = parties.verify_party_envelope(
        ctx.version.content,
        envelope,
        party=party,
        keys=keys,
        typ=SIGNOFF_TYP,
        now=now,
        earliest=now - IAT_WINDOW + parties.keys.IAT_MAX_SKEW,
    )
    row = Signoff(
        communique_id=access.id,
        version_id=ctx.version.id or 0,
        party=party,
        kind=SignoffKind.EXPLICIT,
        signer=caller.username,
        envelope=parties.keys.canonical_envelope(a.entry for a in accepted),
        kids=sorted({a.kid for a in accepted}),
        iat=min(a.iat for a in accepted),
        created_at=now,
    )
    session.add(row)
    ctx.rows.append(row)
    # Only the new signature was verified: earlier ones were when they were recorded (and a key
    # revoked since is re-judged from its record), so the quorum comes from stored results.
    ev = await evaluate(session, ctx, templates, now, keys=keys, recorded=True)
    presigned = await _settle(session, ctx, ev, now, signed=True)
    await audit.record_by(
        session,
        caller,
        "signoffs:signoff:add",
        f"communique:{access.id}",
        at=now,
        details={
            "version": ctx.version.number,
            "digest": ctx.version.digest,
            "kids": row.kids,
            "presigned": presigned,
            "met": ev.result.met,
        },
    )
    return status_of(ctx, ev)


async def record_presigned(
    session: AsyncSession,
    *,
    communique_id: int,
    caller: Caller,
    version: int | str,
    templates: Mapping[str, crisis.CrisisTemplate],
    now: datetime,
) -> SignoffStatusPublic:
    """Record the pre-authorised sign-offs that cover the head version now (drafters or signatories)."""
    access = drafting.require_admitted(await drafting.get_access(session, communique_id, caller, lock=True))
    require_role(caller, Role.DRAFTER, Role.SIGNATORY, Role.SECRETARIAT)
    ctx = await load_context(session, access, head_ref(access, version))
    _require_signable(ctx)
    ev = await evaluate(session, ctx, templates, now)
    presigned = await _settle(session, ctx, ev, now, signed=False)
    if presigned:
        await audit.record_by(
            session,
            caller,
            "signoffs:presigned:add",
            f"communique:{access.id}",
            at=now,
            details={"version": ctx.version.number, "parties": presigned, "met": ev.result.met},
        )
    return status_of(ctx, ev)


def require_withdrawer(access: drafting.Access, caller: Caller, party: str) -> None:
    """Only a signatory of ``party`` withdraws its sign-off, and only until the communiqué is released
    (``releases.require_withdrawable`` checks the instant of a scheduled one)."""
    require_role(caller, Role.SIGNATORY)
    if caller.party != party:
        raise PermissionDeniedError(f"only a signatory of {party} may withdraw its sign-off", code="wrong_party")
    c = access.communique
    if c.state in (CommuniqueState.RELEASED, CommuniqueState.WITHDRAWN):
        raise ConflictError(f"communiqué {c.id} is {c.state}: sign-offs can no longer be withdrawn", code="released")


@dataclass
class Withdrawal:
    """A sign-off marked withdrawn, its version's quorum re-evaluated; readiness not refreshed yet."""

    ctx: Context
    evaluation: Evaluation

    @property
    def version(self) -> CommuniqueVersion:
        return self.ctx.version


async def withdraw_rows(
    session: AsyncSession,
    access: drafting.Access,
    *,
    caller: Caller,
    version: int | str,
    party: str,
    templates: Mapping[str, crisis.CrisisTemplate],
    now: datetime,
) -> Withdrawal:
    """Mark ``party``'s active sign-offs of the version withdrawn (a pre-authorised one is recorded
    first, so that its withdrawal is on record) and re-evaluate the quorum. The communiqué's
    readiness is left as it was, for the caller to decide on its release first; finish with
    :func:`record_withdrawal`. ``releases.withdraw_signoff`` is the whole step."""
    ctx = await load_context(session, access, head_ref(access, version))
    ev = await evaluate(session, ctx, templates, now)
    rows = [r for r in ctx.rows if r.party == party and r.withdrawn_at is None]
    if not rows and party in ev.covering:
        _record_covering(session, ctx, {party: ev.covering[party]}, now)
        rows = [ctx.rows[-1]]
    if not rows:
        raise NotFoundError(f"{party} has no sign-off of version {ctx.version.number}", code="no_signoff")
    for row in rows:
        row.withdrawn_at, row.withdrawn_by = now, caller.username
        session.add(row)
    return Withdrawal(ctx, await evaluate(session, ctx, templates, now))


async def record_withdrawal(
    session: AsyncSession, withdrawal: Withdrawal, *, caller: Caller, party: str, now: datetime
) -> SignoffStatusPublic:
    """Refresh the communiqué's readiness after :func:`withdraw_rows` and audit the withdrawal."""
    ctx, ev = withdrawal.ctx, withdrawal.evaluation
    c = ctx.access.communique
    refresh_ready(ctx, ev)
    session.add(c)
    await session.flush()
    await audit.record_by(
        session,
        caller,
        "signoffs:signoff:withdraw",
        f"communique:{ctx.access.id}",
        at=now,
        party=party,
        details={"version": ctx.version.number, "digest": ctx.version.digest, "state": c.state},
    )
    return status_of(ctx, ev)


async def signoff_envelopes(session: AsyncSession, version: CommuniqueVersion) -> dict[str, list[bytes]]:
    """The active sign-offs of a version, for the release: ``explicit`` JWS envelopes over the
    version bytes, and ``presigned`` envelopes over pre-signature objects."""
    rows = (
        (
            await session.execute(
                select(Signoff)
                .where(Signoff.version_id == version.id, Signoff.withdrawn_at.is_(None))  # type: ignore[union-attr]
                .order_by(Signoff.party, col(Signoff.id))
            )
        )
        .scalars()
        .all()
    )
    out: dict[str, list[bytes]] = {SignoffKind.EXPLICIT: [], SignoffKind.PRESIGNED: []}
    for row in rows:
        out[row.kind].append(row.envelope)
    return out
