"""Template pre-signatures: a party's signature, in advance, over a crisis template's terms.

A signatory signs the exact bytes of :func:`entente.crisis.presignature_object` (template id,
version and digest, parameter schema, tiers, validity window, party) as a detached JWS with ``typ``
:data:`PRESIGNATURE_JWS_TYPE`, made with a registered key of that party. Stored as exact bytes;
audited as ``templates:presignature:add`` and ``templates:presignature:withdraw``.
:func:`presignatures_covering` is what sign-off code asks to decide pre-authorised sign-off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit, auth, canonical, crisis, quorum, signing
from entente.clock import as_utc, isoformat, parse_instant
from entente.crisis import CrisisTemplate
from entente.errors import ConflictError, EntenteError, InvalidInputError, NotFoundError, SignatureError
from entente.models import (
    PresignaturePublic,
    PresignatureState,
    Role,
    TemplateDetail,
    TemplatePresignature,
    TemplatePublic,
)
from entente.parties.coalition import get_party
from entente.parties.keys import canonical_envelope, key_records, verify_party_envelope

__all__ = [
    "PRESIGNATURE_JWS_TYPE",
    "CoveringPresignature",
    "add_presignature",
    "describe_presignature",
    "get_template",
    "list_presignatures",
    "presignature_payload",
    "presignature_state",
    "presignatures_covering",
    "template_detail",
    "template_summaries",
    "withdraw_presignature",
]

PRESIGNATURE_JWS_TYPE = "entente-template-presignature+jws"
_OTHER_BYTES = (str(signing.Reason.DIGEST_MISMATCH), str(signing.Reason.PAYLOAD_MISMATCH))


def get_template(templates: Mapping[str, CrisisTemplate], template_id: str) -> CrisisTemplate:
    template = templates.get(template_id)
    if template is None:
        raise NotFoundError(f"no crisis template {template_id!r}", code="unknown_template")
    return template


def presignature_payload(
    template: CrisisTemplate, *, party: str, tiers: Sequence[int], not_before: datetime, not_after: datetime
) -> bytes:
    """The exact bytes a party signs to pre-sign ``template`` (RFC 8785 of the pre-signature object)."""
    try:
        obj = crisis.presignature_object(
            template, party=party, tiers=list(tiers), not_before=not_before, not_after=not_after
        )
    except InvalidInputError as exc:
        raise InvalidInputError(exc.detail, code=exc.code, field=f"/{exc.field}" if exc.field else None) from None
    return canonical.canonical_bytes(obj)


def _diagnose(exc: SignatureError, envelope: Any, template: CrisisTemplate) -> EntenteError:
    """A JWS over other bytes: say whether it covers another template (when its payload is attached)."""
    if exc.extra.get("reason") not in _OTHER_BYTES:
        return exc
    signed: Any = None
    attached = envelope.get("payload") if isinstance(envelope, Mapping) else None
    if isinstance(attached, str) and attached:
        try:
            signed = canonical.parse_strict(canonical.b64url_decode(attached))
        except EntenteError:
            signed = None
    reference = signed.get("template") if isinstance(signed, dict) else None
    if isinstance(reference, dict) and reference.get("digest") != template.digest:
        return InvalidInputError(
            f"the JWS covers template digest {reference.get('digest')}; template {template.id} is now at "
            f"{template.digest}",
            code="template_digest_mismatch",
            field="/jws",
        )
    return InvalidInputError(
        "the JWS does not cover the pre-signature object for these tiers and this window; sign the exact bytes "
        f"from GET /api/v1/templates/{template.id}/presignature-payload",
        code="presignature_mismatch",
        field="/jws",
    )


async def add_presignature(
    session: AsyncSession,
    caller: auth.Caller | None,
    template: CrisisTemplate,
    *,
    tiers: Sequence[int],
    not_before: datetime,
    not_after: datetime,
    envelope: Any,
    now: datetime,
    party: str | None = None,
    template_digest: str | None = None,
) -> TemplatePresignature:
    """Record ``party``'s pre-signature of ``template`` after checking the JWS against its keys."""
    caller = auth.require_caller(caller)
    party = party or caller.party
    await get_party(session, party)
    caller = auth.require_party_role(caller, party, Role.SIGNATORY)
    if template_digest is not None and template_digest != template.digest:
        raise InvalidInputError(
            f"you reviewed template digest {template_digest}; template {template.id} is now at {template.digest}",
            code="template_digest_mismatch",
            field="/template_digest",
        )
    payload = presignature_payload(template, party=party, tiers=tiers, not_before=not_before, not_after=not_after)
    if as_utc(not_after) <= now:
        raise InvalidInputError("the window has ended already", code="window_ended", field="/not_after")
    signatures = signing.parse_envelope(envelope)["signatures"]
    if len(signatures) != 1:
        raise SignatureError("a pre-signature is one JWS signature", code="one_signature_expected", field="/jws")
    try:
        (accepted,) = verify_party_envelope(
            payload, envelope, party=party, keys=await key_records(session), typ=PRESIGNATURE_JWS_TYPE, now=now
        )
    except SignatureError as exc:
        raise _diagnose(exc, envelope, template) from None
    duplicate = select(TemplatePresignature.id).where(
        TemplatePresignature.party_code == party,
        TemplatePresignature.template_id == template.id,
        TemplatePresignature.payload == payload,
        TemplatePresignature.withdrawn_at.is_(None),  # type: ignore[union-attr]
    )
    if (await session.execute(duplicate)).first() is not None:
        raise ConflictError("this pre-signature is recorded already", code="presignature_exists")
    obj = canonical.parse_strict(payload)
    row = TemplatePresignature(
        template_id=template.id,
        template_version=template.version,
        template_digest=template.digest,
        party_code=party,
        tiers=obj["tiers"],
        payload=payload,
        envelope=canonical_envelope([accepted.entry]),
        kid=accepted.kid,
        fingerprint=accepted.fingerprint,
        iat=accepted.iat,
        not_before=parse_instant(obj["not_before"]),
        not_after=parse_instant(obj["not_after"]),
        created_by=caller.username,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    await audit.record_by(
        session,
        caller,
        "templates:presignature:add",
        f"presignature:{row.id}",
        at=now,
        party=party,
        details={
            "template": template.id,
            "version": template.version,
            "digest": template.digest,
            "tiers": obj["tiers"],
            "not_before": obj["not_before"],
            "not_after": obj["not_after"],
            "kid": accepted.kid,
        },
    )
    return row


async def withdraw_presignature(
    session: AsyncSession, caller: auth.Caller | None, *, template_id: str, presignature_id: int, now: datetime
) -> TemplatePresignature:
    row = await session.get(TemplatePresignature, presignature_id)
    if row is None or row.template_id != template_id:
        raise NotFoundError(
            f"no pre-signature {presignature_id} of template {template_id}", code="unknown_presignature"
        )
    caller = auth.require_party_role(caller, row.party_code, Role.SIGNATORY)
    if row.withdrawn_at is not None:
        raise ConflictError(f"withdrawn at {isoformat(row.withdrawn_at)}", code="presignature_withdrawn")
    row.withdrawn_at, row.withdrawn_by = now, caller.username
    session.add(row)
    await audit.record_by(
        session,
        caller,
        "templates:presignature:withdraw",
        f"presignature:{row.id}",
        at=now,
        party=row.party_code,
        details={"template": template_id, "digest": row.template_digest},
    )
    return row


async def list_presignatures(
    session: AsyncSession, template_ids: Iterable[str] | None = None
) -> list[TemplatePresignature]:
    query = select(TemplatePresignature).order_by(TemplatePresignature.template_id, col(TemplatePresignature.id))
    if template_ids is not None:
        query = query.where(TemplatePresignature.template_id.in_(sorted(set(template_ids))))  # type: ignore[attr-defined]
    return list((await session.execute(query)).scalars().all())


def _records_by_fingerprint(records: Iterable[quorum.KeyRecord]) -> dict[str, list[quorum.KeyRecord]]:
    out: dict[str, list[quorum.KeyRecord]] = {}
    for record in records:
        out.setdefault(record.key.fingerprint, []).append(record)
    return out


def _key_problem(
    records: Sequence[quorum.KeyRecord], row: TemplatePresignature, at: datetime
) -> PresignatureState | None:
    if not records:
        return PresignatureState.KEY_REVOKED  # the key is no longer registered at all
    moment = int(as_utc(at).timestamp())
    iat = int(as_utc(row.iat).timestamp())
    if any(r.is_revoked_at(moment) or r.is_revoked_at(iat) for r in records):
        return PresignatureState.KEY_REVOKED
    if all(r.window_reason(moment) is not None for r in records):
        return PresignatureState.KEY_EXPIRED
    return None


def presignature_state(
    row: TemplatePresignature,
    template: CrisisTemplate | None,
    keys: Mapping[str, Sequence[quorum.KeyRecord]],
    now: datetime,
) -> PresignatureState:
    """Where a pre-signature stands at ``now``: withdrawn, template changed, key revoked, outside its
    window, key outside its own validity, or valid (checked in that order)."""
    if row.withdrawn_at is not None:
        return PresignatureState.WITHDRAWN
    if template is None or (row.template_version, row.template_digest) != (template.version, template.digest):
        return PresignatureState.TEMPLATE_CHANGED
    problem = _key_problem(keys.get(row.fingerprint, []), row, now)
    if problem is PresignatureState.KEY_REVOKED:
        return problem
    if now < as_utc(row.not_before):
        return PresignatureState.NOT_YET_VALID
    if now >= as_utc(row.not_after):
        return PresignatureState.EXPIRED
    return problem or PresignatureState.VALID


@dataclass(frozen=True)
class CoveringPresignature:
    """A pre-signature that speaks for ``party``: the signed bytes and the JWS over them."""

    id: int
    party: str
    kid: str
    fingerprint: str
    tiers: tuple[int, ...]
    not_before: datetime
    not_after: datetime
    payload: bytes
    envelope: dict[str, Any]
    envelope_bytes: bytes


async def presignatures_covering(
    session: AsyncSession, template: CrisisTemplate, *, tier: int, at: datetime
) -> list[CoveringPresignature]:
    """The pre-signatures that make ``template`` (this exact digest) speak for their party at
    ``tier`` at instant ``at``: not withdrawn, ``at`` inside their window, the tier covered, and
    the key neither revoked nor outside its validity at ``at``. One per party (the most recent),
    ordered by party code."""
    query = (
        select(TemplatePresignature)
        .where(
            TemplatePresignature.template_id == template.id,
            TemplatePresignature.template_digest == template.digest,
            TemplatePresignature.withdrawn_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(TemplatePresignature.id.desc())  # type: ignore[union-attr]
    )
    rows = list((await session.execute(query)).scalars().all())
    if not rows:
        return []
    keys = _records_by_fingerprint(await key_records(session, {row.party_code for row in rows}))
    found: dict[str, CoveringPresignature] = {}
    for row in rows:
        if row.party_code in found:
            continue
        if crisis.presignature_covers(canonical.parse_strict(row.payload), template, tier, at) is not None:
            continue
        if _key_problem(keys.get(row.fingerprint, []), row, at) is not None:
            continue
        found[row.party_code] = CoveringPresignature(
            id=row.id or 0,
            party=row.party_code,
            kid=row.kid,
            fingerprint=row.fingerprint,
            tiers=tuple(row.tiers),
            not_before=as_utc(row.not_before),
            not_after=as_utc(row.not_after),
            payload=row.payload,
            envelope=canonical.parse_strict(row.envelope),
            envelope_bytes=row.envelope,
        )
    return [found[party] for party in sorted(found)]


# --- listing -----------------------------------------------------------------------------------


def _public(row: TemplatePresignature, state: PresignatureState) -> PresignaturePublic:
    """The row's shape with its state; the row calls its party ``party_code``."""
    return PresignaturePublic.model_validate(
        row, from_attributes=True, update={"party": row.party_code, "state": state}
    )


def _summary(template: CrisisTemplate, presignatures: list[PresignaturePublic]) -> dict[str, Any]:
    return {
        "id": template.id,
        "version": template.version,
        "title": template.title,
        "kind": str(template.kind),
        "tiers": list(template.tiers),
        "response": str(template.response),
        "parameters": template.schema(),
        "digest": template.digest,
        "presignatures": presignatures,
    }


async def _states(
    session: AsyncSession, templates: Mapping[str, CrisisTemplate], ids: Iterable[str], now: datetime
) -> dict[str, list[PresignaturePublic]]:
    rows = await list_presignatures(session, ids)
    keys = _records_by_fingerprint(await key_records(session, {row.party_code for row in rows})) if rows else {}
    out: dict[str, list[PresignaturePublic]] = {}
    for row in rows:
        state = presignature_state(row, templates.get(row.template_id), keys, now)
        out.setdefault(row.template_id, []).append(_public(row, state))
    return out


async def describe_presignature(
    session: AsyncSession, row: TemplatePresignature, templates: Mapping[str, CrisisTemplate], *, now: datetime
) -> PresignaturePublic:
    """One pre-signature as the API shows it, with its state at ``now``."""
    keys = _records_by_fingerprint(await key_records(session, [row.party_code]))
    return _public(row, presignature_state(row, templates.get(row.template_id), keys, now))


async def template_summaries(
    session: AsyncSession, templates: Mapping[str, CrisisTemplate], *, now: datetime
) -> list[TemplatePublic]:
    """Every template with who pre-signed it, until when, and the state of each pre-signature."""
    states = await _states(session, templates, templates, now)
    return [TemplatePublic(**_summary(t, states.get(t.id, []))) for _, t in sorted(templates.items())]


async def template_detail(
    session: AsyncSession, templates: Mapping[str, CrisisTemplate], template_id: str, *, now: datetime
) -> TemplateDetail:
    template = get_template(templates, template_id)
    states = await _states(session, templates, [template.id], now)
    sections = [section.to_dict() for section in template.sections]
    return TemplateDetail(**_summary(template, states.get(template.id, [])), sections=sections)
