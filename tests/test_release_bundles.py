"""Release bundles, replayed on Exchange 2021: a joint statement and national statements (one keeping a
clause the joint text dropped) go out at one instant; one withdrawal holds all five; scheduling again
resumes them; once public each is listed with its bundle and verifies alone.

Every step runs through the real API on SQLite and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from entente import canonical, scheduler
from entente.appkeys import publisher_key
from entente.models import AuditEntry
from entente.settings import Settings
from entente.verification import VerifyOptions, verify_bundle
from tests.support.drafting import BASE, accept, create, section
from tests.support.releasing import PUBLIC, bundle_of, release_url, signed_communique
from tests.support.signoffs import jws, payload, sign

BUNDLES = "/api/v1/bundles"
DROPPED_CLAUSE = "We reserve the right to respond by all appropriate means, including offensive cyber operations."


async def problem(response, status: int, code: str) -> dict:
    assert response.status == status, await response.text()
    body = await response.json(content_type=None)
    assert body["code"] == code, body
    return body


async def national(world, keys, party: str, title: str, body: str, *, participants=(), drafter=None) -> int:
    """A communiqué led by ``party`` (its drafter, or the EU secretariat), signed by its parties."""
    user = drafter or ("eu.secretariat" if party == "EU" else f"{party.lower()}.drafter")
    headers = await world.token(user)
    created = await create(
        world.client,
        headers,
        kind="coordinated_national_statement",
        title=title,
        participants=list(participants),
        sections=[section("Statement", body)],
    )
    cid = created["communique"]
    for other in participants:
        accept_user = "eu.secretariat" if other == "EU" else f"{other.lower()}.drafter"
        await accept(world.client, await world.token(accept_user), cid)
    data = await payload(world, headers, cid)
    for signer in (party, *participants):
        await sign(world, f"{signer.lower()}.signatory", cid, jws(keys[signer], data, world))
    return cid


async def post(world, path: str, user: str, body: dict | None = None):
    return await world.client.post(path, json=body, headers=await world.token(user))


async def get_bundle(world, bid: int, user: str = "ee.comms") -> dict:
    response = await world.client.get(f"{BUNDLES}/{bid}", headers=await world.token(user))
    assert response.status == 200, await response.text()
    return await response.json()


async def exchange_2021(world, keys) -> tuple[int, list[int]]:
    """The five communiqués, gathered in one bundle by three comms officers; (bundle id, member ids)."""
    joint = await signed_communique(
        world,
        keys,
        title="Joint statement on the exploitation of Microsoft Exchange servers",
        sections=[section("Statement", "We attribute the compromise of Exchange servers to a state actor.")],
    )
    ee = await national(world, keys, "EE", "Estonia on the Exchange compromise", "Estonia joins the attribution.")
    fr = await national(world, keys, "FR", "France on the Exchange compromise", DROPPED_CLAUSE)
    eu = await national(world, keys, "EU", "Declaration by the High Representative", "The EU stands with its partners.")
    advisory = await national(
        world, keys, "FR", "Joint technical advisory", "Indicators of compromise.", participants=("EE",)
    )
    created = await post(world, BUNDLES, "ee.comms", {"title": "Exchange 2021", "members": [joint, ee]})
    assert created.status == 201, await created.text()
    bid = (await created.json())["id"]
    assert created.headers["Location"] == f"{BUNDLES}/{bid}"
    for user, cid in (("fr.comms", fr), ("eu.comms", eu), ("fr.comms", advisory)):
        added = await post(world, f"{BUNDLES}/{bid}/members", user, {"communique": cid})
        assert added.status == 200, await added.text()
    return bid, [joint, ee, fr, eu, advisory]


async def agree(world, bid: int, at) -> dict:
    proposed = await post(world, f"{BUNDLES}/{bid}/release", "ee.comms", {"at": at.isoformat()})
    assert proposed.status == 201, await proposed.text()
    body = await proposed.json()
    assert body["state"] == "proposed" and body["waiting_for"] == ["EU", "FR"]
    for party in ("FR", "EU"):
        answered = await post(
            world,
            f"{BUNDLES}/{bid}/release/responses",
            f"{party.lower()}.comms",
            {"party": party, "decision": "accept", "at": body["embargo_at"]},
        )
        assert answered.status == 200, await answered.text()
        body = await answered.json()
    assert body["state"] == "agreed" and body["waiting_for"] == []
    return body


async def state_of(world, cid: int, user: str) -> str:
    response = await world.client.get(f"{BASE}/{cid}", headers=await world.token(user))
    return (await response.json())["state"]


async def test_a_bundle_of_five_goes_out_as_one_and_one_withdrawal_holds_all_five(world, rostered) -> None:
    keys = rostered
    bid, members = await exchange_2021(world, keys)
    joint, ee, fr, eu, advisory = members

    # Each party sees the bundle; a member its party does not take part in shows no id and no title.
    as_fr = await get_bundle(world, bid, "fr.comms")
    assert as_fr["state"] == "open" and as_fr["parties"] == ["EE", "EU", "FR"]
    assert [m["communique"] for m in as_fr["members"]] == [joint, None, fr, None, advisory]
    assert as_fr["members"][1]["title"] is None and as_fr["members"][1]["lead"] == "EE"
    assert "Estonia" not in json.dumps(as_fr)

    # A member's own release steps are the bundle's.
    await problem(
        await post(world, release_url(fr), "fr.comms", {"at": (world.clock() + timedelta(hours=2)).isoformat()}),
        409,
        "release_in_bundle",
    )

    instant = world.clock() + timedelta(hours=2)
    await agree(world, bid, instant)
    await problem(await post(world, release_url(joint, "schedule"), "ee.comms"), 409, "release_in_bundle")
    scheduled = await post(world, f"{BUNDLES}/{bid}/release/schedule", "ee.comms")
    assert scheduled.status == 200, await scheduled.text()
    body = await scheduled.json()
    assert body["state"] == "scheduled" and body["embargo_at"] == "2026-11-27T11:00:00Z"
    assert {m["release_state"] for m in body["members"]} == {"scheduled"}

    # One withdrawal (FR's sign-off of its national statement) holds the whole bundle.
    world.clock.advance(timedelta(minutes=30))
    withdrawn = await world.client.delete(
        f"{BASE}/{fr}/versions/head/signoffs/FR", headers=await world.token("fr.signatory")
    )
    assert withdrawn.status == 200, await withdrawn.text()
    held = await get_bundle(world, bid, "ee.comms")
    assert held["state"] == "held" and {m["release_state"] for m in held["members"]} == {"held"}
    assert held["reason"] is not None and "FR withdrew" in held["reason"]
    for cid, user in zip(members, ("ee.comms", "ee.comms", "fr.comms", "eu.comms", "fr.comms"), strict=True):
        assert await state_of(world, cid, user) == "held"
    async with world.sessions() as session:
        holds = (
            (await session.execute(select(AuditEntry).where(AuditEntry.event == "releases:release:hold")))
            .scalars()
            .all()
        )
    assert sorted(int(e.object.split(":")[1]) for e in holds) == sorted(members)
    assert {e.details["bundle"] for e in holds} == {bid}

    # Nothing is public at the instant while held, and scheduling again needs the quorum back.
    await problem(await post(world, f"{BUNDLES}/{bid}/release/schedule", "ee.comms"), 409, "quorum_incomplete")
    data = await payload(world, await world.token("fr.drafter"), fr)
    await sign(world, "fr.signatory", fr, jws(keys["FR"], data, world))
    resumed = await post(world, f"{BUNDLES}/{bid}/release/schedule", "fr.comms")
    assert resumed.status == 200, await resumed.text()
    assert (await resumed.json())["state"] == "scheduled"
    assert (await (await world.client.get(PUBLIC)).json()) == []

    world.clock.advance(timedelta(hours=2))
    released = await scheduler.tick(world.client.app[publisher_key])
    assert sorted(released) == sorted(members)
    listed = await (await world.client.get(PUBLIC)).json()
    assert sorted(r["id"] for r in listed) == sorted(members)
    assert {r["bundle"]["id"] for r in listed} == {bid} and {r["bundle"]["title"] for r in listed} == {"Exchange 2021"}
    assert len({r["embargo_at"] for r in listed}) == 1
    public = await world.client.get(f"/api/v1/public/bundles/{bid}")
    assert public.status == 200 and (await public.json())["members"] == sorted(members)

    # Each member verifies alone; its record does not depend on the bundle.
    for cid in members:
        bundle = await bundle_of(world, cid)
        report = verify_bundle(bundle, VerifyOptions())
        assert report.verdict == "valid", report.to_dict()
        assert bundle["release_bundle"] == {"id": bid, "title": "Exchange 2021", "members": sorted(members)}
        assert "bundle" not in bundle["record"]
    fr_record = json.loads(await (await world.client.get(f"{PUBLIC}/{fr}")).read())
    shown = [canonical.decode_disclosure(d).value["body"] for d in fr_record["disclosures"]["sections"]]
    assert shown == [DROPPED_CLAUSE]  # the national statement keeps the clause the joint text dropped
    page = await (await world.client.get(f"/releases/{fr}")).text()
    assert "Released together as <strong>Exchange 2021</strong>" in page
    assert f'href="/releases/{joint}"' in page and DROPPED_CLAUSE in page
    listing = await (await world.client.get("/releases")).text()
    assert listing.count("bundle-member") == 5 and listing.count("released together") == 1


async def test_one_member_without_its_quorum_refuses_the_whole_bundle(world, keys) -> None:
    joint = await signed_communique(world, keys)
    ee = await national(world, keys, "EE", "Estonia", "Estonia joins.")
    unsigned = (
        await create(
            world.client,
            await world.token("ee.drafter"),
            kind="coordinated_national_statement",
            title="Not signed yet",
            sections=[section("Statement", "Draft.")],
        )
    )["communique"]
    bid = (await (await post(world, BUNDLES, "ee.comms", {"title": "B", "members": [joint, ee, unsigned]})).json())[
        "id"
    ]
    await agree(world, bid, world.clock() + timedelta(hours=1))
    body = await problem(await post(world, f"{BUNDLES}/{bid}/release/schedule", "ee.comms"), 409, "quorum_incomplete")
    assert body["communique"] == unsigned
    after = await get_bundle(world, bid)
    assert after["state"] == "agreed" and {m["release_state"] for m in after["members"]} == {"agreed"}
    assert await state_of(world, joint, "ee.comms") == "signing"


async def test_a_counter_proposal_moves_every_member_and_cancel_frees_them_all(world, keys) -> None:
    joint = await signed_communique(world, keys)
    ee = await national(world, keys, "EE", "Estonia", "Estonia joins.")
    bid = (await (await post(world, BUNDLES, "ee.comms", {"title": "B", "members": [joint, ee]})).json())["id"]
    first = world.clock() + timedelta(hours=1)
    await post(world, f"{BUNDLES}/{bid}/release", "ee.comms", {"at": first.isoformat()})
    second = (world.clock() + timedelta(hours=3)).isoformat()
    countered = await post(
        world, f"{BUNDLES}/{bid}/release/responses", "fr.comms", {"party": "FR", "decision": "counter", "at": second}
    )
    body = await countered.json()
    assert body["state"] == "proposed" and body["embargo_at"] == "2026-11-27T12:00:00Z"
    assert body["waiting_for"] == ["EE", "EU"]
    stale = await post(
        world,
        f"{BUNDLES}/{bid}/release/responses",
        "eu.comms",
        {"party": "EU", "decision": "accept", "at": first.isoformat()},
    )
    await problem(stale, 409, "release_instant_changed")
    for party in ("EE", "EU"):
        await post(
            world,
            f"{BUNDLES}/{bid}/release/responses",
            f"{party.lower()}.comms",
            {"party": party, "decision": "accept", "at": second},
        )
    await post(world, f"{BUNDLES}/{bid}/release/schedule", "ee.comms")
    await problem(
        await post(world, f"{BUNDLES}/{bid}/release/cancel", "ee.comms", {"reason": " "}), 422, "reason_required"
    )
    cancelled = await post(world, f"{BUNDLES}/{bid}/release/cancel", "ee.comms", {"reason": "the partners wait"})
    assert cancelled.status == 200, await cancelled.text()
    assert (await cancelled.json())["state"] == "open"
    assert await state_of(world, joint, "ee.comms") == "signing" and await state_of(world, ee, "ee.comms") == "signing"
    world.clock.advance(timedelta(hours=4))
    await scheduler.tick(world.client.app[publisher_key])
    assert (await (await world.client.get(PUBLIC)).json()) == []


async def test_lifting_a_bundle_makes_every_member_public_now(world, keys) -> None:
    joint = await signed_communique(world, keys)
    ee = await national(world, keys, "EE", "Estonia", "Estonia joins.")
    bid = (await (await post(world, BUNDLES, "ee.comms", {"title": "Leaked", "members": [joint, ee]})).json())["id"]
    await agree(world, bid, world.clock() + timedelta(days=1))
    await post(world, f"{BUNDLES}/{bid}/release/schedule", "ee.comms")
    lifted = await post(world, f"{BUNDLES}/{bid}/release/lift", "eu.comms", {"reason": "leaked to the press"})
    assert lifted.status == 200, await lifted.text()
    assert (await lifted.json())["public"] is True
    assert sorted(r["id"] for r in await (await world.client.get(PUBLIC)).json()) == sorted([joint, ee])


@pytest.fixture
def lift_policy() -> str:
    return "any"


@pytest.fixture
def app(app_for: Callable[[Settings], Any], settings: Settings, lift_policy: str) -> Any:
    """The app of these tests, with ``release.lift_policy`` set by the test (``any`` unless it says)."""
    return app_for(settings.replace(release=dataclasses.replace(settings.release, lift_policy=lift_policy)))


@pytest.mark.parametrize("lift_policy", ["lead", "none"])
async def test_the_lift_policy_holds_for_a_bundle_as_for_a_lone_release(world, keys, lift_policy) -> None:
    joint = await signed_communique(world, keys)
    ee = await national(world, keys, "EE", "Estonia", "Estonia joins.")
    bid = (await (await post(world, BUNDLES, "ee.comms", {"title": "Leaked", "members": [joint, ee]})).json())["id"]
    await agree(world, bid, world.clock() + timedelta(days=1))
    await post(world, f"{BUNDLES}/{bid}/release/schedule", "ee.comms")
    await problem(
        await post(world, f"{BUNDLES}/{bid}/release/lift", "eu.comms", {"reason": "leak"}), 403, "lift_not_allowed"
    )
    lifted = await post(world, f"{BUNDLES}/{bid}/release/lift", "ee.comms", {"reason": "leak"})  # the bundle's lead
    assert lifted.status == (200 if lift_policy == "lead" else 403), await lifted.text()
    assert bool(await (await world.client.get(PUBLIC)).json()) is (lift_policy == "lead")


async def test_who_may_gather_see_and_add(world, keys) -> None:
    joint = await signed_communique(world, keys)
    ee = await national(world, keys, "EE", "Estonia", "Estonia joins.")
    fr = await national(world, keys, "FR", "France", "France joins.")
    # Only a comms officer, only communiqués its party takes part in, each in one bundle only.
    await problem(await post(world, BUNDLES, "ee.drafter", {"title": "B", "members": [joint]}), 403, "role_required")
    await problem(await post(world, BUNDLES, "ee.comms", {"title": "B", "members": [fr]}), 404, "not_found")
    await problem(
        await post(world, BUNDLES, "ee.comms", {"title": "B", "members": [joint, joint]}), 422, "invalid_input"
    )
    bid = (await (await post(world, BUNDLES, "ee.comms", {"title": "B", "members": [joint]})).json())["id"]
    await problem(
        await post(world, BUNDLES, "ee.comms", {"title": "C", "members": [joint]}), 409, "communique_in_bundle"
    )
    # A party taking part in no member does not see the bundle: the same 404 as a missing one.
    ee_only = (await (await post(world, BUNDLES, "ee.comms", {"title": "Own", "members": [ee]})).json())["id"]
    hidden = await world.client.get(f"{BUNDLES}/{ee_only}", headers=await world.token("fr.comms"))
    missing = await world.client.get(f"{BUNDLES}/999999", headers=await world.token("fr.comms"))
    assert hidden.status == missing.status == 404
    assert (await hidden.json())["detail"].replace(str(ee_only), "N") == (await missing.json())["detail"].replace(
        "999999", "N"
    )
    # Taking a member out cancels its release in negotiation; a scheduled bundle is fixed.
    await post(world, f"{BUNDLES}/{bid}/members", "fr.comms", {"communique": fr})
    await post(world, f"{BUNDLES}/{bid}/release", "ee.comms", {"at": (world.clock() + timedelta(hours=1)).isoformat()})
    removed = await post(world, f"{BUNDLES}/{bid}/members/{fr}/removal", "fr.comms", {"reason": "France goes alone"})
    assert removed.status == 200, await removed.text()
    assert [m["communique"] for m in (await get_bundle(world, bid))["members"]] == [joint]
    own = await post(world, release_url(fr), "fr.comms", {"at": (world.clock() + timedelta(hours=1)).isoformat()})
    assert own.status == 201, await own.text()
    listed = await world.client.get(BUNDLES, headers=await world.token("fr.comms"))
    assert [b["id"] for b in await listed.json()] == [bid]


async def test_a_statement_and_a_sanctions_package_take_effect_at_one_instant(world, keys) -> None:
    from tests.support.sanctions import Desk

    desk = Desk(world)
    desk.keys = keys
    package = await desk.package()
    await desk.add(package, "D-001")
    await desk.sign_all(package)
    joint = await signed_communique(world, keys)
    created = await post(world, BUNDLES, "ee.comms", {"title": "Statement and measures", "members": [joint, package]})
    assert created.status == 201, await created.text()
    bid = (await created.json())["id"]
    instant = world.clock() + timedelta(hours=1)
    await agree(world, bid, instant)
    assert (await post(world, f"{BUNDLES}/{bid}/release/schedule", "ee.comms")).status == 200
    world.clock.advance(timedelta(hours=1))
    assert sorted(await scheduler.tick(world.client.app[publisher_key])) == sorted([joint, package])
    listed = await (await world.client.get(PUBLIC)).json()
    assert {(r["id"], r["kind"]) for r in listed} == {(joint, "joint_statement"), (package, "sanctions_package")}
    _, body = await desk.call("ee.drafter", "GET", f"/api/v1/sanctions/packages/{package}", status=200)
    standing = [d["standing"] for d in body["designations"]]
    assert [(s["effective_at"], s["in_force"]) for s in standing] == [("2026-11-27T10:00:00Z", True)]
