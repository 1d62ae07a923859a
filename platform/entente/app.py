"""``create_app(settings)``: the one wiring point of the server.

Resources live in cleanup contexts, in dependency order (the database first); they are torn
down in reverse, so later contexts (the scheduler) stop before the engine is disposed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import NamedTuple

import aiohttp_jinja2
import jinja2
from aiohttp import web

from entente import db, scheduler
from entente.appkeys import (
    caller_cache_key,
    clock_key,
    document_renderer_key,
    engine_key,
    ladder_key,
    log_tree_key,
    platform_keys_key,
    public_index_key,
    public_records_key,
    publisher_key,
    read_engine_key,
    read_sessionmaker_key,
    sessionmaker_key,
    settings_key,
    templates_key,
)
from entente.auth import CallerCache
from entente.clock import Clock, system_clock
from entente.crisis import CrisisTemplate, load_templates
from entente.documents.pool import DocumentRenderer
from entente.drafting.markdown import render_markdown
from entente.ladder import Ladder, load_ladder
from entente.platformkeys import LazyPlatformKeys, require_platform_keys
from entente.publisher import Publisher
from entente.releases import PublicIndex, PublicRecords
from entente.settings import Settings
from entente.transparency.log import TreeCache
from entente.web import (
    api,
    communique_pages,
    designation_pages,
    html,
    inbox_pages,
    incident_pages,
    middlewares,
    oversight_pages,
    pages,
    public,
    release_pages,
    sanctions_pages,
    signing_pages,
    static,
    template_pages,
)


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[settings_key]
    engine = db.create_engine(
        settings.database_url,
        echo=settings.database.echo,
        pool_size=settings.database.pool_size,
        busy_timeout_ms=settings.database.busy_timeout_ms,
    )
    try:
        await db.require_current_schema(engine)
    except BaseException:
        await engine.dispose()
        raise
    # On SQLite reads get their own query-only connections with deferred transactions (WAL snapshots
    # beside the writer); on PostgreSQL the same engine.
    read_engine = db.create_read_engine(
        settings.database_url, engine, echo=settings.database.echo, busy_timeout_ms=settings.database.busy_timeout_ms
    )
    app[engine_key], app[read_engine_key] = engine, read_engine
    app[sessionmaker_key] = db.sessionmaker(engine)
    app[read_sessionmaker_key] = db.sessionmaker(read_engine)
    yield
    if read_engine is not engine:
        await read_engine.dispose()
    await engine.dispose()


async def platform_keys_ctx(app: web.Application) -> AsyncIterator[None]:
    """Refuse to start without the platform's keys (``entente init`` makes them); they are decrypted on first use."""
    require_platform_keys(app[platform_keys_key].folder)
    yield


async def documents_ctx(app: web.Application) -> AsyncIterator[None]:
    """The PDF rendering pool (its processes start on the first render); stopped after the scheduler.
    A pool handed to ``create_app`` belongs to the caller, who stops it."""
    if document_renderer_key in app:
        yield
        return
    settings = app[settings_key]
    renderer = DocumentRenderer(settings.paths.templates, workers=settings.documents.workers)
    app[document_renderer_key] = renderer
    yield
    await renderer.close()


async def publisher_ctx(app: web.Application) -> AsyncIterator[None]:
    """The release trail's sequencing (checkpoints, public PDFs), over the database and the render pool."""
    settings = app[settings_key]
    app[publisher_key] = Publisher(
        sessions=app[sessionmaker_key],
        keys=app[platform_keys_key],
        renderer=app[document_renderer_key] if settings.documents.pdf else None,
        tree=app[log_tree_key],
        settings=settings,
        clock=app[clock_key],
        index=app[public_index_key],
    )
    yield


class Rules(NamedTuple):
    """What an app serves from its configuration files: the ladder and the crisis templates checked
    against it. Immutable once loaded (frozen dataclasses; each app gets its own copy of the mapping)."""

    ladder: Ladder
    templates: dict[str, CrisisTemplate]


def load_rules(settings: Settings) -> Rules:
    ladder = load_ladder(settings.paths.ladder)
    return Rules(ladder, load_templates(settings.paths.templates / "crisis", ladder=ladder))


def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    renderer: DocumentRenderer | None = None,
    rules: Rules | None = None,
) -> web.Application:
    """The application. ``renderer``: a PDF pool to use instead of starting one, and ``rules``: the
    ladder and templates already loaded from ``settings``' files (several apps in one process, as the
    tests run them, then share a warm worker and skip parsing the same files again)."""
    app = web.Application(
        middlewares=[middlewares.error_middleware, middlewares.caller_middleware, inbox_pages.waiting_middleware],
        client_max_size=settings.limits.max_body_bytes,
    )
    app[settings_key] = settings
    app[clock_key] = clock
    app[caller_cache_key] = CallerCache(settings.auth.cache_seconds)
    app[public_index_key] = index = PublicIndex(settings.release.public_refresh_seconds)
    app[public_records_key] = PublicRecords(index=index)
    app[platform_keys_key] = LazyPlatformKeys(settings.platform_keys_dir)
    app[log_tree_key] = TreeCache()
    rules = rules or load_rules(settings)
    app[ladder_key] = rules.ladder
    app[templates_key] = dict(rules.templates)
    pages_dir = settings.paths.templates / "pages"
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(pages_dir)),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        bytecode_cache=html.COMPILED_PAGES,
    )
    html.setup_environment(aiohttp_jinja2.get_env(app))
    env.globals["markdown"] = render_markdown  # the one Markdown renderer, for every page
    app[aiohttp_jinja2.static_root_key] = "/static"
    app.cleanup_ctx.append(platform_keys_ctx)
    app.cleanup_ctx.append(database_ctx)
    if renderer is not None:
        app[document_renderer_key] = renderer
    app.cleanup_ctx.append(documents_ctx)
    app.cleanup_ctx.append(publisher_ctx)
    app.cleanup_ctx.append(scheduler.scheduler_ctx)  # after the database: stops before it is disposed
    app.on_response_prepare.append(middlewares.add_security_headers)
    api.routes().add_to(app)
    public.add_routes(app)
    pages.add_routes(app)
    incident_pages.add_routes(app)
    communique_pages.add_routes(app)
    sanctions_pages.add_routes(app)
    release_pages.add_routes(app)
    signing_pages.add_routes(app)
    oversight_pages.routes.add_to(app)
    designation_pages.routes.add_to(app)
    template_pages.routes.add_to(app)
    inbox_pages.add_routes(app)
    static.load(app, pages_dir / "static")
    static.routes.add_to(app)
    return app
