"""Fixtures: settings -> app -> client, on a throwaway database per test.

Every database test runs on SQLite and, when ``ENTENTE_TEST_POSTGRES_URL`` names a server, on
PostgreSQL too. The schema is migrated once per run: SQLite tests each get a copy of a migrated file; PostgreSQL
tests share one migrated database that is emptied after each test, so none sees another's data.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel, col, select

from entente import auth, db, parties, platformkeys
from entente.app import Rules, create_app, load_rules
from entente.appkeys import sessionmaker_key
from entente.clock import FixedClock
from entente.documents.pool import DocumentRenderer
from entente.models import User
from entente.settings import Settings, load_settings
from tests.support.browser import (  # noqa: F401 (fixtures shared by the browser tests)
    _function_scoped_runner,
    base_url,
    browser_loop,
    browser_page,
    chromium,
)
from tests.support.cli import entente  # noqa: F401 (a fixture: the command run in this process)
from tests.support.signoffs import register_keys
from tests.support.world import PASSWORD, REPO, SMALL_COALITION, START, TOKEN_DAYS, World

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
def postgres_database() -> Iterator[PostgresDatabase]:
    """One PostgreSQL database per run (per worker), migrated once; each test leaves it empty."""
    url = postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)")
    name = f"entente_test_{uuid.uuid4().hex[:12]}"
    run_in_thread(_admin(url, f'CREATE DATABASE "{name}"'))
    database = PostgresDatabase(_with_database(url, name))
    run_in_thread(db.migrate(database.url))
    yield database
    run_in_thread(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class PostgresDatabase:
    """The worker's migrated database, and the one batch of statements that empties it after a test."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._empty: str | None = None

    async def empty(self) -> None:
        """Delete every row but alembic's and restart the sequences, in one round trip on a plain
        asyncpg connection: far cheaper than a database per test, an engine per test (its dialect
        asks the server several questions first) or TRUNCATE (which rewrites every table's files),
        and just as isolating."""
        dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        try:
            if self._empty is None:
                sequences = await connection.fetch(
                    "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) AS name"
                    " FROM pg_sequences WHERE schemaname = 'public'"
                )
                deletes = [f'DELETE FROM "{table.name}"' for table in reversed(SQLModel.metadata.sorted_tables)]
                # setval, not ALTER SEQUENCE ... RESTART: the same effect at a twentieth of the cost.
                restarts = [f"SELECT setval('{row['name']}', 1, false)" for row in sequences]
                self._empty = ";\n".join(["SET LOCAL lock_timeout = '20s'", *deletes, *restarts])
            async with connection.transaction():
                await connection.execute(self._empty)
        finally:
            await connection.close()


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
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    try:
        yield database.url
    finally:
        await database.empty()


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
    config.addinivalue_line("markers", f"postgresql: runs on the PostgreSQL server of {POSTGRES_ENV} (skipped without)")


def pytest_collection_finish(session: pytest.Session) -> None:
    """The modules, app code and collected tests live for the whole run: set them aside from the
    garbage collector (``gc.freeze``) and collect less often. A sixth to a fifth of the suite's CPU
    went to collections scanning the same long-lived objects again and again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


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


@pytest.fixture(scope="session")
def rules() -> Rules:
    """The repository's ladder and crisis templates, parsed and cross-checked once per run (per worker):
    every app of a test whose settings name these files shares them instead of parsing them again."""
    return load_rules(load_settings(REPO / "config" / "entente.toml", env={}))


def make_app(request: pytest.FixtureRequest, settings: Settings, clock: FixedClock) -> Any:
    """An app for ``settings`` as a test's fixtures build it: the shared PDF pool where the test is
    marked ``pdf``, the rules loaded once where ``settings`` names the repository's files."""
    pdf = request.node.get_closest_marker("pdf") is not None
    shared: Rules = request.getfixturevalue("rules")
    default = (
        settings.paths.ladder == REPO / "config" / "ladder.toml" and settings.paths.templates == REPO / "templates"
    )
    return create_app(
        settings,
        clock=clock,
        renderer=request.getfixturevalue("document_renderer") if pdf else None,
        rules=shared if default else None,
    )


