"""After-action reviews: the timeline of a closed incident built from the audit trail, with durations that
match the audit entries; lessons marked like any text; proposed ladder changes as a reviewable diff."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from entente import scheduler
from entente.appkeys import publisher_key
from entente.models import AuditEntry
from tests.support.drafting import accept, create, section
from tests.support.incidents import TIER_3, Desk
from tests.support.releasing import release_communique, sign_head
from tests.support.world import REPO

LADDER = REPO / "config" / "ladder.toml"


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def audit_of(world, incident_id: int, communique_id: int) -> list[AuditEntry]:
    async with world.sessions() as session:
        rows = await session.execute(
            select(AuditEntry)
            .where(
                sa.or_(
                    AuditEntry.object.in_([f"incident:{incident_id}", f"communique:{communique_id}"]),
                    AuditEntry.object.like(f"incident:{incident_id}/%"),
                )
            )
            .order_by(AuditEntry.seq)
        )
        return list(rows.scalars())


async def responded(desk: Desk, keys) -> tuple[dict, int]:
    """An incident EE leads with FR and EU: decided, legally reviewed, a joint statement drafted, signed by
    each party at its own pace, released; then an exit ramp and closing. Returns the incident and communiqué."""
    world, clock = desk.world, desk.world.clock
    incident = await desk.open(metrics=TIER_3, participants=["FR", "EU"])
    clock.advance(timedelta(minutes=40))
    await desk.decide("fr.signatory", incident, 3)
    clock.advance(timedelta(hours=2, minutes=5))
    await desk.decide("ee.drafter", incident, 3)
    clock.advance(timedelta(minutes=17))
    await desk.review("ee.drafter", incident, 3)
    clock.advance(timedelta(hours=1))
    await desk.decide("eu.signatory", incident, 2)
    clock.advance(timedelta(minutes=12))
    ee = await world.token("ee.drafter")
    created = await create(
        world.client, ee, title="On the hospital campaign", participants=["FR", "EU"], incident=incident["id"],
        sections=[section("Statement", "We condemn the campaign against hospitals.")],
    )
    cid = created["communique"]
    await accept(world.client, await world.token("fr.drafter"), cid)
    await accept(world.client, await world.token("eu.secretariat"), cid)
    for party, pause in (("EE", 15), ("FR", 95), ("EU", 7)):
        clock.advance(timedelta(minutes=pause))
        await sign_head(world, keys, cid, parties=(party,))
    await release_communique(world, cid, clock() + timedelta(hours=3))
    clock.advance(timedelta(hours=3))
    assert await scheduler.tick(world.client.app[publisher_key]) == [cid]
    clock.advance(timedelta(days=20))
    desk.tokens.clear()
    return incident, cid


async def close(desk: Desk, incident: dict) -> None:
    await desk.call("ee.drafter", "POST", f"/api/v1/incidents/{incident['id']}/close",
                    {"reason": "Campaign ended."}, status=200)


async def test_the_after_action_timeline_has_the_durations_of_the_audit_trail(desk, keys) -> None:
    incident, cid = await responded(desk, keys)
    base = f"/api/v1/incidents/{incident['id']}"
    _, problem = await desk.call("fr.signatory", "GET", f"{base}/after-action", status=409)
    assert problem["code"] == "incident_not_closed"
    await close(desk, incident)

    _, review = await desk.call("fr.signatory", "GET", f"{base}/after-action", status=200)
    entries = await audit_of(desk.world, incident["id"], cid)
    assert [s["seq"] for s in review["timeline"]] == [e.seq for e in entries]
    opened = entries[0].at
    assert entries[0].event == "incidents:incident:open" and review["timeline"][0]["since_previous"] == 0
    previous = opened
    for step, entry in zip(review["timeline"], entries, strict=True):
        assert step["event"] == entry.event and step["party"] == entry.party
        assert step["since_previous"] == int((entry.at - previous).total_seconds())
        assert step["since_open"] == int((entry.at - opened).total_seconds())
        assert "marking" not in step["details"]
        previous = entry.at
    events = [s["event"] for s in review["timeline"]]
    for expected in ("incidents:tier:decide", "incidents:legal_review:record", "drafting:communique:add",
                     "signoffs:signoff:add", "releases:release:agree", "releases:release:schedule",
                     "releases:release:publish", "incidents:incident:close"):
        assert expected in events, expected
    assert review["duration"] == int((entries[-1].at - opened).total_seconds())

    milestones = {m["name"]: m["after_open"] for m in review["milestones"]}
    first_decision = next(e for e in entries if e.event == "incidents:tier:decide")
    assert milestones["first tier decided"] == int((first_decision.at - opened).total_seconds()) == 40 * 60
    assert milestones["every party decided"] == (40 + 125 + 17 + 60) * 60
    publish = next(e for e in entries if e.event == "releases:release:publish")
    assert milestones["released"] == int((publish.at - opened).total_seconds())

    timings = {p["party"]: p for p in review["parties"]}
    assert timings["FR"]["first_decision_after_open"] == 40 * 60
    assert timings["EE"]["legal_reviews"] == 1 and timings["EU"]["decided_tier"] == 2
    signed = {party: timings[party]["signoffs"][0] for party in ("EE", "FR", "EU")}
    assert signed["EE"]["after_version"] == 15 * 60
    assert signed["FR"]["after_version"] == (15 + 95) * 60
    assert signed["EU"]["after_version"] == (15 + 95 + 7) * 60
    for party, row in signed.items():
        entry = next(e for e in entries if e.event == "signoffs:signoff:add" and e.party == party)
        assert row["after_open"] == int((entry.at - opened).total_seconds()) and row["communique"] == cid


async def test_lessons_are_marked_like_any_text(desk, keys) -> None:
    incident = await desk.open(metrics=TIER_3, participants=["FR", "EU"])
    base = f"/api/v1/incidents/{incident['id']}"
    lesson = {"topic": "thresholds", "body": "EE-ONLY lesson: the loss threshold came too late.",
              "marking": {"releasable_to": ["FR"]}}
    _, problem = await desk.call("ee.drafter", "POST", f"{base}/after-action/lessons", lesson, status=409)
    assert problem["code"] == "incident_not_closed"
    await close(desk, incident)
    _, added = await desk.call("ee.drafter", "POST", f"{base}/after-action/lessons", lesson, status=201)
    assert added["marking"] == {"public": False, "releasable_to": ["EE", "FR"], "tlp": "TLP:AMBER"}
    await desk.call("eu.comms", "POST", f"{base}/after-action/lessons",
                    {"topic": "messages", "body": "Everyone may read this.", "marking": {"public": True}}, status=201)
    await desk.call("ee.drafter", "POST", f"{base}/after-action/lessons",
                    {"topic": "tools", "body": "x", "marking": {"releasable_to": ["US"]}}, status=422)
    for user, sees in (("fr.signatory", True), ("ee.oversight", True), ("fr.oversight", True),
                       ("eu.signatory", False), ("eu.secretariat", False)):
        _, review = await desk.call(user, "GET", f"{base}/after-action", status=200)
        _, history = await desk.call(user, "GET", f"{base}/history", status=200)
        text = str(review) + str(history)
        assert ("EE-ONLY" in text) is sees, user
        assert "Everyone may read this." in text
        assert sum(1 for s in review["timeline"] if s["event"] == "incidents:lesson:add") == (2 if sees else 1)


async def test_a_ladder_change_is_proposed_as_a_reviewable_diff(desk) -> None:
    incident = await desk.open(metrics=TIER_3, participants=["FR"])
    base = f"/api/v1/incidents/{incident['id']}/after-action/ladder-proposals"
    current = LADDER.read_text()
    proposed = current.replace("version = 1\n", "version = 2\n", 1).replace(
        '{ metric = "disruption_hours", op = ">=", value = 4 }', '{ metric = "disruption_hours", op = ">=", value = 3 }'
    )
    body = {"ladder_toml": proposed, "rationale": "Four hours of hospital outage was already serious."}
    _, problem = await desk.call("fr.drafter", "POST", base, body, status=409)
    assert problem["code"] == "incident_not_closed"
    await close(desk, incident)
    _, proposal = await desk.call("fr.drafter", "POST", base, body, status=201)
    assert proposal["base_version"] == 1 and proposal["proposed_version"] == 2 and proposal["party"] == "FR"
    diff = proposal["diff"].splitlines()
    assert '-  { metric = "disruption_hours", op = ">=", value = 4 },' in diff
    assert '+  { metric = "disruption_hours", op = ">=", value = 3 },' in diff
    assert "-version = 1" in diff and "+version = 2" in diff
    assert sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))) == 4
    _, review = await desk.call("ee.oversight", "GET", f"/api/v1/incidents/{incident['id']}/after-action",
                                status=200)
    assert review["ladder_proposals"][0]["diff"] == proposal["diff"]

    _, problem = await desk.call("fr.drafter", "POST", base, {"ladder_toml": current, "rationale": "same"},
                                 status=422)
    assert problem["code"] == "ladder_version_not_raised"
    broken = proposed.replace("op = \">=\", value = 3 }", "op = \">=\", value = 3000 }", 1)
    _, problem = await desk.call("fr.drafter", "POST", base, {"ladder_toml": broken, "rationale": "x"}, status=422)
    assert problem["code"] == "ladder_invalid"
    assert problem["detail"].startswith("the proposed ladder does not load: ladder.toml:")
    assert "is below tier 2's 3,000 h" in problem["detail"]
    await desk.call("fr.comms", "POST", base, body, status=403)
    await desk.call("eu.signatory", "POST", base, body, status=404)
