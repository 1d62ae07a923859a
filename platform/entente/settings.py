"""Typed settings from ``config/entente.toml``, overridable by ``ENTENTE_*`` environment variables.

Every value lives in a table of the file (``[server]``, ``[database]``, ``[paths]``, ``[limits]``,
``[auth]``, ``[release]``, ``[documents]``, ``[notify]``) and can be overridden by ``ENTENTE_<TABLE>_<KEY>``
(``ENTENTE_SERVER_PORT=9000``, ``ENTENTE_DATABASE_URL=postgresql+asyncpg://...``). Relative paths
resolve against the folder of the config file. An unknown key, a wrong type or a missing required
value raises ``ConfigError`` with one line naming the key and the file; the command line turns that
into exit status 2.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from entente.errors import ConfigError

ENV_PREFIX = "ENTENTE_"
CONFIG_ENV = "ENTENTE_CONFIG"
DEFAULT_CONFIG = Path("config/entente.toml")
_REQUIRED = dataclasses.MISSING


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    trust_forwarded_proto: bool = False


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = ""
    echo: bool = False
    pool_size: int = 5
    busy_timeout_ms: int = 10_000  # SQLite: how long a write waits for another writer, then 503


@dataclass(frozen=True)
class PathSettings:
    var: Path = field(default=_REQUIRED)  # type: ignore[assignment]
    templates: Path = field(default=_REQUIRED)  # type: ignore[assignment]
    keys: Path = field(default=_REQUIRED)  # type: ignore[assignment]
    coalition: Path = field(default=_REQUIRED)  # type: ignore[assignment]
    ladder: Path = field(default=_REQUIRED)  # type: ignore[assignment]


@dataclass(frozen=True)
class LimitSettings:
    max_body_bytes: int = 1_048_576
    max_json_depth: int = 32
    max_string_length: int = 100_000
    max_sections: int = 200


@dataclass(frozen=True)
class AuthSettings:
    session_minutes: int = 480
    token_days: int = 90
    login_max_failures: int = 5
    login_window_seconds: int = 300
    cache_seconds: int = 5


@dataclass(frozen=True)
class ReleaseSettings:
    tick_seconds: int = 5  # how often the scheduler calls publish_due; 0 turns the loop off
    public_refresh_seconds: int = 2  # how long the in-memory index of public releases is trusted
    # who may lift a scheduled embargo early on the party's own: "any" participating comms officer,
    # only the "lead" party's, or "none" (cancel and agree a new instant instead)
    lift_policy: str = "any"

    def __post_init__(self) -> None:
        if self.lift_policy not in LIFT_POLICIES:
            raise ConfigError(f"release.lift_policy: {self.lift_policy!r} is not one of {', '.join(LIFT_POLICIES)}")


LIFT_POLICIES = ("any", "lead", "none")


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str = ""  # empty: no e-mail (notices stay in the pages and webhooks)
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_username: str = ""
    smtp_password_env: str = "ENTENTE_SMTP_PASSWORD"  # noqa: S105 (the variable's name, never the password)
    smtp_from: str = "entente@localhost"
    attempts: int = 6  # e-mail and webhook attempts before a delivery is marked failed
    retry_seconds: int = 30  # the first retry; each next one waits twice as long
    timeout_seconds: int = 10
    webhook_private_addresses: bool = False  # true: webhooks may reach loopback and private addresses


@dataclass(frozen=True)
class DocumentSettings:
    pdf: bool = True  # false: no PDFs (a server without Pango publishes JSON and bundles only)
    workers: int = 1  # processes of the rendering pool, started on the first render


@dataclass(frozen=True)
class Settings:
    server: ServerSettings
    database: DatabaseSettings
    paths: PathSettings
    limits: LimitSettings
    auth: AuthSettings
    release: ReleaseSettings = field(default_factory=ReleaseSettings)
    documents: DocumentSettings = field(default_factory=DocumentSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    source: Path = Path("config/entente.toml")

    @property
    def database_url(self) -> str:
        """The configured URL, or the default SQLite file under ``paths.var``."""
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{self.paths.var / 'entente.sqlite3'}"

    @property
    def platform_keys_dir(self) -> Path:
        """The platform's own keys (log and PDF signing), made by ``entente init`` beside the database."""
        return self.paths.var / "platform-keys"

    def replace(self, **tables: Any) -> Settings:
        """A copy with some tables replaced, e.g. ``settings.replace(limits=...)``."""
        return dataclasses.replace(self, **tables)


TABLES: dict[str, type] = {
    "server": ServerSettings,
    "database": DatabaseSettings,
    "paths": PathSettings,
    "limits": LimitSettings,
    "auth": AuthSettings,
    "release": ReleaseSettings,
    "documents": DocumentSettings,
    "notify": NotifySettings,
}


