"""The repository layout the house plan fixes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_platform_is_a_source_root_not_a_package() -> None:
    assert not (REPO / "platform" / "__init__.py").exists()
    assert (REPO / "platform" / "entente" / "__init__.py").exists()


def test_standard_library_platform_module_is_not_shadowed_from_the_repository_root() -> None:
    result = subprocess.run([sys.executable, "-c", "import platform; print(platform.system())"], cwd=REPO,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip()


def test_python_dash_m_entente_and_the_console_script_are_the_same_command() -> None:
    """The one subprocess smoke test of the command: every other test runs it in-process
    (tests/support/cli.py), so this one checks what that skips: the interpreter start, the entry
    points, the imports on a fresh process."""
    console_script = Path(sys.executable).with_name("entente")
    commands = [[sys.executable, "-m", "entente"]] + ([[str(console_script)]] if console_script.exists() else [])
    for command in commands:
        result = subprocess.run([*command, "--help"], cwd=REPO, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (command, result.stderr)
        assert "init" in result.stdout and "serve" in result.stdout


def test_no_private_key_is_committed() -> None:
    tracked = subprocess.run(["git", "ls-files", "keys"], cwd=REPO, capture_output=True, text=True).stdout.split()
    for name in tracked:
        text = (REPO / name).read_text(encoding="utf-8", errors="replace")
        assert "PRIVATE KEY" not in text, name
        assert '"d"' not in text, name
