"""What one server instance keeps in memory to answer public reads without the database.

:class:`PublicIndex` knows, for every release that is scheduled or released, its communiqué's id,
its embargo instant and whether its public PDF is stored. It is read from the database in one
statement and trusted for ``refresh_seconds`` (a monotonic clock); the instance that schedules or
lifts a release, or stores a public PDF, marks it stale at once (:meth:`PublicIndex.invalidate`).
With it:

- a communiqué id the index does not hold, or holds with an instant still to come, is not public:
  the public routes answer 404 without opening a session. An id it holds with an instant that has
  come is only *maybe* public (another instance may have held or cancelled it before the instant):
  the database decides, and once public a record never changes again.
- public pages (the list, the feed, a release's page) are cached, each valid until the index changes
  or the next instant it holds comes, whichever is first. The index also holds a fingerprint of the
  late alignments (their count and the count withdrawn), so a party aligning on another instance
  changes the pages that show alignments within ``refresh_seconds`` too.

Several instances: what another instance schedules or lifts is in this index within
``refresh_seconds``; nothing not public is ever shown (the database decides every "yes").
"""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from entente.models import AlignedPdf, Alignment, Release, ReleasePdf
from entente.releases.common import PUBLIC_STATES

__all__ = ["PublicIndex"]


@dataclass(frozen=True, slots=True)
class _Cached:
    value: Any
    generation: int
    valid_until: datetime | None  # the next instant the index held when this was made


class PublicIndex:
    """Scheduled and public releases (communiqué id -> embargo instant, PDF stored), and the public
    pages made from them, for ``refresh_seconds`` at most (0 turns both off)."""

    def __init__(
        self, refresh_seconds: float, *, pages: int = 256, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.refresh_seconds = refresh_seconds
        self.generation = 0
        self._instants: dict[int, tuple[datetime, bool]] = {}
        self._alignments: tuple[int, int, int] = (0, 0, 0)
        self._sorted: list[datetime] = []
        self._loaded_at: float | None = None
        self._invalidations = 0
        self.monotonic = monotonic  # the clock ``refresh_seconds`` is counted on (monotonic seconds)
        self._lock = asyncio.Lock()
        self._pages: OrderedDict[Hashable, _Cached] = OrderedDict()
        self._page_limit = pages

    @property
    def enabled(self) -> bool:
        return self.refresh_seconds > 0

    def invalidate(self) -> None:
        """Something changed on this instance (a release scheduled or lifted, a PDF stored): read again."""
        self._loaded_at = None
        self._invalidations += 1
        self.generation += 1
        self._pages.clear()

    def _fresh(self) -> bool:
        return self._loaded_at is not None and self.monotonic() - self._loaded_at < self.refresh_seconds

    async def ensure(self, sessions: Callable[[], Any]) -> None:
        """Read the index again if it is older than ``refresh_seconds`` (one statement)."""
        if not self.enabled or self._fresh():
            return
        async with self._lock:
            if self._fresh():
                return
            started, invalidations = self.monotonic(), self._invalidations
            async with sessions() as session:
                instants = await _load(session)
                alignments = await _alignments(session)
            if instants != self._instants or alignments != self._alignments:
                self._instants, self._alignments = instants, alignments
                self._sorted = sorted({at for at, _ in instants.values()})
                self.generation += 1
                self._pages.clear()
            if invalidations == self._invalidations:  # nothing changed here while it was read
                self._loaded_at = started

    def may_be_public(self, communique_id: int, now: datetime) -> bool:
        """False when the communiqué is certainly not public at ``now`` (as far as this instance
        knows, within ``refresh_seconds``); True when the database must say. Call :meth:`ensure` first."""
        if not self.enabled or self._loaded_at is None:
            return True
        found = self._instants.get(communique_id)
        return found is not None and found[0] <= now

    def has_pdf(self, communique_id: int) -> bool | None:
        """Whether the public PDF of the communiqué's release is stored; None when the index cannot say."""
        if not self.enabled or self._loaded_at is None:
            return None
        found = self._instants.get(communique_id)
        return None if found is None else found[1]

    def _next_instant(self, now: datetime) -> datetime | None:
        i = bisect.bisect_right(self._sorted, now)
        return self._sorted[i] if i < len(self._sorted) else None

    def page(self, key: Hashable, now: datetime) -> Any | None:
        """A page cached under ``key`` that is still right at ``now``, or None."""
        found = self._pages.get(key)
        if found is None or not self.enabled or self._loaded_at is None:
            return None
        if found.generation != self.generation or (found.valid_until is not None and now >= found.valid_until):
            del self._pages[key]
            return None
        self._pages.move_to_end(key)
        return found.value

    def keep_page(self, key: Hashable, value: Any, now: datetime, *, generation: int) -> None:
        """Cache ``value`` (made at ``now`` while the index was at ``generation``) until the index
        changes or its next instant comes."""
        if not self.enabled or generation != self.generation or self._loaded_at is None:
            return
        self._pages[key] = _Cached(value, generation, self._next_instant(now))
        self._pages.move_to_end(key)
        while len(self._pages) > self._page_limit:
            self._pages.popitem(last=False)


async def _load(session: AsyncSession) -> dict[int, tuple[datetime, bool]]:
    rows = await session.execute(
        sa.select(col(Release.communique_id), col(Release.embargo_at), col(ReleasePdf.release_id))
        .outerjoin(
            ReleasePdf,
            sa.and_(
                col(ReleasePdf.release_id) == col(Release.id), col(ReleasePdf.embargo_at) == col(Release.embargo_at)
            ),
        )
        .where(col(Release.state).in_(PUBLIC_STATES))
    )
    return {cid: (at, pdf is not None) for cid, at, pdf in rows.all()}


async def _alignments(session: AsyncSession) -> tuple[int, int, int]:
    """How many late alignments there are, how many were withdrawn, and how many releases have a PDF
    with them (each only ever grows): another instance's alignment changes the pages when one does."""
    row = (
        await session.execute(
            sa.select(
                sa.func.count(Alignment.id),  # type: ignore[arg-type]
                sa.func.count(Alignment.withdrawn_at),  # type: ignore[arg-type]
                sa.select(sa.func.count()).select_from(AlignedPdf).scalar_subquery(),
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])
