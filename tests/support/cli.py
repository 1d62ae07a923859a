"""The ``entente`` command run in this process: ``entente.cli.main(argv)`` with captured output.

A subprocess pays for a fresh interpreter and every import (about a second each time); in-process, a
command costs what it does. The environment is what the test gives plus nothing of the caller's
ENTENTE_* settings, the working directory is the repository (as `make` runs it), standard input is the
given text (never a terminal). Commands call ``asyncio.run``, so ``main`` runs on a thread of its own;
from an async test whose server the command talks to, call the runner itself in a thread too
(``await asyncio.to_thread(entente, ...)``) so the test's loop keeps answering. ``entente serve`` does not
return: it stays out.
tests/test_layout.py keeps the one subprocess test of ``python -m entente`` and the console script.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from tests.support.world import REPO


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


class Entente:
    """Calls ``entente.cli.main``; one instance per test (it holds the test's monkeypatch and capsys)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
        self.monkeypatch, self.capsys = monkeypatch, capsys
        monkeypatch.chdir(REPO)

    def __call__(self, *args: str, env: Mapping[str, str] | None = None, stdin: str | None = None) -> Run:
        from entente.cli import main

        for name in [n for n in os.environ if n.startswith("ENTENTE_") and not n.startswith("ENTENTE_TEST_")]:
            self.monkeypatch.delenv(name)
        for name, value in (env or {}).items():
            self.monkeypatch.setenv(name, value)
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        self.capsys.readouterr()
        # Always on a thread of its own: the commands' asyncio.run would otherwise replace (and drop, unclosed)
        # the event loop pytest-asyncio keeps current on the main thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            code = pool.submit(_main, main, list(args)).result()
        out, err = self.capsys.readouterr()
        return Run(code, out, err)


def _main(main: Callable[[list[str]], int], argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:  # argparse: --help and usage errors
        return exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)


@pytest.fixture
def entente(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Entente:
    """Run ``entente ARGS`` in this process: ``entente("audit", "verify", env={...}, stdin="...")``."""
    return Entente(monkeypatch, capsys)
