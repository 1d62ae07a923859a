"""Signing in: the attempt counter shared by every instance, ``login``, browser sessions, logout, CSRF.

Sign-in attempts are counted per account and client in the database by one atomic statement before
the password is checked, so every server instance sees the same count and a parallel burst runs at
most the limit of argon2 checks per window; past it, ``RateLimitedError``.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entente import audit
from entente.auth import users
from entente.auth.callers import Caller, caller_from_row, credential_hash, select_with_caller
from entente.errors import AuthenticationError, RateLimitedError
from entente.models import BrowserSession, LoginAttempt, Party, PartyStatus, User

__all__ = ["caller_from_session", "clear_attempts", "count_attempt", "csrf_matches", "login", "login_subject", "logout"]


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
    table: sa.Table = LoginAttempt.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table classes
    dialect = (await session.connection()).dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(subject=subject, window_start=now, attempts=1)
    expired = table.c.window_start <= now - timedelta(seconds=window_seconds)
    upsert = statement.on_conflict_do_update(
        index_elements=[table.c.subject],
        set_={
            "attempts": sa.case((expired, 1), else_=table.c.attempts + 1),
            "window_start": sa.case((expired, statement.excluded.window_start), else_=table.c.window_start),
        },
    ).returning(table.c.attempts, table.c.window_start)
    attempts, window_start = (await session.execute(upsert)).one()
    if attempts > max_attempts:
        retry_after = (window_start + timedelta(seconds=window_seconds) - now).total_seconds()
        raise RateLimitedError("too many failed sign-ins; wait before trying again", retry_after=int(retry_after) + 1)
    return attempts


async def clear_attempts(session: AsyncSession, subject: str) -> None:
    await session.execute(sa.delete(LoginAttempt).where(col(LoginAttempt.subject) == subject))


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
        await count_attempt(session, subject=subject, now=now, max_attempts=max_failures, window_seconds=window_seconds)
        user = await users.find_user(session, name)
        usable = await _usable_user(session, user)
    password_ok = await users.check_password(user.password_hash if user else None, password)
    async with session.begin():
        if password_ok and usable and user is not None:
            await clear_attempts(session, subject)
            token = secrets.token_urlsafe(32)
            row = BrowserSession(
                id_hash=credential_hash(token),
                user_id=user.id or 0,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + timedelta(minutes=session_minutes),
            )
            session.add(row)
            await audit.record_by(
                session,
                user.username,
                "auth:login:ok",
                f"user:{user.username}",
                at=now,
                party=user.party_code,
                details={"client": client},
            )
            return token, row, user
        await audit.record_by(
            session,
            username[:64] or "-",
            "auth:login:fail",
            f"user:{username[:64]}",
            at=now,
            party=user.party_code if user else None,
            details={"client": client},
        )
    raise AuthenticationError("wrong username or password", code="login_failed")


async def caller_from_session(session: AsyncSession, token: str, *, now: datetime) -> Caller | None:
    """The caller a session cookie stands for, or None (unknown, expired, disabled account or party)."""
    if not token or len(token) > 128:
        return None
    query = select_with_caller(
        col(BrowserSession.expires_at), col(BrowserSession.csrf_token), user_id=col(BrowserSession.user_id)
    )
    row = (await session.execute(query.where(col(BrowserSession.id_hash) == credential_hash(token)))).first()
    if row is None or row[0] <= now:
        return None
    return caller_from_row(row, via="session", until=row[0], csrf_token=row[1])


async def logout(session: AsyncSession, token: str, *, now: datetime) -> None:
    row = await session.get(BrowserSession, credential_hash(token))
    if row is None:
        return
    user = await session.get(User, row.user_id)
    await session.delete(row)
    if user is not None:
        await audit.record_by(
            session, user.username, "auth:logout:ok", f"user:{user.username}", at=now, party=user.party_code
        )


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))
