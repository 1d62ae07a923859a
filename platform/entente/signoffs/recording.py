"""Recording sign-offs: add (verify the JWS, record, re-evaluate), pre-authorised, withdraw.

Withdrawing may hold a scheduled release, which is the release's business: the whole step is
``releases.withdraw_signoff``; this module gives it the sign-off half (:func:`withdraw_rows`,
:func:`record_withdrawal`) and knows nothing of releases.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit, canonical, crisis, drafting, parties, signing
from entente.auth import Caller, require_role
from entente.drafting.reading import database_of
from entente.drafting.versions import stored_marking
from entente.errors import ConflictError, NotFoundError, PermissionDeniedError, SignatureError
from entente.models import (
    CommuniqueState,
    CommuniqueVersion,
    Role,
    Signoff,
    SignoffKind,
    SignoffStatusPublic,
    VersionItem,
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


@dataclass(frozen=True)
class _SignedVersion:
    """What a sign-off needs of a version: never changes once written (the digest names the bytes)."""

    id: int
    number: int
    digest: str
    title: str
    content: bytes
    template_params: dict[str, Any] | None
    parties: tuple[str, ...]
    markings: tuple[tuple[str, dict[str, Any]], ...]

    def orm(self, communique_id: int) -> CommuniqueVersion:
        """A detached copy for the evaluation (read only: it could not be added to a session)."""
        return CommuniqueVersion.model_construct(
            id=self.id,
            communique_id=communique_id,
            number=self.number,
            digest=self.digest,
            title=self.title,
            content=self.content,
            template_params=self.template_params,
        )


_VERSIONS: OrderedDict[tuple[str | None, int, str], _SignedVersion] = OrderedDict()
_VERSIONS_KEPT = 32  # ~100 KB each at coalition scale

_SIGNOFF_COLUMNS = tuple(col(c) for c in Signoff.__table__.columns)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4096)
def _marking_dict(public: bool, parties: tuple[str, ...], origin: str) -> dict[str, Any]:
    return stored_marking({"public": public, "releasable_to": list(parties)}, origin).to_dict()


async def _signed_version(session: AsyncSession, access: drafting.Access, number: int) -> _SignedVersion:
    """The head version's sign-off facts: from memory when the head is known by its digest,
    otherwise two Core selects (the version's columns, its items' markings; no disclosure decoded)."""
    digest = access.communique.head_digest if number == access.communique.head_number else None
    key = (database_of(session), access.id, digest or "")
    found = _VERSIONS.get(key) if digest is not None else None
    if found is not None:
        _VERSIONS.move_to_end(key)
        return found
    v = CommuniqueVersion
    row = (
        await session.execute(
            sa.select(col(v.id), col(v.digest), col(v.title), col(v.content), col(v.template_params)).where(
                col(v.communique_id) == access.id, col(v.number) == number
            )
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no version {number} of communiqué {access.id}")
    version_id, digest, title, content, params = row
    items = (
        await session.execute(
            sa.select(col(VersionItem.part), col(VersionItem.marking), col(VersionItem.origin))
            .where(col(VersionItem.version_id) == version_id)
            .order_by(col(VersionItem.part).desc(), col(VersionItem.position))
        )
    ).all()
    markings = tuple(
        (part, _marking_dict(bool(m.get("public")), tuple(m.get("releasable_to", ())), origin))
        for part, m, origin in items
    )
    found = _SignedVersion(
        version_id,
        number,
        digest,
        title,
        content,
        params,
        tuple(canonical.parse_strict(content)["parties"]),
        markings,
    )
    _VERSIONS[(key[0], access.id, digest)] = found
    if len(_VERSIONS) > _VERSIONS_KEPT:
        _VERSIONS.popitem(last=False)
    return found


async def _signing_context(session: AsyncSession, access: drafting.Access, ref: int | str) -> Context:
    """:func:`load_context` for a new sign-off of the head, without ORM objects: the version from
    memory (immutable), its sign-offs as Core rows (read only here; the new one is an ORM row)."""
    if not isinstance(ref, int):
        return await load_context(session, access, ref)
    drafting.require_admitted(access)
    version = await _signed_version(session, access, ref)
    rows = (
        await session.execute(
            sa.select(*_SIGNOFF_COLUMNS).where(col(Signoff.version_id) == version.id).order_by(col(Signoff.id))
        )
    ).all()
    return Context(
        access,
        version.orm(access.id),
        list(version.parties),
        [(part, dict(marking)) for part, marking in version.markings],
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
    presigned = _record_covering(session, ctx, ev.covering, now)
    if access.communique.state == CommuniqueState.DRAFTING:
        access.communique.state = CommuniqueState.SIGNING
    refresh_ready(ctx, ev)
    session.add(access.communique)
    await session.flush()
    await audit.record(
        session,
        at=now,
        actor=caller.username,
        party=party,
        event="signoffs:signoff:add",
        object=f"communique:{access.id}",
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
    presigned = _record_covering(session, ctx, ev.covering, now)
    if presigned and access.communique.state == CommuniqueState.DRAFTING:
        access.communique.state = CommuniqueState.SIGNING
    refresh_ready(ctx, ev)
    session.add(access.communique)
    await session.flush()
    if presigned:
        await audit.record(
            session,
            at=now,
            actor=caller.username,
            party=caller.party,
            event="signoffs:presigned:add",
            object=f"communique:{access.id}",
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
    await audit.record(
        session,
        at=now,
        actor=caller.username,
        party=party,
        event="signoffs:signoff:withdraw",
        object=f"communique:{ctx.access.id}",
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
