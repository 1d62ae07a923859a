"""Debian's Chromium driven by Playwright, for the tests marked ``browser``.

One Playwright driver (a node process) and one Chromium serve every browser test of a pytest process
(each xdist worker has its own): the first browser test to need a page starts them (fixture ``chromium``),
the end of the process's tests closes them, and a run that deselects the browser tests
(``make test-fast``) never starts them. Each test gets a fresh browser context, with its own cookies,
storage and IndexedDB, closed after it: the tests stay as independent as with a browser each. Starting
the driver and Chromium cost every test about 0.7 s of CPU (0.35 s each); a context costs a fifth of that.

Playwright's objects belong to the event loop they were made on, and pytest-asyncio gives each test a
loop of its own. So the tests marked ``browser``, with their function-scoped fixtures (``world``,
``aiohttp_client``'s server...), run on one loop kept for the whole process instead, ``browser_loop``:
the fixture ``_function_scoped_runner`` below, pytest-asyncio's own name for the runner of a test and
its fixtures, answers with that loop's runner for a browser test, and with pytest-asyncio's fresh one
for any other. The other ways cost more: Chromium started once as a server that each test connects to
(``connect_over_cdp``, or ``connect`` to a Playwright server; the Python client has no
``launch_server``) still starts a driver per test, for ``connect`` goes through the local driver; and
loop scopes set with pytest-asyncio's own markers cannot reach the shared async fixtures of
``conftest.py`` without moving every other test onto a shared loop too.
"""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# pytestmark of every browser test module: the marker, and a skip where Playwright or Chromium is missing.
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="playwright is installed by `make test`"),
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (make test installs Debian's)"),
]


@pytest.fixture(scope="session")
def browser_loop() -> Iterator[asyncio.Runner]:
    """The event loop of every browser test of this process, and of their fixtures (see above). Made by a
    factory, so that making it does not replace the current event loop, which would drop (unclosed) the
    one pytest-asyncio set aside to restore after each test."""
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        yield runner


@pytest.fixture
def _function_scoped_runner(
    request: pytest.FixtureRequest, _function_scoped_runner: asyncio.Runner
) -> Iterator[asyncio.Runner]:
    """The runner of a test and its function-scoped async fixtures (pytest-asyncio asks for it by this
    name): ``browser_loop`` for a test marked ``browser``, pytest-asyncio's own, fresh, for any other."""
    if request.node.get_closest_marker("browser") is None:
        yield _function_scoped_runner
        return
    runner: asyncio.Runner = request.getfixturevalue("browser_loop")
    # pytest-asyncio before 1.2 runs the test itself on the current event loop, not on this runner's.
    asyncio.set_event_loop(runner.get_loop())
    yield runner
    asyncio.set_event_loop(_function_scoped_runner.get_loop())


@pytest.fixture(scope="session")
def chromium(browser_loop: asyncio.Runner) -> Iterator[Any]:
    """This process's headless Chromium, on ``browser_loop``: started for the first test that asks,
    closed with its driver after the last. Only a test marked ``browser`` can use it, for only those run
    on its loop (another fails with "attached to a different loop")."""
    from playwright.async_api import async_playwright

    playwright = browser_loop.run(async_playwright().start())
    try:
        browser = browser_loop.run(playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser_loop.run(browser.close())
    finally:
        browser_loop.run(playwright.stop())


@asynccontextmanager
async def watched_page(chromium: Any, *, expected: tuple[str, ...] = ()) -> AsyncIterator[tuple[Any, list[str]]]:
    """A page in a fresh context of ``chromium`` (closed afterwards), and the problems it reports: console
    errors (CSP violations among them) but those naming one of ``expected`` (a refused form's status, say),
    and uncaught exceptions."""
    context = await chromium.new_context()
    try:
        page = await context.new_page()
        problems: list[str] = []

        def console(message: Any) -> None:
            if message.type == "error" and not any(e in message.text for e in expected):
                problems.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda error: problems.append(str(error)))
        yield page, problems
    finally:
        await context.close()


@pytest.fixture
async def browser_page(chromium: Any) -> AsyncIterator[tuple[Any, list[str]]]:
    """A watched page (:func:`watched_page`) expecting no error at all; a module that expects some
    overrides this fixture with its own ``expected``."""
    async with watched_page(chromium) as watched:
        yield watched


@pytest.fixture
async def base_url(world: Any, database_url: str) -> str:
    """The test client's server listens on a real loopback port: the browser talks to it."""
    if not database_url.startswith("sqlite"):
        pytest.skip("pages do not depend on the database backend; the browser runs once, on SQLite")
    return str(world.client.make_url("/"))
