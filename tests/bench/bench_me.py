"""Authenticated ``GET /api/v1/me`` against a bare aiohttp handler returning the same bytes.

Run with ``make bench`` (or ``python tests/bench/bench_me.py``). Prints both throughputs and the
ratio; the aim is at least 0.5.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import bench_settings, report, served, throughput  # noqa: E402

from entente import auth, db, parties  # noqa: E402
from entente.app import create_app  # noqa: E402
from entente.clock import system_clock  # noqa: E402
from entente.models import PartyKind, Role  # noqa: E402


async def prepare(settings) -> str:
    await db.migrate(settings.database_url)
    engine = db.create_engine(settings.database_url)
    maker = db.sessionmaker(engine)
    coalition = [parties.SeedParty("EE", "Republic of Estonia", PartyKind.STATE, "Europe/Tallinn",
                                   (parties.SeedUser("ee.drafter", "EE drafter", (Role.DRAFTER,)),))]
    async with maker.begin() as session:
        await parties.seed_coalition(session, coalition, password="bench password 1", now=system_clock())
        user = await auth.get_user(session, "ee.drafter")
        secret, _ = await auth.create_token(session, user, name="bench", days=1, now=system_clock())
    await engine.dispose()
    return secret


async def fetch(url: str, headers: dict[str, str]) -> bytes:
    async with aiohttp.ClientSession() as client, client.get(url, headers=headers) as response:
        assert response.status == 200
        return await response.read()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(tmp)
        token = asyncio.run(prepare(settings))
        headers = {"Authorization": f"Bearer {token}"}
        with served(lambda: create_app(settings)) as base:
            body = asyncio.run(fetch(f"{base}/api/v1/me", headers))
            ours = throughput(f"{base}/api/v1/me", headers=headers, expect=body)

        async def bare(request: web.Request) -> web.Response:
            return web.Response(body=body, content_type="application/json")

        def bare_app() -> web.Application:
            app = web.Application()
            app.router.add_get("/api/v1/me", bare)
            return app

        with served(bare_app) as base:
            baseline = throughput(f"{base}/api/v1/me", headers=headers, expect=body)
        report("GET /api/v1/me (authenticated, SQLite)", ours, baseline, 0.5)


if __name__ == "__main__":
    main()
