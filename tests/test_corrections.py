"""Corrections for every kind: a successor supersedes a released joint statement; the old record is never
edited and says "superseded by" with a link once the successor is public; the successor states what
changed in its signed text. Through the real API on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from entente import canonical, scheduler
from entente.appkeys import publisher_key
from entente.models import AuditEntry
from entente.verification import VerifyOptions, verify_bundle
from tests.support.drafting import BASE, editable, save
from tests.support.releasing import PUBLIC, bundle_of, release_communique, released, sign_head

CHANGES = "The attribution now names the unit responsible; the date of the first intrusion is corrected to 12 March."


async def problem(response, status: int, code: str) -> dict:
    assert response.status == status, await response.text()
    body = await response.json(content_type=None)
    assert body["code"] == code, body
    return body


async def supersede(world, cid: int, body: dict, user: str = "fr.drafter"):
    return await world.client.post(f"{BASE}/{cid}/successor", json=body, headers=await world.token(user))


async def test_a_correction_supersedes_a_released_statement_without_editing_it(world, rostered) -> None:
    keys = rostered
    old = await released(world, keys)
    record_before = await (await world.client.get(f"{PUBLIC}/{old}")).read()

    created = await supersede(world, old, {"title": "Corrected: on the attack on the Baltic grid", "changes": CHANGES})
    assert created.status == 201, await created.text()
    version = await created.json()
    new = version["communique"]
    assert version["lead"] == "FR" and version["parties"] == ["FR"]
    first = version["sections"][0]
    assert first["id"] == "changes" and first["heading"] == "What changed" and first["marking"]["public"] is True
    old_digest = json.loads(record_before)["version_digest"]
    assert f"supersedes communiqué {old} (version {old_digest})" in first["body"] and CHANGES in first["body"]
    assert [s["heading"] for s in version["sections"][1:]] == ["Statement", "Handling"]  # the text as stored
    info = await (await world.client.get(f"{BASE}/{new}", headers=await world.token("ee.drafter"))).json()
    assert info["supersedes"] == old and info["state"] == "drafting"
    await problem(await supersede(world, old, {"changes": "again"}, "ee.drafter"), 409, "successor_exists")

    # Until the successor is public, the old record says nothing of it.
    assert "superseded_by" not in await bundle_of(world, old)
    # The drafters fix the text; the parties sign; it is released.
    for user in ("ee.drafter", "eu.secretariat"):
        await world.client.post(f"{BASE}/{new}/acceptance", headers=await world.token(user))
    head = await (await world.client.get(f"{BASE}/{new}/versions/head", headers=await world.token("fr.drafter"))).json()
    sections = editable(head)
    sections[1]["body"] = "We **condemn** the attack on the grid by unit 74455."
    await save(world.client, await world.token("fr.drafter"), new, head["digest"], sections=sections)
    await sign_head(world, keys, new)
    await release_communique(world, new, world.clock() + timedelta(hours=1))
    assert "superseded_by" not in await bundle_of(world, old)  # scheduled, not public yet
    world.clock.advance(timedelta(hours=1))
    assert await scheduler.tick(world.client.app[publisher_key]) == [new]

    # The old record is unchanged; its bundle, list entry and page point to the successor, and back.
    assert await (await world.client.get(f"{PUBLIC}/{old}")).read() == record_before
    old_bundle = await bundle_of(world, old)
    assert old_bundle["superseded_by"] == new and verify_bundle(old_bundle, VerifyOptions()).verdict == "valid"
    new_bundle = await bundle_of(world, new)
    assert new_bundle["supersedes"] == old and verify_bundle(new_bundle, VerifyOptions()).verdict == "valid"
    shown = [canonical.decode_disclosure(d).value for d in new_bundle["record"]["disclosures"]["sections"]]
    assert shown[0]["heading"] == "What changed" and CHANGES in shown[0]["body"]
    listed = {r["id"]: r for r in await (await world.client.get(PUBLIC)).json()}
    assert listed[old]["superseded_by"] == new and listed[new]["supersedes"] == old
    page = await (await world.client.get(f"/releases/{old}")).text()
    assert f'Superseded by <a href="/releases/{new}">Corrected: on the attack on the Baltic grid</a>' in page
    new_page = await (await world.client.get(f"/releases/{new}")).text()
    assert f'supersedes <a href="/releases/{old}">' in new_page and "What changed" in new_page
    async with world.sessions() as session:
        event = (
            await session.execute(select(AuditEntry).where(AuditEntry.event == "drafting:communique:supersede"))
        ).scalar_one()
    assert event.details["supersedes"] == old and event.details["correction"] is True


async def test_only_a_released_statement_takes_a_correction(world, keys) -> None:
    from tests.support.releasing import scheduled

    cid = await scheduled(world, keys)
    await problem(await supersede(world, cid, {"changes": CHANGES}), 409, "communique_not_released")
    world.clock.advance(timedelta(hours=1))
    await problem(await supersede(world, cid, {"changes": "  "}), 422, "invalid_text")
    await problem(await supersede(world, cid, {"changes": CHANGES}, "fr.comms"), 403, "role_required")
    hidden = await supersede(world, 999999, {"changes": CHANGES})
    assert hidden.status == 404
