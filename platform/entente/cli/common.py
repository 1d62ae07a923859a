"""What every ``entente`` subcommand shares: exit codes, the parser class, settings, a database session."""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, NoReturn, TypeVar

from entente.errors import UnavailableError
from entente.settings import Settings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INDETERMINATE = 0, 1, 2, 3
#: Where the commands that talk to a running server find it, and the API token they send.
URL_ENV, TOKEN_ENV = "ENTENTE_URL", "ENTENTE_TOKEN"
T = TypeVar("T")


class UsageError(Exception):
    pass


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports usage errors as exceptions (exit 2 through ``main``), not ``sys.exit``."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\n{self.format_usage().strip()}")


def command_group(commands: Any, name: str, *, help: str, description: str | None = None) -> Any:
    """``entente NAME ACTION``: a command whose actions are added to what is returned; one is required."""
    return commands.add_parser(name, help=help, description=description).add_subparsers(
        dest=f"{name}_command", metavar="ACTION", required=True
    )


def command(
    commands: Any, name: str, run: Callable[[argparse.Namespace], int], *, description: str | None = None
) -> argparse.ArgumentParser:
    """``entente [GROUP] NAME``, carried out by ``run``, whose docstring says what it does (as an API handler's
    is its operation's summary): the first paragraph is the command's help in its group's list, the rest its
    description in ``--help`` (``description``, when given, instead)."""
    doc = inspect.getdoc(run)
    if not doc:
        raise ValueError(f"{run.__qualname__}: a command needs a docstring")
    summary, _, rest = doc.partition("\n\n")
    parser = commands.add_parser(name, help=" ".join(summary.split()), description=description or rest or None)
    parser.set_defaults(run=run)
    return parser


def days(text: str) -> int:
    """An argument type: a whole number of days from 1 to 36500."""
    if not text.isdigit() or not 1 <= int(text) <= 36_500:
        raise argparse.ArgumentTypeError(f"{text!r}: a number of days from 1 to 36500")
    return int(text)


def settings(args: argparse.Namespace) -> Settings:
    return load_settings(args.config, env=os.environ)


def run(coro: Awaitable[T]) -> T:
    return asyncio.run(_as_coroutine(coro))


async def _as_coroutine(coro: Awaitable[T]) -> T:
    return await coro


@asynccontextmanager
async def database(config: Settings, *, check_schema: bool = True) -> AsyncIterator[Any]:
    """An engine for the configured database, schema checked, disposed on exit; yields a sessionmaker."""
    from entente import db  # here, so offline commands (verify, sign, keys) never load SQLAlchemy

    engine = db.create_engine(config.database_url)
    try:
        if check_schema:
            await db.require_current_schema(engine)
        yield db.sessionmaker(engine)
    finally:
        await engine.dispose()


async def post_json(client: Any, url: str, body: Any, *, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST ``body`` as JSON with an ``aiohttp.ClientSession``: the status and the answer (problem JSON, or
    the first 200 characters of a body that is not JSON); ``UnavailableError`` when the server cannot be
    reached."""
    import aiohttp  # here: offline commands never load it

    try:
        async with client.post(url, json=body, headers=headers) as response:
            try:
                answer = await response.json(content_type=None)
            except ValueError:
                answer = {"detail": (await response.text())[:200]}
            return response.status, answer
    except aiohttp.ClientError as exc:
        raise UnavailableError(f"cannot reach {url}: {exc}") from None
