"""Coalition scale: 10,000 communiqués, 100,000 versions, 1,000 released, on SQLite (and PostgreSQL).

Run as ``python tests/bench/bench_scale.py`` (``make bench`` runs every bench script); with
``ENTENTE_TEST_POSTGRES_URL`` set it runs again on a throwaway PostgreSQL database.

Loading: two communiqués are made through the domain functions (a 20-section one with 10 versions,
the one measured for open and save, and a 2-section one with 10 versions); the second is then copied
9,999 times row for row (communiqué, participants, versions with their own digests, items) and 1,000
of the copies are released, in bulk inserts, so the tables hold what 10,000 real communiqués would.

Measured, each interleaved with its baseline in the same loop (product call, then floor):

1. list: ``drafting.list_communiques`` for a party on all 10,000 (the newest 200), beside the floor:
   one raw SQL select of the same 200 rows. Aim p50 < 20 ms.
2. open: ``drafting.get_access`` + ``drafting.read_version`` of the head of a random communiqué (and
   of the 20-section one), beside the floor: the raw selects of the version row and its items.
   Aim p50 < 20 ms.
3. save: ``drafting.save_version`` of the 20-section communiqué (one section edited), beside the
   floor: one transaction writing the same rows. Aim p50 < 20 ms.
4. the public list: ``releases.list_public_releases`` of a page deep in the 1,000 (by cursor), and
   ``GET /api/v1/public/communiques`` and ``GET /releases`` over loopback from a served app (pages
   cached until a release changes them), beside a bare aiohttp handler serving the same bytes, requests
   interleaved one by one. Aim: page p50 < 5 ms.

Prints p50 and p99 in milliseconds and the ratio to each baseline; exits 0 (the figures are for
people; budgets are aims, not gates).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from aiohttp import web
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "platform"))

from drafts import body, caller, started_statement  # noqa: E402
from loadgen import bench_settings, served  # noqa: E402

from entente import db, drafting, parties, releases  # noqa: E402
from entente.app import create_app  # noqa: E402
from entente.models import (  # noqa: E402
    Communique,
    CommuniqueParticipant,
    CommuniqueVersion,
    MarkingInput,
    PartyKind,
    Release,
    SectionInput,
    VersionItem,
    VersionSave,
)

PARTIES = [f"P{i:02d}" for i in range(8)]
COMMUNIQUES = int(os.environ.get("ENTENTE_BENCH_COMMUNIQUES", "10000"))  # smaller for a quick try
if COMMUNIQUES < 1000:
    sys.exit("ENTENTE_BENCH_COMMUNIQUES: at least 1000 (the list measured is the newest 200; 20 public pages of 50)")
VERSIONS = 10
RELEASED = COMMUNIQUES // 10
SAMPLES = 200
PUBLIC = MarkingInput(public=True)


def line(label: str, samples: list[float]) -> float:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(f"  {label:<64} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms   (n={len(samples)})")
    return p50


def verdict(label: str, ours: float, floor: float, aim: float) -> None:
    print(f"  {label}: ratio to floor {ours / floor:.2f}   aim p50 < {aim:g} ms ({'met' if ours < aim else 'NOT met'})")


async def timed(action: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await action()
    return time.perf_counter() - start


# --- loading --------------------------------------------------------------------------------------------


async def made_through_the_domain(maker, sections: int, title: str, now: datetime) -> int:
    lead = caller(PARTIES[0])
    cid = await started_statement(maker, parties=PARTIES[:3], sections=sections, title=title, now=now)
    while True:
        base, current = await head_sections(maker, cid)
        async with maker() as session:
            head = (await drafting.get_access(session, cid, lead)).communique.head_number
        if head >= VERSIONS:
            return cid
        await save(maker, cid, base, edited(current, head % len(current), f"v{head} " + body(head)))


async def head_sections(maker, cid: int) -> tuple[str, list[SectionInput]]:
    async with maker() as session:
        access = await drafting.get_access(session, cid, caller(PARTIES[0]))
        view = await drafting.read_version(session, access, access.communique.head_number)
    sections = [
        SectionInput(id=s.item.id, heading=s.item.heading, body=s.item.body, marking=PUBLIC) for s in view.sections
    ]
    return view.version.digest, sections


def edited(sections: list[SectionInput], index: int, text: str) -> list[SectionInput]:
    out = list(sections)
    out[index] = SectionInput(id=out[index].id, heading=out[index].heading, body=text, marking=PUBLIC)
    return out


async def save(maker, cid: int, base: str, sections: list[SectionInput]) -> None:
    async with maker.begin() as session:
        await drafting.save_version(
            session,
            communique_id=cid,
            caller=caller(PARTIES[1]),
            base_digest=base,
            data=VersionSave(sections=sections),
            now=datetime.now(UTC),
            max_sections=200,
        )


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in result]


async def copy_communiques(engine, template: int, now: datetime) -> list[int]:
    """Copy communiqué ``template`` (its participants, versions and items) until there are COMMUNIQUES;
    release RELEASED of the copies. Returns the copies' ids."""
    async with engine.begin() as connection:
        communique = _rows(await connection.execute(sa.select(Communique.__table__).where(Communique.id == template)))[
            0
        ]
        participants = _rows(
            await connection.execute(
                sa.select(CommuniqueParticipant.__table__).where(CommuniqueParticipant.communique_id == template)
            )
        )
        versions = _rows(
            await connection.execute(
                sa.select(CommuniqueVersion.__table__)
                .where(CommuniqueVersion.communique_id == template)
                .order_by(CommuniqueVersion.number)
            )
        )
        items = _rows(
            await connection.execute(sa.select(VersionItem.__table__).where(VersionItem.communique_id == template))
        )
        next_communique = (await connection.execute(sa.select(sa.func.max(Communique.id)))).scalar_one() + 1
        next_version = (await connection.execute(sa.select(sa.func.max(CommuniqueVersion.id)))).scalar_one() + 1
    copies = list(range(next_communique, next_communique + COMMUNIQUES - 2))
    batch = 250
    released = set(random.Random(7).sample(copies, RELEASED))
    for start in range(0, len(copies), batch):
        chunk = copies[start : start + batch]
        c_rows, p_rows, v_rows, i_rows, r_rows = [], [], [], [], []
        for cid in chunk:
            n = cid - next_communique
            updated = now - timedelta(minutes=COMMUNIQUES - n)
            is_released = cid in released
            c_rows.append(
                communique
                | {
                    "id": cid,
                    "title": f"Statement {n}",
                    "updated_at": updated,
                    "created_at": updated,
                    "state": "released" if is_released else communique["state"],
                    "head_digest": _digest(cid, VERSIONS),
                }
            )
            p_rows += [p | {"communique_id": cid} for p in participants]
            version_ids = {}
            for v in versions:
                vid = next_version + n * VERSIONS + v["number"] - 1
                version_ids[v["id"]] = vid
                v_rows.append(
                    v
                    | {
                        "id": vid,
                        "communique_id": cid,
                        "digest": _digest(cid, v["number"]),
                        "prev_digest": _digest(cid, v["number"] - 1) if v["number"] > 1 else None,
                    }
                )
            i_rows += [i | {"communique_id": cid, "version_id": version_ids[i["version_id"]]} for i in items]
            if is_released:
                r_rows.append(
                    {
                        "communique_id": cid,
                        "state": "released",
                        "embargo_at": updated,
                        "proposed_by": "p00.user",
                        "proposed_party": PARTIES[0],
                        "version_number": VERSIONS,
                        "version_digest": _digest(cid, VERSIONS),
                        "public_body": b'{"type":"entente-release"}',
                        "created_at": updated - timedelta(hours=1),
                        "scheduled_at": updated - timedelta(hours=1),
                        "published_at": updated,
                    }
                )
        async with engine.begin() as connection:
            await connection.execute(sa.insert(Communique.__table__), c_rows)
            await connection.execute(sa.insert(CommuniqueParticipant.__table__), p_rows)
            await connection.execute(sa.insert(CommuniqueVersion.__table__), v_rows)
            await connection.execute(sa.insert(VersionItem.__table__), i_rows)
            if r_rows:
                await connection.execute(sa.insert(Release.__table__), r_rows)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            for table in ("communique", "communique_version", "release"):
                await connection.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )
    async with engine.begin() as connection:
        await connection.execute(sa.text("ANALYZE"))
    return copies


