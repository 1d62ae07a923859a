"""The public read of a released communiqué, and the embargo lift.

A two-party communiqué (a public and a restricted section) is signed off by both parties, its
release agreed and scheduled through the API of a served app, exactly as comms officers do it.

1. **Embargo lift.** From just before the instant, a client polls the public record as fast as it
   can: no poll may succeed before the instant; the first success comes this long after it (aim:
   within 10 ms; DESIGN's budget). The baseline is the same client polling a bare handler that
   starts answering at the same instant.
2. **Public read.** ``GET /api/v1/public/communiques/<id>`` (the release predicate is evaluated on
   every read) against a bare aiohttp handler serving the same bytes; aim at least 0.7.

Run with ``make bench`` (or ``python tests/bench/bench_public_read.py``).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import bench_settings, report, served, throughput  # noqa: E402

from entente import auth, db, parties, signing  # noqa: E402
from entente.app import create_app  # noqa: E402
from entente.clock import system_clock  # noqa: E402
from entente.models import PartyKind, Role  # noqa: E402
from entente.signoffs import SIGNOFF_TYP  # noqa: E402

LEAD_TIME = timedelta(seconds=3)
PARTIES = {"EE": ("Republic of Estonia", "Europe/Tallinn"), "FR": ("French Republic", "Europe/Paris")}


async def prepare(settings) -> tuple[dict[str, dict[str, str]], dict[str, signing.PrivateKey]]:
    """Seed two parties (drafter, signatory, comms each), register a key per party; API tokens by user."""
    await db.migrate(settings.database_url)
    engine = db.create_engine(settings.database_url)
    maker = db.sessionmaker(engine)
    now = system_clock()
    coalition = [
        parties.SeedParty(
            code,
            name,
            PartyKind.STATE,
            zone,
            tuple(
                parties.SeedUser(f"{code.lower()}.{role.value}", role.value, (role,))
                for role in (Role.DRAFTER, Role.SIGNATORY, Role.COMMS)
            ),
        )
        for code, (name, zone) in PARTIES.items()
    ]
    keys = {code: signing.generate_private_key() for code in PARTIES}
    tokens: dict[str, dict[str, str]] = {}
    async with maker.begin() as session:
        await parties.seed_coalition(session, coalition, password="bench password 1", now=now)
        for code, key in keys.items():
            await parties.add_key(
                session, party=code, jwk=key.public_key.jwk, actor="bench", now=now, not_before=now - timedelta(days=1)
            )
        await parties.seed_roster(session, keys=keys, actor="bench", now=now)  # what a verifier walks from
        for seed in coalition:
            for user_seed in seed.users:
                user = await auth.get_user(session, user_seed.username)
                secret, _ = await auth.create_token(session, user, name="bench", days=1, now=now)
                tokens[user_seed.username] = {"Authorization": f"Bearer {secret}"}
    await engine.dispose()
    return tokens, keys


async def release(
    base: str, tokens: dict[str, dict[str, str]], keys: dict[str, signing.PrivateKey]
) -> tuple[int, datetime]:
    """Draft, accept, sign off and schedule a communiqué; its id and the embargo instant."""
    api = f"{base}/api/v1/communiques"
    async with aiohttp.ClientSession() as client:

        async def call(user: str, method: str, url: str, body: Any = None) -> Any:
            async with client.request(method, url, json=body, headers=tokens[user]) as response:
                if response.status >= 300:
                    raise RuntimeError(f"{method} {url}: {response.status} {await response.text()}")
                return await response.read() if url.endswith("signing-payload") else await response.json()

        sections = [
            {"heading": "Statement", "body": "We condemn the attack on the grid. " * 40, "marking": {"public": True}},
            {
                "heading": "Handling",
                "body": "Sources stay with the partners.",
                "marking": {"releasable_to": ["EE", "FR"]},
            },
        ]
        created = await call(
            "ee.drafter",
            "POST",
            api,
            {
                "kind": "joint_statement",
                "title": "On the attack on the grid",
                "participants": ["FR"],
                "sections": sections,
            },
        )
        cid = created["communique"]
        await call("fr.drafter", "POST", f"{api}/{cid}/acceptance")
        payload = await call("ee.signatory", "GET", f"{api}/{cid}/versions/head/signing-payload")
        for code in PARTIES:
            envelope = signing.sign_detached(payload, [keys[code]], typ=SIGNOFF_TYP, iat=int(time.time()))
            await call(f"{code.lower()}.signatory", "POST", f"{api}/{cid}/versions/head/signoffs", {"jws": envelope})
        at = (datetime.now(UTC) + LEAD_TIME).replace(microsecond=0)
        proposed = await call("ee.comms", "POST", f"{api}/{cid}/release", {"at": at.isoformat()})
        await call(
            "fr.comms",
            "POST",
            f"{api}/{cid}/release/responses",
            {"party": "FR", "decision": "accept", "at": proposed["embargo_at"]},
        )
        await call("ee.comms", "POST", f"{api}/{cid}/release/schedule")
    return cid, at


async def first_success(url: str, at: datetime) -> tuple[float, int]:
    """Poll ``url`` from before ``at``: milliseconds from ``at`` to the first 200, and how many polls
    answered 200 before ``at`` (must be 0)."""
    early = 0
    async with aiohttp.ClientSession() as client:
        while True:
            async with client.get(url) as response:
                await response.read()
                now = datetime.now(UTC)
                if response.status == 200:
                    if now < at:
                        early += 1
                        continue
                    return (now - at).total_seconds() * 1000, early


def bare_lift_app(body: bytes, at: datetime) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        if datetime.now(UTC) < at:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/record", handler)
    return app


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = bench_settings(tmp, ENTENTE_RELEASE_TICK_SECONDS="1", ENTENTE_DOCUMENTS_PDF="false")
        tokens, keys = asyncio.run(prepare(settings))
        with served(lambda: create_app(settings)) as base:
            cid, at = asyncio.run(release(base, tokens, keys))
            url = f"{base}/api/v1/public/communiques/{cid}"
            lag, early = asyncio.run(first_success(url, at))
            body = asyncio.run(_read(url))
            ours = throughput(url, expect=body)
        bare_at = datetime.now(UTC) + timedelta(seconds=2)
        with served(lambda: bare_lift_app(body, bare_at)) as base:
            bare_lag, _ = asyncio.run(first_success(f"{base}/record", bare_at))
            baseline = throughput(f"{base}/record", expect=body)
        verdict = "meets" if early == 0 and lag <= 10 else "BELOW"
        print(
            f"embargo lift: first public read {lag:.1f} ms after the instant ({early} before it); "
            f"bare aiohttp {bare_lag:.1f} ms ({verdict} the 10 ms aim)"
        )
        report(f"GET /api/v1/public/communiques/<id> ({len(body):,} bytes, SQLite)", ours, baseline, 0.7)


async def _read(url: str) -> bytes:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        assert response.status == 200
        return await response.read()


if __name__ == "__main__":
    main()
