"""Fast at coalition scale: reads beside a writer, the paginated public list, public reads served from
memory (ETags, 304, 404 without the database), lean offline commands.

No timings here (those are in tests/bench/): each property is shown by what cannot happen otherwise.
Reads beside a writer run with a busy timeout of zero, so a read that needed the writer's lock would
fail at once (503) instead of waiting; public reads that must not touch the database are counted.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from entente.app import create_app
from entente.appkeys import engine_key, public_index_key, read_engine_key
from entente.settings import Settings
from tests.support.drafting import BASE, head, section
from tests.support.releasing import release_communique, signed_communique, three_party
from tests.support.world import REPO

PUBLIC = "/api/v1/public/communiques"


@pytest.fixture
def settings(settings: Settings, database_url: str) -> Settings:
    """No waiting for a lock at all: a read that needed the writer's lock would fail instead of waiting."""
    return settings.replace(database=dataclasses.replace(settings.database, busy_timeout_ms=0))


@asynccontextmanager
async def write_lock_held(url: str) -> AsyncIterator[None]:
    """Another connection holds an open write transaction (with an uncommitted change) meanwhile."""
    if make_url(url).get_backend_name() == "sqlite":
        holder = sqlite3.connect(make_url(url).database, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("UPDATE communique SET title = title || ' (changing)'")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text("LOCK TABLE communique, release IN EXCLUSIVE MODE"))
            await connection.execute(sa.text("UPDATE communique SET title = title || ' (changing)'"))
            yield
            await connection.rollback()
    finally:
        await engine.dispose()


async def test_reads_answer_while_another_connection_holds_the_write_lock(world, keys, settings) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    world.clock.advance(timedelta(hours=1))
    drafter = await world.token("ee.drafter")  # a fresh token: /me looks its caller up in the database
    client = world.client
    async with write_lock_held(settings.database_url):
        for path, headers in (
            ("/healthz", {}),
            ("/", {}),
            ("/releases", {}),
            ("/releases.atom", {}),
            (PUBLIC, {}),
            (f"{PUBLIC}/{cid}", {}),
            (f"/releases/{cid}", {}),
            ("/api/v1/me", drafter),
            (f"{BASE}/{cid}/versions/head", drafter),
        ):
            response = await client.get(path, headers=headers)
            assert response.status == 200, (path, await response.text())
        assert (await client.get("/healthz")).headers["Content-Type"].startswith("application/json")
        if settings.database_url.startswith("sqlite"):
            # A write meets the lock: 503 with Retry-After (never 500), and nothing changed.
            response = await client.post("/api/v1/tokens", json={"name": "while locked"}, headers=drafter)
            assert response.status == 503, await response.text()
            assert response.headers["Retry-After"] == "1"
            assert (await response.json())["code"] == "database_busy"
    tokens = await (await client.get("/api/v1/tokens", headers=drafter)).json()
    assert all(t["name"] != "while locked" for t in tokens)
    assert (await head(client, drafter, cid))["title"].endswith("(changing)") is False


async def test_the_read_engine_refuses_to_write_on_sqlite(client, settings) -> None:
    read_engine = client.app[read_engine_key]
    if not settings.database_url.startswith("sqlite"):
        assert read_engine is client.app[engine_key]  # PostgreSQL: one engine, MVCC readers never wait
        return
    assert read_engine is not client.app[engine_key]
    async with read_engine.connect() as connection:
        with pytest.raises(sa.exc.OperationalError, match="readonly|read-only|query_only"):
            await connection.execute(sa.text("DELETE FROM party"))


# --- the public list, a page at a time ---------------------------------------------------------------


async def _release_many(world, keys, count: int) -> list[int]:
    """``count`` communiqués released one minute apart (the newest last); their ids."""
    ids = []
    for n in range(count):
        cid = await signed_communique(world, keys, title=f"Statement {n:03d}")
        await release_communique(world, cid, world.clock() + timedelta(minutes=1))
        world.clock.advance(timedelta(minutes=1))
        ids.append(cid)
    return ids


