"""The injectable clock. Nothing else in Entente calls ``datetime.now()``.

The app holds a ``Clock`` under ``appkeys.clock_key``; tests pass a ``FixedClock`` they can move.
All instants are timezone-aware UTC. This is also the one home of the instant rules: the text
form every input is read with (:func:`parse_instant`), the checks a stored instant must pass
(:func:`check_instant`), and the text form every output is written in (:func:`isoformat`). Each
refusal is an :class:`InstantError` with the one code ``instant_invalid``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo

from entente.errors import InvalidInputError

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; for tests and for deterministic tools."""

    def __init__(self, instant: datetime) -> None:
        self.now = require_aware(instant)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now = self.now + delta

    def set(self, instant: datetime) -> None:
        self.now = require_aware(instant)


def require_aware(instant: datetime) -> datetime:
    """Return ``instant`` in UTC; refuse naive datetimes (an instant without offset is ambiguous)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant has no UTC offset")
    return instant.astimezone(UTC)


def as_utc(instant: datetime) -> datetime:
    """Read back a stored instant: SQLite returns naive values that were written as UTC."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def isoformat(instant: datetime) -> str:
    """RFC 3339 text in UTC with a ``Z``, to the second (or microsecond when present)."""
    text = as_utc(instant).isoformat()
    return text.replace("+00:00", "Z")


#: RFC 3339 date-time: ``2026-12-01T09:00:00Z``, ``2026-12-01T11:00:00.5+02:00`` (``T`` and ``Z`` in either
#: case). With a zone to read it in, the offset may be left out and the seconds too (an HTML
#: ``datetime-local`` field sends ``2026-12-01T09:00``).
_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2})(?P<seconds>:\d{2}(?:\.\d{1,6})?)?"
    r"(?P<offset>[Zz]|[+-]\d{2}:\d{2})?"
)
#: Instants are shown in every party's zone: the years leave room for that on both sides.
YEARS = (1970, 9998)
EXAMPLE = "2026-12-01T09:00:00Z or 2026-12-01T11:00:00+02:00"


class InstantError(InvalidInputError, ValueError):
    """An instant refused (422 ``instant_invalid``); a ``ValueError`` too, for validators and the sandbox."""

    code = "instant_invalid"


def parse_instant(text: object, *, field: str | None = None, zone: tzinfo | None = None) -> datetime:
    """Read an RFC 3339 instant with its UTC offset and return it in UTC.

    ``zone`` reads a local date and time without an offset (a form field beside a time-zone choice).
    Anything else, an instant without an offset included, is an :class:`InstantError`.
    """
    shown = repr(text) if len(repr(text)) <= 40 else repr(text)[:40] + "..."
    match = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InstantError(f"{shown} is not an RFC 3339 instant, e.g. {EXAMPLE}", field=field)
    if zone is None and match["offset"] is None:
        raise InstantError(f"{shown} has no UTC offset, e.g. {EXAMPLE}", field=field)
    if zone is None and match["seconds"] is None:
        raise InstantError(f"{shown} has no seconds, e.g. {EXAMPLE}", field=field)
    try:
        instant = datetime.fromisoformat(match.string.upper())
    except ValueError:
        raise InstantError(f"{shown} is not a date and time that exists", field=field) from None
    if instant.tzinfo is None and zone is not None:
        local, instant = instant, instant.replace(tzinfo=zone)
        if instant.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:  # skipped by a clock change
            raise InstantError(f"{local:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks change then)", field=field)
    return check_instant(instant, field=field)


def check_instant(instant: datetime, *, field: str | None = None) -> datetime:
    """An instant with an offset, within :data:`YEARS`, returned in UTC; otherwise an :class:`InstantError`."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InstantError(f"an instant needs a UTC offset, e.g. {EXAMPLE}", field=field)
    try:
        instant = instant.astimezone(UTC)
    except OverflowError:
        instant = (datetime.max if instant.year > 1 else datetime.min).replace(tzinfo=UTC)
    if not YEARS[0] <= instant.year <= YEARS[1]:
        raise InstantError(f"an instant between the years {YEARS[0]} and {YEARS[1]}", field=field)
    return instant
