"""Users, passwords, API tokens, browser sessions, roles and the authorisation checks.

Passwords are hashed with argon2id (off the event loop: hashing is deliberately slow). API tokens
and session cookies are 256-bit random strings; only their SHA-256 is stored, so a database leak
yields nothing usable. Sign-in attempts are counted per account and client in the database by one
atomic statement before the password is checked, so every server instance sees the same count and a
parallel burst runs at most the limit of argon2 checks per window; past it, ``RateLimitedError``.
Authorisation is decided here, by party and role, never in handlers.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import audit
from entente.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
)
from entente.models import ApiToken, BrowserSession, LoginAttempt, Party, PartyStatus, Role, User

TOKEN_PREFIX = "ent_"  # noqa: S105 (a public prefix, not a secret)
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# A real hash to verify against when the account does not exist, so timing does not reveal it.
_DUMMY_HASH = _hasher.hash("entente-no-such-user")


@dataclass(frozen=True)
class Caller:
    """Who is acting: a user of one party with some roles, authenticated by a session or a token.

    ``until`` is when the credential stops being valid (token expiry, session end).
    """

    user_id: int
    username: str
    display_name: str
    party: str
    roles: frozenset[Role]
    via: str  # "session" or "token"
    csrf_token: str | None = None
    party_name: str = ""
    party_kind: str = ""
    party_timezone: str = "UTC"
    until: datetime | None = None

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


class CallerCache:
    """Callers recently authenticated, by the hash of their credential, for at most ``ttl`` seconds.

    Resolving a credential costs a database round trip on every request; this cache keeps the
    answer briefly. A revocation or logout on this instance forgets the user's entries at once;
    another instance sharing the database sees it within ``ttl`` seconds (``auth.cache_seconds``).
    An expired credential is never served from the cache.
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[str, tuple[datetime, Caller]] = {}

    def get(self, key: str, now: datetime) -> Caller | None:
        hit = self._entries.get(key)
        if hit is None:
            return None
        fresh_until, caller = hit
        if now >= fresh_until or (caller.until is not None and now >= caller.until):
            self._entries.pop(key, None)
            return None
        return caller

    def put(self, key: str, caller: Caller, now: datetime) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[key] = (now + timedelta(seconds=self.ttl), caller)

    def forget_user(self, user_id: int) -> None:
        for key in [k for k, (_, c) in self._entries.items() if c.user_id == user_id]:
            del self._entries[key]


# --- authorisation ------------------------------------------------------------------------------


def require_role(caller: Caller | None, *roles: Role) -> Caller:
    """The caller, if it holds one of ``roles``; otherwise ``PermissionDeniedError``."""
    caller = require_caller(caller)
    if not caller.has_role(*roles):
        names = " or ".join(r.value for r in roles)
        raise PermissionDeniedError(f"this needs the {names} role", code="role_required")
    return caller


def require_party_role(caller: Caller | None, party: str, *roles: Role) -> Caller:
    """The caller, if it acts for ``party`` with one of ``roles`` (the secretariat acts for any party)."""
    caller = require_caller(caller)
    if caller.has_role(Role.SECRETARIAT):
        return caller
    if caller.party != party:
        raise PermissionDeniedError(f"only users of {party} may do this", code="wrong_party")
    return require_role(caller, *roles)


def require_caller(caller: Caller | None) -> Caller:
    if caller is None:
        raise AuthenticationError("sign in or send an API token (Authorization: Bearer ...)")
    return caller


# --- passwords ----------------------------------------------------------------------------------


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def check_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- users --------------------------------------------------------------------------------------


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    party: str,
    roles: Iterable[Role],
    password: str | None,
    now: datetime,
    actor: str = "system",
    password_hash: str | None = None,
) -> User:
    """Add a user to ``party``. ``password_hash`` (already argon2id) lets a seeder hash a shared password once."""
    if await session.get(Party, party) is None:
        raise InvalidInputError(f"no party with code {party!r}", code="unknown_party", field="party")
    if await find_user(session, username) is not None:
        raise InvalidInputError(f"the username {username!r} is taken", code="username_taken", field="username")
    role_values = sorted({Role(r).value for r in roles})
    if not role_values:
        raise InvalidInputError("a user needs at least one role", field="roles")
    user = User(
        username=username,
        display_name=display_name,
        party_code=party,
        roles=role_values,
        password_hash=password_hash or (await hash_password(password) if password else None),
        created_at=now,
    )
    session.add(user)
    await session.flush()
    await audit.record(
        session,
        at=now,
        actor=actor,
        party=party,
        event="auth:user:add",
        object=f"user:{username}",
        details={"roles": role_values},
    )
    return user


