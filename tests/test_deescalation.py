"""Exit ramps: conditions of the ladder recorded as met on an incident, a party proposing to step down a
tier, each party deciding the lower tier as tiers are always decided, and the step-down agreed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from entente.clock import isoformat
from entente.models import AuditEntry
from tests.support.incidents import TIER_3, Desk
from tests.support.pages import browser


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def events(world) -> list[tuple[str, str | None]]:
    async with world.sessions() as session:
        return list((await session.execute(select(AuditEntry.event, AuditEntry.party).order_by(AuditEntry.seq))).all())


async def at_tier_3(desk: Desk) -> dict:
    incident = await desk.open(metrics=TIER_3, participants=["FR"])
    await desk.decide("ee.drafter", incident, 3)
    await desk.decide("fr.signatory", incident, 3)
    return incident


async def test_the_ladder_names_exit_ramps_for_every_tier_above_the_floor(desk) -> None:
    _, ladder = await desk.call("ee.drafter", "GET", "/api/v1/ladder", status=200)
    ramps = {t["tier"]: t["exit_ramps"] for t in ladder["tiers"]}
    assert ramps[1] == []
    for tier in (2, 3, 4):
        assert {"verifiable_restraint", "time_without_recurrence"} <= {r["kind"] for r in ramps[tier]}
        assert all(r["step_to"] == tier - 1 for r in ramps[tier])
    assert {"cooperation_on_investigation"} <= {r["kind"] for r in ramps[3]}
    quiet = next(r for r in ramps[3] if r["kind"] == "time_without_recurrence")
    assert quiet["days"] == 180
    page = await (await browser(desk.world, "ee.drafter")).get("/ladder")
    assert "<code>sanctions-quiet-period</code> (time without recurrence, 180 days)" in page


async def test_an_incident_steps_down_a_tier_through_an_exit_ramp(desk) -> None:
    incident = await at_tier_3(desk)
    base = f"/api/v1/incidents/{incident['id']}"

    _, view = await desk.call("fr.signatory", "GET", f"{base}/de-escalation", status=200)
    assert view["decided_tiers"] == {"EE": 3, "FR": 3}
    assert {r["id"] for r in view["exit_ramps"]} == {"sanctions-restraint", "sanctions-cooperation",
                                                     "sanctions-quiet-period"}
    assert not any(r["met"] for r in view["exit_ramps"])

    # Citing a condition not recorded as met is refused; so is a ramp of another tier.
    _, problem = await desk.call("fr.signatory", "POST", f"{base}/step-downs",
                                 {"ramps": ["sanctions-cooperation"], "justification": "They cooperate."}, status=409)
    assert problem["code"] == "exit_ramp_not_met"
    _, problem = await desk.call("fr.signatory", "POST", f"{base}/step-downs",
                                 {"ramps": ["warning-heeded"], "justification": "x"}, status=422)
    assert problem["code"] == "unknown_exit_ramp" and problem["field"] == "/ramps/0"

    # Time without recurrence is checked against the incident's record, not asserted.
    _, problem = await desk.call("ee.drafter", "POST", f"{base}/exit-ramps",
                                 {"ramp": "sanctions-quiet-period", "showing": "Quiet since."}, status=409)
    assert problem["code"] == "exit_ramp_not_met"
    assert problem["due_at"] == isoformat(desk.world.clock() + timedelta(days=180))

    _, met = await desk.call("ee.drafter", "POST", f"{base}/exit-ramps",
                             {"ramp": "sanctions-cooperation",
                              "showing": "Examplia answered the request for assistance and arrested two operators."},
                             status=201)
    assert met["tier"] == 3 and met["kind"] == "cooperation_on_investigation" and met["party"] == "EE"

    desk.world.clock.advance(timedelta(days=1))
    _, step_down = await desk.call("fr.signatory", "POST", f"{base}/step-downs",
                                   {"ramps": ["sanctions-cooperation"],
                                    "justification": "Cooperation met the condition set when we attributed."},
                                   status=201)
    assert step_down["from_tier"] == 3 and step_down["to_tier"] == 2 and step_down["state"] == "proposed"
    assert step_down["party"] == "FR" and step_down["waiting_for"] == ["EE", "FR"]
    _, problem = await desk.call("ee.drafter", "POST", f"{base}/step-downs",
                                 {"ramps": ["sanctions-cooperation"], "justification": "again"}, status=409)
    assert problem["code"] == "step_down_pending"

    # Each party decides the lower tier as tiers are decided: through the step-down or directly.
    desk.world.clock.advance(timedelta(hours=5))
    _, answer = await desk.call("ee.drafter", "POST", f"{base}/step-downs/{step_down['id']}/decisions",
                                {"justification": "EE agrees: cooperation is verified."}, status=201)
    assert answer["state"] == "proposed" and answer["waiting_for"] == ["FR"]
    desk.world.clock.advance(timedelta(hours=2))
    await desk.decide("fr.signatory", incident, 2)

    _, view = await desk.call("ee.drafter", "GET", f"{base}/de-escalation", status=200)
    agreed = view["step_downs"][0]
    assert agreed["state"] == "agreed" and agreed["waiting_for"] == []
    assert agreed["settled_at"] == isoformat(desk.world.clock())
    assert view["decided_tiers"] == {"EE": 2, "FR": 2}
    assert {r["tier"] for r in view["exit_ramps"]} == {2}
    current = await desk.get("ee.drafter", incident)
    assert {d["party"]: d["tier"] for d in current["decisions"]} == {"EE": 2, "FR": 2}
    _, problem = await desk.call("fr.signatory", "POST", f"{base}/step-downs/{step_down['id']}/decisions",
                                 {"justification": "late"}, status=409)
    assert problem["code"] == "step_down_settled"

    trail = await events(desk.world)
    assert ("incidents:exit_ramp:meet", "EE") in trail
    assert ("incidents:step_down:propose", "FR") in trail
    assert [e for e, _ in trail].count("incidents:step_down:agree") == 1

    # At the lower tier, the crisis templates offer the lifting of measures.
    params = {"participants": ["EE", "FR"], "actor_state": "Examplia",
              "conditions_met": ["cooperation on the investigation"],
              "measures_lifted": ["the travel ban on two operators"], "effective": "2027-01-01",
              "monitoring": "CERTs keep watch for a year."}
    response, draft = await desk.draft("ee.drafter", incident, template="measures-lifting", params=params)
    assert response.status == 200, draft
    assert draft["tier"] == 2 and "lift the following measures" in draft["sections"][1]["body"]


async def test_a_party_deciding_a_higher_tier_supersedes_a_step_down(desk) -> None:
    incident = await at_tier_3(desk)
    base = f"/api/v1/incidents/{incident['id']}"
    await desk.call("ee.drafter", "POST", f"{base}/exit-ramps",
                    {"ramp": "sanctions-restraint", "showing": "Infrastructure taken down."}, status=201)
    _, step_down = await desk.call("ee.drafter", "POST", f"{base}/step-downs",
                                   {"ramps": ["sanctions-restraint"], "justification": "Restraint."}, status=201)
    await desk.decide("fr.signatory", incident, 4)
    _, view = await desk.call("ee.drafter", "GET", f"{base}/de-escalation", status=200)
    assert view["step_downs"][0]["id"] == step_down["id"] and view["step_downs"][0]["state"] == "superseded"
    assert "incidents:step_down:supersede" in [e for e, _ in await events(desk.world)]


async def test_time_without_recurrence_runs_from_the_last_change_of_metrics(desk) -> None:
    incident = await at_tier_3(desk)
    base = f"/api/v1/incidents/{incident['id']}"
    desk.world.clock.advance(timedelta(days=100))
    desk.tokens.clear()  # tokens last 30 days
    current = await desk.get("ee.drafter", incident)
    recurrence = TIER_3 | {"recurrence": 7}
    await desk.call("ee.drafter", "PATCH", base, {"metrics": recurrence, "version": current["version"]}, status=200)
    desk.world.clock.advance(timedelta(days=179))
    desk.tokens.clear()
    _, problem = await desk.call("ee.drafter", "POST", f"{base}/exit-ramps",
                                 {"ramp": "sanctions-quiet-period", "showing": "Quiet."}, status=409)
    assert problem["last_recurrence_at"] == isoformat(desk.world.clock() - timedelta(days=179))
    desk.world.clock.advance(timedelta(days=1))
    await desk.call("ee.drafter", "POST", f"{base}/exit-ramps",
                    {"ramp": "sanctions-quiet-period", "showing": "Six months quiet."}, status=201)


async def test_exit_ramps_refuse_what_is_not_in_play_and_outsiders(desk) -> None:
    incident = await at_tier_3(desk)
    base = f"/api/v1/incidents/{incident['id']}"
    _, problem = await desk.call("ee.drafter", "POST", f"{base}/exit-ramps",
                                 {"ramp": "isolation-restraint", "showing": "x"}, status=409)
    assert problem["code"] == "exit_ramp_not_in_play"
    _, problem = await desk.call("ee.drafter", "POST", f"{base}/exit-ramps", {"ramp": "nope", "showing": "x"},
                                 status=422)
    assert problem["code"] == "unknown_exit_ramp"
    await desk.call("eu.signatory", "GET", f"{base}/de-escalation", status=404)
    await desk.call("eu.signatory", "POST", f"{base}/exit-ramps", {"ramp": "sanctions-restraint", "showing": "x"},
                    status=404)
    await desk.call("ee.comms", "POST", f"{base}/exit-ramps", {"ramp": "sanctions-restraint", "showing": "x"},
                    status=403)


async def test_reviews_of_measures_surface_the_exit_ramps_that_apply(world) -> None:
    from tests.support.sanctions import Desk as SanctionsDesk

    sanctions = SanctionsDesk(world)
    pid = await sanctions.package()
    await sanctions.add(pid, "D-002")
    await sanctions.release(pid)
    _, package = await sanctions.call("fr.drafter", "GET", f"/api/v1/communiques/{pid}", status=200)
    incident_id = package["incident"]
    _, due = await sanctions.call("fr.drafter", "GET", "/api/v1/sanctions/reviews?days=90", status=200)
    assert [r["designation"] for r in due] == ["D-002"]
    ramps = {r["id"]: r for r in due[0]["exit_ramps"]}
    assert set(ramps) == {"sanctions-restraint", "sanctions-cooperation", "sanctions-quiet-period"}
    assert not any(r["met"] for r in ramps.values()) and all(r["tier"] == 3 for r in ramps.values())
    await sanctions.call("ee.signatory", "POST", f"/api/v1/incidents/{incident_id}/exit-ramps",
                         {"ramp": "sanctions-restraint", "showing": "The operators' infrastructure went dark."},
                         status=201)
    _, due = await sanctions.call("fr.drafter", "GET", "/api/v1/sanctions/reviews?days=90", status=200)
    assert {r["id"]: r["met"] for r in due[0]["exit_ramps"]}["sanctions-restraint"] is True
    world.clock.advance(timedelta(days=31))  # the page lists what is due within 30 days
    page = await world.client.get("/sanctions/reviews", headers=(await browser(world, "fr.drafter")).headers)
    text = await page.text()
    assert "sanctions-restraint</span>: <strong>met</strong>" in text
    assert f"/incidents/{incident_id}/de-escalation" in text
