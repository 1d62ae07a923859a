"""The public PDF: serving it, and checking it with `entente verify`.

A two-party communiqué is drafted, signed off, agreed and scheduled through the API of a served app
(as in bench_public_read.py), with PDFs on: the signed public PDF is rendered after scheduling.

1. **Serving the released PDF**: ``GET /releases/<id>.pdf`` (release predicate, in-memory copy once
   public) against a bare aiohttp handler serving the same bytes, interleaved; aim at least 0.7.
2. **`entente verify` of the PDF**: wall time of the command as a user runs it (a fresh process:
   imports, PAdES check, attachments, roster, JWS, quorum, log proof); aim under 1 s.

Run with ``make bench`` (or ``python tests/bench/bench_public_pdf.py``).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_public_read import prepare, release  # noqa: E402
from loadgen import bench_settings, report, served, throughput  # noqa: E402

from entente.app import create_app  # noqa: E402


async def wait_for_pdf(url: str, seconds: float = 60) -> bytes:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as client:
        while time.monotonic() < deadline:
            async with client.get(url) as response:
                if response.status == 200:
                    return await response.read()
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url}: no PDF after {seconds} s")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(tmp, ENTENTE_RELEASE_TICK_SECONDS="1", ENTENTE_DOCUMENTS_PDF="true")
        tokens, keys = asyncio.run(prepare(settings))
        with served(lambda: create_app(settings)) as base:
            cid, _ = asyncio.run(release(base, tokens, keys))
            url = f"{base}/releases/{cid}.pdf"
            pdf = asyncio.run(wait_for_pdf(url))
            ours = throughput(url, expect=pdf)
        path = Path(tmp) / "statement.pdf"
        path.write_bytes(pdf)

        async def bare(request: web.Request) -> web.Response:
            return web.Response(body=pdf, content_type="application/pdf")

        def bare_app() -> web.Application:
            app = web.Application()
            app.router.add_get("/statement.pdf", bare)
            return app

        with served(bare_app) as base:
            baseline = throughput(f"{base}/statement.pdf", expect=pdf)
        report(f"GET /releases/<id>.pdf ({len(pdf):,} bytes)", ours, baseline, 0.7)

        walls = []
        for _ in range(5):
            started = time.perf_counter()
            done = subprocess.run(  # noqa: S603
                [sys.executable, "-m", "entente", "verify", str(path)], capture_output=True, text=True, check=False
            )
            walls.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise RuntimeError(done.stdout + done.stderr)
        p50 = statistics.median(walls)
        verdict = "meets" if p50 < 1 else "ABOVE"
        print(f"entente verify statement.pdf: wall time p50 {p50:.2f} s over {len(walls)} runs ({verdict} the 1 s aim)")


if __name__ == "__main__":
    main()
