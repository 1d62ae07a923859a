"""Pages: the coordination view with my party's adoption form, and the review list (no JavaScript)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.support.sanctions import DESIGNATIONS, SANCTIONS, Desk
from tests.support.world import sign_in


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def test_the_coordination_page_records_my_party_declining_a_designation(desk) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    client = desk.world.client
    csrf = await sign_in(client, "fr.signatory")
    page = await client.get(f"/sanctions/packages/{pid}")
    text = await page.text()
    assert page.status == 200 and "<script" not in text and "D-002" in text and "no position" not in text
    path = f"/sanctions/packages/{pid}/designations/D-002/adoption"
    refused = await client.post(path, data={"csrf_token": csrf, "state": "declined"}, allow_redirects=False)
    assert refused.status == 422 and "reason" in await refused.text()
    done = await client.post(
        path, data={"csrf_token": csrf, "state": "declined", "reason": "Not under our law."}, allow_redirects=False
    )
    assert done.status == 303
    _, grid = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}/coordination", status=200)
    assert grid["rows"][0]["states"]["FR"] == "declined"
    hidden = await client.get(f"/sanctions/packages/{pid + 1000}")
    assert hidden.status == 404


async def test_the_review_list_page_leads_to_a_successor_where_each_designation_is_reviewed(desk, clock) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-003")
    await desk.release(pid)
    client = desk.world.client
    await sign_in(client, "ee.drafter")
    page = await client.get("/sanctions/reviews")
    assert page.status == 200 and "D-003" not in await page.text()  # 60 days away, 30-day notice
    clock.advance(timedelta(days=40))
    csrf = await sign_in(client, "ee.drafter")
    page = await client.get("/sanctions/reviews")
    text = await page.text()
    assert page.status == 200 and "D-003" in text and "no successor package yet" in text
    page = await client.get(f"/sanctions/packages/{pid}")
    text = await page.text()
    assert "Start the successor package" in text and "Add a designation" not in text and "in force" in text
    started = await client.post(
        f"/sanctions/packages/{pid}/successor", data={"csrf_token": csrf, "title": "Review"}, allow_redirects=False
    )
    assert started.status == 303
    successor = started.headers["Location"]
    sid = int(successor.rsplit("/", 1)[1])
    lifted = await client.post(f"{successor}/designations/D-003/lift", data={"csrf_token": csrf}, allow_redirects=False)
    assert lifted.status == 303
    page = await client.get(successor)
    text = await page.text()
    assert "At this package&#39;s release: lift" in text or "At this package's release: lift" in text
    bad = await client.post(f"{successor}/designations/D-003/amend", data={"csrf_token": csrf, "reasons": " "})
    assert bad.status == 422
    page = await client.get("/sanctions/reviews")
    assert f"successor {sid}" in await page.text()
    again = await client.post(f"/sanctions/packages/{pid}/successor", data={"csrf_token": csrf})
    assert again.status == 409 and "already superseded" in await again.text()


async def test_designations_are_added_and_edited_from_the_page_with_duplicate_warnings(desk) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-001")
    client = desk.world.client
    csrf = await sign_in(client, "ee.drafter")
    path = f"/sanctions/packages/{pid}/designations"
    text = json.dumps(DESIGNATIONS["D-010"], ensure_ascii=False)
    warned = await client.post(path, data={"csrf_token": csrf, "designation": text}, allow_redirects=False)
    body = await warned.text()
    assert warned.status == 409 and "D-001" in body and "score" in body
    bad = await client.post(path, data={"csrf_token": csrf, "designation": "{not json"}, allow_redirects=False)
    assert bad.status == 422 and "not JSON" in await bad.text()
    added = await client.post(
        path, data={"csrf_token": csrf, "designation": text, "confirm": "1"}, allow_redirects=False
    )
    assert added.status == 303
    changed = dict(DESIGNATIONS["D-010"]) | {"reasons": "Edited on the page."}
    edited = await client.post(
        f"{path}/D-010",
        data={"csrf_token": csrf, "designation": json.dumps(changed), "confirm": "1"},
        allow_redirects=False,
    )
    assert edited.status == 303
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    assert package["designations"][1]["designation"]["reasons"] == "Edited on the page."
