"""Sanctions packages on the server (issue 6): the tier and legal gate, designations with duplicates and
measures, adoption by party, lifecycle and as_of, reviews, exports and the CSV import, all through the API."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from entente.models import AuditEntry, CommuniqueVersion
from entente.sanctions import import_csv
from tests.support.releasing import release_communique, sign_head
from tests.support.sanctions import D002_LATIN, DESIGNATIONS, SANCTIONS, Desk
from tests.support.signoffs import register_keys


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def version_count(world, pid: int) -> int:
    async with world.sessions() as session:
        rows = await session.execute(select(CommuniqueVersion.id).where(CommuniqueVersion.communique_id == pid))
        return len(rows.all())


def ids(package: dict[str, Any]) -> list[str]:
    return [d["designation"]["id"] for d in package["designations"]]


# --- the gate --------------------------------------------------------------------------------------


async def test_a_package_needs_a_decided_tier_allowing_sanctions_and_a_cleared_legal_review(desk) -> None:
    body = {"title": "Package", "participants": ["FR"]}
    low = await desk.incident(tier=2, review=None)
    response, problem = await desk.call("ee.drafter", "POST", f"/api/v1/incidents/{low}/sanctions-packages", body)
    assert response.status == 409 and problem["code"] == "sanctions_not_allowed"
    unreviewed = await desk.incident(tier=3, review=None)
    response, problem = await desk.call(
        "ee.drafter", "POST", f"/api/v1/incidents/{unreviewed}/sanctions-packages", body
    )
    assert response.status == 409 and problem["code"] == "legal_review_required"
    refused = await desk.incident(tier=3, review="not_cleared")
    response, problem = await desk.call("ee.drafter", "POST", f"/api/v1/incidents/{refused}/sanctions-packages", body)
    assert response.status == 409 and problem["code"] == "legal_review_required"
    ok = await desk.incident(tier=3)
    _, package = await desk.call("ee.drafter", "POST", f"/api/v1/incidents/{ok}/sanctions-packages", body, status=201)
    assert package["tier"] == 3 and package["incident"] == ok and package["designations"] == []
    await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{package['id']}", status=404)  # not accepted yet
    async with desk.world.sessions() as session:
        events = list((await session.execute(select(AuditEntry.event))).scalars())
    assert events.count("sanctions:package:add") == 1


# --- designations ----------------------------------------------------------------------------------


async def test_each_designation_is_a_new_version_and_evidence_keeps_its_own_marking(desk, world) -> None:
    pid = await desk.package()
    before = await version_count(world, pid)
    package = await desk.add(pid, "D-001")
    assert ids(package) == ["D-001"] and await version_count(world, pid) == before + 1
    evidence = {e["id"] for e in package["designations"][0]["designation"]["evidence"]}
    assert evidence == {"E-001", "E-002"}  # EE sees both
    _, fr = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    assert [e["id"] for e in fr["designations"][0]["designation"]["evidence"]] == ["E-001"]
    _, eu = await desk.call("eu.secretariat", "GET", f"{SANCTIONS}/{pid}", status=200)
    assert eu["designations"][0]["designation"].get("evidence", []) == [] and eu["withheld"] == 2


async def test_a_probable_duplicate_warns_with_candidates_until_confirmed(desk, world) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-001")
    count = await version_count(world, pid)
    problem = await desk.add(pid, "D-010", status=409)
    assert problem["code"] == "probable_duplicate"
    candidate = problem["candidates"][0]
    assert candidate["designation"] == "D-001" and candidate["package"] == pid and candidate["reasons"]
    assert await version_count(world, pid) == count
    package = await desk.add(pid, "D-010", confirm=True)
    assert ids(package) == ["D-001", "D-010"]


async def test_a_match_in_another_package_i_may_see_also_warns(desk) -> None:
    first = await desk.package()
    await desk.add(first, "D-001")
    second = await desk.package()
    problem = await desk.add(second, "D-001", status=409)
    assert problem["code"] == "probable_duplicate"
    assert problem["candidates"][0]["package"] == first and problem["candidates"][0]["score"] == 100


async def test_the_same_person_twice_in_one_package_is_refused_even_confirmed(desk, world) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-001")
    count = await version_count(world, pid)
    again = copy.deepcopy(DESIGNATIONS["D-001"]) | {"id": "D-101"}
    body = {"designation": again, "confirm": True}
    response, problem = await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/designations", body)
    assert response.status == 409 and problem["code"] == "duplicate_designation"
    problem = await desk.add(pid, "D-001", status=409, confirm=True)
    assert problem["code"] == "duplicate_designation"
    assert await version_count(world, pid) == count


async def test_a_measure_the_tier_does_not_allow_is_refused(desk, world) -> None:
    pid = await desk.package()
    body = {"designation": DESIGNATIONS["D-002"] | {"measures": ["asset_freeze", "investment_restrictions"]}}
    count = await version_count(world, pid)
    response, problem = await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/designations", body)
    assert response.status == 422 and problem["code"] == "measure_not_allowed" and problem["field"] == "/measures/1"
    assert await version_count(world, pid) == count


async def test_bad_designation_content_is_a_422_with_a_pointer(desk) -> None:
    pid = await desk.package()
    bad = copy.deepcopy(DESIGNATIONS["D-002"])
    bad["dates_of_birth"] = [{"text": "the thirty-second of Smarch"}]
    response, problem = await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/designations", {"designation": bad})
    assert response.status == 422 and problem["field"].startswith("/dates_of_birth/0")


async def test_updating_a_designation_keeps_positions_and_bumps_its_version(desk) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    changed = copy.deepcopy(DESIGNATIONS["D-002"]) | {"reasons": "Rewritten reasons."}
    _, package = await desk.call(
        "ee.drafter", "PUT", f"{SANCTIONS}/{pid}/designations/D-002", {"designation": changed}, status=200
    )
    d = package["designations"][0]["designation"]
    assert d["reasons"] == "Rewritten reasons." and d["version"] == 2 and len(d["parties"]) == 3


# --- adoption --------------------------------------------------------------------------------------


async def test_each_party_adopts_or_declines_and_the_coordination_view_shows_gaps(desk) -> None:
    pid = await desk.package()
    for did in ("D-002", "D-003"):
        await desk.add(pid, did)
    adopt = {"party": "EE", "state": "adopted", "legal_act": "Government order 12/2026", "on": "2026-11-27"}
    await desk.call("ee.signatory", "POST", f"{SANCTIONS}/{pid}/designations/D-002/adoption", adopt, status=200)
    decline = {"party": "FR", "state": "declined", "reason": "Insufficient evidence under French law."}
    await desk.call("fr.signatory", "POST", f"{SANCTIONS}/{pid}/designations/D-003/adoption", decline, status=200)
    response, problem = await desk.call(
        "fr.signatory", "POST", f"{SANCTIONS}/{pid}/designations/D-002/adoption", adopt
    )  # FR may not record EE's adoption
    assert response.status == 403
    response, problem = await desk.call("ee.comms", "POST", f"{SANCTIONS}/{pid}/designations/D-002/adoption", adopt)
    assert response.status == 403
    no_act = {"party": "FR", "state": "adopted"}
    response, problem = await desk.call(
        "fr.signatory", "POST", f"{SANCTIONS}/{pid}/designations/D-002/adoption", no_act
    )
    assert response.status == 422 and problem["field"] == "/legal_act"
    _, grid = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}/coordination", status=200)
    states = {row["designation"]: row["states"] for row in grid["rows"]}
    assert states["D-002"] == {"EE": "adopted", "FR": "proposed", "EU": "proposed"} | {}
    assert states["D-003"]["FR"] == "declined"
    assert {"designation": "D-002", "party": "FR"} in grid["gaps"]


async def test_a_party_adopting_a_designation_it_cannot_see_gets_404_like_a_missing_one(desk) -> None:
    pid = await desk.package()
    body = {"designation": DESIGNATIONS["D-004"], "marking": {"releasable_to": ["EE", "FR"]}}
    await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/designations", body, status=201)
    adopt = {"party": "EU", "state": "adopted", "legal_act": "Council Implementing Regulation 2026/1"}
    hidden, problem = await desk.call("eu.signatory", "POST", f"{SANCTIONS}/{pid}/designations/D-004/adoption", adopt)
    missing, other = await desk.call("eu.signatory", "POST", f"{SANCTIONS}/{pid}/designations/D-999/adoption", adopt)
    assert hidden.status == missing.status == 404
    assert problem["code"] == other["code"]


# --- lifecycle, as_of, reviews ---------------------------------------------------------------------


def z(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


async def test_designations_take_effect_at_the_package_s_release_instant(desk, clock) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    await desk.add(pid, "D-003")
    _, package = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    assert package["released_at"] is None and package["designations"][0]["standing"] is None
    released = await desk.release(pid)
    _, package = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    assert package["released_at"] == z(released)
    standing = package["designations"][0]["standing"]
    assert standing["effective_at"] == z(released) and standing["in_force"] is True
    assert standing["review_at"] == z(released + timedelta(days=60))  # tier 3: 60 days
    _, exported = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}/export?format=csv&view=public")
    assert {d.effective_at for d in import_csv(exported.encode("utf-8"))} == {released}
    _, before = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", params={"as_of": z(released)}, status=200)
    assert ids(before) == ["D-002", "D-003"]
    early = z(released - timedelta(seconds=1))
    _, before = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", params={"as_of": early}, status=200)
    assert before["designations"] == []
    response, problem = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}?as_of=yesterday")
    assert response.status == 422 and problem["field"] == "/as_of"


async def test_a_released_package_is_never_edited_its_designations_change_through_a_successor(desk, world) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    await desk.release(pid)
    count = await version_count(world, pid)
    for path, body in (
        (f"{SANCTIONS}/{pid}/designations", {"designation": DESIGNATIONS["D-005"]}),
        (f"{SANCTIONS}/{pid}/designations/D-002/renew", None),
        (f"{SANCTIONS}/{pid}/designations/D-002/adoption", {"party": "EE", "state": "lifted"}),
    ):
        user = "ee.signatory" if path.endswith("adoption") else "ee.drafter"
        response, problem = await desk.call(user, "POST", path, body)
        assert response.status == 409 and problem["code"] == "communique_frozen", problem
        assert "successor" in problem["detail"]
    assert await version_count(world, pid) == count
    response, problem = await desk.call("ee.comms", "POST", f"{SANCTIONS}/{pid}/successor", {})
    assert response.status == 403
    unreleased = await desk.package()
    response, problem = await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{unreleased}/successor", {})
    assert response.status == 409 and problem["code"] == "package_not_released"
    _, successor = await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/successor", {}, status=201)
    assert successor["supersedes"] == pid and ids(successor) == ["D-002"]
    carried = successor["designations"][0]
    assert carried["designation"]["effective_at"] == carried["standing"]["effective_at"]
    response, problem = await desk.call("fr.drafter", "POST", f"{SANCTIONS}/{pid}/successor", {})
    assert response.status == 409 and problem["code"] == "successor_exists" and problem["successor"] == successor["id"]
    _, original = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    assert original["superseded_by"] == successor["id"]
    await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{successor['id']}", status=404)  # FR has not accepted yet


async def test_renew_amend_and_lift_take_effect_at_the_successor_s_release_and_history_keeps_all(desk, clock) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    await desk.add(pid, "D-003")
    first = await desk.release(pid)
    clock.advance(timedelta(days=40))
    desk.tokens.clear()
    _, successor = await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/successor", {}, status=201)
    sid = successor["id"]
    await desk.accept(sid)
    step = f"{SANCTIONS}/{sid}/designations"
    await desk.call("ee.drafter", "POST", f"{step}/D-003/lift", status=200)
    await desk.call("ee.drafter", "POST", f"{step}/D-003/keep", status=200)
    _, drafted = await desk.call("ee.drafter", "POST", f"{step}/D-003/lift", status=200)
    amended = {"reasons": "Reasons rewritten at review."}
    await desk.call("fr.drafter", "POST", f"{step}/D-002/amend", amended, status=200)
    _, drafted = await desk.call("ee.drafter", "POST", f"{step}/D-002/renew", status=200)
    steps = {d["designation"]["id"]: d["designation"].get("step") for d in drafted["designations"]}
    assert steps == {"D-002": "renew", "D-003": "lift"}
    await desk.add(sid, "D-005")
    response, problem = await desk.call("ee.drafter", "POST", f"{step}/D-005/renew")
    assert response.status == 409 and problem["code"] == "designation_not_effective"
    # Nothing changes before the successor is released.
    _, now = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", params={"as_of": z(clock())}, status=200)
    assert ids(now) == ["D-002", "D-003"] and now["designations"][0]["designation"]["reasons"] != amended["reasons"]
    _, due = await desk.call("fr.drafter", "GET", "/api/v1/sanctions/reviews", status=200)
    assert {(r["designation"], r["successor"], r["step"]) for r in due} == {
        ("D-002", sid, "renew"),
        ("D-003", sid, "lift"),
    }
    second = await desk.release(sid)
    later = z(second + timedelta(seconds=1))
    for package_id in (pid, sid):  # the same record from either end of the chain
        _, then = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{package_id}", params={"as_of": later}, status=200)
        assert ids(then) == ["D-002", "D-005"]
        d002 = then["designations"][0]
        assert d002["designation"]["reasons"] == amended["reasons"]
        assert d002["standing"]["review_at"] == z(first + timedelta(days=120))  # renewed from the review date
        assert then["designations"][1]["standing"]["effective_at"] == z(second)
    between = z(first + timedelta(days=1))
    _, then = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{sid}", params={"as_of": between}, status=200)
    assert ids(then) == ["D-002", "D-003"]
    assert then["designations"][0]["designation"]["reasons"] == DESIGNATIONS["D-002"]["reasons"]
    _, package = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{sid}", status=200)
    standing = {d["designation"]["id"]: d["standing"] for d in package["designations"]}
    assert standing["D-003"]["lifted_at"] == z(second) and standing["D-003"]["in_force"] is False
    _, due = await desk.call("fr.drafter", "GET", "/api/v1/sanctions/reviews?days=90", status=200)
    assert [(r["package"], r["designation"]) for r in due] == [(sid, "D-005"), (sid, "D-002")]


async def test_the_review_list_is_soonest_first_across_my_packages(desk, clock) -> None:
    first = await desk.package()
    await desk.add(first, "D-002")
    await desk.release(first)
    clock.advance(timedelta(days=5))
    second = await desk.package()
    await desk.add(second, "D-003")
    await desk.release(second)
    _, due = await desk.call("fr.drafter", "GET", "/api/v1/sanctions/reviews?days=90", status=200)
    assert [(r["package"], r["designation"]) for r in due] == [(first, "D-002"), (second, "D-003")]
    assert due[0]["successor"] is None and due[0]["step"] is None
    _, soon = await desk.call("fr.drafter", "GET", "/api/v1/sanctions/reviews", status=200)
    assert soon == []  # 60-day period, 30-day notice: not yet due
    clock.advance(timedelta(days=29))
    desk.tokens.clear()  # tokens expire; sign in again
    _, soon = await desk.call("fr.drafter", "GET", "/api/v1/sanctions/reviews", status=200)
    assert [r["designation"] for r in soon] == ["D-002"]
    response, _ = await desk.call("fr.drafter", "GET", "/api/v1/sanctions/reviews?days=-1")
    assert response.status == 422


async def test_a_probable_duplicate_in_another_package_can_be_linked_as_the_same_subject(desk, world) -> None:
    first = await desk.package()
    await desk.add(first, "D-001")
    second = await desk.package()
    count = await version_count(world, second)
    wrong = {"same_as": [{"package": first, "designation": "D-999"}]}
    body = {"designation": copy.deepcopy(DESIGNATIONS["D-001"]) | wrong}
    response, problem = await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{second}/designations", body)
    assert response.status == 422 and problem["code"] == "unknown_link"
    assert problem["field"] == "/designation/same_as/0"
    assert await version_count(world, second) == count
    body["designation"]["same_as"] = [{"package": first, "designation": "D-001"}]
    _, package = await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{second}/designations", body, status=201)
    assert package["designations"][0]["designation"]["same_as"] == [{"package": first, "designation": "D-001"}]
    _, grid = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{second}/coordination", status=200)
    assert grid["rows"][0]["same_as"] == [{"package": first, "designation": "D-001"}]


async def test_a_link_is_seen_only_by_parties_of_both_packages_and_never_by_the_public(desk, world) -> None:
    hidden = await desk.package(parties=("EU",))  # FR does not take part
    secret = copy.deepcopy(DESIGNATIONS["D-002"]) | {"id": "SECRET-TARGET-X"}
    await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{hidden}/designations", {"designation": secret}, status=201)
    await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{hidden}", status=404)
    shared = await desk.package()
    linked = copy.deepcopy(DESIGNATIONS["D-002"]) | {"same_as": [{"package": hidden, "designation": "SECRET-TARGET-X"}]}
    await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{shared}/designations", {"designation": linked}, status=201)
    _, eu = await desk.call("eu.secretariat", "GET", f"{SANCTIONS}/{shared}", status=200)
    assert eu["designations"][0]["designation"]["same_as"] == [{"package": hidden, "designation": "SECRET-TARGET-X"}]
    for path in (
        f"{SANCTIONS}/{shared}",
        f"{SANCTIONS}/{shared}/coordination",
        f"{SANCTIONS}/{shared}/export?format=csv",
    ):
        response, _ = await desk.call("fr.drafter", "GET", path, status=200)
        assert "SECRET-TARGET-X" not in await response.text(), path
    # FR edits the designation as it sees it: the link it cannot see stays.
    _, fr = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{shared}", status=200)
    mine = fr["designations"][0]["designation"] | {"reasons": "Reasons FR rewrote."}
    body = {"designation": mine, "confirm": True}
    await desk.call("fr.drafter", "PUT", f"{SANCTIONS}/{shared}/designations/D-002", body, status=200)
    _, eu = await desk.call("eu.secretariat", "GET", f"{SANCTIONS}/{shared}", status=200)
    assert eu["designations"][0]["designation"]["same_as"] == [{"package": hidden, "designation": "SECRET-TARGET-X"}]
    await desk.release(shared)
    for path in (f"/api/v1/public/communiques/{shared}", f"/releases/{shared}", "/api/v1/public/communiques"):
        response = await world.client.get(path)
        assert response.status == 200 and "SECRET-TARGET-X" not in await response.text(), path


async def test_a_party_outside_a_released_successor_sees_what_it_lifted(desk, world) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    await desk.release(pid)
    _, successor = await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/successor", {}, status=201)
    sid = successor["id"]
    await desk.accept(sid, ("EU",))  # FR stays out of the review
    await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{sid}/designations/D-002/lift", status=200)
    response, problem = await desk.call("fr.drafter", "POST", f"{SANCTIONS}/{pid}/successor", {})
    assert response.status == 409 and problem["code"] == "successor_exists"
    assert problem["successor"] == sid  # FR is invited to it, so may know it
    _, fr = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    assert fr["superseded_by"] is None  # not before FR takes part in it or it is released
    keys = desk.keys or await register_keys(world)
    desk.keys = keys
    await sign_head(world, keys, sid, parties=("EE", "EU"))
    lifted = await release_communique(world, sid, world.clock() + timedelta(hours=1))
    world.clock.advance(timedelta(hours=2))
    desk.tokens.clear()
    _, fr = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    assert fr["superseded_by"] == sid and lifted["state"] == "scheduled"
    standing = fr["designations"][0]["standing"]
    assert standing["lifted_at"] is not None and standing["in_force"] is False
    _, now = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", params={"as_of": z(world.clock())}, status=200)
    assert now["designations"] == []
    _, due = await desk.call("fr.drafter", "GET", "/api/v1/sanctions/reviews?days=365", status=200)
    assert due == []


async def test_a_successor_needs_a_title_that_is_not_blank(desk) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    await desk.release(pid)
    response, problem = await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/successor", {"title": "   "})
    assert response.status == 422 and problem["field"] == "/title"


# --- exports and import ----------------------------------------------------------------------------


async def test_exports_of_the_public_part_omit_confidential_evidence(desk) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-001")
    body = {"designation": DESIGNATIONS["D-004"], "marking": {"releasable_to": ["EE", "FR"]}}
    await desk.call("ee.drafter", "POST", f"{SANCTIONS}/{pid}/designations", body, status=201)
    for fmt in ("csv", "eu-xml", "ofac-xml"):
        response, public = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}/export?format={fmt}&view=public")
        assert response.status == 200
        assert "Intercepted tasking orders" not in public and "Петров" in public
        assert DESIGNATIONS["D-004"]["primary_name"]["transliterated"]["whole_name"] not in public
        _, mine = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}/export?format={fmt}")
        assert "Intercepted tasking orders" in mine
    _, fr_csv = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}/export?format=csv")
    assert "Intercepted tasking orders" in fr_csv and "Source report" not in fr_csv
    response, problem = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}/export?format=pdf")
    assert response.status == 422 and problem["code"] == "invalid_format"


async def test_a_csv_export_imports_back_into_another_package_without_loss(desk) -> None:
    source = await desk.package()
    await desk.add(source, "D-002")
    await desk.add(source, "D-005")
    _, exported = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{source}/export?format=csv")
    target = await desk.package()
    headers = desk.tokens["ee.drafter"] | {"Content-Type": "text/csv"}
    response = await desk.world.client.post(
        f"{SANCTIONS}/{target}/import?confirm=true", data=exported.encode("utf-8"), headers=headers
    )
    assert response.status == 201, await response.text()
    package = await response.json()
    assert ids(package) == ["D-002", "D-005"]
    originals = {d.id: d for d in import_csv(exported.encode("utf-8"))}
    for shown in package["designations"]:
        d = shown["designation"]
        o = originals[d["id"]]
        assert d["primary_name"] == o.to_annex_content()["primary_name"]
        assert d["measures"] == [m.value for m in o.measures] and d["reasons"] == o.reasons


@pytest.mark.parametrize(
    "mangle, column",
    [
        (lambda text: text.replace("reasons", "motives", 1), None),  # a missing column
        (lambda text: text.replace(D002_LATIN, "=HYPERLINK(1)"), "name"),  # a formula cell
    ],
)
async def test_a_bad_csv_is_refused_with_row_and_column_and_nothing_is_stored(desk, world, mangle, column) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    _, exported = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}/export?format=csv")
    target = await desk.package()
    count = await version_count(world, target)
    headers = desk.tokens["ee.drafter"] | {"Content-Type": "text/csv"}
    response = await world.client.post(
        f"{SANCTIONS}/{target}/import?confirm=true", data=mangle(exported).encode("utf-8"), headers=headers
    )
    assert response.status == 422, await response.text()
    problem = await response.json()
    assert problem["errors"] and "row" in problem["errors"][0]
    if column is not None:
        assert any(e["column"] and e["row"] == 2 for e in problem["errors"]), problem
    assert await version_count(world, target) == count


async def test_a_csv_in_the_wrong_encoding_is_refused_and_nothing_is_stored(desk, world) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    _, exported = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}/export?format=csv")
    target = await desk.package()
    count = await version_count(world, target)
    headers = desk.tokens["ee.drafter"] | {"Content-Type": "text/csv"}
    response = await world.client.post(f"{SANCTIONS}/{target}/import", data=exported.encode("utf-16"), headers=headers)
    assert 400 <= response.status < 500, await response.text()
    assert await version_count(world, target) == count


async def test_the_ten_designation_fixture_is_drafted_adopted_exported_and_imported_back(desk) -> None:
    pid = await desk.package()
    for did in DESIGNATIONS:
        await desk.add(pid, did, confirm=did == "D-010")  # D-010 uses D-001's name as an alias
    adopters = {"EE": "ee.signatory", "FR": "fr.signatory", "EU": "eu.signatory"}
    for party, user in adopters.items():
        for did in DESIGNATIONS:
            if party == "FR" and did == "D-009":
                body = {"party": "FR", "state": "declined", "reason": "No legal basis in French law."}
            else:
                body = {"party": party, "state": "adopted", "legal_act": f"{party} act 2026/{did}"}
            await desk.call(user, "POST", f"{SANCTIONS}/{pid}/designations/{did}/adoption", body, status=200)
    _, grid = await desk.call("eu.secretariat", "GET", f"{SANCTIONS}/{pid}/coordination", status=200)
    assert grid["gaps"] == [] and len(grid["rows"]) == 10
    assert {r["designation"]: r["states"]["FR"] for r in grid["rows"]}["D-009"] == "declined"
    for fmt in ("eu-xml", "ofac-xml"):
        response, text = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}/export?format={fmt}&view=public")
        assert response.status == 200 and response.content_type == "application/xml"
        ET.fromstring(text)
        assert "Петров" in text
    _, exported = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}/export?format=csv&view=public")
    originals = {d.id: d for d in import_csv(exported.encode("utf-8"))}
    assert len(originals) == 10
    target = await desk.package()
    headers = desk.tokens["ee.drafter"] | {"Content-Type": "text/csv"}
    response = await desk.world.client.post(
        f"{SANCTIONS}/{target}/import?confirm=true", data=exported.encode("utf-8"), headers=headers
    )
    assert response.status == 201, await response.text()
    package = await response.json()
    assert sorted(ids(package)) == sorted(DESIGNATIONS)
    for shown in package["designations"]:
        d, o = shown["designation"], originals[shown["designation"]["id"]].to_annex_content()
        for member in ("primary_name", "aliases", "dates_of_birth", "documents", "addresses", "measures", "reasons"):
            assert d.get(member) == o.get(member), member


async def test_a_sanctions_package_written_as_a_plain_communique_takes_no_designation(desk) -> None:
    body = {"kind": "sanctions_package", "title": "Around the gate", "participants": [], "sections": []}
    _, created = await desk.call("ee.drafter", "POST", "/api/v1/communiques", body, status=201)
    problem = await desk.add(created["communique"], "D-002", status=409)
    assert problem["code"] == "sanctions_not_allowed"


async def test_an_editor_reusing_the_id_of_evidence_it_cannot_see_loses_nothing(desk) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-001")  # E-002 is releasable to EE only
    _, fr = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    mine = fr["designations"][0]["designation"]
    for member in ("version", "version_at", "parties"):
        mine.pop(member, None)
    mine["evidence"].append({"id": "E-002", "text": "FR's own note.", "marking": {"releasable_to": ["FR"]}})
    await desk.call(
        "fr.drafter", "PUT", f"{SANCTIONS}/{pid}/designations/D-001", {"designation": mine, "confirm": True}, status=200
    )
    _, ee = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    texts = {e["text"] for e in ee["designations"][0]["designation"]["evidence"]}
    assert "Source report on the unit's chain of command." in texts and len(texts) == 2  # FR's note is not EE's
    _, fr = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    assert {e["id"] for e in fr["designations"][0]["designation"]["evidence"]} == {"E-001", "E-002"}


async def test_a_package_with_one_declined_designation_is_signed_off_by_all_three_parties(desk, world) -> None:
    """The issue's end to end: drafted, positions recorded (FR declines one), then every party signs the head."""
    pid = await desk.package()
    for did in ("D-001", "D-002", "D-003"):
        await desk.add(pid, did)
    for party, user in {"EE": "ee.signatory", "FR": "fr.signatory", "EU": "eu.signatory"}.items():
        for did in ("D-001", "D-002", "D-003"):
            if party == "FR" and did == "D-002":
                body = {"party": "FR", "state": "declined", "reason": "No legal basis in French law."}
            else:
                body = {"party": party, "state": "adopted", "legal_act": f"{party} act 2026/{did}"}
            await desk.call(user, "POST", f"{SANCTIONS}/{pid}/designations/{did}/adoption", body, status=200)
    status = await desk.sign_all(pid)
    assert status["signed"] == ["EE", "EU", "FR"] and status["missing"] == [] and status["met"] is True
    assert status["ready_for_release"] is True
    _, grid = await desk.call("eu.secretariat", "GET", f"{SANCTIONS}/{pid}/coordination", status=200)
    assert {r["designation"]: r["states"]["FR"] for r in grid["rows"]}["D-002"] == "declined"


