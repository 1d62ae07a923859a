"""API tokens: random bearer secrets shown once, stored as their SHA-256, expiring, revocable."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from entente import audit
from entente.auth.callers import Caller, caller_from_row, credential_hash, select_with_caller
from entente.errors import AuthenticationError, NotFoundError
from entente.models import ApiToken, User

__all__ = ["TOKEN_PREFIX", "caller_from_token", "create_token", "list_tokens", "revoke_token"]


TOKEN_PREFIX = "ent_"  # noqa: S105 (a public prefix, not a secret)


async def create_token(
    session: AsyncSession, user: User, *, name: str, days: int, now: datetime
) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``; the secret is returned once and only its hash is kept."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id or 0,
        name=name,
        prefix=secret[:12],
        token_hash=credential_hash(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    await session.flush()
    await audit.record_by(
        session,
        user.username,
        "auth:token:create",
        f"token:{token.id}",
        at=now,
        party=user.party_code,
        details={"name": name, "expires_at": token.expires_at.isoformat()},
    )
    return secret, token


async def list_tokens(session: AsyncSession, user_id: int) -> list[ApiToken]:
    return list(
        (await session.execute(select(ApiToken).where(col(ApiToken.user_id) == user_id).order_by(col(ApiToken.id))))
        .scalars()
        .all()
    )


async def revoke_token(session: AsyncSession, caller: Caller, token_id: int, *, now: datetime) -> ApiToken:
    token = await session.get(ApiToken, token_id)
    if token is None or token.user_id != caller.user_id:
        raise NotFoundError("no such token")
    if token.revoked_at is None:
        token.revoked_at = now
        session.add(token)
        await audit.record_by(session, caller, "auth:token:revoke", f"token:{token.id}", at=now)
    return token


async def caller_from_token(session: AsyncSession, secret: str, *, now: datetime) -> Caller:
    """The caller a bearer token stands for; ``AuthenticationError`` says why when it stands for no one."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 128:
        raise AuthenticationError("this is not an Entente API token", code="token_invalid")
    query = select_with_caller(col(ApiToken.expires_at), col(ApiToken.revoked_at), user_id=col(ApiToken.user_id))
    row = (await session.execute(query.where(col(ApiToken.token_hash) == credential_hash(secret)))).first()
    if row is None:
        raise AuthenticationError("unknown API token", code="token_invalid")
    expires_at, revoked_at = row[0], row[1]
    if revoked_at is not None:
        raise AuthenticationError("this API token was revoked", code="token_revoked")
    if expires_at <= now:
        raise AuthenticationError("this API token has expired", code="token_expired")
    caller = caller_from_row(row, via="token", until=expires_at)
    if caller is None:
        raise AuthenticationError("the account of this token is disabled", code="account_disabled")
    return caller
