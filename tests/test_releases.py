"""Releases: negotiating the embargo instant, scheduling and freezing, hold and resume, cancel, lift,
the release predicate, publish_due, and the public artefact (no restricted text, verifiable)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from jwcrypto import jwk as jwcrypto_jwk
from jwcrypto import jws as jwcrypto_jws
from sqlmodel import select

import entente
from entente import canonical, parties, releases, scheduler, signing
from entente.appkeys import publisher_key
from entente.models import AuditEntry, Communique, Release
from entente.signoffs import SIGNOFF_TYP
from tests.support.drafting import BASE, accept, create, editable, head, save, section
from tests.support.releasing import (
    RESTRICTED_MARKER,
    release_communique,
    release_url,
    sign_head,
    signed_communique,
    three_party,
)
from tests.support.signoffs import jws, payload, sign

PUBLIC = "/api/v1/public/communiques"


def later(world, **delta) -> str:
    return (world.clock() + timedelta(**delta)).isoformat()


async def problem(response, status: int, code: str) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert body["code"] == code, body
    return body


async def propose(world, cid: int, at: str, *, user: str = "ee.comms"):
    return await world.client.post(release_url(cid), json={"at": at}, headers=await world.token(user))


async def respond(world, cid: int, party: str, decision: str, at: str, *, user: str | None = None):
    headers = await world.token(user or f"{party.lower()}.comms")
    body = {"party": party, "decision": decision, "at": at}
    return await world.client.post(release_url(cid, "responses"), json=body, headers=headers)


async def step(world, cid: int, name: str, body: dict | None = None, *, user: str = "ee.comms"):
    return await world.client.post(release_url(cid, name), json=body, headers=await world.token(user))


async def get_release(world, cid: int, user: str = "ee.comms") -> dict:
    response = await world.client.get(release_url(cid), headers=await world.token(user))
    assert response.status == 200, await response.text()
    return await response.json()


async def publish_due(world) -> list[int]:
    async with world.sessions.begin() as session:
        return await releases.publish_due(session, world.clock())


async def state_of(world, cid: int) -> str:
    response = await world.client.get(f"{BASE}/{cid}", headers=await world.token("ee.drafter"))
    return (await response.json())["state"]


async def events(world, cid: int) -> list[AuditEntry]:
    async with world.sessions() as session:
        rows = await session.execute(
            select(AuditEntry).where(AuditEntry.object == f"communique:{cid}").order_by(AuditEntry.seq)
        )
        return [e for e in rows.scalars() if e.event.startswith("releases:")]


# --- negotiation ---------------------------------------------------------------------------------


async def test_a_counter_proposal_clears_acceptances_and_all_accepting_agrees(world) -> None:
    cid = await three_party(world)
    first = later(world, days=1)
    proposed = await propose(world, cid, first)
    assert proposed.status == 201, await proposed.text()
    body = await proposed.json()
    assert body["state"] == "proposed" and body["waiting_for"] == ["EU", "FR"]
    assert {p["party"]: p["accepted"] for p in body["parties"]} == {"EE": True, "EU": False, "FR": False}
    zones = {p["party"]: (p["timezone"], p["embargo_local"]) for p in body["parties"]}
    assert zones["EE"] == ("Europe/Tallinn", "2026-11-28T11:00:00+02:00")
    assert zones["FR"] == ("Europe/Paris", "2026-11-28T10:00:00+01:00")
    assert body["embargo_at"] == "2026-11-28T09:00:00Z"

    accepted = await respond(world, cid, "FR", "accept", body["embargo_at"])
    assert (await accepted.json())["waiting_for"] == ["EU"]
    second = later(world, days=2)
    countered = await (await respond(world, cid, "EU", "counter", second)).json()
    assert countered["state"] == "proposed" and countered["embargo_at"] == "2026-11-29T09:00:00Z"
    assert countered["waiting_for"] == ["EE", "FR"]
    assert {p["party"] for p in countered["parties"] if p["accepted"]} == {"EU"}

    await respond(world, cid, "EE", "accept", second)
    agreed = await (await respond(world, cid, "FR", "accept", "2026-11-29T10:00:00+01:00")).json()
    assert agreed["state"] == "agreed" and agreed["waiting_for"] == [] and agreed["agreed_at"]
    assert [e.event for e in await events(world, cid)] == [
        "releases:release:propose",
        "releases:release:accept",
        "releases:release:counter",
        "releases:release:accept",
        "releases:release:accept",
        "releases:release:agree",
    ]


async def test_accepting_a_stale_instant_is_refused_with_the_current_one(world) -> None:
    cid = await three_party(world)
    first = (await (await propose(world, cid, later(world, days=1))).json())["embargo_at"]
    await respond(world, cid, "EU", "counter", later(world, days=3))
    body = await problem(await respond(world, cid, "FR", "accept", first), 409, "release_instant_changed")
    assert body["embargo_at"] == "2026-11-30T09:00:00Z"
    assert (await get_release(world, cid))["waiting_for"] == ["EE", "FR"]


async def test_a_second_proposal_is_refused_counter_propose_instead(world) -> None:
    cid = await three_party(world)
    await propose(world, cid, later(world, days=1))
    await problem(await propose(world, cid, later(world, days=2), user="fr.comms"), 409, "release_exists")


async def test_instants_need_an_offset_and_must_lie_ahead(world) -> None:
    cid = await three_party(world)
    body = await problem(await propose(world, cid, "2026-11-28T09:00:00"), 422, "instant_invalid")
    assert body["field"] == "/at"
    await problem(await propose(world, cid, later(world, minutes=-1)), 409, "instant_not_in_future")
    await problem(await propose(world, cid, world.clock().isoformat()), 409, "instant_not_in_future")
    await problem(await propose(world, cid, "tomorrow"), 422, "instant_invalid")
    await propose(world, cid, later(world, hours=1))
    await problem(await respond(world, cid, "FR", "counter", "2026-11-28T09:00:00"), 422, "instant_invalid")
    await problem(await respond(world, cid, "FR", "counter", later(world, hours=-1)), 409, "instant_not_in_future")
    await problem(await respond(world, cid, "FR", "maybe", later(world, hours=2)), 422, "invalid_input")


async def test_only_comms_officers_of_taking_part_parties_negotiate_each_for_its_own(world) -> None:
    cid = await three_party(world)
    await problem(await propose(world, cid, later(world, days=1), user="ee.drafter"), 403, "role_required")
    await problem(await propose(world, cid, later(world, days=1), user="ee.signatory"), 403, "role_required")
    at = (await (await propose(world, cid, later(world, days=1))).json())["embargo_at"]
    await problem(await respond(world, cid, "EE", "accept", at, user="fr.comms"), 403, "wrong_party")
    await problem(await respond(world, cid, "EE", "counter", later(world, days=2), user="fr.comms"), 403, "wrong_party")
    await problem(await step(world, cid, "schedule", user="fr.drafter"), 403, "role_required")


async def test_a_party_off_the_roster_gets_the_same_404_as_for_a_missing_communique(world) -> None:
    ee = await world.token("ee.drafter")
    created = await create(world.client, ee, participants=["FR"], sections=[section("S", "x")])
    cid = created["communique"]
    await accept(world.client, await world.token("fr.drafter"), cid)
    await propose(world, cid, later(world, days=1))
    eu = await world.token("eu.comms")
    hidden = await world.client.get(release_url(cid), headers=eu)
    missing = await world.client.get(release_url(999_999), headers=eu)
    assert hidden.status == missing.status == 404
    hidden_body, missing_body = await hidden.json(content_type=None), await missing.json(content_type=None)
    assert hidden_body["code"] == missing_body["code"] == "not_found"
    assert hidden_body["detail"].replace(str(cid), "N") == missing_body["detail"].replace("999999", "N")
    for name, body in (("schedule", None), ("cancel", {"reason": "x"}), ("lift", {"reason": "x"})):
        await problem(await step(world, cid, name, body, user="eu.comms"), 404, "not_found")
    await problem(await propose(world, cid, later(world, days=2), user="eu.comms"), 404, "not_found")
    await problem(await respond(world, cid, "EU", "accept", later(world, days=1)), 404, "not_found")
    assert (await get_release(world, cid, "fr.comms"))["state"] == "proposed"


async def test_no_release_yet_is_a_404_with_its_own_code(world) -> None:
    cid = await three_party(world)
    response = await world.client.get(release_url(cid), headers=await world.token("fr.comms"))
    await problem(response, 404, "no_release")
    await problem(await step(world, cid, "schedule"), 404, "no_release")


async def test_a_party_joining_later_must_accept_the_agreed_instant_before_it_reads_the_text(world, keys) -> None:
    ee = await world.token("ee.drafter")
    created = await create(world.client, ee, participants=["FR", "EU"], sections=[section("S", "x")])
    cid = created["communique"]
    await accept(world.client, await world.token("fr.drafter"), cid)
    at = (await (await propose(world, cid, later(world, days=1))).json())["embargo_at"]
    agreed = await (await respond(world, cid, "FR", "accept", at)).json()
    assert agreed["state"] == "agreed"
    joined = await accept(world.client, await world.token("eu.secretariat"), cid)
    assert {p["party"]: p["awaits_instant"] for p in joined["participants"]} == {"EE": False, "FR": False, "EU": True}
    back = await get_release(world, cid)
    assert back["state"] == "proposed" and back["waiting_for"] == ["EU"]
    eu_reader = await world.token("eu.secretariat")
    hidden = await world.client.get(f"{BASE}/{cid}/versions/head", headers=eu_reader)
    assert hidden.status == 404  # the text only once EU accepted the agreed instant
    seen_by_eu = await world.client.get(release_url(cid), headers=await world.token("eu.comms"))
    assert seen_by_eu.status == 200 and (await seen_by_eu.json())["embargo_at"] == at
    await respond(world, cid, "EU", "accept", at)
    shown = await world.client.get(f"{BASE}/{cid}/versions/head", headers=eu_reader)
    assert shown.status == 200
    await sign_head(world, keys, cid)
    scheduled = await step(world, cid, "schedule")
    assert scheduled.status == 200 and (await scheduled.json())["state"] == "scheduled"


async def test_cancelling_the_agreed_release_lets_a_late_joiner_read_the_text(world) -> None:
    ee = await world.token("ee.drafter")
    cid = (await create(world.client, ee, participants=["FR", "EU"], sections=[section("S", "x")]))["communique"]
    await accept(world.client, await world.token("fr.drafter"), cid)
    at = (await (await propose(world, cid, later(world, days=1))).json())["embargo_at"]
    await respond(world, cid, "FR", "accept", at)
    await accept(world.client, await world.token("eu.secretariat"), cid)
    eu_reader = await world.token("eu.secretariat")
    assert (await world.client.get(f"{BASE}/{cid}/versions/head", headers=eu_reader)).status == 404
    page = await world.client.get(f"/communiques/{cid}", headers=eu_reader)
    assert page.status == 200 and "accepts that instant" in await page.text()
    cancelled = await step(world, cid, "cancel", {"reason": "Timing changed."})
    assert cancelled.status == 200, await cancelled.text()
    assert (await world.client.get(f"{BASE}/{cid}/versions/head", headers=eu_reader)).status == 200


# --- scheduling and freezing ---------------------------------------------------------------------


async def test_schedule_needs_agreement_a_complete_quorum_and_an_instant_ahead(world, keys) -> None:
    cid = await three_party(world)
    at = (await (await propose(world, cid, later(world, hours=2))).json())["embargo_at"]
    await problem(await step(world, cid, "schedule"), 409, "release_not_agreed")
    await respond(world, cid, "FR", "accept", at)
    await respond(world, cid, "EU", "accept", at)
    await problem(await step(world, cid, "schedule"), 409, "quorum_incomplete")
    await sign_head(world, keys, cid, parties=("EE", "FR"))
    await problem(await step(world, cid, "schedule"), 409, "quorum_incomplete")
    data = await payload(world, await world.token("ee.drafter"), cid)
    await sign(world, "eu.signatory", cid, jws(keys["EU"], data, world))
    world.clock.advance(timedelta(hours=2))
    await problem(await step(world, cid, "schedule"), 409, "instant_not_in_future")
    assert await state_of(world, cid) == "signing"


async def test_scheduling_freezes_the_version_and_commits_to_its_digest(world, keys) -> None:
    cid = await signed_communique(world, keys)
    ee = await world.token("ee.drafter")
    frozen = await head(world.client, ee, cid)
    release = await release_communique(world, cid, world.clock() + timedelta(hours=3))
    assert release["state"] == "scheduled" and release["public"] is False
    assert release["version"] == {"number": frozen["number"], "digest": frozen["digest"]}
    assert await state_of(world, cid) == "scheduled"
    refused = await world.client.post(
        f"{BASE}/{cid}/versions",
        json={"title": "Changed after scheduling"},
        headers=ee | {"If-Match": f'"{frozen["digest"]}"'},
    )
    await problem(refused, 409, "communique_frozen")
    await problem(await step(world, cid, "schedule"), 409, "release_scheduled")
    await problem(await respond(world, cid, "FR", "counter", later(world, days=1)), 409, "release_scheduled")
    commitment = [e for e in await events(world, cid) if e.event == "releases:release:schedule"][0]
    assert commitment.details["digest"] == frozen["digest"]
    assert commitment.details["embargo_at"] == "2026-11-27T12:00:00Z"
    assert RESTRICTED_MARKER not in json.dumps(commitment.details)


async def test_withdrawing_a_sign_off_holds_the_release_and_re_signing_resumes_it(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    fr = await world.token("fr.signatory")
    withdrawn = await world.client.delete(f"{BASE}/{cid}/versions/head/signoffs/FR", headers=fr)
    assert withdrawn.status == 200, await withdrawn.text()
    held = await get_release(world, cid)
    assert held["state"] == "held" and held["held_at"] and "FR withdrew" in held["reason"]
    assert await state_of(world, cid) == "held"
    world.clock.advance(timedelta(minutes=30))
    await problem(await step(world, cid, "schedule"), 409, "quorum_incomplete")
    data = await payload(world, await world.token("ee.drafter"), cid)
    resigned = await sign(world, "fr.signatory", cid, jws(keys["FR"], data, world))
    assert resigned["ready_for_release"] is True
    world.clock.advance(timedelta(minutes=31))
    async with world.sessions() as session:
        row = (await session.execute(select(Release).where(Release.communique_id == cid))).scalar_one()
        assert releases.is_public(row, world.clock()) is False
    assert await publish_due(world) == []
    await problem(await world.client.get(f"{PUBLIC}/{cid}"), 404, "not_found")
    await problem(await step(world, cid, "schedule"), 409, "instant_not_in_future")
    world.clock.set(world.clock() - timedelta(minutes=31))
    resumed = await (await step(world, cid, "schedule")).json()
    assert resumed["state"] == "scheduled" and await state_of(world, cid) == "scheduled"
    world.clock.advance(timedelta(minutes=31))
    assert await publish_due(world) == [cid]
    assert [e.event.rsplit(":", 1)[1] for e in await events(world, cid)][-3:] == ["hold", "schedule", "publish"]


async def test_revoking_a_key_back_before_its_sign_off_holds_the_scheduled_release(world, keys) -> None:
    second = signing.generate_private_key()
    async with world.sessions.begin() as session:
        await parties.add_key(
            session,
            party="FR",
            jwk=second.public_key.jwk,
            actor="test",
            now=world.clock(),
            not_before=world.clock() - timedelta(days=1),
        )
    stands = await signed_communique(world, keys)
    voided = await signed_communique(world, {**keys, "FR": second})
    for cid in (stands, voided):
        await release_communique(world, cid, world.clock() + timedelta(hours=1))
    world.clock.advance(timedelta(minutes=1))
    fr = await world.token("fr.signatory")
    revoke = "/api/v1/parties/FR/keys/{}/revoke"
    retired = await world.client.post(revoke.format(keys["FR"].kid), json={"reason": "rotated"}, headers=fr)
    assert retired.status == 200, await retired.text()  # from now on: the signatures made before stand
    assert (await get_release(world, stands))["state"] == "scheduled"
    compromised = {"reason": "compromised", "at": (world.clock() - timedelta(hours=1)).isoformat()}
    revoked = await world.client.post(revoke.format(second.kid), json=compromised, headers=fr)
    assert revoked.status == 200, await revoked.text()
    held = await get_release(world, voided)
    assert held["state"] == "held" and "FR revoked key" in held["reason"] and await state_of(world, voided) == "held"
    assert (await get_release(world, stands))["state"] == "scheduled" and await state_of(world, stands) == "scheduled"
    world.clock.advance(timedelta(hours=2))
    assert await publish_due(world) == [stands]
    await problem(await world.client.get(f"{PUBLIC}/{voided}"), 404, "not_found")


async def test_a_sign_off_cannot_be_withdrawn_once_the_release_is_public(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    world.clock.advance(timedelta(hours=1))
    fr = await world.token("fr.signatory")
    await problem(await world.client.delete(f"{BASE}/{cid}/versions/head/signoffs/FR", headers=fr), 409, "released")
    assert (await world.client.get(f"{PUBLIC}/{cid}")).status == 200


async def test_cancel_makes_the_communique_editable_again(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    await problem(await step(world, cid, "cancel", {"reason": "  "}), 422, "reason_required")
    await problem(await step(world, cid, "cancel", {"reason": "x"}, user="ee.drafter"), 403, "role_required")
    cancelled = await (await step(world, cid, "cancel", {"reason": "the situation changed"})).json()
    assert cancelled["state"] == "cancelled"
    assert await state_of(world, cid) == "signing"
    await problem(await world.client.get(release_url(cid), headers=await world.token("ee.comms")), 404, "no_release")
    ee = await world.token("ee.drafter")
    v = await head(world.client, ee, cid)
    await save(world.client, ee, cid, v["digest"], sections=editable(v) + [section("Added", "after cancel")])
    cancel = [e for e in await events(world, cid) if e.event == "releases:release:cancel"][0]
    assert cancel.details["reason"] == "the situation changed" and cancel.details["previous"] == "scheduled"
    world.clock.advance(timedelta(hours=2))
    assert await publish_due(world) == []
    again = await propose(world, cid, later(world, days=1))
    assert again.status == 201


async def test_a_public_release_cannot_be_cancelled(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    world.clock.advance(timedelta(hours=1))
    await problem(await step(world, cid, "cancel", {"reason": "too late"}), 409, "release_public")
    await publish_due(world)
    await problem(await step(world, cid, "cancel", {"reason": "too late"}), 409, "release_public")
    await problem(await propose(world, cid, later(world, days=1)), 409, "communique_released")


async def test_lift_now_makes_a_scheduled_release_public_at_once(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await propose(world, cid, later(world, days=1))
    await problem(await step(world, cid, "lift", {"reason": "x"}), 409, "release_not_scheduled")
    await step(world, cid, "cancel", {"reason": "start over"})
    await release_communique(world, cid, world.clock() + timedelta(days=1))
    assert (await world.client.get(f"{PUBLIC}/{cid}")).status == 404
    world.clock.advance(timedelta(minutes=5))
    lifted = await (await step(world, cid, "lift", {"reason": "the text leaked"})).json()
    assert lifted["public"] is True and lifted["embargo_at"] == "2026-11-27T09:05:00Z" and lifted["lifted_at"]
    artefact = await world.client.get(f"{PUBLIC}/{cid}")
    assert artefact.status == 200
    assert (await artefact.json())["embargo_at"] == "2026-11-27T09:05:00Z"
    assert await publish_due(world) == [cid]
    await problem(await step(world, cid, "lift", {"reason": "again"}), 409, "release_not_scheduled")
    lift = [e for e in await events(world, cid) if e.event == "releases:release:lift"][0]
    assert lift.details["reason"] == "the text leaked" and lift.details["previous"] == "2026-11-28T09:00:00Z"


# --- the predicate and publish_due ---------------------------------------------------------------


async def test_the_release_predicate_before_at_and_after_the_instant(world, keys) -> None:
    cid = await signed_communique(world, keys)
    instant = world.clock() + timedelta(hours=4)
    await release_communique(world, cid, instant)
    async with world.sessions() as session:
        row = (await session.execute(select(Release).where(Release.communique_id == cid))).scalar_one()
        assert releases.is_public(row, instant - timedelta(microseconds=1)) is False
        assert releases.is_public(row, instant) is True
        assert releases.is_public(row, instant + timedelta(days=400)) is True
        assert await releases.public_instants(session, [cid, 12345], instant - timedelta(seconds=1)) == {}
        assert await releases.public_instants(session, [cid, 12345], instant) == {cid: instant}
        assert await releases.public_instants(session, [], instant) == {}
        row.state = "held"
        assert releases.is_public(row, instant + timedelta(days=1)) is False
        row.state = "cancelled"
        assert releases.is_public(row, instant + timedelta(days=1)) is False


async def test_publish_due_releases_once_and_a_second_call_does_nothing(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(minutes=10))
    assert await publish_due(world) == []
    world.clock.advance(timedelta(minutes=10))
    assert await publish_due(world) == [cid]
    assert await publish_due(world) == []
    world.clock.advance(timedelta(days=1))
    assert await publish_due(world) == []
    release = await get_release(world, cid)
    assert release["state"] == "released" and release["published_at"] == "2026-11-27T09:10:00Z"
    assert await state_of(world, cid) == "released"
    assert [e.event for e in await events(world, cid)].count("releases:release:publish") == 1
    async with world.sessions() as session:
        assert (await session.get(Communique, cid)).state == "released"


async def test_publish_due_from_concurrent_sessions_releases_exactly_once(world, keys) -> None:
    cids = [await signed_communique(world, keys) for _ in range(2)]
    for cid in cids:
        await release_communique(world, cid, world.clock() + timedelta(minutes=1))
    world.clock.advance(timedelta(minutes=1))
    results = await asyncio.gather(*(publish_due(world) for _ in range(3)))
    assert sorted(cid for found in results for cid in found) == sorted(cids)


async def test_the_scheduler_tick_publishes_and_the_loop_survives_a_bad_tick(world, keys, monkeypatch) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(minutes=1))
    world.clock.advance(timedelta(minutes=1))
    assert await scheduler.tick(world.client.app[publisher_key]) == [cid]
    calls, naps = [], []
    real = releases.publish_due

    async def flaky(session, now, **kwargs):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database hiccup")
        return await real(session, now, **kwargs)

    async def nap(seconds):
        naps.append(seconds)
        if len(naps) == 3:
            raise asyncio.CancelledError

    monkeypatch.setattr(releases, "publish_due", flaky)
    monkeypatch.setattr(scheduler.asyncio, "sleep", nap)
    with pytest.raises(asyncio.CancelledError):
        await scheduler.run(world.client.app[publisher_key], 5)
    assert len(calls) == 3 and naps == [5, 5, 5]


# --- the public artefact -------------------------------------------------------------------------


async def test_the_public_artefact_holds_no_restricted_text_and_verifies(world, keys) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    world.clock.advance(timedelta(hours=1))
    response = await world.client.get(f"{PUBLIC}/{cid}")
    assert response.status == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    raw = await response.read()
    assert RESTRICTED_MARKER.encode() not in raw
    artefact = json.loads(raw)
    assert canonical.canonical_bytes(artefact) == raw
    assert response.headers["ETag"] == f'"{canonical.digest(raw)}"'
    version = base64.urlsafe_b64decode(artefact["version"] + "=" * (-len(artefact["version"]) % 4))
    assert "sha256:" + hashlib.sha256(version).hexdigest() == artefact["version_digest"]
    obj = json.loads(version)
    assert (obj["communique"], obj["version"]) == (cid, artefact["version_number"])
    assert artefact["parties"] == obj["parties"] == ["EE", "EU", "FR"]
    assert artefact["withheld"] == {"sections": 1, "annex": 0}
    listed = [e["digest"] for e in obj["sections"]]
    matched = canonical.require_disclosures(artefact["disclosures"]["sections"], listed)
    assert [d.value["heading"] for d in matched.values()] == ["Statement"]
    for encoded in artefact["disclosures"]["sections"]:
        assert RESTRICTED_MARKER not in base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    jwks = {k["kid"]: (k["party"], k["jwk"]) for k in artefact["keys"]}
    signed = set()
    for envelope in artefact["signoffs"]["explicit"]:
        checks = signing.verify_detached(
            version,
            envelope,
            lambda header: [signing.public_key_from_jwk(jwks[header["kid"]][1])] if header.get("kid") in jwks else [],
            typ=SIGNOFF_TYP,
        )
        assert checks and all(c.valid for c in checks)
        for entry in envelope["signatures"]:
            header = json.loads(base64.urlsafe_b64decode(entry["protected"] + "=" * (-len(entry["protected"]) % 4)))
            token = jwcrypto_jws.JWS()
            token.deserialize(json.dumps(entry))
            token.verify(jwcrypto_jwk.JWK(**jwks[header["kid"]][1]), detached_payload=version)
            assert token.is_valid
            signed.add(jwks[header["kid"]][0])
            with pytest.raises(jwcrypto_jws.InvalidJWSSignature):
                token.verify(jwcrypto_jwk.JWK(**jwks[header["kid"]][1]), detached_payload=version + b" ")
    assert signed == {"EE", "EU", "FR"}
    assert {k["jwk"]["x"] for k in artefact["keys"]} == {keys[p].public_key.jwk["x"] for p in ("EE", "EU", "FR")}
    listing = await world.client.get(PUBLIC)
    assert RESTRICTED_MARKER.encode() not in await listing.read()


async def test_public_endpoints_answer_404_before_the_instant_and_while_held(world, keys) -> None:
    cid = await signed_communique(world, keys)
    other = await signed_communique(world, keys, sections=[section("Other", "Released earlier.")])
    await release_communique(world, other, world.clock() + timedelta(minutes=5))
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    missing = await world.client.get(f"{PUBLIC}/999999")
    embargoed = await world.client.get(f"{PUBLIC}/{cid}")
    assert missing.status == embargoed.status == 404
    assert embargoed.headers["Cache-Control"] == missing.headers["Cache-Control"] == "no-store"
    assert (await missing.json(content_type=None))["detail"].replace("999999", "N") == (
        await embargoed.json(content_type=None)
    )["detail"].replace(str(cid), "N")
    assert await (await world.client.get(PUBLIC)).json() == []
    world.clock.advance(timedelta(minutes=5))
    listed = await (await world.client.get(PUBLIC)).json()
    assert [r["id"] for r in listed] == [other]
    fr = await world.token("fr.signatory")
    await world.client.delete(f"{BASE}/{cid}/versions/head/signoffs/FR", headers=fr)
    world.clock.advance(timedelta(hours=1))
    held = await world.client.get(f"{PUBLIC}/{cid}")
    assert held.status == 404 and held.headers["Cache-Control"] == "no-store"
    assert [r["id"] for r in await (await world.client.get(PUBLIC)).json()] == [other]
    assert (await world.client.get(f"{PUBLIC}/abc")).status == 404
    data = await payload(world, await world.token("ee.drafter"), cid)
    await sign(world, "fr.signatory", cid, jws(keys["FR"], data, world))
    await step(world, cid, "cancel", {"reason": "held too long"})
    await still_ready(world, cid)
    await release_communique(world, cid, world.clock() + timedelta(minutes=1))
    world.clock.advance(timedelta(minutes=1))
    listed = await (await world.client.get(PUBLIC)).json()
    assert [r["id"] for r in listed] == [cid, other]
    assert listed[0]["embargo_at"] > listed[1]["embargo_at"]


async def still_ready(world, cid: int) -> None:
    """After a cancel the head is unchanged and still signed: it can be released again as it is."""
    response = await world.client.get(f"{BASE}/{cid}", headers=await world.token("ee.drafter"))
    assert (await response.json())["ready_for_release"] is True


async def test_the_openapi_document_describes_the_release_routes(client) -> None:
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert set(doc["paths"]["/api/v1/communiques/{communique}/release"]) == {"get", "post"}
    for path in ("responses", "schedule", "cancel", "lift"):
        assert "post" in doc["paths"][f"/api/v1/communiques/{{communique}}/release/{path}"]
    assert doc["paths"]["/api/v1/public/communiques/{communique}"]["get"]["security"] == []


@pytest.mark.parametrize("at", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00", "1969-12-31T23:59:59Z"])
async def test_instants_at_the_edges_of_time_are_refused_with_a_clear_code(world, at) -> None:
    cid = await three_party(world)
    await problem(await propose(world, cid, at), 422, "instant_invalid")


SOURCE_ROOT = Path(entente.__file__).resolve().parents[1]
VERIFICATION = SOURCE_ROOT.parent / "docs" / "verification.md"


def public_record_recipe() -> str:
    found = re.search(r"<!-- recipe: public-record[^>]*-->\n```sh\n(.*?)\n```", VERIFICATION.read_text("utf-8"), re.S)
    assert found, "docs/verification.md lost its public-record recipe"
    return found.group(1)


def tamper(path: Path) -> dict:
    """Change the downloaded version bytes; the record as downloaded."""
    (path / "version.json").write_bytes((path / "version.json").read_bytes().replace(b'"EE"', b'"XX"'))
    return json.loads((path / "record.json").read_text())


async def test_the_docs_recipe_checks_a_released_record_with_curl_sha256sum_and_entente_verify(
    world, keys, tmp_path
) -> None:
    cid = await signed_communique(world, keys)
    await release_communique(world, cid, world.clock() + timedelta(hours=1))
    world.clock.advance(timedelta(hours=1))
    base = str(world.client.make_url("")).rstrip("/")
    recipe = re.sub(r"^S=\S+; C=\S+$", f"S={base}; C={cid}", public_record_recipe(), flags=re.M)
    recipe = recipe.replace(".venv/bin/entente", f"{sys.executable} -m entente")
    env = {**os.environ, "PYTHONPATH": str(SOURCE_ROOT)}

    async def run(script: str) -> tuple[int, str]:
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-euo",
            "pipefail",
            "-c",
            script,
            cwd=tmp_path,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await process.communicate()  # the test server answers meanwhile, on this loop
        return process.returncode or 0, out.decode()

    code, out = await run(recipe)
    assert code == 0, out
    record = tamper(tmp_path)
    assert record["version_digest"] in out
    verify_only = recipe.rsplit("\n", 1)[1]
    code, out = await run(verify_only)
    assert code == 1, out