def _digest(cid: int, number: int) -> str:
    return "sha256:" + hashlib.sha256(f"bench {cid} {number}".encode()).hexdigest()


# --- measuring ------------------------------------------------------------------------------------------


async def bench_domain(url: str, settings) -> dict[str, float]:
    engine = db.create_engine(url)
    read_engine = db.create_read_engine(url, engine)
    maker, reader = db.sessionmaker(engine), db.sessionmaker(read_engine)
    now = datetime.now(UTC)
    started = time.perf_counter()
    async with maker.begin() as session:
        seeds = [parties.SeedParty(code, f"Party {code}", PartyKind.STATE, "UTC", ()) for code in PARTIES]
        await parties.seed_coalition(session, seeds, password="bench password 1", now=now)
    big = await made_through_the_domain(maker, 20, "The 20-section statement", now)
    small = await made_through_the_domain(maker, 2, "A two-section statement", now)
    copies = await copy_communiques(engine, small, now)
    async with engine.connect() as connection:
        counts = [
            (await connection.execute(sa.select(sa.func.count()).select_from(t))).scalar_one()
            for t in (Communique.__table__, CommuniqueVersion.__table__, VersionItem.__table__, Release.__table__)
        ]
    print(
        f"  loaded {counts[0]:,} communiqués, {counts[1]:,} versions, {counts[2]:,} items, {counts[3]:,} releases "
        f"in {time.perf_counter() - started:.0f} s"
    )
    figures: dict[str, float] = {}
    me = caller(PARTIES[0])
    rng = random.Random(1)

    async def listing() -> None:
        async with reader() as session:
            found = await drafting.list_communiques(session, me)
            assert len(found) == 200

    async def listing_floor() -> None:
        async with reader() as session:
            mine = (
                sa.select(sa.literal(1))
                .where(CommuniqueParticipant.communique_id == Communique.id, CommuniqueParticipant.party == me.party)
                .exists()
            )
            rows = (
                await session.execute(
                    sa.select(Communique.id, Communique.title, Communique.state, Communique.updated_at)
                    .where(mine)
                    .order_by(Communique.updated_at.desc(), Communique.id.desc())  # type: ignore[union-attr]
                    .limit(200)
                )
            ).all()
            assert len(rows) == 200

    def opening(cid: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with reader() as session:
                access = await drafting.get_access(session, cid, me)
                await drafting.read_version(session, access, access.communique.head_number)

        return run

    def opening_floor(cid: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with reader() as session:
                version = (
                    await session.execute(
                        sa.select(CommuniqueVersion.id, CommuniqueVersion.content)
                        .join(Communique, Communique.id == CommuniqueVersion.communique_id)  # type: ignore[arg-type]
                        .where(
                            CommuniqueVersion.communique_id == cid, CommuniqueVersion.number == Communique.head_number
                        )
                    )
                ).one()
                (
                    await session.execute(sa.select(VersionItem.__table__).where(VersionItem.version_id == version[0]))
                ).all()

        return run

    ours, floor = [], []
    for _ in range(SAMPLES // 4):
        ours.append(await timed(listing))
        floor.append(await timed(listing_floor))
    p50 = line(f"list: drafting.list_communiques, newest 200 of {COMMUNIQUES:,}", ours)
    base = line("baseline: floor, one raw select of the same 200 rows", floor)
    verdict("list", p50, base, 20)
    figures["list"] = p50

    for label, pick in (
        ("a random copy (2 sections)", lambda: rng.choice(copies)),
        ("the 20-section one", lambda: big),
    ):
        ours, floor = [], []
        for _ in range(SAMPLES):
            cid = pick()
            ours.append(await timed(opening(cid)))
            floor.append(await timed(opening_floor(cid)))
        p50 = line(f"open the head of {label}: get_access + read_version", ours)
        base = line("baseline: floor, raw selects of the version and its items", floor)
        verdict("open", p50, base, 20)
        figures[f"open {label}"] = p50

    ours, floor = [], []
    for i in range(SAMPLES // 4):
        digest, current = await head_sections(maker, big)
        mine = edited(current, i % 20, f"scale {i} " + body(i))
        ours.append(await timed(lambda d=digest, m=mine: save(maker, big, d, m)))

        async def floor_write(n: int = i) -> None:
            async with maker.begin() as session:
                vid = (
                    await session.execute(
                        sa.insert(CommuniqueVersion.__table__)
                        .values(
                            communique_id=big,
                            number=1_000_000 + n,
                            digest=_digest(big, 1_000_000 + n),
                            title="floor",
                            author="floor",
                            author_party=PARTIES[0],
                            created_at=now,
                            content=b"x" * 12_000,
                        )
                        .returning(CommuniqueVersion.id)
                    )
                ).scalar_one()
                await session.execute(
                    sa.insert(VersionItem.__table__),
                    [
                        {
                            "version_id": vid,
                            "part": "section",
                            "position": p,
                            "communique_id": big,
                            "item_id": f"s{p}",
                            "digest": "d" * 43,
                            "disclosure": "e" * 600,
                            "marking": {"public": True},
                            "origin": PARTIES[0],
                            "content_hash": "h" * 64,
                        }
                        for p in range(20)
                    ],
                )

        floor.append(await timed(floor_write))
    p50 = line("save the 20-section communiqué (drafting.save_version)", ours)
    base = line("baseline: floor, one transaction writing the same rows", floor)
    verdict("save", p50, base, 20)
    figures["save"] = p50

    # The public list, uncached: a page deep in the 1,000 released (cursor of the 10th page).
    async with reader() as session:
        page = await releases.list_public_releases(session, datetime.now(UTC), limit=50)
        for _ in range(9):
            page = await releases.list_public_releases(session, datetime.now(UTC), limit=50, after=page.next)
    deep = page.next
    ours, floor = [], []

    async def public_page() -> None:
        async with reader() as session:
            found = await releases.list_public_releases(session, datetime.now(UTC), limit=50, after=deep)
            assert len(found.releases) == 50

    async def public_floor() -> None:
        async with reader() as session:
            (
                await session.execute(
                    sa.select(Release.communique_id, Release.embargo_at, Release.version_number)
                    .where(Release.state == "released")
                    .order_by(Release.embargo_at.desc())  # type: ignore[attr-defined]
                    .offset(550)
                    .limit(50)
                )
            ).all()

    for _ in range(SAMPLES):
        ours.append(await timed(public_page))
        floor.append(await timed(public_floor))
    p50 = line("public list page 12 of 20, uncached (list_public_releases)", ours)
    base = line("baseline: floor, raw select of 50 release rows", floor)
    verdict("public page (uncached)", p50, base, 5)
    figures["public page uncached"] = p50
    await read_engine.dispose()
    await engine.dispose()
    return figures


def bare_app(bodies: dict[str, tuple[bytes, str]]) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        content, content_type = bodies[request.path_qs]
        return web.Response(body=content, content_type=content_type)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    return app


async def _sequential(urls: list[str], rounds: int) -> list[list[float]]:
    """Requests one at a time over one connection per URL, interleaved: p50 latency of each."""
    samples: list[list[float]] = [[] for _ in urls]
    async with aiohttp.ClientSession() as client:
        for _ in range(rounds):
            for i, url in enumerate(urls):
                start = time.perf_counter()
                async with client.get(url) as response:
                    await response.read()
                    assert response.status == 200, url
                samples[i].append(time.perf_counter() - start)
    return samples


async def _fetch(url: str) -> tuple[bytes, str]:
    async with aiohttp.ClientSession() as client, client.get(url) as response:
        assert response.status == 200, url
        return await response.read(), response.content_type


def bench_http(url: str, var: str) -> None:
    settings = bench_settings(
        var, ENTENTE_DATABASE_URL=url, ENTENTE_RELEASE_TICK_SECONDS="0", ENTENTE_DOCUMENTS_PDF="false"
    )
    paths = ["/api/v1/public/communiques", "/releases", "/releases.atom"]
    with served(lambda: create_app(settings)) as base:
        first = asyncio.run(_fetch(f"{base}/api/v1/public/communiques"))
        del first
        bodies = {path: asyncio.run(_fetch(base + path)) for path in paths}
        with served(lambda: bare_app(bodies)) as bare:
            urls = [u for path in paths for u in (base + path, bare + path)]
            samples = asyncio.run(_sequential(urls, SAMPLES))
    for i, path in enumerate(paths):
        ours = line(f"GET {path} (cached page of the {RELEASED:,} released)", samples[2 * i])
        baseline = line("baseline: bare aiohttp serving the same bytes", samples[2 * i + 1])
        print(f"  ratio {ours / baseline:.2f}   aim p50 < 5 ms ({'met' if ours < 5 else 'NOT met'})")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/scale.sqlite3"
        asyncio.run(db.migrate(url))
        print(f"SQLite ({COMMUNIQUES:,} communiqués, {COMMUNIQUES * VERSIONS:,} versions, {RELEASED:,} released)")
        settings = bench_settings(tmp)
        asyncio.run(bench_domain(url, settings))
        bench_http(url, tmp)
    pg = os.environ.get("ENTENTE_TEST_POSTGRES_URL")
    if pg:
        name = f"entente_bench_{uuid.uuid4().hex[:10]}"
        asyncio.run(_admin(pg, f'CREATE DATABASE "{name}"'))
        url = make_url(pg).set(database=name).render_as_string(hide_password=False)
        try:
            asyncio.run(db.migrate(url))
            print("PostgreSQL (same load)")
            with tempfile.TemporaryDirectory() as tmp:
                settings = bench_settings(tmp)
                asyncio.run(bench_domain(url, settings))
                bench_http(url, tmp)
        finally:
            asyncio.run(_admin(pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


if __name__ == "__main__":
    main()
