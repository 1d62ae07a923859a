"""Benchmarks of co-drafting, each beside a baseline measured in the same run on the same database.

Run as ``python tests/bench/bench_drafting.py`` (``make bench`` runs every bench script).

1. Saving a version of a 100-section, 32-party communiqué that merges against a concurrent edit
   (``drafting.save_version``, whole transaction, SQLite file). Baselines: the same save without a
   concurrent edit (no merge), and the floor: one transaction writing the same rows (a version and
   100 items) with no checks, merge, disclosure or audit. Aim: p50 under 20 ms.
2. Diffing two versions 1,000 versions apart (``drafting.diff_versions``). Baseline: reading the
   same two versions (``drafting.read_version`` twice), no diff.
3. Verifying and recording a sign-off with 32 parties (``signoffs.add_signoff``: JWS check, record,
   quorum recomputed from the recorded results of the earlier sign-offs). Baseline: the cryptographic
   floor, the one Ed25519 verify the call performs, on the same signing input. Aim: p50 under 5 ms.

``ENTENTE_BENCH_PARTS=save,signoff`` runs only those parts (of ``save``, ``signoff``, ``diff``).

Prints p50 and p99 in milliseconds and the ratio to each baseline; exits 0 (the figures are for
people; budgets are aims, not gates). With ``ENTENTE_TEST_POSTGRES_URL`` set, runs again on a
throwaway PostgreSQL database, to tell the driver's share from the code's.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from drafts import body, caller, started_statement  # noqa: E402

from entente import canonical, db, drafting, parties, signing, signoffs  # noqa: E402
from entente.clock import system_clock
from entente.disclosure import Marking
from entente.drafting.writing import write_version
from entente.models import (
    Communique,
    CommuniqueVersion,
    MarkingInput,
    PartyKey,
    PartyKind,
    Role,
    SectionInput,
    Signoff,
    VersionItem,
    VersionSave,
)
from entente.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
PUBLIC = MarkingInput(public=True)
PARTIES = [f"P{i:02d}" for i in range(32)]
SECTIONS = 100
SAVES = 60
DIFF_DISTANCE = 1000
DIFFS = 30
SIGNOFF_ROUNDS = 3


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def line(label: str, samples: list[float]) -> tuple[float, float]:
    p50, p99 = percentiles(samples)
    cpu = CPU.get(id(samples))
    spent = f"   CPU p50 {statistics.median(cpu) * 1000:7.2f} ms" if cpu else ""
    print(f"  {label:<58} p50 {p50:8.2f} ms   p99 {p99:8.2f} ms{spent}   (n={len(samples)})")
    return p50, p99


#: CPU seconds of the process (both threads: aiosqlite runs SQLite in its own) per sample, by the
#: id of the list of wall-clock samples: on a loaded machine CPU time says more than wall time.
CPU: dict[int, list[float]] = {}


async def timed(maker, action: Callable[..., Awaitable[object]], into: list[float] | None = None) -> float:
    start, cpu = time.perf_counter(), time.process_time()
    async with maker.begin() as session:
        await action(session)
    if into is not None:
        CPU.setdefault(id(into), []).append(time.process_time() - cpu)
    return time.perf_counter() - start


async def setup(maker, settings) -> int:
    seeds = [parties.SeedParty(code, f"Party {code}", PartyKind.STATE, "UTC", ()) for code in PARTIES]
    now = system_clock()
    async with maker.begin() as session:
        await parties.seed_coalition(session, seeds, password="bench password 1", now=now)
    return await started_statement(maker, parties=PARTIES, sections=SECTIONS, title="Bench statement", now=now)


async def head_sections(maker, cid: int) -> tuple[str, list[SectionInput]]:
    async with maker() as session:
        access = await drafting.get_access(session, cid, caller(PARTIES[0]))
        view = await drafting.read_version(session, access, access.communique.head_number)
    sections = [
        SectionInput(id=s.item.id, heading=s.item.heading, body=s.item.body, marking=PUBLIC) for s in view.sections
    ]
    return view.version.digest, sections


async def save(maker, cid: int, party: str, base: str, sections: list[SectionInput]) -> None:
    async with maker.begin() as session:
        await drafting.save_version(
            session,
            communique_id=cid,
            caller=caller(party),
            base_digest=base,
            data=VersionSave(sections=sections),
            now=system_clock(),
            max_sections=200,
        )


def edited(sections: list[SectionInput], index: int, text: str) -> list[SectionInput]:
    out = list(sections)
    out[index] = SectionInput(id=out[index].id, heading=out[index].heading, body=text, marking=PUBLIC)
    return out


async def bench_save(maker, cid: int) -> None:
    print(f"saving a version of a {SECTIONS}-section, {len(PARTIES)}-party communiqué")
    merged: list[float] = []
    plain: list[float] = []
    floor: list[float] = []
    for i in range(SAVES):
        base, sections = await head_sections(maker, cid)
        await save(maker, cid, PARTIES[1], base, edited(sections, i % SECTIONS, f"theirs {i} " + body(i)))
        mine = edited(sections, (i + 50) % SECTIONS, f"yours {i} " + body(i + 1))
        merged.append(
            await timed(
                maker,
                lambda s, b=base, m=mine: drafting.save_version(
                    s,
                    communique_id=cid,
                    caller=caller(PARTIES[2]),
                    base_digest=b,
                    data=VersionSave(sections=m),
                    now=system_clock(),
                    max_sections=200,
                ),
                merged,
            )
        )
        base, sections = await head_sections(maker, cid)
        mine = edited(sections, (i + 25) % SECTIONS, f"plain {i} " + body(i + 2))
        plain.append(
            await timed(
                maker,
                lambda s, b=base, m=mine: drafting.save_version(
                    s,
                    communique_id=cid,
                    caller=caller(PARTIES[3]),
                    base_digest=b,
                    data=VersionSave(sections=m),
                    now=system_clock(),
                    max_sections=200,
                ),
                plain,
            )
        )
        floor.append(await timed(maker, lambda s, n=i: raw_rows(s, cid, n), floor))
    ours, _ = line("save with a three-way merge (drafting.save_version)", merged)
    no_merge, _ = line("baseline: the same save, no concurrent edit", plain)
    raw, _ = line("baseline: floor, one transaction writing the same rows", floor)
    print(
        f"  ratio merge/no-merge {ours / no_merge:.2f}   merge/floor {ours / raw:.2f}   aim: p50 < 20 ms "
        f"({'met' if ours < 20 else 'NOT met'})"
    )


async def raw_rows(session, cid: int, n: int) -> None:
    content = b"x" * 9000
    version = CommuniqueVersion(
        communique_id=cid,
        number=10_000_000 + n,
        digest=canonical.digest(str(n).encode() + b"f"),
        title="floor",
        author="floor",
        author_party="P00",
        created_at=system_clock(),
        content=content,
    )
    session.add(version)
    await session.flush()
    await session.execute(
        sa.insert(VersionItem),
        [
            {
                "version_id": version.id,
                "part": "section",
                "position": p,
                "communique_id": cid,
                "item_id": f"s{p}",
                "digest": "d" * 43,
                "disclosure": "e" * 600,
                "marking": {"public": True},
                "origin": "P00",
                "content_hash": "h" * 64,
            }
            for p in range(SECTIONS)
        ],
    )


async def bench_diff(maker, cid: int) -> None:
    print(f"diffing two versions {DIFF_DISTANCE} versions apart")
    base, sections = await head_sections(maker, cid)
    first = None
    now = system_clock()
    async with maker.begin() as session:
        access = await drafting.get_access(session, cid, caller(PARTIES[0]), lock=True)
        first = access.communique.head_number
        current = [
            drafting.make_item("section", s.id, {"heading": s.heading, "body": s.body}, Marking.everyone(), PARTIES[0])
            for s in sections
        ]
        for n in range(DIFF_DISTANCE):
            index = n % SECTIONS
            current[index] = drafting.make_item(
                "section",
                current[index].id,
                {"heading": current[index].heading, "body": f"v{n} " + body(n)},
                current[index].marking,
                PARTIES[0],
            )
            await write_version(
                session,
                access.communique,
                parties=PARTIES,
                title="Bench statement",
                sections=current,
                annex=[],
                author="bench",
                author_party=PARTIES[0],
                now=now,
            )
        last = access.communique.head_number
    ours: list[float] = []
    reads: list[float] = []
    for _ in range(DIFFS):

        async def diff(session):
            access = await drafting.get_access(session, cid, caller(PARTIES[5]))
            await drafting.diff_versions(session, access, first, last)

        async def read(session):
            access = await drafting.get_access(session, cid, caller(PARTIES[5]))
            await drafting.read_version(session, access, first)
            await drafting.read_version(session, access, last)

        ours.append(await timed(maker, diff))
        reads.append(await timed(maker, read))
    p50, _ = line(f"diff version {first} -> {last} (drafting.diff_versions)", ours)
    base50, _ = line("baseline: reading the same two versions, no diff", reads)
    print(f"  ratio {p50 / base50:.2f}")


async def bench_signoff(maker, cid: int) -> None:
    print(f"verifying and recording a sign-off with {len(PARTIES)} parties")
    keys = {code: signing.generate_private_key() for code in PARTIES}
    now = system_clock()
    async with maker.begin() as session:
        for code, key in keys.items():
            await parties.add_key(
                session, party=code, jwk=key.public_key.jwk, actor="bench", now=now, not_before=now - timedelta(days=1)
            )
    ours: list[float] = []
    last: list[float] = []
    floor: list[float] = []
    rows: list[float] = []
    for round_ in range(SIGNOFF_ROUNDS):
        base, sections = await head_sections(maker, cid)
        await save(maker, cid, PARTIES[0], base, edited(sections, round_, f"round {round_}"))
        async with maker() as session:
            access = await drafting.get_access(session, cid, caller(PARTIES[0]))
            version = await drafting.get_version(session, access, access.communique.head_number)
        payload = version.content
        for position, code in enumerate(PARTIES):
            envelope = signing.sign_detached(payload, [keys[code]], typ=signoffs.SIGNOFF_TYP, iat=int(time.time()))
            elapsed = await timed(
                maker,
                lambda s, c=code, e=envelope: signoffs.add_signoff(
                    s,
                    communique_id=cid,
                    caller=caller(c, Role.SIGNATORY),
                    version="head",
                    envelope=e,
                    templates={},
                    now=system_clock(),
                ),
                ours,
            )
            ours.append(elapsed)
            if position == len(PARTIES) - 1:
                last.append(elapsed)
            floor.append(verify_floor(payload, envelope, keys[code], 1))  # only the new signature is verified
            rows.append(await raw_signoff(maker, cid, version.id or 0, code, rows))
    p50, _ = line("sign-off, any of the 32 (signoffs.add_signoff)", ours)
    line("sign-off completing the quorum (from the 31 recorded results)", last)
    base50, _ = line("baseline: Ed25519 verifies the call performs, bare", floor)
    raw50, _ = line("baseline: floor, its reads and writes as raw statements", rows)
    print(
        f"  ratio to the verify {p50 / base50:.2f}, to the floor {p50 / raw50:.2f}   aim: p50 < 5 ms "
        f"({'met' if p50 < 5 else 'NOT met'})"
    )


async def raw_signoff(maker, cid: int, version_id: int, party: str, into: list[float]) -> float:
    """The statements a sign-off cannot do without, raw and rolled back: lock (read) the communiqué,
    read the version's sign-offs and the keys, write the sign-off and an audit-sized row."""
    start, cpu = time.perf_counter(), time.process_time()
    async with maker() as session:
        await session.begin()
        await session.execute(sa.select(Communique.__table__).where(Communique.__table__.c.id == cid))
        await session.execute(sa.select(Signoff.__table__).where(Signoff.__table__.c.version_id == version_id))
        await session.execute(sa.select(PartyKey.__table__))
        for _ in range(2):
            await session.execute(
                sa.insert(Signoff.__table__).values(
                    communique_id=cid,
                    version_id=version_id,
                    party=party,
                    kind="explicit",
                    signer="floor",
                    envelope=b"x" * 600,
                    kids=["floor"],
                    created_at=system_clock(),
                )
            )
        await session.rollback()
    CPU.setdefault(id(into), []).append(time.process_time() - cpu)
    return time.perf_counter() - start