def setting_names() -> list[str]:
    """Every setting as ``table.key``: docs/configuration.md must list each one."""
    return [f"{table}.{f.name}" for table, cls in TABLES.items() for f in fields(cls)]


def env_name(table: str, key: str) -> str:
    return f"{ENV_PREFIX}{table}_{key}".upper()


def config_path(explicit: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit)
    if env.get(CONFIG_ENV):
        return Path(env[CONFIG_ENV])
    return DEFAULT_CONFIG


_TOML_ERROR_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def read_toml(path: Path, *, missing: str = "file not found") -> tuple[str, dict[str, Any]]:
    """The one TOML reader (settings, the coalition, the ladder, crisis templates): the text of
    ``path`` and its tables. Every fault is one :class:`ConfigError` line, ``path:line: reason``;
    ``missing`` is the reason given when the file does not exist."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}:1: cannot read: {missing}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError(f"{path}:1: cannot read: {reason}") from None
    return text, parse_toml(text, str(path))


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """TOML ``text`` read from ``source`` (a path, or "standard input"), with :func:`read_toml`'s errors."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        position = _TOML_ERROR_POSITION.search(message)
        line = int(position.group(1)) if position else 1
        reason = _TOML_ERROR_POSITION.sub("", message).strip() or "invalid TOML"
        raise ConfigError(f"{source}:{line}: invalid TOML: {reason}") from None


def load_settings(path: str | os.PathLike[str] | None = None, *, env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file and the environment into ``Settings``; raise ``ConfigError`` on any fault."""
    env = os.environ if env is None else env
    source = config_path(path, env)
    _, raw = read_toml(source, missing=f"configuration file not found (set {CONFIG_ENV} or pass --config)")

    for table in raw:
        if table not in TABLES:
            raise ConfigError(f"{source}: [{table}]: unknown table (known: {', '.join(TABLES)})")
    known_env = {env_name(t, f.name) for t, cls in TABLES.items() for f in fields(cls)} | {CONFIG_ENV}
    for name in env:
        if name.startswith(ENV_PREFIX) and name not in known_env and not name.startswith("ENTENTE_TEST_"):
            if name in _OTHER_ENTENTE_VARIABLES:
                continue
            raise ConfigError(f"{source}: environment variable {name} names no setting")

    base = source.resolve().parent
    tables = {table: _load_table(source, base, table, cls, raw.get(table, {}), env) for table, cls in TABLES.items()}
    return Settings(**tables, source=source)


# Variables read by other parts (key passphrases, demo password), not settings of this file.
_OTHER_ENTENTE_VARIABLES = {
    "ENTENTE_KEY_PASSPHRASE",
    "ENTENTE_PLATFORM_KEY_PASSPHRASE",
    "ENTENTE_DEMO_PASSWORD", "ENTENTE_TOKEN", "ENTENTE_URL",
    "ENTENTE_SMTP_PASSWORD"}


def _load_table(source: Path, base: Path, table: str, cls: type, values: Any, env: Mapping[str, str]) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: {table}: expected a table")
    names = {f.name for f in fields(cls)}
    for key in values:
        if key not in names:
            raise ConfigError(f"{source}: {table}.{key}: unknown setting")
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        kind = hints[f.name]
        variable = env_name(table, f.name)
        where = f"{table}.{f.name}"
        if variable in env:
            value = _from_env(source, where, variable, kind, env[variable])
        elif f.name in values:
            value = _check_type(source, where, kind, values[f.name])
        elif f.default is not _REQUIRED:
            continue
        else:
            raise ConfigError(f"{source}: {where}: required setting is missing")
        if kind is Path:
            value = value if value.is_absolute() else (base / value).resolve()
        kwargs[f.name] = value
    return cls(**kwargs)


def _check_type(source: Path, where: str, kind: Any, value: Any) -> Any:
    expected = {int: "an integer", bool: "true or false", str: "a string", Path: "a path string"}[kind]
    ok = (
        (kind is int and isinstance(value, int) and not isinstance(value, bool))
        or (kind is bool and isinstance(value, bool))
        or (kind in (str, Path) and isinstance(value, str))
    )
    if not ok:
        raise ConfigError(f"{source}: {where}: expected {expected}, got {type(value).__name__} {value!r}")
    if kind is int and value < 0:
        raise ConfigError(f"{source}: {where}: must not be negative")
    return Path(value) if kind is Path else value


def _from_env(source: Path, where: str, variable: str, kind: Any, text: str) -> Any:
    if kind is int:
        try:
            value: Any = int(text)
        except ValueError:
            raise ConfigError(f"{source}: {where}: {variable}={text!r} is not an integer") from None
    elif kind is bool:
        lowered = text.strip().lower()
        if lowered not in {"1", "0", "true", "false", "yes", "no"}:
            raise ConfigError(f"{source}: {where}: {variable}={text!r} is not true or false")
        value = lowered in {"1", "true", "yes"}
    else:
        value = text
    return _check_type(source, where, kind, value)
