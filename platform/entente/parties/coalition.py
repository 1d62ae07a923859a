"""The coalition: parties and their people, loaded from ``config/coalition.toml`` or the API.

A party is a state or an organisation; every user acts for one party. Changes to the roster are
audited as ``parties:<subject>:<action>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import select

from entente import audit, auth
from entente.errors import ConfigError, InvalidInputError, NotFoundError
from entente.models import Party, PartyKind, PartyStatus, Role
from entente.models.base import check_party_code
from entente.settings import read_toml


@dataclass(frozen=True)
class SeedUser:
    username: str
    display_name: str
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class SeedParty:
    code: str
    name: str
    kind: PartyKind
    timezone: str
    users: tuple[SeedUser, ...] = field(default_factory=tuple)


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(f"{name!r} is not an IANA time zone", field="timezone") from None
    return name


def load_coalition(path: Path) -> list[SeedParty]:
    """Parse the coalition file; every fault is a one-line ``ConfigError`` naming the file and the entry."""
    _, raw = read_toml(path, missing="coalition file not found")
    unknown = set(raw) - {"parties"}
    if unknown:
        raise ConfigError(f"{path}: unknown key {sorted(unknown)[0]!r} (expected [[parties]])")
    parties: list[SeedParty] = []
    seen_codes: set[str] = set()
    seen_users: set[str] = set()
    for index, entry in enumerate(raw.get("parties", [])):
        where = f"{path}: parties[{index}]"
        try:
            _require_keys(entry, {"code", "name", "kind", "timezone"}, {"users"})
            code = check_party_code(entry["code"])
            kind = PartyKind(entry["kind"])
            check_timezone(entry["timezone"])
            users = []
            for u_index, u in enumerate(entry.get("users", [])):
                _require_keys(u, {"username", "name", "roles"}, set(), prefix=f"users[{u_index}].")
                if u["username"] in seen_users:
                    raise InvalidInputError(f"users[{u_index}]: username {u['username']!r} appears twice")
                seen_users.add(u["username"])
                users.append(SeedUser(u["username"], u["name"], tuple(Role(r) for r in u["roles"])))
        except (InvalidInputError, ValueError, TypeError, KeyError) as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if code in seen_codes:
            raise ConfigError(f"{where}: party code {code!r} appears twice")
        seen_codes.add(code)
        parties.append(SeedParty(code, entry["name"], kind, entry["timezone"], tuple(users)))
    return parties


def _require_keys(entry: object, required: set[str], optional: set[str], prefix: str = "") -> None:
    if not isinstance(entry, dict):
        raise InvalidInputError(f"{prefix}expected a table")
    missing = required - set(entry)
    if missing:
        raise InvalidInputError(f"{prefix}{sorted(missing)[0]} is missing")
    extra = set(entry) - required - optional
    if extra:
        raise InvalidInputError(f"{prefix}{sorted(extra)[0]} is not a known key")


async def create_party(
    session: AsyncSession, *, code: str, name: str, kind: PartyKind, timezone: str, now: datetime, actor: str
) -> Party:
    check_party_code(code)
    check_timezone(timezone)
    if await session.get(Party, code) is not None:
        raise InvalidInputError(f"party {code} exists already", code="party_exists", field="code")
    party = Party(code=code, name=name, kind=kind, timezone=timezone, status=PartyStatus.ACTIVE, created_at=now)
    session.add(party)
    await session.flush()
    await audit.record_by(
        session,
        actor,
        "parties:party:add",
        f"party:{code}",
        at=now,
        party=code,
        details={"name": name, "kind": kind.value, "timezone": timezone},
    )
    return party


async def set_party_status(
    session: AsyncSession, code: str, status: PartyStatus, *, now: datetime, actor: str
) -> Party:
    party = await get_party(session, code)
    if party.status != status:
        party.status = status
        session.add(party)
        await audit.record_by(session, actor, f"parties:party:{status.value}", f"party:{code}", at=now, party=code)
    return party


async def get_party(session: AsyncSession, code: str) -> Party:
    party = await session.get(Party, code)
    if party is None:
        raise NotFoundError(f"no party {code!r}", code="unknown_party")
    return party


async def list_parties(session: AsyncSession) -> list[Party]:
    return list((await session.execute(select(Party).order_by(Party.code))).scalars().all())


async def party_names(session: AsyncSession, codes: Iterable[str] | None = None) -> dict[str, str]:
    """Full names by party code (of ``codes``, or of every party); an unknown code names itself."""
    query = select(Party.code, Party.name)
    wanted = None if codes is None else sorted(set(codes))
    if wanted is not None:
        query = query.where(Party.code.in_(wanted))  # type: ignore[attr-defined]
    found = {code: name for code, name in (await session.execute(query)).all()}
    return found if wanted is None else {code: found.get(code, code) for code in wanted}


async def count_parties(session: AsyncSession) -> int:
    return int((await session.execute(select(sa.func.count()).select_from(Party))).scalar_one())


async def seed_coalition(
    session: AsyncSession,
    coalition: list[SeedParty],
    *,
    password: str,
    now: datetime,
    password_hash: str | None = None,
) -> int:
    """Create the parties and users of ``coalition`` that do not exist yet; returns how many users were added.

    Demo users share one password, so it is hashed once (argon2id is slow on purpose); a caller that
    already holds its hash passes ``password_hash`` as well.
    """
    added = 0
    shared_hash = password_hash or await auth.hash_password(password)
    for seed in coalition:
        if await session.get(Party, seed.code) is None:
            await create_party(
                session, code=seed.code, name=seed.name, kind=seed.kind, timezone=seed.timezone, now=now, actor="init"
            )
        for user in seed.users:
            if await auth.find_user(session, user.username) is None:
                await auth.create_user(
                    session,
                    username=user.username,
                    display_name=user.display_name,
                    party=seed.code,
                    roles=user.roles,
                    password=None,
                    password_hash=shared_hash,
                    now=now,
                    actor="init",
                )
                added += 1
    return added


async def apply_demo_password(
    session: AsyncSession, coalition: list[SeedParty], *, password: str, now: datetime, apply: bool
) -> tuple[list[str], list[str]]:
    """The coalition file's existing users whose password is not ``password``: with ``apply``, they get
    it (audited ``auth:password:set``), else they keep theirs. Returns (changed, kept) usernames.

    Seeded users share one hash, so each distinct hash is checked once (argon2id is slow on purpose).
    """
    users = [await auth.find_user(session, u.username) for seed in coalition for u in seed.users]
    verdicts: dict[str | None, bool] = {}
    changed: list[str] = []
    kept: list[str] = []
    new_hash: str | None = None
    for user in users:
        if user is None:
            continue
        if user.password_hash not in verdicts:
            verdicts[user.password_hash] = await auth.check_password(user.password_hash, password)
        if verdicts[user.password_hash]:
            continue
        if not apply:
            kept.append(user.username)
            continue
        new_hash = new_hash or await auth.hash_password(password)
        user.password_hash = new_hash
        session.add(user)
        changed.append(user.username)
        await audit.record_by(
            session,
            "init",
            "auth:password:set",
            f"user:{user.username}",
            at=now,
            party=user.party_code,
            details={"reason": "init --demo applied ENTENTE_DEMO_PASSWORD"},
        )
    return changed, kept