async def find_user(session: AsyncSession, username: str) -> User | None:
    return (await session.execute(select(User).where(User.username == username))).scalar_one_or_none()


async def get_user(session: AsyncSession, username: str) -> User:
    user = await find_user(session, username)
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


async def set_password(session: AsyncSession, user: User, password: str) -> None:
    user.password_hash = await hash_password(password)
    session.add(user)


# --- login and browser sessions -----------------------------------------------------------------


async def _usable_user(session: AsyncSession, user: User | None) -> bool:
    if user is None or not user.active:
        return False
    party = await session.get(Party, user.party_code)
    return party is not None and party.status == PartyStatus.ACTIVE


async def count_attempt(
    session: AsyncSession, *, subject: str, now: datetime, max_attempts: int, window_seconds: int
) -> int:
    """Count one attempt at a guessable secret for ``subject``; ``RateLimitedError`` past ``max_attempts``.

    One statement increments the subject's counter (restarting it when its window has passed) and
    returns the new count, so parallel attempts on any number of instances sharing the database each
    get a distinct number: a burst of N attempts checks the secret at most ``max_attempts`` times
    per window. Call it *before* checking the secret, and commit at once (it must not wait for
    argon2). Returns the count.
    """
    table = LoginAttempt.__table__
    dialect = (await session.connection()).dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(subject=subject, window_start=now, attempts=1)
    expired = table.c.window_start <= now - timedelta(seconds=window_seconds)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.subject],
        set_={
            "attempts": sa.case((expired, 1), else_=table.c.attempts + 1),
            "window_start": sa.case((expired, statement.excluded.window_start), else_=table.c.window_start),
        },
    ).returning(table.c.attempts, table.c.window_start)
    attempts, window_start = (await session.execute(statement)).one()
    if attempts > max_attempts:
        retry_after = (window_start + timedelta(seconds=window_seconds) - now).total_seconds()
        raise RateLimitedError("too many failed sign-ins; wait before trying again", retry_after=int(retry_after) + 1)
    return attempts


async def clear_attempts(session: AsyncSession, subject: str) -> None:
    await session.execute(sa.delete(LoginAttempt).where(LoginAttempt.subject == subject))


def login_subject(username: str, client: str) -> str:
    return f"{username.strip().lower()}|{client}"[:200]


async def login(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    client: str,
    now: datetime,
    session_minutes: int,
    max_failures: int,
    window_seconds: int,
) -> tuple[str, BrowserSession, User]:
    """Check credentials and open a browser session; returns the cookie value (shown once), the row, the user.

    ``session`` must not be in a transaction: this runs two short ones of its own. The first counts
    the attempt (``RateLimitedError`` past ``max_failures`` in the window) and commits before argon2
    runs; the second records the outcome (a failure is audited and committed before
    ``AuthenticationError`` is raised; a success clears the count and opens the session).
    """
    if session.in_transaction():
        raise RuntimeError("auth.login runs its own transactions: pass a session outside one")
    subject = login_subject(username, client)
    name = username.strip().lower()
    async with session.begin():
        await count_attempt(
            session, subject=subject, now=now, max_attempts=max_failures, window_seconds=window_seconds
        )
        user = await find_user(session, name)
        usable = await _usable_user(session, user)
    password_ok = await check_password(user.password_hash if user else None, password)
    async with session.begin():
        if password_ok and usable and user is not None:
            await clear_attempts(session, subject)
            token = secrets.token_urlsafe(32)
            row = BrowserSession(
                id_hash=_sha256(token),
                user_id=user.id or 0,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + timedelta(minutes=session_minutes),
            )
            session.add(row)
            await audit.record(
                session,
                at=now,
                actor=user.username,
                party=user.party_code,
                event="auth:login:ok",
                object=f"user:{user.username}",
                details={"client": client},
            )
            return token, row, user
        await audit.record(
            session,
            at=now,
            actor=username[:64] or "-",
            party=user.party_code if user else None,
            event="auth:login:fail",
            object=f"user:{username[:64]}",
            details={"client": client},
        )
    raise AuthenticationError("wrong username or password", code="login_failed")


def credential_hash(secret: str) -> str:
    """How a token or session cookie is looked up and stored: its SHA-256, never the secret."""
    return _sha256(secret)


