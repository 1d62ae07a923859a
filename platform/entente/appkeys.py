"""Every ``web.AppKey`` and ``web.RequestKey`` of the application, in one place."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from entente.auth import Caller, CallerCache
from entente.clock import Clock
from entente.crisis import CrisisTemplate
from entente.documents.pool import DocumentRenderer
from entente.ladder import Ladder
from entente.platformkeys import LazyPlatformKeys
from entente.publisher import Publisher
from entente.releases import PublicIndex, PublicRecords
from entente.settings import Settings
from entente.transparency.log import TreeCache

settings_key = web.AppKey("settings_key", Settings)
clock_key = web.AppKey[Clock]("clock_key")
engine_key = web.AppKey("engine_key", AsyncEngine)
#: The engine reads use: on SQLite query-only connections beside the writer's; on PostgreSQL ``engine_key``'s.
read_engine_key = web.AppKey("read_engine_key", AsyncEngine)
sessionmaker_key = web.AppKey[async_sessionmaker[AsyncSession]]("sessionmaker_key")
#: Sessions for reads only (on SQLite: deferred transactions on WAL snapshots, beside any writer).
read_sessionmaker_key = web.AppKey[async_sessionmaker[AsyncSession]]("read_sessionmaker_key")
caller_cache_key = web.AppKey("caller_cache_key", CallerCache)
ladder_key = web.AppKey("ladder_key", Ladder)
templates_key = web.AppKey[dict[str, CrisisTemplate]]("templates_key")
public_records_key = web.AppKey("public_records_key", PublicRecords)
public_index_key = web.AppKey("public_index_key", PublicIndex)
platform_keys_key = web.AppKey("platform_keys_key", LazyPlatformKeys)
document_renderer_key = web.AppKey("document_renderer_key", DocumentRenderer)
log_tree_key = web.AppKey("log_tree_key", TreeCache)
publisher_key = web.AppKey("publisher_key", Publisher)

caller_key = web.RequestKey[Caller | None]("caller_key")
login_csrf_key = web.RequestKey("login_csrf_key", str)
#: What waits for the signed-in person and their unread notices, counted for the top bar of a page.
waiting_count_key = web.RequestKey[tuple[int, int]]("waiting_count_key")
