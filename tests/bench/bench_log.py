"""The transparency log: appending 10,000 entries, then serving inclusion proofs at size 10,000.

1. **Append.** 10,000 canonical JSON leaves, each in its own transaction (as publications come), on
   SQLite; the time per append.
2. **Inclusion proof over HTTP.** ``GET /.well-known/entente/log/proof/inclusion?index=I&size=10000``
   for random I, one request at a time from one client; the latency p50 and p95 (aim: p50 under 5 ms)
   against a bare aiohttp handler answering bytes of the same size to the same client.
3. **In process.** ``log.inclusion_proof`` with the server's tree cache, and without it (every leaf
   hash read from the rows), for scale.

Run with ``make bench`` (or ``python tests/bench/bench_log.py``).
"""

from __future__ import annotations

import asyncio
import base64
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import served  # noqa: E402

from entente import canonical, db, platformkeys  # noqa: E402
from entente.app import create_app  # noqa: E402
from entente.clock import system_clock  # noqa: E402
from entente.settings import load_settings  # noqa: E402
from entente.transparency import log, merkle  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SIZE = 10_000
REQUESTS = 1_000


def leaf(i: int) -> bytes:
    record = {
        "kind": "publication",
        "n": i,
        "version_digest": f"sha256:{i:064x}",
        "released_at": "2026-11-27T09:00:00Z",
    }
    return canonical.canonical_bytes(record)


async def append_all(url: str) -> list[float]:
    await db.migrate(url)
    engine = db.create_engine(url)
    maker = db.sessionmaker(engine)
    times = []
    for i in range(SIZE):
        started = time.perf_counter()
        async with maker.begin() as session:
            await log.append_entry(session, kind="publication", leaf=leaf(i), now=system_clock())
        times.append(time.perf_counter() - started)
    await engine.dispose()
    return times


async def in_process(url: str) -> tuple[list[float], list[float]]:
    engine = db.create_engine(url)
    maker = db.sessionmaker(engine)
    cache = log.TreeCache()
    cached, uncached = [], []
    async with maker() as session:
        await log.inclusion_proof(session, 0, SIZE, cache=cache)  # fills the cache once
        for _ in range(300):
            index = random.randrange(SIZE)
            started = time.perf_counter()
            await log.inclusion_proof(session, index, SIZE, cache=cache)
            cached.append(time.perf_counter() - started)
        for _ in range(20):
            started = time.perf_counter()
            await log.inclusion_proof(session, random.randrange(SIZE), SIZE)
            uncached.append(time.perf_counter() - started)
    await engine.dispose()
    return cached, uncached


async def latencies(base: str, path: str, indexes: list[int]) -> tuple[list[float], bytes]:
    times = []
    body = b""
    async with aiohttp.ClientSession() as client:
        for index in indexes:
            url = f"{base}{path}?index={index}&size={SIZE}"
            started = time.perf_counter()
            async with client.get(url) as response:
                body = await response.read()
                assert response.status == 200, body
            times.append(time.perf_counter() - started)
    return times, body


def bare_app(body: bytes) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/proof", handler)
    return app


def ms(values: list[float], q: float = 0.5) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1] * 1000 if len(values) > 1 else values[0] * 1000


async def check(base: str) -> None:
    """One served proof verifies against the served checkpoint's root (the figures are of right answers)."""
    async with aiohttp.ClientSession() as client:
        text = await (await client.get(f"{base}/.well-known/entente/log/checkpoint")).text()
        root = base64.b64decode(text.split("\n")[2])
        data = await (await client.get(f"{base}/.well-known/entente/log/entries/1234")).read()
        proof = await (
            await client.get(f"{base}/.well-known/entente/log/proof/inclusion?index=1234&size={SIZE}")
        ).json()
    merkle.verify_inclusion(merkle.leaf_hash(data), 1234, SIZE, [base64.b64decode(h) for h in proof["hashes"]], root)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(REPO / "config" / "entente.toml", env={"ENTENTE_PATHS_VAR": tmp})
        platformkeys.ensure_platform_keys(settings.platform_keys_dir, common_name="bench", now=system_clock())
        appended = asyncio.run(append_all(settings.database_url))
        print(
            f"append: {SIZE:,} entries, one transaction each, in {sum(appended):.1f} s "
            f"(p50 {ms(appended):.2f} ms, p95 {ms(appended, 0.95):.2f} ms per append, SQLite)"
        )
        cached, uncached = asyncio.run(in_process(settings.database_url))
        print(
            f"log.inclusion_proof at size {SIZE:,}: p50 {ms(cached):.3f} ms with the tree cache, "
            f"{ms(uncached):.1f} ms reading every leaf hash from the rows"
        )
        indexes = [random.randrange(SIZE) for _ in range(REQUESTS)]
        with served(lambda: create_app(settings)) as base:
            asyncio.run(check(base))
            asyncio.run(latencies(base, "/.well-known/entente/log/proof/inclusion", indexes[:50]))  # warm up
            ours, body = asyncio.run(latencies(base, "/.well-known/entente/log/proof/inclusion", indexes))
        with served(lambda: bare_app(body)) as base:
            asyncio.run(latencies(base, "/proof", indexes[:50]))
            bare, _ = asyncio.run(latencies(base, "/proof", indexes))
        verdict = "meets" if ms(ours) < 5 else "BELOW"
        print(
            f"GET inclusion proof at size {SIZE:,} ({len(body)} bytes), {REQUESTS} sequential requests: "
            f"p50 {ms(ours):.2f} ms, p95 {ms(ours, 0.95):.2f} ms; bare aiohttp p50 {ms(bare):.2f} ms, "
            f"p95 {ms(bare, 0.95):.2f} ms (ratio {ms(ours) / ms(bare):.1f}x; {verdict} the 5 ms p50 aim)"
        )


if __name__ == "__main__":
    main()
