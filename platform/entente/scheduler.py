"""The background loop around :func:`entente.releases.publish_due`.

All the work is in ``publish_due`` (pure, idempotent, safe across instances); this module only
calls it every ``release.tick_seconds`` in its own session and transaction, logs a bad tick and
carries on, and stops cleanly when the app shuts down. ``tick_seconds = 0`` turns the loop off
(tests drive ``publish_due`` directly with a fixed clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from entente import releases
from entente.appkeys import clock_key, sessionmaker_key, settings_key
from entente.clock import Clock

log = logging.getLogger("entente.scheduler")


async def tick(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> list[int]:
    """One run: publish what is due now, in one transaction."""
    async with sessions.begin() as session:
        released = await releases.publish_due(session, clock())
    if released:
        log.info("released communiqués %s", ", ".join(map(str, released)))
    return released


async def run(sessions: async_sessionmaker[AsyncSession], clock: Clock, seconds: float) -> None:
    """Tick at once (catching up after a restart), then every ``seconds``, until cancelled."""
    while True:
        try:
            await tick(sessions, clock)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("release scheduler tick failed; trying again in %s s", seconds)
        await asyncio.sleep(seconds)


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context (after the database): the loop runs while the app serves."""
    seconds = app[settings_key].release.tick_seconds
    if seconds <= 0:
        yield
        return
    task = asyncio.create_task(run(app[sessionmaker_key], app[clock_key], seconds), name="entente-scheduler")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