@pytest.fixture
def app_for(request: pytest.FixtureRequest, clock: FixedClock) -> Callable[[Settings], Any]:
    """Builds this test's app from other settings (a fixture that changes one setting uses it)."""
    return lambda settings: make_app(request, settings, clock)


@pytest.fixture
def app(app_for: Callable[[Settings], Any], settings: Settings) -> Any:
    return app_for(settings)


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


@pytest.fixture(scope="session")
def world_rows(sqlite_template: Path, password_hash: str, tmp_path_factory: pytest.TempPathFactory) -> WorldRows:
    """SMALL_COALITION seeded once per run (per worker) by ``seed_coalition``, with an API token for each
    user (``World.token`` hands them out), into a scratch copy of the migrated database, and read back:
    every row it wrote, table by table, and the tokens' secrets."""
    path = tmp_path_factory.mktemp("world") / "entente.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return run_in_thread(_seed_and_read(f"sqlite+aiosqlite:///{path}", password_hash))


@dataclass(frozen=True)
class WorldRows:
    tables: list[tuple[sa.Table, list[dict[str, Any]]]]
    tokens: dict[str, str]


async def _seed_and_read(url: str, password_hash: str) -> WorldRows:
    """The rows seeding added (a migration's own rows, there before, are left out; none may change)."""
    engine = db.create_engine(url)
    try:
        before = await _read_rows(engine)
        async with db.sessionmaker(engine).begin() as session:
            await parties.seed_coalition(
                session, SMALL_COALITION, password=PASSWORD, now=START, password_hash=password_hash
            )
            tokens = {
                user.username: (await auth.create_token(session, user, name="test", days=TOKEN_DAYS, now=START))[0]
                for user in (await session.execute(select(User).order_by(col(User.id)))).scalars()
            }
        after = await _read_rows(engine)
    finally:
        await engine.dispose()
    added = []
    for (table, old), (_, new) in zip(before, after, strict=True):
        assert all(row in new for row in old), f"seeding changed a row of {table.name} the migration wrote"
        if fresh := [row for row in new if row not in old]:
            added.append((table, fresh))
    return WorldRows(added, tokens)


async def _read_rows(engine: Any) -> WorldRows:
    async with engine.connect() as connection:
        return [(t, [dict(r) for r in (await connection.execute(t.select())).mappings()]) for t in _tables()]


def _tables() -> list[sa.Table]:
    return [t for t in SQLModel.metadata.sorted_tables if t.name != "alembic_version"]


async def _insert_world(sessions: Any, rows: WorldRows) -> None:
    """The seeded rows in one statement per table; on PostgreSQL the sequences then continue after them."""
    async with sessions.begin() as session:
        for table, values in rows.tables:
            await session.execute(table.insert(), values)
        if session.bind.dialect.name == "postgresql":
            for table, _ in rows.tables:
                if (column := table.autoincrement_column) is not None:
                    restart = f'SELECT setval(pg_get_serial_sequence(:t, :c), max("{column.name}")) FROM "{table.name}"'
                    await session.execute(sa.text(restart), {"t": f'"{table.name}"', "c": column.name})


@pytest.fixture
async def world(client: TestClient, clock: FixedClock, password_hash: str, request: pytest.FixtureRequest) -> World:
    """The small coalition in this test's database: the rows ``seed_coalition`` wrote once, inserted in bulk
    (a test whose clock does not start at START seeds its own)."""
    sessions = client.app[sessionmaker_key]
    if clock() == START:
        rows = request.getfixturevalue("world_rows")
        await _insert_world(sessions, rows)
        return World(client, clock, tokens=rows.tokens)
    async with sessions.begin() as session:
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
