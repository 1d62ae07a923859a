"""Party keys: registering and revoking public keys, and reading them back for verification.

The server stores public keys only. A key is one key whatever it is called: its ``fingerprint``
(SHA-256 of the SubjectPublicKeyInfo) is unique across all parties, so the same material can
never stand for two governments. Changes are audited as ``parties:key:add`` and
``parties:key:revoke``. :func:`key_records` is what signature checks use: every registered key
with its validity window and revocation, in one query.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Required, TypedDict, Unpack

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit, auth, canonical, quorum, signing
from entente.clock import as_utc, isoformat
from entente.errors import ConflictError, InvalidInputError, NotFoundError, SignatureError
from entente.models import PartyKey, Role
from entente.parties.coalition import get_party

__all__ = [
    "IAT_MAX_AGE",
    "IAT_MAX_SKEW",
    "PRIVATE_JWK_MEMBERS",
    "AcceptedSignature",
    "KeyMaterial",
    "add_key",
    "canonical_envelope",
    "find_key_by_fingerprint",
    "get_key",
    "jwk_with_validity",
    "jwks",
    "key_record",
    "key_records",
    "list_keys",
    "register_key",
    "revoke_key",
    "verify_party_envelope",
]

PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
IAT_MAX_SKEW = timedelta(minutes=5)
"""How far in the future a submitted signature's ``iat`` may lie (clock skew)."""
IAT_MAX_AGE = timedelta(days=1)
"""How old a submitted signature may be: a stolen key cannot backdate beyond this."""


@functools.lru_cache(maxsize=4096)
def _public_key(kty: str, crv: str, x: str, y: str | None) -> signing.PublicKey:
    """Parsing a JWK checks the point and derives kid and fingerprint: a memo of that pure work."""
    members = {"kty": kty, "crv": crv, "x": x} | ({"y": y} if y is not None else {})
    return signing.public_key_from_jwk(members)


def _parsed(jwk: Mapping[str, Any]) -> signing.PublicKey:
    return _public_key(jwk["kty"], jwk["crv"], jwk["x"], jwk.get("y"))


def key_record(row: PartyKey) -> quorum.KeyRecord:
    return quorum.KeyRecord(
        party=row.party_code,
        key=_parsed(row.jwk),
        not_before=row.not_before,
        not_after=row.not_after,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
    )


_RECORD_COLUMNS = (
    col(PartyKey.party_code),
    col(PartyKey.jwk),
    col(PartyKey.not_before),
    col(PartyKey.not_after),
    col(PartyKey.revoked_at),
    col(PartyKey.revocation_reason),
)


async def key_records(session: AsyncSession, parties: Iterable[str] | None = None) -> list[quorum.KeyRecord]:
    """Every registered key (of ``parties``, when given) as a :class:`quorum.KeyRecord`: one query.

    Revoked and expired keys are included: a signature made before the revocation, inside the
    window, still counts (``quorum.evaluate`` decides with the signature's ``iat``).
    """
    query = sa.select(*_RECORD_COLUMNS).order_by(col(PartyKey.party_code), col(PartyKey.id))
    if parties is not None:
        codes = sorted(set(parties))
        if not codes:
            return []
        query = query.where(PartyKey.party_code.in_(codes))  # type: ignore[attr-defined]
    return [
        quorum.KeyRecord(party, _parsed(jwk), not_before, not_after, revoked_at, reason)
        for party, jwk, not_before, not_after, revoked_at, reason in (await session.execute(query)).all()
    ]


async def list_keys(session: AsyncSession, party: str) -> list[PartyKey]:
    """The keys of ``party`` (which must exist), oldest first."""
    await get_party(session, party)
    query = select(PartyKey).where(col(PartyKey.party_code) == party).order_by(col(PartyKey.id))
    return list((await session.execute(query)).scalars().all())


async def get_key(session: AsyncSession, party: str, kid: str) -> PartyKey:
    await get_party(session, party)
    query = select(PartyKey).where(PartyKey.party_code == party, PartyKey.kid == kid)
    row = (await session.execute(query)).scalars().first()
    if row is None:
        raise NotFoundError(f"party {party} has no key {kid!r}", code="unknown_key")
    return row


async def find_key_by_fingerprint(session: AsyncSession, fingerprint: str) -> PartyKey | None:
    query = select(PartyKey).where(PartyKey.fingerprint == fingerprint)
    return (await session.execute(query)).scalars().first()