async def _follow(client, path: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    while path:
        response = await client.get(path)
        assert response.status == 200, await response.text()
        seen += await response.json()
        link = response.headers.get("Link")
        path = link.split(">")[0].removeprefix("<") if link else ""
        if link:
            assert link.endswith('rel="next"')
    return seen


async def test_the_public_list_is_paginated_by_cursor_without_losing_any(world, keys, monkeypatch) -> None:
    from entente.web import public
    from entente.web.api import releases as release_api

    monkeypatch.setattr(release_api, "PUBLIC_PAGE", 2)
    monkeypatch.setattr(public, "LIST_ENTRIES", 2)
    monkeypatch.setattr(public, "FEED_ENTRIES", 2)
    ids = await _release_many(world, keys, 5)
    client = world.client
    listed = await _follow(client, PUBLIC)
    assert [r["id"] for r in listed] == ids[::-1]
    first = await client.get(PUBLIC)
    assert len(await first.json()) == 2 and "Link" in first.headers
    # The pages and the feed link their next page too, and the last one has none.
    html_path, titles = "/releases", []
    while html_path:
        text = await (await client.get(html_path)).text()
        titles += [line for line in text.split("\n") if "Statement 0" in line]
        found = re.search(r'<a rel="next" href="([^"]+)"', text)
        html_path = found.group(1).replace("&amp;", "&") if found else ""
    assert len(titles) == 5
    feed_path, entries = "/releases.atom", 0
    while feed_path:
        text = await (await client.get(feed_path)).text()
        entries += text.count("<entry>")
        nxt = re.search(r'<link rel="next" type="application/atom\+xml" href="http://127\.0\.0\.1:8080([^"]+)"', text)
        feed_path = nxt.group(1).replace("&amp;", "&") if nxt else ""
    assert entries == 5
    # A cursor this server never gave is refused (422), on the API and the pages.
    bad = await client.get(f"{PUBLIC}?after=not-a-cursor")
    assert bad.status == 422 and (await bad.json())["code"] == "cursor_invalid"
    assert (await client.get("/releases?after=%00")).status == 422
    assert (await client.get("/releases.atom?after=AAAA")).status == 422


async def test_a_new_release_appears_on_the_cached_first_page_at_its_instant(world, keys) -> None:
    client = world.client
    ids = await _release_many(world, keys, 1)
    first = await client.get(PUBLIC)
    etag = first.headers["ETag"]
    assert (await client.get(PUBLIC, headers={"If-None-Match": etag})).status == 304
    cid = await signed_communique(world, keys, title="Later statement")
    await release_communique(world, cid, world.clock() + timedelta(minutes=30))
    assert [r["id"] for r in await (await client.get(PUBLIC)).json()] == ids  # not yet
    world.clock.advance(timedelta(minutes=30))
    now = await client.get(PUBLIC, headers={"If-None-Match": etag})
    assert now.status == 200 and [r["id"] for r in await now.json()] == [cid, *ids]


# --- public reads from memory -------------------------------------------------------------------------


class StatementCounter:
    def __init__(self, app: Any) -> None:
        self.count = 0
        self.statements: list[str] = []
        self.engines = {app[engine_key].sync_engine, app[read_engine_key].sync_engine}
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, _conn: Any, _cursor: Any, statement: str, *args: Any) -> None:
        self.count += 1
        self.statements.append(statement)

    def close(self) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._count)


async def test_not_yet_public_and_unknown_ids_answer_the_same_404_without_the_database(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    client = world.client
    await client.get(f"{PUBLIC}/999999")  # loads the index once
    counter = StatementCounter(client.app)
    try:
        answers = []
        for path in (f"{PUBLIC}/{cid}", f"{PUBLIC}/999999", f"/releases/{cid}.pdf", f"/releases/{cid + 1}.pdf"):
            response = await client.get(path)
            answers.append(
                (response.status, (await response.json(content_type=None)) if path.startswith("/api") else None)
            )
        assert counter.count == 0
    finally:
        counter.close()
    assert {a[0] for a in answers} == {404}
    first, second = answers[0][1], answers[1][1]
    assert first["code"] == second["code"] == "not_found"
    assert {k: v for k, v in first.items() if k not in ("detail", "instance")} == {
        k: v for k, v in second.items() if k not in ("detail", "instance")
    }
    world.clock.advance(timedelta(hours=1))
    record = await client.get(f"{PUBLIC}/{cid}")  # public at the instant, on this instance at once
    assert record.status == 200
    counter = StatementCounter(client.app)
    try:
        again = await client.get(f"{PUBLIC}/{cid}", headers={"If-None-Match": record.headers["ETag"]})
        page = await client.get(f"/releases/{cid}")
        page_again = await client.get(f"/releases/{cid}")
        assert again.status == 304 and page.status == page_again.status == 200
        assert await page.read() == await page_again.read()
        statements_for_first_page = counter.count
        await client.get(f"/releases/{cid}")
        assert counter.count == statements_for_first_page  # served from the bytes kept once public
    finally:
        counter.close()


async def test_a_release_scheduled_on_another_instance_is_seen_after_the_refresh(
    world, keys, settings, clock, aiohttp_client
) -> None:
    """Two instances on one database: the one that did not schedule trusts its index for
    ``release.public_refresh_seconds`` (404 meanwhile), then reads it again and serves the release."""
    other = await aiohttp_client(create_app(settings, clock=clock))
    elapsed = [0.0]
    other.app[public_index_key].monotonic = lambda: elapsed[0]
    cid = await signed_communique(world, keys)
    assert (await other.get(f"{PUBLIC}/{cid}")).status == 404
    assert await (await other.get(PUBLIC)).json() == []  # the first page, cached on the other instance
    await release_communique(world, cid, world.clock() + timedelta(minutes=1))
    world.clock.advance(timedelta(minutes=1))
    assert (await world.client.get(f"{PUBLIC}/{cid}")).status == 200  # the instance that scheduled: at once
    assert (await other.get(f"{PUBLIC}/{cid}")).status == 404
    assert cid not in [r["id"] for r in await (await other.get(PUBLIC)).json()]
    elapsed[0] = settings.release.public_refresh_seconds
    assert (await other.get(f"{PUBLIC}/{cid}")).status == 200
    assert cid in [r["id"] for r in await (await other.get(PUBLIC)).json()]


def test_offline_commands_import_no_server_libraries() -> None:
    """`entente sign`, `verify` and `keys` start without aiohttp, SQLAlchemy or WeasyPrint."""
    for command in (["sign", "--help"], ["verify", "--help"], ["keys", "--help"]):
        probe = (
            "import sys, runpy; sys.argv = ['entente', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('entente', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('aiohttp', 'sqlalchemy', 'weasyprint', 'sqlmodel') if m in sys.modules)\n"
            "print('HEAVY', ','.join(heavy))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", probe, *command],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={"PYTHONPATH": str(REPO / "platform"), "PATH": "/usr/bin:/bin"},
            timeout=60,
        )
        last = [line for line in result.stdout.splitlines() if line.startswith("HEAVY")]
        assert last == ["HEAVY "], (command, result.stdout[-500:], result.stderr[-2000:])


