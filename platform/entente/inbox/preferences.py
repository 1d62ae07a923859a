"""Per-user preferences (the time zone the release panel reads and shows instants in, the e-mail
address notices go to) and a party's webhook."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.ext.asyncio import AsyncSession

from entente import audit, signing
from entente.auth import Caller, require_party_role
from entente.errors import InvalidInputError
from entente.models import PartyWebhook, Role, UserSetting

__all__ = [
    "delete_webhook",
    "get_preferences",
    "get_webhook",
    "known_zone",
    "remember_zone",
    "set_preferences",
    "set_webhook",
    "zone_names",
    "zone_of",
]

_EMAIL = re.compile(r"[^@\s<>\"',;]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}")


def zone_names() -> list[str]:
    return sorted(available_timezones() | {"UTC"})


def known_zone(name: str) -> str:
    """``name`` if it is an IANA time zone; ``zone_unknown`` (422) otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(f"{name[:64]!r} is not a time zone", code="zone_unknown", field="timezone") from None
    if name not in available_timezones() and name != "UTC":
        raise InvalidInputError(f"{name[:64]!r} is not a time zone", code="zone_unknown", field="timezone")
    return name


async def get_preferences(session: AsyncSession, caller: Caller) -> UserSetting | None:
    return await session.get(UserSetting, caller.user_id)


def zone_of(setting: UserSetting | None, caller: Caller) -> str:
    """The zone the caller reads instants in: the one it chose, else its party's."""
    return (setting.timezone if setting is not None and setting.timezone else None) or caller.party_timezone


async def remember_zone(session: AsyncSession, caller: Caller, zone: str, now: datetime) -> None:
    """Remember the zone an officer just entered an instant in (the panel offers it next time)."""
    zone = known_zone(zone)
    setting = await session.get(UserSetting, caller.user_id)
    if setting is None:
        setting = UserSetting(user_id=caller.user_id, updated_at=now)
    if setting.timezone != zone:
        setting.timezone, setting.updated_at = zone, now
        session.add(setting)


async def set_preferences(
    session: AsyncSession, caller: Caller, *, timezone: str | None, email: str | None, now: datetime
) -> UserSetting:
    zone = known_zone(timezone) if timezone else None
    address = (email or "").strip() or None
    if address is not None and not _EMAIL.fullmatch(address):
        raise InvalidInputError("an e-mail address, e.g. press@example.org", code="email_invalid", field="email")
    setting = await session.get(UserSetting, caller.user_id) or UserSetting(user_id=caller.user_id, updated_at=now)
    setting.timezone, setting.email, setting.updated_at = zone, address, now
    session.add(setting)
    await session.flush()
    return setting


async def get_webhook(session: AsyncSession, party: str) -> PartyWebhook | None:
    return await session.get(PartyWebhook, party)


async def set_webhook(session: AsyncSession, caller: Caller, *, url: str, now: datetime) -> PartyWebhook:
    """Register (or replace) the caller's party's webhook with a new secret, shown once; audited.
    A comms officer of the party or the secretariat may do this."""
    require_party_role(caller, caller.party, Role.COMMS, Role.SECRETARIAT)
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 500:
        raise InvalidInputError("an absolute http(s) URL", code="webhook_url_invalid", field="url")
    hook = await session.get(PartyWebhook, caller.party)
    if hook is None:
        hook = PartyWebhook(party=caller.party, url=url, secret="", created_by=caller.username, created_at=now)
    hook.url, hook.secret = url, signing.new_webhook_secret()
    hook.created_by, hook.created_at = caller.username, now
    session.add(hook)
    await session.flush()
    await audit.record_by(session, caller, "inbox:webhook:set", f"party:{caller.party}", at=now, details={"url": url})
    return hook


async def delete_webhook(session: AsyncSession, caller: Caller, now: datetime) -> None:
    require_party_role(caller, caller.party, Role.COMMS, Role.SECRETARIAT)
    hook = await session.get(PartyWebhook, caller.party)
    if hook is None:
        return
    await session.delete(hook)
    await audit.record_by(
        session, caller, "inbox:webhook:delete", f"party:{caller.party}", at=now, details={"url": hook.url}
    )
