"""Who is calling: the :class:`Caller`, its short-lived cache, its lookup from the database, and
the authorisation checks by party and role (decided here, never in handlers).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entente.errors import AuthenticationError, NotFoundError, PermissionDeniedError
from entente.models import Party, PartyStatus, Role, User

__all__ = [
    "CALLER_COLUMNS",
    "Caller",
    "CallerCache",
    "caller_for",
    "caller_from_row",
    "credential_hash",
    "is_read_only",
    "require_writer",
    "require_caller",
    "require_party_role",
    "require_role",
    "select_with_caller",
]


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


def is_read_only(caller: Caller | None) -> bool:
    """An oversight user reads only: whatever other role it also holds, it changes nothing."""
    return caller is not None and caller.has_role(Role.OVERSIGHT)


def require_writer(caller: Caller | None) -> Caller:
    """The caller, unless it is read-only (oversight): then ``PermissionDeniedError`` ``read_only_role``.

    Every domain write checks a role oversight does not hold; the web edge also refuses every write
    of a read-only caller before any handler runs (its own sign-out and API tokens excepted).
    """
    caller = require_caller(caller)
    if is_read_only(caller):
        raise PermissionDeniedError(
            "the oversight role reads only: it cannot change anything", code="read_only_role"
        )
    return caller


def require_caller(caller: Caller | None) -> Caller:
    if caller is None:
        raise AuthenticationError("sign in or send an API token (Authorization: Bearer ...)")
    return caller


def credential_hash(secret: str) -> str:
    """How a token or session cookie is looked up and stored: its SHA-256, never the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


CALLER_COLUMNS = (
    col(User.id),
    col(User.username),
    col(User.display_name),
    col(User.roles),
    col(User.active),
    col(Party.code),
    col(Party.name),
    col(Party.kind),
    col(Party.timezone),
    col(Party.status),
)


def select_with_caller(*columns: Any, user_id: Any) -> Any:
    """A select of ``columns`` followed by the :data:`CALLER_COLUMNS` of the user whose id is in the
    column ``user_id`` (a token's, a session's): :func:`caller_from_row` reads the row's tail."""
    return (
        sa.select(*columns, *CALLER_COLUMNS)
        .join(User, col(User.id) == user_id)
        .join(Party, col(Party.code) == col(User.party_code))
    )


def caller_from_row(row: Any, *, via: str, until: datetime, csrf_token: str | None = None) -> Caller | None:
    """A caller from the tail of a row selected with ``CALLER_COLUMNS``; None for a disabled user or party."""
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
            sa.select(*CALLER_COLUMNS)
            .join(Party, col(Party.code) == col(User.party_code))
            .where(col(User.username) == username)
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no user {username!r}")
    caller = caller_from_row(row, via=via, until=until)
    if caller is None:
        raise PermissionDeniedError(f"{username} or its party is disabled", code="account_disabled")
    return caller