async def test_the_api_offers_a_transliteration_as_a_suggestion_the_drafter_may_accept(desk, world) -> None:
    pid = await desk.package()
    package = await desk.add(pid, "D-009")
    shown = next(d for d in package["designations"] if d["designation"]["id"] == "D-009")
    assert [s["pointer"] for s in shown["suggestions"]] == ["/primary_name/transliterated"]
    assert shown["suggestions"][0]["value"]["whole_name"] == "Oleg Ivanovich Kuznetsov"
    assert "transliterated" not in shown["designation"]["primary_name"]


async def test_a_csv_holding_nul_or_sent_as_another_type_is_a_4xx_and_nothing_is_stored(desk, world) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    _, exported = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}/export?format=csv")
    target = await desk.package()
    count = await version_count(world, target)
    headers = desk.tokens["ee.drafter"]
    poisoned = exported.replace("Smirnov", "Smir\x00nov").encode("utf-8")
    response = await world.client.post(
        f"{SANCTIONS}/{target}/import", data=poisoned, headers=headers | {"Content-Type": "text/csv"}
    )
    assert response.status == 422, await response.text()
    assert (await response.json())["code"] == "nul_character"
    response = await world.client.post(
        f"{SANCTIONS}/{target}/import", data=exported.encode(), headers=headers | {"Content-Type": "text/plain"}
    )
    assert response.status == 415, await response.text()
    assert await version_count(world, target) == count
