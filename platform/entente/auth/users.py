"""Users and their passwords: argon2id hashing and checking, off the event loop (hashing is
deliberately slow).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import audit
from entente.errors import InvalidInputError, NotFoundError
from entente.models import Party, Role, User

__all__ = ["check_password", "create_user", "find_user", "get_user", "hash_password", "set_password"]


_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def _dummy_hash() -> str:
    """A real hash to verify against when the account does not exist, so timing does not reveal it;
    made on first use rather than at import (a quarter of a second of CPU every process would pay)."""
    return _hasher.hash("entente-no-such-user")


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


async def check_password(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(verify)


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
    await audit.record_by(
        session, actor, "auth:user:add", f"user:{username}", at=now, party=party, details={"roles": role_values}
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
