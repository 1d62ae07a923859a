"""Benchmark of PDF rendering: a 32-party, 20-section release, rendered and signed in the process pool.

Run as ``python tests/bench/bench_render.py`` (``make bench`` runs every bench script).

1. p50 and p99 of one render (WeasyPrint PDF/A-3b, then the PAdES signature) through
   ``DocumentRenderer.render``, one at a time, the pool already warm. Baseline: the same work called
   directly in this process (what a server without a pool would block its event loop for).
2. The event loop's worst lag while ten renders run at once: a ticker sleeps 5 ms in a loop and
   records how late it wakes. Aim: under 50 ms. Baseline: the same ticker with no render running.

Prints figures in milliseconds; exits 0 (budgets are aims, not gates).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "platform"))

from entente import signing  # noqa: E402
from entente.documents import (  # noqa: E402
    DesignationRow,
    DocumentAttachment,
    DocumentSpec,
    PartyName,
    SectionSpec,
    SignatureRow,
)
from entente.documents.pool import DocumentRenderer, render_and_sign  # noqa: E402
from entente.platformkeys import PlatformKeys  # noqa: E402

TEMPLATES = REPO / "templates"
AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PARAGRAPH = (
    "The parties condemn the sustained campaign of intrusions against the electricity and water "
    "operators of several coalition members, which disrupted essential services for hundreds of "
    "thousands of residents. They call on the responsible state to stop these activities, to take "
    "every reasonable step against those who carry them out from its territory, and to respect the "
    "framework of responsible state behaviour in cyberspace endorsed by the United Nations."
)


def spec() -> DocumentSpec:
    parties = tuple(PartyName(f"P{i:02d}", f"Republic of Example {i}") for i in range(32))
    return DocumentSpec(
        title="Joint statement on the campaign against critical infrastructure",
        kind="joint_statement",
        lead=parties[0],
        parties=parties,
        sections=tuple(SectionSpec(f"Section {i + 1}", f"{PARAGRAPH}\n\n{PARAGRAPH}") for i in range(20)),
        designations=(
            DesignationRow("D-001", "person", "Александр Петров", "ru", "Aleksandr Petrov", (), ("born 1983",),
                           ("asset_freeze",), "Directed the intrusion."),
        ),
        withheld=3,
        released_at=AT,
        signatures=tuple(
            SignatureRow(p.name, f"{i:02d}" + "k" * 41, (AT - timedelta(hours=i)).strftime("%Y-%m-%d %H:%M UTC"),
                         "explicit")
            for i, p in enumerate(parties)
        ),
        version_number=7,
        version_digest="sha256:" + "cd" * 32,
        how_to_check=("Run pdfsig on this file.", "Run entente verify on this file."),
        attachments=(
            DocumentAttachment("version.json", os.urandom(9_999).hex().encode(), "application/json", "bytes", "Source"),
            DocumentAttachment("signoffs.json", os.urandom(8_000).hex().encode(), "application/json", "JWS", "Data"),
        ),
    )


def keys() -> PlatformKeys:
    pdf = signing.generate_private_key(signing.Algorithm.ES256)
    return PlatformKeys(
        log=signing.generate_private_key(),
        pdf=pdf,
        pdf_certificate=signing.self_signed_certificate(pdf, "Entente (bench)", not_before=AT),
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


async def ticker(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append(time.perf_counter() - before - 0.005)


async def worst_lag(work) -> float:
    stop, lags = asyncio.Event(), []
    task = asyncio.create_task(ticker(stop, lags))
    await work()
    stop.set()
    await task
    return max(lags) if lags else 0.0


async def main() -> None:
    document, platform = spec(), keys()
    renderer = DocumentRenderer(TEMPLATES, workers=int(os.environ.get("BENCH_WORKERS", "2")))
    try:
        first = time.perf_counter()
        pdf = await renderer.render(document, platform)  # starts the pool and warms WeasyPrint
        print(f"first render (pool start-up included): {ms(time.perf_counter() - first)}, {len(pdf)} bytes")
        timings = []
        for _ in range(8):
            start = time.perf_counter()
            await renderer.render(document, platform)
            timings.append(time.perf_counter() - start)
        direct = []
        key_der = signing.private_key_der(platform.pdf)
        for _ in range(3):
            start = time.perf_counter()
            await asyncio.to_thread(render_and_sign, document, TEMPLATES, key_der, platform.pdf_certificate)
            direct.append(time.perf_counter() - start)
        p50 = statistics.median(timings)
        print(f"render + sign, 32 parties, 20 sections, in the pool:  p50 {ms(p50)}  max {ms(max(timings))}")
        print(f"baseline, the same work in this process (a thread): p50 {ms(statistics.median(direct))}")

        idle = await worst_lag(lambda: asyncio.sleep(1.0))

        async def ten() -> None:
            await asyncio.gather(*(renderer.render(document, platform) for _ in range(10)))

        start = time.perf_counter()
        busy = await worst_lag(ten)
        took = time.perf_counter() - start
        print(f"ten renders at once: {ms(took)} in all, with {renderer.workers} workers")
        print(f"event loop worst lag, ten renders running: {ms(busy)}  (aim: under 50 ms; idle baseline {ms(idle)})")
    finally:
        await renderer.close()


if __name__ == "__main__":
    asyncio.run(main())
