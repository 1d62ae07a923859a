"""Settings: the file, the environment, and refusals that name the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from entente.errors import ConfigError
from entente.settings import load_settings, setting_names

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "entente.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "entente.toml"
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = '[paths]\nvar = "var"\ntemplates = "t"\nkeys = "k"\ncoalition = "c.toml"\nladder = "l.toml"\n'


def test_shipped_config_loads_with_paths_resolved_against_its_folder() -> None:
    settings = load_settings(CONFIG, env={})
    assert settings.paths.templates == REPO / "templates"
    assert settings.paths.coalition == REPO / "config" / "coalition.toml"
    assert settings.database_url == f"sqlite+aiosqlite:///{REPO / 'var' / 'entente.sqlite3'}"


def test_environment_overrides_every_kind_of_value(tmp_path: Path) -> None:
    env = {
        "ENTENTE_SERVER_PORT": "9000",
        "ENTENTE_SERVER_TRUST_FORWARDED_PROTO": "true",
        "ENTENTE_DATABASE_URL": "postgresql+asyncpg://u@h/db",
        "ENTENTE_PATHS_VAR": "/srv/entente",
    }
    settings = load_settings(write(tmp_path, MINIMAL), env=env)
    assert settings.server.port == 9000
    assert settings.server.trust_forwarded_proto is True
    assert settings.database_url == "postgresql+asyncpg://u@h/db"
    assert settings.paths.var == Path("/srv/entente")
    assert settings.paths.templates == tmp_path / "t"


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        (MINIMAL + "[server]\nprot = 1\n", {}, "server.prot: unknown setting"),
        (MINIMAL + "[servers]\n", {}, "[servers]: unknown table"),
        (MINIMAL + '[server]\nport = "8080"\n', {}, "server.port: expected an integer"),
        (MINIMAL + "[server]\nport = true\n", {}, "server.port: expected an integer"),
        (MINIMAL.replace('ladder = "l.toml"\n', ""), {}, "paths.ladder: required setting is missing"),
        (MINIMAL, {"ENTENTE_SERVER_PORT": "eighty"}, "server.port: ENTENTE_SERVER_PORT='eighty' is not an integer"),
        (MINIMAL, {"ENTENTE_SERVER_PROT": "1"}, "ENTENTE_SERVER_PROT names no setting"),
        ("[server\n", {}, "invalid TOML"),
    ],
)
def test_broken_configuration_is_refused_in_one_line_naming_key_and_file(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env)
    text_of_error = str(caught.value)
    assert message in text_of_error
    assert str(path) in text_of_error
    assert "\n" not in text_of_error


def test_missing_config_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ENTENTE_CONFIG"):
        load_settings(tmp_path / "nope.toml", env={})


def test_every_setting_is_documented_in_the_configuration_table() -> None:
    table = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [name for name in setting_names() if f"`{name}`" not in table]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"
    for name in setting_names():
        table_name, key = name.split(".")
        assert f"ENTENTE_{table_name.upper()}_{key.upper()}" in table