# --- lean hot paths: statements per request -----------------------------------------------------------


async def test_head_read_save_and_signoff_each_take_a_handful_of_statements(world, keys, monkeypatch) -> None:
    """Counted, not timed: a request's statements do not grow with the sections or the parties, and a
    sign-off verifies one signature, its own (earlier ones were verified when recorded)."""
    from entente.signing import jws as jws_module

    verified: list[int] = []
    real_verify = jws_module.verify_bytes

    def counting_verify(*args: Any) -> bool:
        verified.append(1)
        return real_verify(*args)

    monkeypatch.setattr(jws_module, "verify_bytes", counting_verify)
    from tests.support.drafting import editable, save
    from tests.support.signoffs import jws, payload

    cid = await three_party(world, sections=[section(f"Section {i}", f"Text {i}.") for i in range(20)])
    drafter = await world.token("ee.drafter")
    await head(world.client, drafter, cid)  # the caller is looked up once (then cached)
    counts = {}
    counter = StatementCounter(world.client.app)
    try:
        start = counter.count
        version = await head(world.client, drafter, cid)
        counts["head"] = counter.count - start
        sections = editable(version)
        sections[3]["body"] = "An edited third section."
        start = counter.count
        await save(world.client, drafter, cid, version["digest"], sections=sections)
        counts["save"] = counter.count - start
        data = await payload(world, drafter, cid)
        signatories = {party: await world.token(f"{party.lower()}.signatory") for party in ("EE", "FR", "EU")}
        for headers in signatories.values():  # each caller looked up once (then cached)
            await world.client.get("/api/v1/me", headers=headers)
        for party, headers in signatories.items():
            start, verified[:] = counter.count, []
            response = await world.client.post(
                f"{BASE}/{cid}/versions/head/signoffs", json={"jws": jws(keys[party], data, world)}, headers=headers
            )
            assert response.status == 201, await response.text()
            counts[f"sign-off {party}"] = counter.count - start
            counts[f"verified {party}"] = len(verified)
    finally:
        counter.close()
    # BEGIN; the communiqué with its participants; the version; its items.
    assert counts["head"] <= 4, counts
    # BEGIN; lock and read; base and head versions; their items; insert the version, its items (one
    # executemany), the head; the audit trail's last hash and the entry. The answer is made from what
    # was written, not read back.
    assert counts["save"] <= 9, counts
    # The same few statements for the first and the last party: nothing per earlier sign-off. BEGIN;
    # the communiqué, the version, its items, the stored sign-offs, the keys; the insert; the roster
    # (the policy); the communiqué's state when it changes; the audit trail's last hash and the entry.
    assert counts["sign-off EE"] <= 11 and counts["sign-off EU"] <= counts["sign-off EE"] + 1, counts
    assert counts["verified EE"] == counts["verified FR"] == counts["verified EU"] == 1, counts
