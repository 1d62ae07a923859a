"""The README stays a front door (the two commands near the top, the rest in docs/), and every
relative link in README.md and docs/ leads to a file and heading that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def headings(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file (code blocks left out)."""
    anchors, fence = set(), False
    for line in path.read_text("utf-8").splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def test_the_readme_shows_the_two_commands_first_and_stays_short() -> None:
    lines = (REPO / "README.md").read_text("utf-8").splitlines()
    top = "\n".join(lines[:40])
    assert "make demo" in top and "make test" in top
    assert len(lines) <= 170, f"README.md has {len(lines)} lines: move detail into docs/"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text("utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (page.parent / file).resolve() if file else page
        if not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md" and anchor not in headings(path):
            broken.append(target)
    assert not broken, f"{page.relative_to(REPO)}: broken links {broken}"
