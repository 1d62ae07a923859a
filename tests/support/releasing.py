"""Helpers to release a communiqué in tests (a plain module: no tests here).

``release_communique(world, communique_id, at)`` negotiates and schedules in one call: ee.comms
proposes ``at``, the comms officer of every other accepted party accepts it, ee.comms schedules.
The communiqué's head must have a complete quorum (see ``signed_communique``). ``scheduled`` and
``released`` do the whole journey (the latter through ``scheduler.tick``), ``bundle_of`` fetches the
publication bundle the server publishes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from tests.support.drafting import BASE, accept, create, head, section
from tests.support.signoffs import jws, payload, sign

from entente import scheduler
from entente.appkeys import publisher_key

RESTRICTED_MARKER = "EYES-ONLY-7f3a9c-restricted-marker"
TITLE = "On the attack on the Baltic grid"
PUBLIC = "/api/v1/public/communiques"


def release_url(communique_id: int, step: str = "") -> str:
    return f"{BASE}/{communique_id}/release" + (f"/{step}" if step else "")


async def release_communique(world, communique_id: int, at: datetime) -> dict[str, Any]:
    """Propose ``at`` as ee.comms, accept it for every other party, schedule; the release as answered."""
    ee = await world.token("ee.comms")
    proposed = await world.client.post(release_url(communique_id), json={"at": at.isoformat()}, headers=ee)
    assert proposed.status == 201, await proposed.text()
    release = await proposed.json()
    for party in [p["party"] for p in release["parties"] if p["party"] != "EE"]:
        comms = await world.token(f"{party.lower()}.comms")
        answered = await world.client.post(
            release_url(communique_id, "responses"),
            json={"party": party, "decision": "accept", "at": release["embargo_at"]},
            headers=comms,
        )
        assert answered.status == 200, await answered.text()
    scheduled = await world.client.post(release_url(communique_id, "schedule"), headers=ee)
    assert scheduled.status == 200, await scheduled.text()
    return await scheduled.json()


async def three_party(world, *, sections: list[dict[str, Any]] | None = None, title: str = TITLE) -> int:
    """EE leads, FR and EU take part (EU accepts through its secretariat); the communiqué's id."""
    ee = await world.token("ee.drafter")
    created = await create(
        world.client,
        ee,
        title=title,
        participants=["FR", "EU"],
        sections=sections
        if sections is not None
        else [
            section("Statement", "We **condemn** the attack on the grid."),
            section("Handling", f"Attribution sources: {RESTRICTED_MARKER}.", to=["EE", "FR"]),
        ],
    )
    cid = created["communique"]
    await accept(world.client, await world.token("fr.drafter"), cid)
    await accept(world.client, await world.token("eu.secretariat"), cid)
    return cid


async def sign_head(world, keys, cid: int, parties=("EE", "FR", "EU")) -> dict[str, Any]:
    """Each of ``parties`` signs the head version; the last sign-off status."""
    data = await payload(world, await world.token("ee.drafter"), cid)
    status: dict[str, Any] = {}
    for party in parties:
        status = await sign(world, f"{party.lower()}.signatory", cid, jws(keys[party], data, world))
    return status


async def signed_communique(
    world, keys, *, sections: list[dict[str, Any]] | None = None, title: str = TITLE
) -> int:
    """A three-party communiqué whose head every party signed (ready for release)."""
    cid = await three_party(world, sections=sections, title=title)
    status = await sign_head(world, keys, cid)
    assert status["ready_for_release"] is True
    return cid


async def head_digest(world, cid: int) -> str:
    return (await head(world.client, await world.token("ee.drafter"), cid))["digest"]


async def scheduled(world, keys) -> int:
    """A signed communiqué scheduled for release in an hour; its id."""
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    return cid


async def released(world, keys) -> int:
    """A communiqué released by the scheduler (the clock moved past its instant, one tick); its id."""
    cid = await scheduled(world, keys)
    world.clock.advance(timedelta(hours=1))
    assert await scheduler.tick(world.client.app[publisher_key]) == [cid]
    return cid


async def bundle_of(world, cid: int) -> dict[str, Any]:
    """The publication bundle as the server publishes it."""
    response = await world.client.get(f"{PUBLIC}/{cid}/bundle")
    assert response.status == 200, await response.text()
    assert response.headers["ETag"].startswith('"')
    return json.loads(await response.read())
