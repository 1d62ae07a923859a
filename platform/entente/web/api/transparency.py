"""The transparency log over HTTP: checkpoint, log key, entries, proofs (public) and party cosignatures.

Everything under ``/.well-known/entente/log/`` is readable with standard tools: the checkpoint is a C2SP
signed note (text), an entry is its exact leaf bytes, a proof is ``{"hashes": [base64, ...]}``. When
the log has grown past its newest checkpoint, reading the checkpoint signs one for the current size.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable

from aiohttp import web

from entente.appkeys import log_tree_key, publisher_key
from entente.errors import MalformedInputError
from entente.models import LogCosignatureCreate, LogCosignaturePublic, LogProofPublic
from entente.transparency import log
from entente.web.bodies import fields_of, json_response
from entente.web.context import Context
from entente.web.etags import IMMUTABLE, NO_CACHE, public_bytes
from entente.web.openapi import ApiRoutes
from entente.web.paths import MAX_ID

API = "/api/v1"
WELL_KNOWN_LOG = "/.well-known/entente/log"
routes = ApiRoutes(tag="transparency")


def _number(ctx: Context, name: str, text: str | None = None) -> int:
    """A size or an index from the query (or the path): ASCII digits, at most 2^31 - 1 (0 is one)."""
    value = ctx.query.get(name) if text is None else text
    if value is None:
        raise MalformedInputError(f"the query parameter {name!r} is required", field=name)
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_ID:
        raise MalformedInputError(f"{name} must be a whole number from 0 to {MAX_ID}", field=name)
    return int(value)


async def _proof(ctx: Context, prove: Callable[..., Awaitable[list[bytes]]], first: str, second: str) -> web.Response:
    """The proof ``prove`` makes between the entry counts (or index) in query parameters ``first`` and
    ``second``: ``{"hashes": [base64, ...]}``, the same for ever."""
    a, b = _number(ctx, first), _number(ctx, second)
    async with ctx.read() as session:
        hashes = await prove(session, a, b, cache=ctx.app[log_tree_key])
    body = LogProofPublic(hashes=[base64.b64encode(h).decode("ascii") for h in hashes])
    data = body.model_dump_json().encode("utf-8")
    return public_bytes(ctx.request, data, content_type="application/json", cache_control=IMMUTABLE)


#: A proof: public; a query number that is missing or not one answers 400, one past the log 422.
proof_route = routes.family("GET", response=LogProofPublic, authenticated=False, errors=(400, 422))


@routes.get(
    f"{WELL_KNOWN_LOG}/checkpoint",
    name="well-known-log-checkpoint",
    authenticated=False,
    content_type="text/plain",
)
async def checkpoint(ctx: Context) -> web.Response:
    """The log's newest checkpoint: a C2SP signed note by the log key, then the parties' cosignatures"""
    async with ctx.read() as session:
        latest = await log.find_latest_checkpoint(session)
        size = await log.tree_size(session)
        text = await log.latest_checkpoint(session) if latest is not None and latest.size >= size else None
    if text is None:  # the log grew since the last checkpoint (the scheduler signs one at its next tick)
        await ctx.app[publisher_key].sign_checkpoint()
        async with ctx.read() as session:
            text = await log.latest_checkpoint(session)
    return public_bytes(
        ctx.request, text.encode("utf-8"), content_type="text/plain", charset="utf-8", cache_control=NO_CACHE
    )


@routes.get(f"{WELL_KNOWN_LOG}/key", name="well-known-log-key", authenticated=False, content_type="text/plain")
async def key(ctx: Context) -> web.Response:
    """The log's verifier key string (name+keyhash+base64 of 0x01 and the Ed25519 public key)"""
    body = ((await ctx.app[publisher_key].identity()).key + "\n").encode("utf-8")
    return public_bytes(ctx.request, body, content_type="text/plain", charset="utf-8", cache_control=NO_CACHE)


@routes.get(f"{WELL_KNOWN_LOG}/entries/{{index}}", name="well-known-log-entry", authenticated=False, errors=(400,))
async def entry(ctx: Context) -> web.Response:
    """Log entry INDEX (from 0): its exact leaf bytes, canonical JSON; the leaf hash is SHA-256(0x00 || bytes)"""
    index = _number(ctx, "index", ctx.segment("index"))
    async with ctx.read() as session:
        row = await log.get_entry(session, index)
    return public_bytes(ctx.request, row.leaf, content_type="application/json", cache_control=IMMUTABLE)


@proof_route(f"{WELL_KNOWN_LOG}/proof/inclusion", name="well-known-log-inclusion-proof")
async def inclusion(ctx: Context) -> web.Response:
    """RFC 9162 inclusion proof of entry ?index=I in the tree of ?size=N entries"""
    return await _proof(ctx, log.inclusion_proof, "index", "size")


@proof_route(f"{WELL_KNOWN_LOG}/proof/consistency", name="well-known-log-consistency-proof")
async def consistency(ctx: Context) -> web.Response:
    """RFC 9162 consistency proof from the tree of ?first=M entries to that of ?second=N"""
    return await _proof(ctx, log.consistency_proof, "first", "second")


@routes.create(
    f"{API}/log/cosignatures",
    name="api-log-cosignature-add",
    request=LogCosignatureCreate,
    response=LogCosignaturePublic,
    authenticated=False,
)
async def add_cosignature(ctx: Context) -> web.Response:
    """A party's C2SP cosignature of a checkpoint it checked; the signature (a registered key) says who sent it"""
    async with ctx.write() as session:
        row = await log.add_cosignature(session, now=ctx.now, **fields_of(ctx.body))
    return json_response(LogCosignaturePublic.model_validate(row, from_attributes=True), status=201)
