"""The audit trail is hash-chained: any edit after the fact is caught at its row."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from entente import audit
from entente.appkeys import sessionmaker_key


async def append(maker, clock, n: int, prefix: str = "a") -> None:
    for i in range(n):
        async with maker.begin() as session:
            await audit.record(session, at=clock(), actor=f"{prefix}{i}", party="EE", event="test:entry:add",
                               object=f"thing:{i}", details={"i": i, "text": "Tallinn – Таллин"})


async def test_chain_of_logins_and_tokens_verifies(world) -> None:
    headers = await world.token("ee.drafter")
    assert (await world.client.get("/api/v1/me", headers=headers)).status == 200
    async with world.sessions() as session:
        report = await audit.verify_chain(session)
        entries = await audit.list_entries(session, limit=100)
    assert report.ok and report.entries == len(entries)
    assert {"parties:party:add", "auth:user:add", "auth:token:create"} <= {e.event for e in entries}


async def test_editing_one_row_in_the_database_is_caught_at_that_row(client, clock) -> None:
    maker = client.app[sessionmaker_key]
    await append(maker, clock, 5)
    async with maker.begin() as session:
        await session.execute(sa.text("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 3"))
    async with maker() as session:
        report = await audit.verify_chain(session)
    assert not report.ok
    assert report.broken_at == 3
    assert report.entries == 2


async def test_deleting_a_row_is_caught(client, clock) -> None:
    maker = client.app[sessionmaker_key]
    await append(maker, clock, 4)
    async with maker.begin() as session:
        await session.execute(sa.text("DELETE FROM audit_entry WHERE seq = 2"))
    async with maker() as session:
        report = await audit.verify_chain(session)
    assert (report.broken_at, report.reason) == (2, "entry 2 is missing (next is 3)")


async def test_concurrent_appends_never_fork_the_chain(client, clock) -> None:
    maker = client.app[sessionmaker_key]
    await asyncio.gather(*(append(maker, clock, 5, prefix=f"w{w}-") for w in range(6)))
    async with maker() as session:
        report = await audit.verify_chain(session)
    assert report.ok and report.entries == 30


def test_audit_verify_command_reports_the_first_broken_link(settings, entente) -> None:
    env = {"ENTENTE_DATABASE_URL": settings.database_url, "ENTENTE_PATHS_VAR": str(settings.paths.var)}
    run = lambda *args: entente(*args, env=env)  # noqa: E731
    assert run("init").returncode == 0
    engine_url = settings.database_url

    async def tamper() -> None:
        from entente import db
        from entente.clock import system_clock

        engine = db.create_engine(engine_url)
        maker = db.sessionmaker(engine)
        await append(maker, system_clock, 3)
        async with maker.begin() as session:
            await session.execute(sa.text("UPDATE audit_entry SET details = '{\"i\": 99}' WHERE seq = 2"))
        await engine.dispose()

    ok = run("audit", "verify")
    assert ok.returncode == 0 and "intact: 0 entries" in ok.stdout
    asyncio.run(tamper())
    broken = run("audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN at entry 2" in broken.stdout
