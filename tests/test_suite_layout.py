"""The suite's own layout: shared helpers live in tests/support/, and no test module imports another.

A test module imported by another runs its fixtures and module-level code twice and couples two files
that should change alone; whatever two modules share belongs in tests/support/ (or tests/conftest.py
when it is a fixture).
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def is_test_module(name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "tests" and len(parts) >= 2 and (parts[1].startswith("test_") or parts[1] == "conftest")


def test_no_test_module_imports_another_test_module() -> None:
    offenders = {
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in sorted(TESTS.glob("*.py")) + sorted((TESTS / "support").glob("*.py"))
        for name in imported_modules(path)
        if is_test_module(name)
    }
    assert not offenders, "move what is shared to tests/support/:\n" + "\n".join(sorted(offenders))


def test_the_tests_folder_holds_only_test_modules_and_conftest() -> None:
    stray = [
        path.name
        for path in TESTS.glob("*.py")
        if not path.name.startswith("test_") and path.name not in {"conftest.py", "__init__.py"}
    ]
    assert not stray, f"helpers belong in tests/support/: {stray}"


def test_support_modules_hold_no_tests() -> None:
    for path in (TESTS / "support").glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        tests = [
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
        ]
        assert not tests, f"{path.name} defines tests {tests}: they would never run"
