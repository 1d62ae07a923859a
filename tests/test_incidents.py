"""Incidents: opening, metrics and the rubric's recommendation, decided tiers per party, legal reviews,
the open -> assessed -> closed lifecycle, versions and lost updates, and starting a communiqué from a template."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from entente.models import AuditEntry
from tests.support.incidents import ATTRIBUTION_PARAMS, TIER_2, TIER_3, TIER_4, Desk
from tests.support.world import sign_in


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def audit_events(world) -> list[str]:
    async with world.sessions() as session:
        return list((await session.execute(select(AuditEntry.event).order_by(AuditEntry.seq))).scalars())


# --- opening and reading ------------------------------------------------------------------------------


async def test_a_drafter_opens_an_incident_with_the_rubric_recommendation(desk) -> None:
    response, incident = await desk.call(
        "ee.drafter",
        "POST",
        "/api/v1/incidents",
        {
            "title": "Grid outage",
            "description": "Three regions *dark*.",
            "metrics": TIER_3,
            "participants": ["FR", "FR", "EE"],
        },
        status=201,
    )
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"/api/v1/incidents/{incident['id']}"
    assert incident["lead"] == "EE" and incident["participants"] == ["EE", "FR"]
    assert incident["state"] == "open" and incident["version"] == 1
    assert incident["recommended_tier"] == 3
    assert incident["recommendation"]["explanation"].startswith("tier 3")
    assert incident["recommendation"]["legal_review_required"] is True
    assert incident["metrics"]["critical_sectors"] == ["energy", "health"]
    assert incident["decisions"] == [] and incident["evidence"] == []
    fr_view = await desk.get("fr.signatory", incident)
    assert fr_view["title"] == "Grid outage"
    assert "incidents:incident:open" in await audit_events(desk.world)


async def test_only_drafters_and_the_secretariat_open_incidents(desk) -> None:
    await desk.call("ee.signatory", "POST", "/api/v1/incidents", {"title": "x"}, status=403)
    incident = await desk.open("eu.secretariat", participants=[])
    assert incident["lead"] == "EU"


async def test_list_shows_my_incidents_and_the_secretariat_sees_all(desk) -> None:
    mine = await desk.open("ee.drafter", participants=[])
    shared = await desk.open("fr.drafter", participants=["EE"])
    await desk.decide("ee.signatory", shared, 2)
    _, ee = await desk.call("ee.comms", "GET", "/api/v1/incidents", status=200)
    assert {i["id"] for i in ee} == {mine["id"], shared["id"]}
    assert next(i for i in ee if i["id"] == shared["id"])["my_decided_tier"] == 2
    _, fr = await desk.call("fr.signatory", "GET", "/api/v1/incidents", status=200)
    assert [i["id"] for i in fr] == [shared["id"]]
    _, everything = await desk.call("eu.secretariat", "GET", "/api/v1/incidents", status=200)
    assert {i["id"] for i in everything} == {mine["id"], shared["id"]}
    _, assessed = await desk.call("ee.drafter", "GET", "/api/v1/incidents?state=assessed", status=200)
    assert assessed == []
    await desk.call("ee.drafter", "GET", "/api/v1/incidents?state=frozen", status=422)


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"title": "x", "metrics": {"economic_loss_eur": -1}}, "/metrics/economic_loss_eur", "invalid_input"),
        (
            {"title": "x", "metrics": {"disruption_hours": {"value": 2, "unit": "days"}}},
            "/metrics/disruption_hours",
            "invalid_input",
        ),
        ({"title": "x", "metrics": {"blast_radius": 1}}, "/metrics/blast_radius", "invalid_input"),
        ({"title": "x", "participants": ["FR", "XX"]}, "/participants/1", "unknown_party"),
        ({"title": ""}, "/title", "invalid_input"),
        ({"title": "x", "owner": "EE"}, "/owner", "invalid_input"),
    ],
)
async def test_bad_input_on_open_is_a_422_naming_the_field_and_stores_nothing(desk, body, field, code) -> None:
    _, problem = await desk.call("ee.drafter", "POST", "/api/v1/incidents", body, status=422)
    assert problem["code"] == code and problem["field"] == field
    _, listed = await desk.call("ee.drafter", "GET", "/api/v1/incidents", status=200)
    assert listed == []


async def test_unknown_incident_ids_are_404(desk) -> None:
    for path in (
        "/api/v1/incidents/12345",
        "/api/v1/incidents/abc",
        "/api/v1/incidents/0",
        "/api/v1/incidents/99999999999999999999",
        "/api/v1/incidents/12345/history",
    ):
        _, problem = await desk.call("ee.drafter", "GET", path, status=404)
        assert problem["code"] == "not_found" and problem["detail"] == "no such incident"
    await desk.call(
        "ee.drafter", "POST", "/api/v1/incidents/12345/decisions", {"tier": 2, "justification": "x"}, status=404
    )


# --- metrics, versions, lost updates --------------------------------------------------------------------


async def test_updating_metrics_names_the_version_and_recomputes_the_recommendation(desk) -> None:
    incident = await desk.open(metrics=TIER_2)
    assert incident["recommended_tier"] == 2
    path = f"/api/v1/incidents/{incident['id']}"
    _, problem = await desk.call("fr.drafter", "PATCH", path, {"metrics": TIER_4}, status=428)
    assert problem["code"] == "version_required" and problem["current_version"] == 1
    response, updated = await desk.call(
        "fr.drafter", "PATCH", path, {"metrics": TIER_4}, headers={"If-Match": '"1"'}, status=200
    )
    assert response.headers["ETag"] == '"2"'
    assert updated["version"] == 2 and updated["recommended_tier"] == 4
    assert updated["recommendation"]["explanation"].startswith("tier 4")
    _, stale = await desk.call("ee.drafter", "PATCH", path, {"title": "Renamed", "version": 1}, status=409)
    assert stale["code"] == "stale_version" and stale["current_version"] == 2
    assert stale["current"]["metrics"]["state_backing"] == "state-ordered"
    _, same = await desk.call("ee.drafter", "PATCH", path, {"metrics": TIER_4, "version": 2}, status=200)
    assert same["version"] == 2  # nothing changed: no new version
    await desk.call("ee.drafter", "PATCH", path, {"title": "x", "version": 2}, headers={"If-Match": '"3"'}, status=422)
    for odd in ['"sha256:00"', "*", 'W/"2"', '"2", "3"']:  # the same reader as a communiqué save: one number
        _, refused = await desk.call("ee.drafter", "PATCH", path, {"title": "x"}, headers={"If-Match": odd}, status=412)
        assert refused["code"] == "if_match_invalid"
    await desk.call("ee.comms", "PATCH", path, {"title": "x", "version": 2}, status=403)
    _, history = await desk.call("ee.drafter", "GET", f"{path}/history", status=200)
    assert [c["action"] for c in history] == ["incident:open", "incident:update"]
    assert history[1]["details"] == {"changed": ["metrics"], "recommended_tier": 4, "previous_recommended_tier": 2}


async def test_invalid_metrics_on_update_change_nothing(desk) -> None:
    incident = await desk.open(metrics=TIER_2)
    path = f"/api/v1/incidents/{incident['id']}"
    _, problem = await desk.call(
        "ee.drafter", "PATCH", path, {"metrics": {"recurrence": 400}, "version": 1}, status=422
    )
    assert problem["field"] == "/metrics/recurrence"
    after = await desk.get("ee.drafter", incident)
    assert after["version"] == 1 and after["metrics"] == incident["metrics"]


async def test_concurrent_updates_do_not_lose_data(desk) -> None:
    incident = await desk.open(metrics=TIER_2)
    path = f"/api/v1/incidents/{incident['id']}"
    await desk.headers("ee.drafter"), await desk.headers("fr.drafter")
    results = await asyncio.gather(
        desk.call("ee.drafter", "PATCH", path, {"title": "Renamed by EE", "version": 1}),
        desk.call("fr.drafter", "PATCH", path, {"metrics": TIER_4, "version": 1}),
    )
    statuses = sorted(r[0].status for r in results)
    assert statuses == [200, 409]
    loser = next(i for i, r in enumerate(results) if r[0].status == 409)
    # The loser reads the new version and reapplies its change: both changes survive.
    current = await desk.get("ee.drafter", incident)
    retry = {"title": "Renamed by EE"} if loser == 0 else {"metrics": TIER_4}
    await desk.call(
        ["ee.drafter", "fr.drafter"][loser], "PATCH", path, retry | {"version": current["version"]}, status=200
    )
    final = await desk.get("ee.drafter", incident)
    assert final["title"] == "Renamed by EE" and final["recommended_tier"] == 4 and final["version"] == 3


async def test_concurrent_additions_by_several_parties_are_all_kept(desk) -> None:
    incident = await desk.open(metrics=TIER_3, participants=["FR", "EU"])
    base = f"/api/v1/incidents/{incident['id']}"
    users = ["ee.drafter", "fr.drafter", "eu.signatory"]
    for user in users:
        await desk.headers(user)
    evidence = [
        desk.call(
            user,
            "POST",
            f"{base}/evidence",
            {"kind": "technical_data", "title": f"{user} {n}", "body": "b", "source": "s", "marking": {"public": True}},
        )
        for user in users
        for n in range(3)
    ]
    decisions = [desk.call(user, "POST", f"{base}/decisions", {"tier": 3, "justification": "j"}) for user in users]
    results = await asyncio.gather(*evidence, *decisions)
    assert all(r[0].status == 201 for r in results), [r[1] for r in results]
    final = await desk.get("ee.drafter", incident)
    assert len(final["evidence"]) == 9
    assert {d["party"] for d in final["decisions"]} == {"EE", "FR", "EU"}
    assert final["state"] == "assessed" and final["version"] == 4


# --- decided tiers and the lifecycle ----------------------------------------------------------------------


async def test_decided_tiers_differ_per_party_with_their_justification(desk) -> None:
    incident = await desk.open(metrics=TIER_3)
    await desk.decide("ee.signatory", incident, 3, justification="Hospitals were hit; we attribute.")
    await desk.decide("fr.drafter", incident, 2, justification="Our attribution is not yet at that standard.")
    view = await desk.get("fr.signatory", incident)
    decided = {d["party"]: d for d in view["decisions"]}
    assert decided["EE"]["tier"] == 3 and decided["FR"]["tier"] == 2
    assert decided["FR"]["justification"] == "Our attribution is not yet at that standard."
    assert decided["FR"]["recommended_tier"] == 3 and decided["FR"]["decided_by"] == "fr.drafter"
    assert view["state"] == "assessed"
    await desk.decide("ee.drafter", incident, 2)  # a party may revise: the latest decision is current
    view = await desk.get("ee.drafter", incident)
    assert {d["party"]: d["tier"] for d in view["decisions"]} == {"EE": 2, "FR": 2}
    _, history = await desk.call("ee.drafter", "GET", f"/api/v1/incidents/{incident['id']}/history", status=200)
    assert [c["details"]["tier"] for c in history if c["action"] == "tier:decide"] == [3, 2, 2]
    assert (await audit_events(desk.world)).count("incidents:tier:decide") == 3


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"tier": 3, "justification": "   "}, 422, "justification_required", "/justification"),
        ({"tier": 3, "justification": ""}, 422, "justification_required", "/justification"),
        ({"tier": 7, "justification": "why not"}, 422, "unknown_tier", "/tier"),
        ({"tier": 0, "justification": "why not"}, 422, "unknown_tier", "/tier"),
        ({"tier": 2}, 422, "invalid_input", "/justification"),
        ({"tier": 2, "justification": "x", "party": "FR"}, 403, "wrong_party", None),
    ],
)
async def test_bad_tier_decisions_are_refused_and_store_nothing(desk, body, status, code, field) -> None:
    incident = await desk.open()
    _, problem = await desk.call(
        "ee.drafter", "POST", f"/api/v1/incidents/{incident['id']}/decisions", body, status=status
    )
    assert problem["code"] == code and problem.get("field") == field
    view = await desk.get("ee.drafter", incident)
    assert view["decisions"] == [] and view["version"] == 1


async def test_who_may_decide_a_party_tier(desk) -> None:
    incident = await desk.open()
    await desk.decide("ee.comms", incident, 2, status=403)
    await desk.decide("eu.signatory", incident, 2, status=404)  # EU does not take part: no such incident
    await desk.decide("eu.secretariat", incident, 2, party="FR")  # the secretariat records for a party
    _, problem = await desk.call(
        "eu.secretariat",
        "POST",
        f"/api/v1/incidents/{incident['id']}/decisions",
        {"tier": 2, "justification": "x"},
        status=422,
    )
    assert problem["code"] == "not_participating"
    view = await desk.get("ee.drafter", incident)
    assert [(d["party"], d["decided_by"]) for d in view["decisions"]] == [("FR", "eu.secretariat")]


async def test_lifecycle_open_assessed_reopened_by_an_invitation_then_closed(desk) -> None:
    incident = await desk.open(metrics=TIER_2)
    path = f"/api/v1/incidents/{incident['id']}"
    await desk.decide("ee.drafter", incident, 2)
    assert (await desk.get("ee.drafter", incident))["state"] == "open"
    await desk.decide("fr.signatory", incident, 2)
    assert (await desk.get("ee.drafter", incident))["state"] == "assessed"
    await desk.call("fr.drafter", "POST", f"{path}/participants", {"parties": ["EU"]}, status=403)  # lead only
    await desk.call("ee.drafter", "POST", f"{path}/participants", {"parties": ["ZZ"]}, status=422)
    desk.world.clock.advance(timedelta(minutes=5))
    _, invited = await desk.call("ee.drafter", "POST", f"{path}/participants", {"parties": ["EU"]}, status=200)
    assert invited["participants"] == ["EE", "FR", "EU"] and invited["state"] == "open"
    await desk.decide("eu.signatory", incident, 1)
    assert (await desk.get("eu.signatory", incident))["state"] == "assessed"
    await desk.call("fr.drafter", "POST", f"{path}/close", {"reason": "done"}, status=403)
    _, closed = await desk.call("ee.drafter", "POST", f"{path}/close", {"reason": "Measures agreed."}, status=200)
    assert closed["state"] == "closed" and closed["close_reason"] == "Measures agreed." and closed["closed_at"]
    for method, suffix, body in [
        ("POST", "/decisions", {"tier": 2, "justification": "late"}),
        ("PATCH", "", {"title": "late", "version": closed["version"]}),
        (
            "POST",
            "/evidence",
            {"kind": "technical_data", "title": "t", "body": "b", "source": "s", "marking": {"public": True}},
        ),
        ("POST", "/close", {}),
    ]:
        _, problem = await desk.call("ee.drafter", method, path + suffix, body, status=409)
        assert problem["code"] == "incident_closed"
    _, history = await desk.call("fr.drafter", "GET", f"{path}/history", status=200)
    assert [c["action"] for c in history] == [
        "incident:open",
        "tier:decide",
        "tier:decide",
        "participant:invite",
        "tier:decide",
        "incident:close",
    ]
    assert [c["incident_version"] for c in history] == [1, 2, 3, 4, 5, 6]
    events = await audit_events(desk.world)
    assert {"incidents:incident:open", "incidents:participant:invite", "incidents:incident:close"} <= set(events)


async def test_attribution_assessments_are_per_party_versioned_and_marked(desk) -> None:
    incident = await desk.open(participants=["FR", "EU"])
    path = f"/api/v1/incidents/{incident['id']}/attribution"
    body = {
        "suspected_actor": "EXAMPLE BEAR",
        "confidence": "highly_likely",
        "state_backing": "state-ordered",
        "reasoning": "Same loader as *2024*.",
        "marking": {"releasable_to": ["FR"]},
    }
    response, mine = await desk.call("ee.drafter", "PUT", path, body, status=200)
    assert mine["version"] == 1 and mine["marking"] == {
        "public": False,
        "releasable_to": ["EE", "FR"],
        "tlp": "TLP:AMBER",
    }
    await desk.call("ee.signatory", "PUT", path, body | {"suspected_actor": "x"}, status=428)
    await desk.call("ee.signatory", "PUT", path, body | {"suspected_actor": "x", "version": 5}, status=409)
    _, replaced = await desk.call(
        "ee.signatory", "PUT", path, body | {"version": 1, "confidence": "likely"}, status=200
    )
    assert replaced["version"] == 2 and replaced["confidence"] == "likely"
    await desk.call("fr.drafter", "PUT", path, body | {"marking": {"public": True}, "state_backing": None}, status=200)
    assert [a["party"] for a in (await desk.get("fr.drafter", incident))["attributions"]] == ["EE", "FR"]
    assert [a["party"] for a in (await desk.get("eu.signatory", incident))["attributions"]] == ["FR"]
    for bad, pointer in [
        ({"confidence": "sure"}, "/confidence"),
        ({"state_backing": "state-run"}, "/state_backing"),
        ({"marking": {"releasable_to": ["XX"]}}, "/marking/releasable_to/0"),
    ]:
        _, problem = await desk.call("fr.drafter", "PUT", path, body | bad | {"version": 1}, status=422)
        assert problem["field"] == pointer
    assert incident["version"] == (await desk.get("ee.drafter", incident))["version"]  # marked items: own versions


async def test_legal_reviews_are_recorded_per_party_and_checked(desk) -> None:
    incident = await desk.open()
    review = await desk.review("ee.signatory", incident, 3)
    assert review["party"] == "EE" and review["outcome"] == "cleared" and review["recorded_by"] == "ee.signatory"
    path = f"/api/v1/incidents/{incident['id']}/legal-reviews"
    base = {"tier": 3, "outcome": "cleared", "reviewer": "r", "conclusion": "c"}
    for body, pointer in [
        (base | {"tier": 9}, "/tier"),
        (base | {"outcome": "maybe"}, "/outcome"),
        (base | {"reviewed_at": "2026-11-28T09:00:00Z"}, "/reviewed_at"),
        (base | {"reviewed_at": "2026-11-20T09:00:00"}, "/reviewed_at"),
        (base | {"conclusion": " "}, "/conclusion"),
    ]:
        _, problem = await desk.call("ee.drafter", "POST", path, body, status=422)
        assert problem["field"] == pointer
    await desk.call("ee.comms", "POST", path, base, status=403)
    view = await desk.get("fr.drafter", incident)
    assert [(r["party"], r["tier"]) for r in view["legal_reviews"]] == [("EE", 3)]
    assert "incidents:legal_review:record" in await audit_events(desk.world)


# --- starting a communiqué ------------------------------------------------------------------------------


async def test_starting_a_draft_needs_a_decided_tier_and_a_template_allowed_there(desk) -> None:
    incident = await desk.open()
    response, problem = await desk.draft("ee.drafter", incident)
    assert response.status == 409 and problem["code"] == "tier_not_decided"
    await desk.decide("ee.signatory", incident, 2)
    response, problem = await desk.draft("ee.drafter", incident)
    assert response.status == 422 and problem["code"] == "template_not_allowed" and problem["field"] == "/template"
    response, problem = await desk.draft("ee.drafter", incident, template="no-such-template")
    assert response.status == 422 and problem["code"] == "unknown_template"
    advisory = {
        "activity": "scanning of hospital VPNs",
        "first_observed": "2026-10-01",
        "sectors": ["health"],
        "summary": "Credential stuffing against VPN gateways.",
        "mitigations": ["Enforce MFA."],
    }
    response, problem = await desk.draft(
        "ee.drafter", incident, template="joint-advisory", params=advisory | {"summary": None}
    )
    assert response.status == 422 and problem["field"] == "/params/summary"
    response, draft = await desk.draft(
        "ee.drafter", incident, template="joint-advisory", params=advisory, participants=[]
    )
    assert response.status == 200, draft
    assert draft["tier"] == 2 and draft["participants"] == ["EE"]  # tier 2 needs no legal review


async def test_legal_review_gates_starting_a_draft_at_a_tier_that_needs_it(desk, app) -> None:
    from entente.appkeys import templates_key

    incident = await desk.open()
    await desk.decide("ee.signatory", incident, 3)
    response, problem = await desk.draft("ee.drafter", incident)
    assert response.status == 409 and problem["code"] == "legal_review_required"
    await desk.review("fr.signatory", incident, 3)  # another party's clearance is not EE's
    await desk.review("ee.signatory", incident, 4)  # nor is a review of another tier
    await desk.review("ee.signatory", incident, 3, outcome="not_cleared")
    response, problem = await desk.draft("ee.drafter", incident)
    assert response.status == 409 and problem["code"] == "legal_review_required"
    await desk.review("ee.signatory", incident, 3, outcome="cleared")
    response, draft = await desk.draft("ee.drafter", incident)
    assert response.status == 200, draft
    template = app[templates_key]["joint-attribution"]
    assert draft["template"] == {"id": "joint-attribution", "version": template.version, "digest": template.digest}
    assert draft["tier"] == 3 and draft["lead"] == "EE" and draft["participants"] == ["EE", "FR"]
    assert draft["params"]["participants"] == ["EE", "FR"] and draft["params"]["actor_names"] == ["EXAMPLE BEAR"]
    markings = {s["id"]: s["marking"] for s in draft["sections"]}
    assert markings["statement"] == {"public": True, "releasable_to": [], "tlp": "TLP:CLEAR"}
    assert markings["technical-annex"] == {"public": False, "releasable_to": ["EE", "FR"], "tlp": "TLP:AMBER"}
    assert markings["handling"] == {"public": False, "releasable_to": ["EE"], "tlp": "TLP:RED"}
    statement = next(s for s in draft["sections"] if s["id"] == "statement")
    assert "Federation of Examplia" in statement["body"] and statement["heading"] == "Statement"
    # A later review that does not clear withdraws the clearance.
    await desk.review("ee.drafter", incident, 3, outcome="not_cleared")
    response, problem = await desk.draft("ee.drafter", incident)
    assert response.status == 409 and problem["code"] == "legal_review_required"


async def test_draft_parameters_and_participants_are_checked(desk) -> None:
    incident = await desk.open(participants=["FR"])
    await desk.decide("ee.signatory", incident, 3)
    await desk.review("ee.signatory", incident, 3)
    response, problem = await desk.draft(
        "ee.drafter", incident, params=ATTRIBUTION_PARAMS | {"confidence": "sure", "actor_state": ""}
    )
    assert response.status == 422
    assert {e["field"] for e in problem["errors"]} == {"/params/confidence", "/params/actor_state"}
    response, problem = await desk.draft("ee.drafter", incident, params=ATTRIBUTION_PARAMS | {"extra": "x"})
    assert response.status == 422 and problem["field"] == "/params/extra"
    response, problem = await desk.draft("ee.drafter", incident, participants=["EU"])
    assert response.status == 422 and problem["code"] == "not_participating" and problem["field"] == "/participants/0"
    response, problem = await desk.draft("ee.signatory", incident)
    assert response.status == 403
    response, problem = await desk.draft("fr.drafter", incident)
    assert response.status == 409 and problem["code"] == "tier_not_decided"
    response, problem = await desk.draft("eu.secretariat", incident)
    assert response.status == 403


async def test_start_draft_is_a_domain_function_returning_a_frozen_dataclass(desk, app) -> None:
    import dataclasses

    from entente import incidents
    from entente.appkeys import ladder_key, templates_key
    from entente.auth import Caller
    from entente.disclosure import Marking
    from entente.models import Role

    incident = await desk.open(metrics=TIER_2)
    await desk.decide("ee.signatory", incident, 2)
    caller = Caller(
        user_id=1,
        username="ee.drafter",
        display_name="EE drafter",
        party="EE",
        roles=frozenset({Role.DRAFTER}),
        via="token",
    )
    params = {
        "activity": "a campaign of disruptive cyber activities",
        "targets": "hospitals",
        "since": "2026-10-01",
        "demarche_points": ["Stop it."],
    }
    async with desk.world.sessions() as session:
        draft = await incidents.start_draft(
            session,
            incident_id=incident["id"],
            caller=caller,
            template=app[templates_key]["warning-declaration"],
            params=params,
            participants=["FR"],
            ladder=app[ladder_key],
        )
    assert dataclasses.is_dataclass(draft)
    with pytest.raises(dataclasses.FrozenInstanceError):
        draft.tier = 4  # type: ignore[misc]
    assert draft.incident_id == incident["id"] and draft.tier == 2
    assert draft.template_ref.id == "warning-declaration"
    assert [s.marking for s in draft.sections] == [
        Marking.everyone(),
        Marking.everyone(),
        Marking.releasable_to(["EE", "FR"], author="EE"),
        Marking.releasable_to([], author="EE"),
    ]
    assert draft.params["participants"] == ("EE", "FR")


# --- pages ----------------------------------------------------------------------------------------------


async def test_pages_open_an_incident_and_record_evidence_decision_and_review_without_javascript(desk) -> None:
    client = desk.world.client
    csrf = await sign_in(client, "ee.drafter")
    page = await client.get("/incidents/new")
    assert page.status == 200 and "<script" not in await page.text()
    refused = await client.post("/incidents", data={"csrf_token": csrf, "title": "Grid", "metric.recurrence": "999"})
    assert refused.status == 422 and "must be between 0" in await refused.text()
    response = await client.post(
        "/incidents",
        data={
            "csrf_token": csrf,
            "title": "Grid outage",
            "description": "Regions *dark*.",
            "invite.FR": "on",
            "metric.economic_loss_eur": "60 000 000",
            "metric.state_backing": "state-encouraged",
            "metric.attribution_confidence": "highly_likely",
            "metric.critical_sectors.energy": "on",
            "metric.critical_sectors.health": "on",
        },
        allow_redirects=False,
    )
    assert response.status == 303
    location = response.headers["Location"]
    incident = {"id": int(location.rsplit("/", 1)[1])}
    html = await (await client.get(location)).text()
    assert "Grid outage" in html and "<em>dark</em>" in html and "Recommended: tier 3" in html
    steps = [
        (
            "evidence",
            {
                "kind": "technical_data",
                "title": "Loader hash",
                "source": "CERT-EE",
                "body": "`abc123`",
                "marking": "restricted",
            },
        ),
        ("decisions", {"tier": "3", "justification": "Hospitals hit."}),
        ("legal-reviews", {"tier": "3", "outcome": "cleared", "reviewer": "Legal Adviser", "conclusion": "Fine."}),
        (
            "attribution",
            {
                "suspected_actor": "EXAMPLE BEAR",
                "confidence": "highly_likely",
                "state_backing": "",
                "reasoning": "Same loader.",
                "marking": "restricted",
                "releasable_to.FR": "on",
            },
        ),
        (
            "update",
            {
                "version": "3",
                "title": "Grid outage (update)",
                "description": "",
                "metric.economic_loss_eur": "600000000",
                "metric.state_backing": "state-ordered",
                "metric.attribution_confidence": "almost_certain",
            },
        ),
    ]
    for suffix, form in steps:
        response = await client.post(f"{location}/{suffix}", data={"csrf_token": csrf} | form, allow_redirects=False)
        assert response.status == 303, (suffix, await response.text())
    view = await desk.get("ee.drafter", incident)
    assert view["title"] == "Grid outage (update)" and view["recommended_tier"] == 4 and view["version"] == 4
    assert view["evidence"][0]["marking"]["tlp"] == "TLP:RED" and view["evidence"][0]["body"] == "`abc123`"
    assert [(d["party"], d["tier"]) for d in view["decisions"]] == [("EE", 3)]
    assert view["legal_reviews"][0]["outcome"] == "cleared"
    assert view["attributions"][0]["marking"]["releasable_to"] == ["EE", "FR"]
    # A refused form re-renders the page with the reason, and stores nothing.
    response = await client.post(f"{location}/decisions", data={"csrf_token": csrf, "tier": "3", "justification": ""})
    assert response.status == 422 and "justification" in await response.text()
    response = await client.post(f"{location}/update", data={"csrf_token": csrf, "version": "1", "title": "stale"})
    assert response.status == 409 and "version 4, not 1" in await response.text()
    html = await (await client.get(location)).text()
    assert "TLP:RED" in html and "<code>abc123</code>" in html and "tier 3" in html
    response = await client.post(f"{location}/decisions", data={"tier": "3", "justification": "no csrf"})
    assert response.status == 403
    assert len((await desk.get("ee.drafter", incident))["decisions"]) == 1
    listing = await (await client.get("/incidents")).text()
    assert "Grid outage (update)" in listing


async def test_incident_page_renders_for_each_role_and_state_and_shows_refusals_beside_the_form(desk) -> None:
    incident = await desk.open(participants=["FR"], metrics=TIER_2)
    base = f"/api/v1/incidents/{incident['id']}"
    _, amber = await desk.call(
        "ee.drafter",
        "POST",
        f"{base}/evidence",
        {
            "kind": "open_source_corroboration",
            "title": "Press report",
            "body": "x",
            "source": "s",
            "marking": {"releasable_to": ["FR"]},
        },
        status=201,
    )
    location = f"/incidents/{incident['id']}"
    for user in ("eu.secretariat", "ee.comms", "fr.signatory"):
        client = desk.world.client
        client.session.cookie_jar.clear()
        csrf = await sign_in(client, user)
        page = await client.get(location)
        assert page.status == 200, user
        html = await page.text()
        assert ("Record the decision" in html) is (user != "ee.comms")
        assert ("Add the evidence" in html) is (user == "fr.signatory")
        assert ("Close the incident" in html) is (user == "eu.secretariat")
    # fr.signatory is signed in: refusals come back on the page, beside their form.
    response = await client.post(
        f"{location}/evidence/{amber['id']}/marking", data={"csrf_token": csrf, "marking": "public", "version": "1"}
    )
    assert response.status == 403 and "may widen its marking" in await response.text()
    response = await client.post(
        f"{location}/evidence",
        data={"csrf_token": csrf, "kind": "technical_data", "title": "", "body": "b", "source": "s"},
    )
    assert response.status == 422 and "/title" in await response.text()
    response = await client.post(
        f"{location}/attribution",
        data={"csrf_token": csrf, "suspected_actor": "A", "confidence": "sure", "reasoning": "r"},
    )
    assert response.status == 422 and "/confidence" in await response.text()
    response = await client.post(
        f"{location}/legal-reviews",
        data={"csrf_token": csrf, "tier": "9", "outcome": "cleared", "reviewer": "r", "conclusion": "c"},
    )
    assert response.status == 422 and "no tier 9" in await response.text()
    response = await client.post(f"{location}/participants", data={"csrf_token": csrf, "invite.EU": "on"})
    assert response.status == 403 and "only the lead party" in await response.text()
    response = await client.post(f"{location}/close", data={"csrf_token": csrf, "version": "1"})
    assert response.status == 403
    client.session.cookie_jar.clear()
    csrf = await sign_in(client, "eu.secretariat")
    response = await client.post(
        f"{location}/participants", data={"csrf_token": csrf, "invite.EU": "on"}, allow_redirects=False
    )
    assert response.status == 303
    response = await client.post(f"{location}/close", data={"csrf_token": csrf, "version": "1", "reason": "x"})
    assert response.status == 409 and "version 2, not 1" in await response.text()
    response = await client.post(
        f"{location}/close", data={"csrf_token": csrf, "version": "2", "reason": "Done."}, allow_redirects=False
    )
    assert response.status == 303
    html = await (await client.get(location)).text()
    assert "Closed on" in html and "Done." in html and "Record the decision" not in html
    missing = await client.get(f"/incidents/{incident['id']}/x")
    assert missing.status == 404
