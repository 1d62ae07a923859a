"""The database: async engine lifetime, sessions, and alembic migrations.

SQLite (aiosqlite) in WAL mode with foreign keys on is the default; PostgreSQL (asyncpg) when the
URL says so. On SQLite a write transaction begins ``IMMEDIATE``: a read-then-write transaction then
waits for the writer before it instead of failing on commit, which keeps merges and chained
writes (the audit trail) correct without retry loops. Reads go through a second engine
(:func:`create_read_engine`) whose connections are ``PRAGMA query_only`` and whose transactions
begin ``DEFERRED``: each reads one WAL snapshot and never waits for a writer. On PostgreSQL reads
and writes share the engine (MVCC readers never wait for writers anyway).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from entente.errors import ConfigError, ConflictError, EntenteError, UnavailableError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def create_engine(
    url: str, *, echo: bool = False, pool_size: int = 5, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> AsyncEngine:
    """An engine for ``url``; refuses drivers other than aiosqlite and asyncpg.

    On SQLite a write waits up to ``busy_timeout_ms`` for another writer's lock, then fails with
    "database is locked", which :func:`domain_error` answers as 503 with ``Retry-After``.
    """
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError(f"database.url: not a database URL: {url!r}") from None
    driver = parsed.get_driver_name()
    backend = parsed.get_backend_name()
    if (backend, driver) == ("sqlite", "aiosqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000})
        _configure_sqlite(engine, busy_timeout_ms=busy_timeout_ms, read_only=False)
        return engine
    if (backend, driver) == ("postgresql", "asyncpg"):
        return create_async_engine(url, echo=echo, pool_size=pool_size, pool_pre_ping=True)
    raise ConfigError(
        f"database.url: unsupported driver {backend}+{driver}; use sqlite+aiosqlite:// or postgresql+asyncpg://"
    )


def create_read_engine(
    url: str, write_engine: AsyncEngine, *, echo: bool = False, busy_timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS
) -> AsyncEngine:
    """The engine for reads: on SQLite its own pool of ``query_only`` connections whose transactions
    begin ``DEFERRED`` (a WAL snapshot taken at the first read, never the writer's lock); on
    PostgreSQL ``write_engine`` itself."""
    if not is_sqlite(url):
        return write_engine
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000})
    _configure_sqlite(engine, busy_timeout_ms=busy_timeout_ms, read_only=True)
    return engine


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int, read_only: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own BEGIN is DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not read_only:  # the writer sets the journal mode once; it is persistent in the file
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        if read_only:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


async def ping(engine: AsyncEngine) -> bool:
    """True when the database answers a trivial query."""
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
        return True
    except (TimeoutError, OSError, sa.exc.SQLAlchemyError):
        return False


#: SQLSTATEs of a transaction that lost a race and may simply be tried again (PostgreSQL).
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03", "57014"}  # serialization, deadlock, lock not available, timeout
_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")


def domain_error(exc: BaseException) -> EntenteError | None:
    """The domain error a database failure stands for, or None for a bug (which stays a 500).

    Contention is not a bug: SQLite's writer lock outlasting the busy timeout, a PostgreSQL
    deadlock or serialization failure, an exhausted connection pool or an unreachable server answer
    ``UnavailableError`` (503 with ``Retry-After``), and a unique key taken by a concurrent writer
    ``ConflictError`` (409). The one error middleware asks this function; nothing else catches
    driver exceptions.
    """
    if isinstance(exc, sa.exc.TimeoutError):  # the pool had no connection free in time
        return UnavailableError("the database is busy; try again", code="database_busy", retry_after=1)
    if not isinstance(exc, sa.exc.DBAPIError):
        return None
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    message = str(orig).lower()
    if sqlstate in _RETRYABLE_SQLSTATES or any(m in message for m in _BUSY_MESSAGES):
        return UnavailableError("the database is busy; try again", code="database_busy", retry_after=1)
    if isinstance(exc, sa.exc.IntegrityError) and (sqlstate == "23505" or "unique constraint" in message):
        return ConflictError("a concurrent change got there first; reload and try again", code="concurrent_change")
    if exc.connection_invalidated or isinstance(exc, sa.exc.InterfaceError):
        return UnavailableError("the database cannot be reached; try again", retry_after=5)
    return None


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def head_revision() -> str:
    """The revision(s) the code expects, e.g. ``0003`` (several heads are joined with ``+``). The
    migrations ship with the code, so they are read once a process, not at every app's start."""
    return "+".join(sorted(ScriptDirectory.from_config(_alembic_config()).get_heads()))


async def migrate(url: str, *, revision: str = "heads") -> None:
    """Apply migrations up to ``revision``; raises ``UnavailableError`` when the database is unreachable."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, revision)
    except (OSError, sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise UnavailableError(f"database unreachable: {_first_line(exc)}") from None
    finally:
        await engine.dispose()


def _upgrade(connection: sa.Connection, revision: str) -> None:
    config = _alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        heads = await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    return "+".join(sorted(heads)) or None


async def require_current_schema(engine: AsyncEngine) -> None:
    """Refuse to serve a database whose schema is behind the code."""
    try:
        current = await current_revision(engine)
    except (OSError, sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise UnavailableError(f"database unreachable: {_first_line(exc)}") from None
    head = head_revision()
    if current != head:
        raise ConfigError(f"database schema is at {current or 'nothing'}, code expects {head}: run `entente migrate`")


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


async def autogenerate(url: str, *, message: str, rev_id: str) -> None:
    """Write a new migration that brings a database at head to the current models (a developer tool)."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_revision, message, rev_id)
    finally:
        await engine.dispose()


def _revision(connection: sa.Connection, message: str, rev_id: str) -> None:
    config = _alembic_config()
    config.attributes["connection"] = connection
    command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