_CALLER_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.roles,
    User.active,
    Party.code,
    Party.name,
    Party.kind,
    Party.timezone,
    Party.status,
)


def _caller(row: Any, *, via: str, until: datetime, csrf_token: str | None = None) -> Caller | None:
    """A caller from the tail of a row selected with ``_CALLER_COLUMNS``; None for a disabled user or party."""
    user_id, username, display_name, roles, active, party, party_name, party_kind, party_tz, status = row[-10:]
    if not active or status != PartyStatus.ACTIVE:
        return None
    return Caller(
        user_id=user_id,
        username=username,
        display_name=display_name,
        party=party,
        roles=frozenset(Role(r) for r in roles),
        via=via,
        csrf_token=csrf_token,
        party_name=party_name,
        party_kind=party_kind,
        party_timezone=party_tz,
        until=until,
    )


async def caller_for(session: AsyncSession, username: str, *, via: str, until: datetime) -> Caller:
    """The caller an active user acts as, for server-side tasks (``entente init --demo``); NotFoundError
    for an unknown username, PermissionDeniedError for a disabled user or party."""
    row = (
        await session.execute(
            sa.select(*_CALLER_COLUMNS).join(Party, Party.code == User.party_code).where(User.username == username)
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no user {username!r}")
    caller = _caller(row, via=via, until=until)
    if caller is None:
        raise PermissionDeniedError(f"{username} or its party is disabled", code="account_disabled")
    return caller


async def caller_from_session(session: AsyncSession, token: str, *, now: datetime) -> Caller | None:
    """The caller a session cookie stands for, or None (unknown, expired, disabled account or party)."""
    if not token or len(token) > 128:
        return None
    row = (
        await session.execute(
            sa.select(BrowserSession.expires_at, BrowserSession.csrf_token, *_CALLER_COLUMNS)
            .join(User, User.id == BrowserSession.user_id)
            .join(Party, Party.code == User.party_code)
            .where(BrowserSession.id_hash == credential_hash(token))
        )
    ).first()
    if row is None or row[0] <= now:
        return None
    return _caller(row, via="session", until=row[0], csrf_token=row[1])


async def logout(session: AsyncSession, token: str, *, now: datetime) -> None:
    row = await session.get(BrowserSession, _sha256(token))
    if row is None:
        return
    user = await session.get(User, row.user_id)
    await session.delete(row)
    if user is not None:
        await audit.record(
            session,
            at=now,
            actor=user.username,
            party=user.party_code,
            event="auth:logout:ok",
            object=f"user:{user.username}",
        )


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


# --- API tokens ---------------------------------------------------------------------------------


async def create_token(
    session: AsyncSession, user: User, *, name: str, days: int, now: datetime
) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``; the secret is returned once and only its hash is kept."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id or 0,
        name=name,
        prefix=secret[:12],
        token_hash=_sha256(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    await session.flush()
    await audit.record(
        session,
        at=now,
        actor=user.username,
        party=user.party_code,
        event="auth:token:create",
        object=f"token:{token.id}",
        details={"name": name, "expires_at": token.expires_at.isoformat()},
    )
    return secret, token


async def list_tokens(session: AsyncSession, user_id: int) -> list[ApiToken]:
    return list(
        (await session.execute(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))
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
        await audit.record(
            session,
            at=now,
            actor=caller.username,
            party=caller.party,
            event="auth:token:revoke",
            object=f"token:{token.id}",
        )
    return token


async def caller_from_token(session: AsyncSession, secret: str, *, now: datetime) -> Caller:
    """The caller a bearer token stands for; ``AuthenticationError`` says why when it stands for no one."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 128:
        raise AuthenticationError("this is not an Entente API token", code="token_invalid")
    row = (
        await session.execute(
            sa.select(ApiToken.expires_at, ApiToken.revoked_at, *_CALLER_COLUMNS)
            .join(User, User.id == ApiToken.user_id)
            .join(Party, Party.code == User.party_code)
            .where(ApiToken.token_hash == credential_hash(secret))
        )
    ).first()
    if row is None:
        raise AuthenticationError("unknown API token", code="token_invalid")
    expires_at, revoked_at = row[0], row[1]
    if revoked_at is not None:
        raise AuthenticationError("this API token was revoked", code="token_revoked")
    if expires_at <= now:
        raise AuthenticationError("this API token has expired", code="token_expired")
    caller = _caller(row, via="token", until=expires_at)
    if caller is None:
        raise AuthenticationError("the account of this token is disabled", code="account_disabled")
    return caller
