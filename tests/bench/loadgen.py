"""Shared pieces of the HTTP benchmarks: serve an app in its own process, load it over loopback.

Both the application and its baseline are served and loaded the same way in the same run
(a child process each, one client with a fixed number of concurrent connections and requests),
so the ratio between them is meaningful on any machine.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import aiohttp
from aiohttp import web


def bench_settings(var: str, **env: str) -> Any:
    """Settings of a throwaway server under ``var``, with the platform's keys made as ``entente init`` does."""
    from datetime import UTC, datetime
    from pathlib import Path

    from entente import platformkeys
    from entente.settings import load_settings

    config = Path(__file__).resolve().parents[2] / "config" / "entente.toml"
    settings = load_settings(config, env={"ENTENTE_PATHS_VAR": var, **env})
    platformkeys.ensure_platform_keys(settings.platform_keys_dir, common_name="Entente bench", now=datetime.now(UTC))
    return settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(factory: Callable[[], web.Application], port: int) -> None:
    web.run_app(factory(), host="127.0.0.1", port=port, print=None, access_log=None)


@contextmanager
def served(factory: Callable[[], web.Application]):
    """Run ``factory()``'s app in a child process; yield its base URL; stop it afterwards."""
    with serving(factory) as (url, _pid):
        yield url


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time the process has used so far (from /proc)."""
    import os

    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(factory: Callable[[], web.Application]):
    """Run ``factory()``'s app in a child process; yield its base URL and its process id."""
    port = free_port()
    # Not a daemon: the server starts its own PDF rendering processes, which a daemon may not.
    process = multiprocessing.get_context("fork").Process(target=_serve, args=(factory, port))
    process.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.terminate()
        raise RuntimeError("server did not start")
    try:
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()


async def _load(
    url: str, headers: dict[str, str], requests: int, concurrency: int, expect: bytes | None, status: int = 200
) -> float:
    connector = aiohttp.TCPConnector(limit=concurrency)
    remaining = requests
    async with aiohttp.ClientSession(connector=connector) as client:

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                async with client.get(url, headers=headers) as response:
                    body = await response.read()
                    if response.status != status or (expect is not None and body != expect):
                        raise RuntimeError(f"unexpected answer {response.status}: {body[:200]!r}")

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


def throughput(url: str, *, headers: dict[str, str] | None = None, requests: int = 3000, concurrency: int = 8,
               expect: bytes | None = None, rounds: int = 3) -> float:
    """Median requests per second over ``rounds`` runs after a warm-up."""
    asyncio.run(_load(url, headers or {}, 200, concurrency, expect))
    return statistics.median(
        asyncio.run(_load(url, headers or {}, requests, concurrency, expect)) for _ in range(rounds))


def report(name: str, ours: float, baseline: float, target: float, unit: str = "req/s") -> dict[str, Any]:
    ratio = ours / baseline
    verdict = "meets" if ratio >= target else "BELOW"
    print(f"{name}: entente {ours:,.0f} {unit}, bare aiohttp {baseline:,.0f} {unit}, "
          f"ratio {ratio:.2f} ({verdict} the {target:.2f} aim)")
    return {"ours": ours, "baseline": baseline, "ratio": ratio}
