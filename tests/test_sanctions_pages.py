"""Pages: the coordination view with my party's adoption form, and the review list (no JavaScript)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from entente.web.designation_forms import rows_of
from tests.support.pages import browser, form_values
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


def form_of(content: dict, **extra: str) -> dict[str, str]:
    """The designation form filled in with ``content``, as a person would type it."""
    values = {k: v for k, v in rows_of(content).items() if not k.endswith(".src")}
    return values | {"marking": "public", "action": "save"} | extra


async def _head(desk, pid: int) -> str:
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    return package["head"]["digest"]


async def test_designations_are_added_and_edited_with_forms_and_duplicate_warnings(desk) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-001")
    ee = await browser(desk.world, "ee.drafter")
    form = await ee.get(f"/sanctions/packages/{pid}/designations/new")
    assert 'name="name.orig"' in form and 'name="alias.0.type"' in form and 'name="dob.0.text"' in form
    assert 'name="doc.0.number"' in form and 'name="measure.asset_freeze"' in form and 'name="ev.0.text"' in form
    assert 'name="designation"' not in form  # no JSON anywhere
    path = f"/sanctions/packages/{pid}/designations"
    head = await _head(desk, pid)
    fields = form_of(DESIGNATIONS["D-010"])
    _, text = await ee.post(path, fields, status=409)
    # The candidate side by side with what was entered, and the two ways on.
    assert "Probable duplicate" in text and "What you entered" in text and "D-001" in text
    assert "Александр Сергеевич Петров" in text and "None is the same subject: add anyway" in text
    assert await _head(desk, pid) == head
    await ee.post(path, fields | {"confirm": "1"})
    # Edit: the form shows the designation; parts it does not show are kept as they were.
    edit = await ee.get(f"/sanctions/packages/{pid}/designations/D-010/edit")
    assert 'value="D-010"' in edit and "readonly" in edit
    changed = form_values(edit, "designation-form")
    assert changed["name.orig"] == DESIGNATIONS["D-010"]["primary_name"]["original"]["whole_name"]
    del changed["csrf_token"]
    changed |= {"reasons": "Edited on the page.", "action": "save", "confirm": "1"}
    await ee.post(f"{path}/D-010", changed)
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    saved = package["designations"][1]["designation"]
    assert saved["reasons"] == "Edited on the page."
    skip = ("reasons", "parties", "evidence", "proposed_by", "dates_of_birth")
    expected = {k: v for k, v in DESIGNATIONS["D-010"].items() if k not in skip}
    assert {k: saved[k] for k in expected} == expected
    assert [d["text"] for d in saved["dates_of_birth"]] == [d["text"] for d in DESIGNATIONS["D-010"]["dates_of_birth"]]


async def test_a_refused_designation_form_shows_each_problem_beside_its_row_and_changes_nothing(desk) -> None:
    pid = await desk.package()
    ee = await browser(desk.world, "ee.drafter")
    path = f"/sanctions/packages/{pid}/designations"
    head = await _head(desk, pid)
    fields = {
        "id": "D-100",
        "subject_type": "person",
        "marking": "public",
        "name.orig": "Иван Иванович Иванов",
        "dob.0.text": "the thirty-second of Smarch",
        "doc.0.type": "passport",
        "doc.0.number": "12 3456789",
        "doc.0.country": "XX",
        "reasons": "Directed the intrusion.",
        "action": "save",
    }
    _, text = await ee.post(path, fields, status=422)
    assert "Date of birth 1" in text and "Document 1" in text and "ISO 3166-1" in text
    assert "Measures: choose at least one" in text
    assert 'value="Иван Иванович Иванов"' in text and 'value="the thirty-second of Smarch"' in text
    assert await _head(desk, pid) == head
    # Transliteration offered, filled in only when asked, and not saved by asking.
    _, text = await ee.post(path, fields | {"action": "suggest"}, status=200)
    assert 'name="name.latin" maxlength="1000" value="Ivan Ivanovich Ivanov"' in text
    assert await _head(desk, pid) == head
    # An unknown field is refused as such.
    await ee.post(path, {"designation": "{}"}, status=422)
    assert await _head(desk, pid) == head


async def test_a_party_records_its_position_and_its_reason_stays_its_own(desk) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    fr = await browser(desk.world, "fr.signatory")
    page = await fr.get(f"/sanctions/packages/{pid}")
    assert "never published unless you choose" in page and 'value="participants" checked' in page
    path = f"/sanctions/packages/{pid}/designations/D-002/adoption"
    await fr.post(path, {"state": "declined", "reason": "Ours alone.", "reason_marking": "nobody"}, status=422)
    await fr.post(path, {"state": "declined", "reason": "Ours alone.", "reason_marking": "party", "on": "2026-11-20"})
    page = await fr.get(f"/sanctions/packages/{pid}")
    assert "Ours alone." in page and "TLP:RED" in page and 'value="party" checked' in page
    assert '<option value="declined" selected>' in page and 'value="2026-11-20"' in page
    ee = await browser(desk.world, "ee.drafter")
    page = await ee.get(f"/sanctions/packages/{pid}")
    assert "Ours alone." not in page and "reason not releasable to you" in page
    eu = await browser(desk.world, "eu.signatory")
    adopted = {"state": "adopted", "legal_act": "Council Decision 2026/1"}
    await eu.post(path, adopted | {"party": "EU"}, status=422)  # the party is the caller's, never a field
    await eu.post(path, {"state": "adopted", "legal_act": "Council Decision 2026/1"})
    grid = await ee.get(f"/sanctions/packages/{pid}")
    assert "Council Decision 2026/1" in grid and "basis: Council Decision (CFSP) 2019/797" in grid


async def test_duplicates_across_packages_are_linked_from_the_warning(desk) -> None:
    first = await desk.package()
    await desk.add(first, "D-002")
    second = await desk.package()
    ee = await browser(desk.world, "ee.drafter")
    path = f"/sanctions/packages/{second}/designations"
    fields = form_of(DESIGNATIONS["D-002"], id="D-200")
    _, text = await ee.post(path, fields, status=409)
    assert f'name="link" value="{first}:D-002"' in text
    await ee.post(path, fields | {"link": f"{first}:D-002"})
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{second}", status=200)
    assert package["designations"][0]["designation"]["same_as"] == [{"package": first, "designation": "D-002"}]
    page = await ee.get(f"/sanctions/packages/{second}")
    assert f"package {first}" in page and "Same subject as" in page
