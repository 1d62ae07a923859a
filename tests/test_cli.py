"""The ``entente`` command: exit codes, one-line errors, the admin subcommands.

Run in this process (tests/support/cli.py); tests/test_layout.py starts the real command once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # No PDF for the demo statement here: rendering starts a WeasyPrint process (tests/test_public_pdf.py
    # checks the public PDF of a release end to end).
    return {
        "ENTENTE_PATHS_VAR": str(tmp_path / "var"),
        "ENTENTE_PATHS_KEYS": str(tmp_path / "keys"),
        "ENTENTE_DOCUMENTS_PDF": "false",
    }


def test_every_command_has_help(entente) -> None:
    for args in (["--help"], ["init", "--help"], ["serve", "--help"], ["migrate", "--help"], ["user", "add", "--help"],
                 ["token", "create", "--help"], ["audit", "verify", "--help"]):
        result = entente(*args)
        assert result.returncode == 0, (args, result.stderr)
        assert "usage:" in result.stdout


def test_usage_error_exits_2_with_usage(entente) -> None:
    result = entente("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "usage:" in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_configuration_exits_2_in_one_line(entente, tmp_path: Path) -> None:
    config = tmp_path / "entente.toml"
    config.write_text("[server]\nport = 'x'\n")
    result = entente("--config", str(config), "migrate")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "server.port" in result.stderr and str(config) in result.stderr


def test_unreachable_database_exits_1_in_one_line(entente, env: dict[str, str]) -> None:
    result = entente("migrate", env=env | {"ENTENTE_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"})
    assert result.returncode == 1
    assert result.stderr.startswith("entente: database unreachable")
    assert "Traceback" not in result.stderr


def test_serving_a_database_that_was_never_initialised_says_what_to_run(
    entente, env: dict[str, str], tmp_path: Path
) -> None:
    result = entente("audit", "verify", env=env)
    assert result.returncode == 2
    assert "run `entente migrate`" in result.stderr


def test_init_demo_user_add_token_create_and_audit_verify(entente, env: dict[str, str]) -> None:
    demo = entente("init", "--demo", env=env | {"ENTENTE_DEMO_PASSWORD": "demo password 123"})
    assert demo.returncode == 0, demo.stderr
    assert "demo password for every demo user: demo password 123" in demo.stdout
    assert "ee.drafter" in demo.stdout and "eu.secretariat" in demo.stdout
    assert re.search(r"ee\.oversight\s+EE\s+oversight\n", demo.stdout), demo.stdout  # the read-only role
    again = entente("init", "--demo", env=env)
    assert "(0 new)" in again.stdout

    added = entente("user", "add", "ee.analyst", "--party", "EE", "--role", "drafter", "--role", "signatory",
                    env=env, stdin="a long enough password\n")
    assert added.returncode == 0, added.stderr
    duplicate = entente("user", "add", "ee.analyst", "--party", "EE", "--role", "drafter", env=env,
                        stdin="a long enough password\n")
    assert duplicate.returncode == 1 and "taken" in duplicate.stderr
    unknown_party = entente("user", "add", "xx.one", "--party", "XX", "--role", "drafter", env=env,
                            stdin="a long enough password\n")
    assert unknown_party.returncode == 1 and "no party with code 'XX'" in unknown_party.stderr
    bad_role = entente("user", "add", "ee.two", "--party", "EE", "--role", "king", env=env)
    assert bad_role.returncode == 2

    token = entente("token", "create", "ee.analyst", "--name", "ci", env=env)
    assert token.returncode == 0 and token.stdout.startswith("ent_")
    assert entente("token", "create", "nobody", env=env).returncode == 1

    verify = entente("audit", "verify", env=env)
    assert verify.returncode == 0 and "audit trail intact" in verify.stdout
