"""Server CPU per request of the hot reads, each beside a bare aiohttp handler answering the same bytes.

A served app (SQLite) holds a released communiqué, one scheduled for tomorrow (not yet public) and a
20-section draft. For each path, the app and a bare aiohttp app (a handler returning the same status
and bytes) are loaded the same way over loopback (8 connections), alternately, three rounds each;
the figure is the server process's CPU time per request (from /proc: stable on a busy machine) and
the throughput. Aims from issue 15:

- ``/releases/<id>`` (the page, once public): at least 0.7 of bare (throughput);
- ``/releases`` (the public list): at least 0.7 of bare;
- ``GET /api/v1/public/communiques/<id>`` of the not-yet-public one: at most 3x bare CPU;
- ``GET /api/v1/communiques/<id>/versions/head`` (20 sections, authenticated): at most 2 ms CPU.

Run with ``make bench`` (or ``python tests/bench/bench_public_pages.py``); ``ENTENTE_BENCH_PATHS=head``
measures only the paths holding that text.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "platform"))  # this checkout's code

import bench_public_read  # noqa: E402
from loadgen import _load, bench_settings, cpu_seconds, serving  # noqa: E402

from entente.app import create_app  # noqa: E402

REQUESTS = 1500
ROUNDS = 3


async def draft_20(base: str, tokens: dict[str, dict[str, str]]) -> int:
    api = f"{base}/api/v1/communiques"
    sections = [
        {"heading": f"Section {i}", "body": f"Paragraph {i} of the statement. " * 20, "marking": {"public": True}}
        for i in range(20)
    ]
    async with aiohttp.ClientSession() as client:
        body = {"kind": "joint_statement", "title": "Twenty sections", "participants": ["FR"], "sections": sections}
        async with client.post(api, json=body, headers=tokens["ee.drafter"]) as response:
            assert response.status == 201, await response.text()
            cid = (await response.json())["communique"]
        async with client.post(f"{api}/{cid}/acceptance", headers=tokens["fr.drafter"]) as response:
            assert response.status == 200
    return cid


async def fetch(url: str, headers: dict[str, str]) -> tuple[int, bytes, str]:
    async with aiohttp.ClientSession() as client, client.get(url, headers=headers) as response:
        return response.status, await response.read(), response.content_type


def bare_app(answers: dict[str, tuple[int, bytes, str]]) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        status, body, content_type = answers[request.path]
        return web.Response(status=status, body=body, content_type=content_type)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    return app


def measure(url: str, pid: int, headers: dict[str, str], status: int) -> tuple[float, float]:
    """(requests per second, server CPU ms per request) for one round."""
    before = cpu_seconds(pid)
    rate = asyncio.run(_load(url, headers, REQUESTS, 8, None, status))
    return rate, (cpu_seconds(pid) - before) * 1000 / REQUESTS


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(tmp, ENTENTE_RELEASE_TICK_SECONDS="1", ENTENTE_DOCUMENTS_PDF="false")
        tokens, keys = asyncio.run(bench_public_read.prepare(settings))
        with serving(lambda: create_app(settings)) as (base, pid):
            released, at = asyncio.run(bench_public_read.release(base, tokens, keys))
            bench_public_read.LEAD_TIME = timedelta(days=1)
            pending, _ = asyncio.run(bench_public_read.release(base, tokens, keys))
            draft = asyncio.run(draft_20(base, tokens))
            time.sleep(max(0.0, (at - at.now(at.tzinfo)).total_seconds()) + 1.5)
            drafter = tokens["ee.drafter"]
            paths = [
                (f"/releases/{released}", {}, 0.7),
                ("/releases", {}, 0.7),
                (f"/api/v1/public/communiques/{pending}", {}, 3.0),
                (f"/api/v1/communiques/{draft}/versions/head", drafter, 2.0),
            ]
            only = os.environ.get("ENTENTE_BENCH_PATHS")
            paths = [p for p in paths if not only or any(word in p[0] for word in only.split(","))]
            answers = {path: asyncio.run(fetch(base + path, headers)) for path, headers, _ in paths}
            for path, headers, _ in paths:  # warm-up
                asyncio.run(_load(base + path, headers, 200, 8, None, answers[path][0]))
            with serving(lambda: bare_app(answers)) as (bare, bare_pid):
                results = {path: ([], []) for path, _, _ in paths}
                for _ in range(ROUNDS):
                    for path, headers, _ in paths:
                        status = answers[path][0]
                        results[path][0].append(measure(base + path, pid, headers, status))
                        results[path][1].append(measure(bare + path, bare_pid, {}, status))
    print(f"server CPU per request and throughput, median of {ROUNDS} rounds of {REQUESTS:,} (8 connections)")
    for path, headers, aim in paths:
        ours, bare = results[path]
        rate, cpu = statistics.median(r for r, _ in ours), statistics.median(c for _, c in ours)
        bare_rate, bare_cpu = statistics.median(r for r, _ in bare), statistics.median(c for _, c in bare)
        status = answers[path][0]
        line = (
            f"  GET {path} ({status}, {len(answers[path][1]):,} bytes): entente {cpu:.3f} ms CPU, {rate:,.0f} req/s; "
            f"bare {bare_cpu:.3f} ms, {bare_rate:,.0f} req/s; CPU {cpu / bare_cpu:.1f}x bare, "
            f"throughput {rate / bare_rate:.2f} of bare"
        )
        if "versions/head" in path:
            verdict = f"aim <= {aim:g} ms CPU: {'met' if cpu <= aim else 'NOT met'}"
        elif status == 404:
            verdict = f"aim <= {aim:g}x bare CPU: {'met' if cpu / bare_cpu <= aim else 'NOT met'}"
        else:
            verdict = f"aim >= {aim:g} of bare: {'met' if rate / bare_rate >= aim else 'NOT met'}"
        print(f"{line}  ({verdict})")


if __name__ == "__main__":
    main()
