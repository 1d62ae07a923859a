"""What every ``entente`` subcommand shares: exit codes, the parser class, settings, a database session."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, NoReturn, TypeVar

from entente.errors import UnavailableError
from entente.settings import Settings, load_settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INDETERMINATE = 0, 1, 2, 3
T = TypeVar("T")


class UsageError(Exception):
    pass


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports usage errors as exceptions (exit 2 through ``main``), not ``sys.exit``."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}\n{self.format_usage().strip()}")


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