def _public_jwk(jwk: Any, alg: str | None) -> signing.PublicKey:
    if not isinstance(jwk, Mapping):
        raise InvalidInputError("a JWK is a JSON object", field="/jwk")
    private = sorted(PRIVATE_JWK_MEMBERS & set(jwk))
    if private:
        raise InvalidInputError(
            f"the JWK holds private key material ({private[0]!r}); register the public key only",
            code="private_key_refused",
            field=f"/jwk/{private[0]}",
        )
    if "keys" in jwk:  # a JWK Set (RFC 7517 section 5): its keys may be private ones
        inside = [k for k in jwk["keys"] if isinstance(k, Mapping)] if isinstance(jwk["keys"], list) else []
        if any(PRIVATE_JWK_MEMBERS & set(k) for k in inside):
            raise InvalidInputError(
                "the JWK Set holds private key material; register one public key only",
                code="private_key_refused",
                field="/jwk/keys",
            )
        raise InvalidInputError("a JWK Set: register one public JWK, not a set", code="invalid_key", field="/jwk/keys")
    try:
        key = signing.public_key_from_jwk(jwk)
    except InvalidInputError as exc:
        code = "alg_mismatch" if exc.field == "alg" else "invalid_key"
        raise InvalidInputError(exc.detail, code=code, field=f"/jwk/{exc.field}" if exc.field else "/jwk") from None
    if alg is not None and not key.accepts(alg):
        raise InvalidInputError(f"alg {alg!r} does not fit a {key.alg} key", code="alg_mismatch", field="/alg")
    return key


async def add_key(
    session: AsyncSession,
    *,
    party: str,
    jwk: Mapping[str, Any],
    alg: str | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    actor: str,
    now: datetime,
) -> PartyKey:
    """Register a public key for ``party`` (no role check: see :func:`register_key`)."""
    await get_party(session, party)
    key = _public_jwk(jwk, alg)
    start = as_utc(not_before) if not_before is not None else now.replace(microsecond=0)  # JWS iat is whole seconds
    end = as_utc(not_after) if not_after is not None else None
    if end is not None and end <= start:
        raise InvalidInputError("not_after must be after not_before", code="invalid_validity", field="/not_after")
    existing = await find_key_by_fingerprint(session, key.fingerprint)
    if existing is not None:
        raise ConflictError(
            f"this key material is already registered (to {existing.party_code}, kid {existing.kid})",
            code="key_exists",
            extra={"party": existing.party_code, "kid": existing.kid},
        )
    row = PartyKey(
        party_code=party,
        kid=key.kid,
        alg=str(key.alg),
        jwk=key.jwk,
        fingerprint=key.fingerprint,
        not_before=start,
        not_after=end,
        registered_by=actor,
        created_at=now,
    )
    session.add(row)
    try:
        await session.flush()
    except sa.exc.IntegrityError:
        raise ConflictError("this key material is already registered", code="key_exists") from None
    await audit.record_by(
        session,
        actor,
        "parties:key:add",
        f"key:{key.kid}",
        at=now,
        party=party,
        details={
            "kid": key.kid,
            "alg": str(key.alg),
            "fingerprint": key.fingerprint,
            "not_before": isoformat(start),
            "not_after": isoformat(end) if end else None,
        },
    )
    return row


class KeyMaterial(TypedDict, total=False):
    """A key as :func:`add_key` and :func:`register_key` take it: the public JWK, and optionally its
    algorithm and its life."""

    jwk: Required[Mapping[str, Any]]
    alg: str | None
    not_before: datetime | None
    not_after: datetime | None


async def register_key(
    session: AsyncSession, caller: auth.Caller | None, *, party: str, now: datetime, **key: Unpack[KeyMaterial]
) -> PartyKey:
    """Register a key as ``caller``: the party's own signatory, or the secretariat."""
    await get_party(session, party)
    caller = auth.require_party_role(caller, party, Role.SIGNATORY)
    return await add_key(session, party=party, actor=caller.username, now=now, **key)


async def revoke_key(
    session: AsyncSession,
    caller: auth.Caller | None,
    *,
    party: str,
    kid: str,
    reason: str,
    at: datetime | None = None,
    now: datetime,
) -> PartyKey:
    """Revoke a key from ``at`` (default now; may be in the past, after a compromise, never in the
    future: a planned retirement is ``not_after``). Signatures made from ``at`` on stop counting."""
    row = await get_key(session, party, kid)
    caller = auth.require_party_role(caller, party, Role.SIGNATORY)
    if row.revoked_at is not None:
        raise ConflictError(f"key {kid} was revoked at {isoformat(row.revoked_at)}", code="key_revoked")
    instant = as_utc(at) if at is not None else now
    if instant > now:
        raise InvalidInputError(
            "a revocation cannot be in the future; set not_after to retire a key later",
            code="revocation_in_future",
            field="/at",
        )
    reason = reason.strip()
    if not reason:
        raise InvalidInputError("say why the key is revoked", field="/reason")
    row.revoked_at, row.revocation_reason = instant, reason
    session.add(row)
    await audit.record_by(
        session,
        caller,
        "parties:key:revoke",
        f"key:{kid}",
        at=now,
        party=party,
        details={"kid": kid, "fingerprint": row.fingerprint, "revoked_at": isoformat(instant), "reason": reason},
    )
    return row


