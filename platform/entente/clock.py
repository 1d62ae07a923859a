"""The injectable clock. Nothing else in Entente calls ``datetime.now()``.

The app holds a ``Clock`` under ``appkeys.clock_key``; tests pass a ``FixedClock`` they can move.
All instants are timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

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