def verify_floor(payload: bytes, envelope: dict, key: signing.PrivateKey, count: int) -> float:
    entry = envelope["signatures"][0]
    data = f"{entry['protected']}.{canonical.b64url_encode(payload)}".encode("ascii")
    signature = canonical.b64url_decode(entry["signature"])
    public = key.public_key
    start = time.perf_counter()
    for _ in range(count):
        signing.verify_bytes(public, data, signature)
    return time.perf_counter() - start


async def run(url: str, settings) -> None:
    await db.migrate(url)
    engine = db.create_engine(url)
    maker = db.sessionmaker(engine)
    try:
        cid = await setup(maker, settings)
        parts = os.environ.get("ENTENTE_BENCH_PARTS", "save,signoff,diff").split(",")
        if "save" in parts:
            await bench_save(maker, cid)
        if "signoff" in parts:
            await bench_signoff(maker, cid)
        if "diff" in parts:
            await bench_diff(maker, cid)
    finally:
        await engine.dispose()


async def admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


async def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(REPO / "config" / "entente.toml", env={"ENTENTE_PATHS_VAR": tmp})
        print("== SQLite (aiosqlite, WAL), the default")
        await run(settings.database_url, settings)
        postgres = os.environ.get("ENTENTE_TEST_POSTGRES_URL")
        if postgres:
            name = f"entente_bench_{uuid.uuid4().hex[:10]}"
            await admin(postgres, f'CREATE DATABASE "{name}"')
            try:
                print("== PostgreSQL (asyncpg), same figures")
                await run(make_url(postgres).set(database=name).render_as_string(hide_password=False), settings)
            finally:
                await admin(postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
