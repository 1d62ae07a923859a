"""Helpers to align with a released communiqué in tests (a plain module: no tests here).

``released_without_ee`` releases a declaration FR leads and EU signs too, so EE may align later;
``alignment_jws`` signs the released version bytes as an alignment, ``align`` sends it as ee.signatory,
``public_version`` reads the public record and its exact version bytes. ``withdrawn_and_aligned_again``
leaves a release with two alignments by EE, the first withdrawn; ``with_a_forged_alignment`` is a bundle
whose last alignment a key outside the roster signed.
"""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

from tests.support.drafting import accept, create, section
from tests.support.releasing import PUBLIC, bundle_of
from tests.support.signoffs import jws, payload, sign

from entente import canonical, releases, scheduler, signing
from entente.appkeys import publisher_key

STATEMENT = "Estonia aligns itself with this declaration and shares its assessment."
TITLE = "Declaration on the SolarWinds compromise"


async def released_without_ee(world, keys) -> int:
    """FR leads, EU takes part, both sign; released by the scheduler. EE took no part."""
    fr = await world.token("fr.drafter")
    created = await create(
        world.client,
        fr,
        title=TITLE,
        participants=["EU"],
        sections=[section("Declaration", "We attribute the SolarWinds compromise to a state intelligence service.")],
    )
    cid = created["communique"]
    await accept(world.client, await world.token("eu.secretariat"), cid)
    data = await payload(world, fr, cid)
    for party in ("FR", "EU"):
        await sign(world, f"{party.lower()}.signatory", cid, jws(keys[party], data, world))
    # The test helper proposes as ee.comms: EE takes no part here, so FR proposes and EU accepts.
    proposed = await world.client.post(
        f"/api/v1/communiques/{cid}/release",
        json={"at": (world.clock() + timedelta(hours=1)).isoformat()},
        headers=await world.token("fr.comms"),
    )
    at = (await proposed.json())["embargo_at"]
    await world.client.post(
        f"/api/v1/communiques/{cid}/release/responses",
        json={"party": "EU", "decision": "accept", "at": at},
        headers=await world.token("eu.comms"),
    )
    scheduled = await world.client.post(
        f"/api/v1/communiques/{cid}/release/schedule", headers=await world.token("fr.comms")
    )
    assert scheduled.status == 200, await scheduled.text()
    world.clock.advance(timedelta(hours=1))
    assert await scheduler.tick(world.client.app[publisher_key]) == [cid]
    return cid


def alignment_jws(key, version: bytes, world, statement: str | None = STATEMENT, *, typ=releases.ALIGNMENT_TYP):
    extra = {"statement_digest": releases.statement_digest(statement)} if statement is not None else None
    return signing.sign_detached(version, [key], typ=typ, iat=int(world.clock().timestamp()), extra=extra)


async def align(world, cid: int, envelope, statement: str | None = STATEMENT, *, user="ee.signatory"):
    body = {"jws": envelope} | ({"statement": statement} if statement is not None else {})
    return await world.client.post(f"/api/v1/communiques/{cid}/alignments", json=body, headers=await world.token(user))


async def public_version(world, cid: int) -> tuple[bytes, bytes]:
    record = await (await world.client.get(f"{PUBLIC}/{cid}")).read()
    return record, canonical.b64url_decode(json.loads(record)["version"])


async def withdrawn_and_aligned_again(world, keys) -> dict[str, Any]:
    """A release EE aligned with a week later, withdrew two days after (reason "new evidence"), then aligned
    with again; the bundle once the scheduler's checkpoint covers all three log entries."""
    cid = await released_without_ee(world, keys)
    _, version = await public_version(world, cid)
    world.clock.advance(timedelta(days=7))
    first = await align(world, cid, alignment_jws(keys["EE"], version, world))
    assert first.status == 201, await first.text()
    world.clock.advance(timedelta(days=2))
    withdrawn = await world.client.post(
        f"/api/v1/communiques/{cid}/alignments/{(await first.json())['id']}/withdrawal",
        json={"reason": "new evidence"},
        headers=await world.token("ee.signatory"),
    )
    assert withdrawn.status == 200, await withdrawn.text()
    again = await align(world, cid, alignment_jws(keys["EE"], version, world))
    assert again.status == 201, await again.text()
    await scheduler.tick(world.client.app[publisher_key])
    bundle = await bundle_of(world, cid)
    assert [bool(item["withdrawn"]) for item in bundle["alignments"]] == [True, False]
    return bundle


def with_a_forged_alignment(bundle: dict[str, Any], world) -> dict[str, Any]:
    """The bundle with its last alignment signed again by a key the roster does not hold (a forger's own,
    listed among the alignment's keys as the server lists a party's): the rest, log entry included, as it was."""
    forged = copy.deepcopy(bundle)
    item = forged["alignments"][-1]
    key = signing.generate_private_key()
    version = canonical.b64url_decode(bundle["record"]["version"])
    item["envelope"] = alignment_jws(key, version, world, item["statement"])
    item["keys"] = [{"party": item["party"], "kid": key.public_key.kid, "jwk": key.public_key.jwk}]
    return forged
