"""Fixtures: settings -> app -> client, on a throwaway database per test.

Every database test runs on SQLite and, when ``ENTENTE_TEST_POSTGRES_URL`` names a server, on
PostgreSQL too. The schema is migrated once per run: SQLite tests each get a copy of a migrated file; PostgreSQL
tests share one migrated database that is emptied after each test, so none sees another's data.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from entente import db, parties, platformkeys
from entente.app import create_app
from entente.appkeys import sessionmaker_key
from entente.clock import FixedClock
from entente.documents.pool import DocumentRenderer
from entente.settings import Settings, load_settings
from tests.support.browser import base_url  # noqa: F401 (a fixture, shared by the browser tests)
from tests.support.cli import entente  # noqa: F401 (a fixture: the command run in this process)
from tests.support.signoffs import register_keys
from tests.support.world import PASSWORD, REPO, SMALL_COALITION, START, World

POSTGRES_ENV = "ENTENTE_TEST_POSTGRES_URL"


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def run_in_thread(coro: Awaitable[Any]) -> Any:
    """Run a coroutine to completion on its own loop, even when called from inside a running loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "entente.sqlite3"
    run_in_thread(db.migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One PostgreSQL database per run (per worker), migrated once; each test leaves it empty."""
    url = postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
    name = f"entente_test_{uuid.uuid4().hex[:12]}"
    run_in_thread(_admin(url, f'CREATE DATABASE "{name}"'))
    run_in_thread(db.migrate(_with_database(url, name)))
    yield _with_database(url, name)
    run_in_thread(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_tables(url: str) -> None:
    """Delete every row but alembic's and restart the sequences: far cheaper than a database per test
    (or TRUNCATE, which rewrites every table's files), and just as isolating."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text("SET LOCAL lock_timeout = '20s'"))
            for table in reversed(SQLModel.metadata.sorted_tables):
                await connection.execute(table.delete())
            sequences = (
                await connection.execute(
                    sa.text("SELECT schemaname || '.' || sequencename FROM pg_sequences WHERE schemaname = 'public'")
                )
            ).scalars()
            for sequence in list(sequences):
                await connection.execute(sa.text("SELECT setval(:s, 1, false)"), {"s": sequence})
    finally:
        await engine.dispose()


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "entente.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    try:
        yield url
    finally:
        await _empty_tables(url)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(scope="session")
def platform_keys_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The platform's keys made once per run (as `entente init` does); each test's var/ gets a copy."""
    folder = tmp_path_factory.mktemp("platform-keys") / "platform-keys"
    platformkeys.ensure_platform_keys(folder, common_name="Entente publications (tests)", now=START)
    return folder


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pdf: renders PDFs (documents.pdf is on in these tests only)")
    config.addinivalue_line("markers", "browser: drives Chromium through Playwright (tests/support/browser.py)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run once, on SQLite: their PostgreSQL copy is skipped before any database is made."""
    skip = pytest.mark.skip(reason="pages do not depend on the database backend; the browser runs once, on SQLite")
    for item in items:
        callspec = getattr(item, "callspec", None)
        if item.get_closest_marker("browser") and callspec is not None:
            if callspec.params.get("database_url") == "postgresql":
                item.add_marker(skip)


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path, platform_keys_template: Path
) -> Settings:
    shutil.copytree(platform_keys_template, tmp_path / "var" / "platform-keys")
    env = {
        "ENTENTE_DATABASE_URL": database_url,
        "ENTENTE_PATHS_VAR": str(tmp_path / "var"),
        "ENTENTE_RELEASE_TICK_SECONDS": "0",  # tests call publish_due with the fixed clock themselves
        # PDFs only where a test is marked `pdf`; everywhere else the server behaves as one without Pango.
        "ENTENTE_DOCUMENTS_PDF": "true" if request.node.get_closest_marker("pdf") else "false",
    }
    return load_settings(REPO / "config" / "entente.toml", env=env)


@pytest.fixture(scope="session")
def document_renderer() -> Iterator[DocumentRenderer]:
    """One PDF pool per run (per worker) for every app of a `pdf` test: a fresh pool spawns a process
    that imports WeasyPrint and loads its fonts, seconds of CPU before the first page."""
    renderer = DocumentRenderer(REPO / "templates")
    yield renderer
    run_in_thread(renderer.close())


@pytest.fixture
def app(request: pytest.FixtureRequest, settings: Settings, clock: FixedClock) -> Any:
    pdf = request.node.get_closest_marker("pdf") is not None
    return create_app(settings, clock=clock, renderer=request.getfixturevalue("document_renderer") if pdf else None)


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]], app: Any) -> TestClient:
    return await aiohttp_client(app)


@pytest.fixture(scope="session")
def password_hash() -> str:
    """PASSWORD hashed once per run, as argon2id at its lowest cost. A sign-in is checked with the
    parameters written in the stored hash, and the suite signs in hundreds of times: at the library's
    recommended cost (a quarter of a second of CPU each) that was minutes. Hashing at the real cost is
    tested where it matters (test_auth, `entente init`)."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


@pytest.fixture
async def world(client: TestClient, clock: FixedClock, password_hash: str) -> World:
    async with client.app[sessionmaker_key].begin() as session:
        await parties.seed_coalition(
            session, SMALL_COALITION, password=PASSWORD, now=clock(), password_hash=password_hash
        )
    return World(client, clock)


@pytest.fixture
async def rostered(world: World) -> dict[str, Any]:
    """One registered Ed25519 key per party, and roster version 1 signed by every party (what a
    verifier of a publication walks from); the private keys by party."""
    keys = await register_keys(world)
    async with world.sessions.begin() as session:
        await parties.seed_roster(session, keys=keys, actor="test", now=world.clock())
    return keys


@pytest.fixture
async def keys(world: World) -> dict[str, Any]:
    """One registered Ed25519 key per party of the small coalition."""
    return await register_keys(world)
