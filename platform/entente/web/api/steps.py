"""The one shape of most API writes: one domain step in one transaction, answered with what it wrote."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from entente.web.bodies import json_response
from entente.web.context import Context

T = TypeVar("T")


async def written(
    ctx: Context, step: Callable[..., Awaitable[T]], shape: Callable[[T], Any], *, status: int = 200, **fields: Any
) -> web.Response:
    """Run ``step`` (with ``fields``, the caller and the request's instant) in one write transaction
    and answer with what it wrote, in its public ``shape``."""

    async def described(session: AsyncSession, row: T) -> Any:
        return shape(row)

    return await written_described(ctx, step, described, status=status, **fields)


async def written_described(
    ctx: Context,
    step: Callable[..., Awaitable[T]],
    describe: Callable[[AsyncSession, T], Awaitable[Any]],
    *,
    status: int = 200,
    **fields: Any,
) -> web.Response:
    """:func:`written`, for an answer the domain describes with what it reads in the same transaction
    (a roster proposal with its signatures, a pre-signature with its state)."""
    async with ctx.write() as session:
        row = await step(session, caller=ctx.caller, now=ctx.now, **fields)
        body = await describe(session, row)
    return json_response(body, status=status)