def jwk_with_validity(row: PartyKey) -> dict[str, Any]:
    """The public JWK plus its life, as RFC 3339 members (absent when not set)."""
    out = dict(row.jwk)
    out["not_before"] = isoformat(row.not_before)
    if row.not_after is not None:
        out["not_after"] = isoformat(row.not_after)
    if row.revoked_at is not None:
        out["revoked_at"] = isoformat(row.revoked_at)
        out["revocation_reason"] = row.revocation_reason
    return out


def jwks(party: str, rows: Sequence[PartyKey]) -> dict[str, Any]:
    """A JWK Set (RFC 7517) of a party's keys, revoked and expired ones included."""
    return {"party": party, "keys": [jwk_with_validity(row) for row in rows]}


# --- checking a party's signature ----------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedSignature:
    """A signature entry that verified with a key of the expected party."""

    entry: dict[str, str]
    kid: str
    fingerprint: str
    iat: datetime


def verify_party_envelope(
    payload: bytes,
    envelope: Any,
    *,
    party: str,
    keys: Sequence[quorum.KeyRecord],
    typ: str,
    now: datetime,
    earliest: datetime | None = None,
) -> list[AcceptedSignature]:
    """Every signature of ``envelope`` must verify over ``payload`` with a valid key OF ``party``.

    ``keys`` may hold other parties' keys: a signature made with one of those is refused with
    ``key_not_of_party`` (not a generic failure). ``iat`` must lie between ``earliest`` (default
    ``now`` minus :data:`IAT_MAX_AGE`) and ``now`` plus :data:`IAT_MAX_SKEW`. All or nothing:
    any refused entry raises :class:`SignatureError`.
    """
    parties = {record.party for record in keys} | {party}
    result = quorum.evaluate(
        payload,
        [envelope],
        keys=keys,
        participants=parties,
        policy=quorum.Policy(all_participants=False, threshold=1),
        typ=typ,
    )
    parsed = signing.parse_envelope(envelope)["signatures"]
    for item in result.invalid:
        where = f"/jws/signatures/{item.index}"
        if (
            item.party is not None
            and item.party != party
            and item.reason not in (str(signing.Reason.BAD_SIGNATURE), str(signing.Reason.DIGEST_MISMATCH))
        ):
            raise SignatureError(
                f"signature {item.index} was made with a key of {item.party}, not of {party}",
                code="key_not_of_party",
                field=where,
            )
        raise SignatureError(
            f"signature {item.index} is refused: {item.reason}",
            field=where,
            extra={"reason": item.reason, "invalid": [i.to_dict() for i in result.invalid]},
        )
    accepted = []
    low = earliest if earliest is not None else now - IAT_MAX_AGE
    for check in result.checks[0]:
        assert check.key is not None and check.iat is not None
        owner = {record.party for record in keys if record.key == check.key}
        if owner != {party}:
            raise SignatureError(
                f"signature {check.index} was made with a key of {', '.join(sorted(owner))}, not of {party}",
                code="key_not_of_party",
                field=f"/jws/signatures/{check.index}",
            )
        if not (low - IAT_MAX_SKEW).timestamp() <= check.iat <= (now + IAT_MAX_SKEW).timestamp():
            raise SignatureError(
                f"signature {check.index} has iat {check.iat}; a signature submitted now must have been made "
                f"between {isoformat(low)} and {isoformat(now)}",
                code="iat_out_of_range",
                field=f"/jws/signatures/{check.index}",
            )
        iat = datetime.fromtimestamp(check.iat, tz=UTC)
        accepted.append(AcceptedSignature(parsed[check.index], check.key.kid, check.key.fingerprint, iat))
    return accepted


def canonical_envelope(entries: Iterable[Mapping[str, str]]) -> bytes:
    """One general JWS envelope holding ``entries`` (a detached payload), as stored and published."""
    return canonical.canonical_bytes({"signatures": [dict(entry) for entry in entries]})
