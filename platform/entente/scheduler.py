"""The background loop around :func:`entente.releases.publish_due`.

All the work is in ``publish_due`` and the publisher's steps around it (rendering due public PDFs,
signing the log's checkpoint), each idempotent and safe across instances; this module only calls
:meth:`entente.publisher.Publisher.tick` every ``release.tick_seconds``, logs a bad tick and carries
on, and stops cleanly when the app shuts down. ``tick_seconds = 0`` turns the loop off (tests drive
``publish_due`` or ``tick`` directly with a fixed clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from entente import inbox
from entente.appkeys import clock_key, publisher_key, sessionmaker_key, settings_key
from entente.publisher import Publisher

log = logging.getLogger("entente.scheduler")


async def tick(publisher: Publisher) -> list[int]:
    """One run: render what is due, publish what is due now, sign the log's checkpoint."""
    released = await publisher.tick()
    if released:
        log.info("released communiqués %s", ", ".join(map(str, released)))
    return released


async def _repeat(step: Callable[[], Awaitable[object]], seconds: float, what: str) -> None:
    """Run ``step`` at once, then every ``seconds``, until cancelled; a failure is logged and tried again."""
    while True:
        try:
            await step()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; trying again in %s s", what, seconds)
        await asyncio.sleep(seconds)


async def run(publisher: Publisher, seconds: float) -> None:
    """Tick at once (catching up after a restart), then every ``seconds``, until cancelled."""
    await _repeat(lambda: tick(publisher), seconds, "release scheduler tick")


async def notify(app: web.Application) -> int:
    """One run of the notices: audit entries to notices and queued deliveries, then send what is due."""
    settings, clock = app[settings_key], app[clock_key]
    async with app[sessionmaker_key].begin() as session:
        written = await inbox.dispatch_notices(session, clock(), email=bool(settings.notify.smtp_host))
    await inbox.deliver_due(app[sessionmaker_key], settings.notify, clock(), clock=clock)
    return written


async def run_notices(app: web.Application, seconds: float) -> None:
    """Notices beside the release loop (a slow webhook never delays a release), until cancelled."""
    await _repeat(lambda: notify(app), seconds, "notice tick")


async def scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context (after the database): the loops run while the app serves."""
    seconds = app[settings_key].release.tick_seconds
    if seconds <= 0:
        yield
        return
    tasks = [
        asyncio.create_task(run(app[publisher_key], seconds), name="entente-scheduler"),
        asyncio.create_task(run_notices(app, seconds), name="entente-notices"),
    ]
    yield
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
