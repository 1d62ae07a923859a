"""Co-drafting communiqués through the API: versions, participants, markings, history, diffs, comments."""

from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa

from entente import canonical, parties
from entente.models import Communique, CommuniqueVersion, PartyKind, Role
from tests.support.drafting import BASE, accept, create, editable, head, if_match, save, section, two_party

LATVIA = parties.SeedParty(
    "LV", "Republic of Latvia", PartyKind.STATE, "Europe/Riga", (parties.SeedUser("lv.drafter", "LV", (Role.DRAFTER,)),)
)


async def problem(response, status: int, code: str) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    body = await response.json(content_type=None)
    assert body["code"] == code, body
    return body


async def version_count(world, cid: int) -> int:
    async with world.sessions() as session:
        query = sa.select(sa.func.count()).select_from(CommuniqueVersion).where(CommuniqueVersion.communique_id == cid)
        return (await session.execute(query)).scalar_one()


# --- creating and taking part --------------------------------------------------------------------


async def test_created_communique_has_version_one_with_canonical_bytes_and_disclosures(world) -> None:
    ee = await world.token("ee.drafter")
    v1 = await create(world.client, ee, sections=[section("Summary", "We **condemn** it.")])
    assert v1["number"] == 1 and v1["prev"] is None and v1["parties"] == ["EE"] and v1["lead"] == "EE"
    payload = await world.client.get(f"{BASE}/{v1['communique']}/versions/1/signing-payload", headers=ee)
    data = await payload.read()
    assert canonical.is_canonical(data)
    assert canonical.digest(data) == v1["digest"] == payload.headers["Entente-Digest"]
    assert payload.headers["ETag"] == f'"{v1["digest"]}"'
    obj = json.loads(data)
    assert obj["type"] == "entente-communique-version" and obj["version"] == 1
    assert len(base64.urlsafe_b64decode(obj["salt"] + "=")) == 32
    matched = canonical.require_disclosures(
        [s["disclosure"] for s in v1["sections"]], [e["digest"] for e in obj["sections"]]
    )
    (disclosed,) = matched.values()
    assert disclosed.name == v1["sections"][0]["id"]
    assert disclosed.value == {"heading": "Summary", "body": "We **condemn** it.", "origin": "EE"}
    assert "condemn" not in data.decode()


async def test_invited_party_sees_the_communique_but_not_its_text_until_it_accepts(world) -> None:
    ee, fr = await world.token("ee.drafter"), await world.token("fr.drafter")
    v1 = await create(world.client, ee, participants=["FR"], sections=[section("Summary", "secret draft words")])
    cid = v1["communique"]
    listing = await (await world.client.get(BASE, headers=fr)).json()
    assert [(c["id"], c["accepted"]) for c in listing] == [(cid, False)]
    for path in (
        f"{BASE}/{cid}/versions",
        f"{BASE}/{cid}/versions/1",
        f"{BASE}/{cid}/comments",
        f"{BASE}/{cid}/versions/1/signing-payload",
    ):
        response = await world.client.get(path, headers=fr)
        assert response.status == 404
        assert "secret draft words" not in await response.text()
    await accept(world.client, fr, cid)
    v2 = await head(world.client, fr, cid)
    assert v2["number"] == 2 and v2["parties"] == ["EE", "FR"] and v2["author"] == "fr.drafter"
    assert v2["sections"][0]["body"] == "secret draft words"
    await problem(await world.client.post(f"{BASE}/{cid}/acceptance", headers=fr), 409, "already_accepted")


async def test_party_not_on_the_roster_gets_the_same_404_as_for_a_missing_communique(world) -> None:
    async with world.sessions.begin() as session:
        await parties.seed_coalition(session, [LATVIA], password="lv password 123", now=world.clock())
    ee, lv = await world.token("ee.drafter"), await world.token("lv.drafter")
    v1 = await create(world.client, ee, sections=[section("S", "text")])
    cid = v1["communique"]
    seen = await world.client.get(f"{BASE}/{cid}", headers=lv)
    missing = await world.client.get(f"{BASE}/{cid + 1000}", headers=lv)
    a, b = await problem(seen, 404, "not_found"), await problem(missing, 404, "not_found")
    assert a["detail"].replace(str(cid), "N") == b["detail"].replace(str(cid + 1000), "N")
    assert await (await world.client.get(BASE, headers=lv)).json() == []


async def test_only_lead_party_drafters_invite_and_unknown_parties_are_refused(world) -> None:
    v, ee, fr = await two_party(world)
    cid = v["communique"]
    await problem(
        await world.client.post(f"{BASE}/{cid}/invitations", json={"party": "EU"}, headers=fr), 403, "wrong_party"
    )
    await problem(
        await world.client.post(f"{BASE}/{cid}/invitations", json={"party": "ZZ"}, headers=ee), 422, "unknown_party"
    )
    await problem(
        await world.client.post(f"{BASE}/{cid}/invitations", json={"party": "FR"}, headers=ee),
        409,
        "already_participating",
    )
    response = await world.client.post(f"{BASE}/{cid}/invitations", json={"party": "EU"}, headers=ee)
    assert response.status == 201
    assert {p["party"]: p["accepted"] for p in (await response.json())["participants"]} == {
        "EE": True,
        "FR": True,
        "EU": False,
    }


async def test_communique_rendered_from_a_crisis_template_keeps_lead_only_sections_for_the_lead(world) -> None:
    ee, fr = await world.token("ee.drafter"), await world.token("fr.drafter")
    params = {
        "activity": "exploitation of remote access gateways",
        "first_observed": "2026-10-01",
        "sectors": ["energy"],
        "summary": "An actor exploits gateways.",
        "mitigations": ["Patch now."],
        "indicators": ["198.51.100[.]7"],
    }
    v1 = await create(world.client, ee, participants=["FR"], template="joint-advisory", params=params, tier=2)
    assert v1["template"]["id"] == "joint-advisory" and v1["template"]["tier"] == 2
    assert [s["id"] for s in v1["sections"]] == ["summary", "mitigations", "indicators", "handling"]
    assert {s["id"]: s["marking"]["tlp"] for s in v1["sections"]}["handling"] == "TLP:RED"
    await accept(world.client, fr, v1["communique"])
    v2 = await head(world.client, fr, v1["communique"])
    assert [s["id"] for s in v2["sections"]] == ["summary", "mitigations", "indicators"]
    assert v2["withheld"] == {"sections": 1, "annex": 0}
    assert "198\\.51.100" in v2["sections"][2]["body"]


async def test_template_refuses_sections_unknown_templates_and_tiers_it_does_not_cover(world) -> None:
    ee = await world.token("ee.drafter")
    base = {"kind": "joint_statement", "title": "T"}
    cases = [
        ({"template": "nope", "params": {}}, "unknown_template"),
        ({"template": "joint-advisory", "params": {}, "tier": 9}, "tier_not_allowed"),
        ({"template": "joint-advisory", "params": {}, "sections": [section("S")]}, "template_sections"),
        ({"params": {"a": "b"}}, "template_required"),
    ]
    for extra, code in cases:
        await problem(await world.client.post(BASE, json=base | extra, headers=ee), 422, code)


# --- saving ----------------------------------------------------------------------------------------


async def test_save_needs_if_match_and_a_known_digest(world) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    body = {"sections": editable(v)}
    await problem(
        await world.client.post(f"{BASE}/{cid}/versions", json=body, headers=ee), 428, "precondition_required"
    )
    unknown = "sha256:" + "0" * 64
    await problem(
        await world.client.post(f"{BASE}/{cid}/versions", json=body, headers=ee | if_match(unknown)),
        412,
        "version_unknown",
    )
    await problem(
        await world.client.post(f"{BASE}/{cid}/versions", json=body, headers=ee | {"If-Match": "*"}),
        412,
        "if_match_invalid",
    )
    for odd in ['W/"' + unknown + '"', f'"{unknown}", "{unknown}"', '"3"']:  # weak, a list, not a digest
        await problem(
            await world.client.post(f"{BASE}/{cid}/versions", json=body, headers=ee | {"If-Match": odd}),
            412,
            "if_match_invalid",
        )
    # The path and If-Match are checked before the body is read: a bad body does not hide them.
    await problem(
        await world.client.post(f"{BASE}/{cid}/versions", json={"sections": 1}, headers=ee | {"If-Match": "*"}),
        412,
        "if_match_invalid",
    )
    await problem(
        await world.client.post(f"{BASE}/0/versions", json={"sections": 1}, headers=ee | if_match(unknown)),
        404,
        "not_found",
    )
    assert await version_count(world, cid) == 2


async def test_two_edits_of_different_sections_from_the_same_base_merge(world) -> None:
    v, ee, fr = await two_party(world, sections=[section("A", "alpha one"), section("B", "beta one")])
    cid = v["communique"]
    a, b = editable(v)
    await save(world.client, ee, cid, v["digest"], sections=[dict(a, body="alpha two"), b])
    merged = await save(world.client, fr, cid, v["digest"], sections=[a, dict(b, body="beta two")])
    assert [s["body"] for s in merged["sections"]] == ["alpha two", "beta two"]
    assert merged["merged_head"] is not None and merged["number"] == 4


async def test_insertions_deletions_and_a_reorder_merge(world) -> None:
    v, ee, fr = await two_party(world, sections=[section("A"), section("B"), section("C")])
    cid = v["communique"]
    a, b, c = editable(v)
    await save(world.client, ee, cid, v["digest"], sections=[c, a, b])
    merged = await save(world.client, fr, cid, v["digest"], sections=[a, section("New after A"), c])
    assert [s["heading"] for s in merged["sections"]] == ["C", "A", "New after A"]


async def test_edits_of_the_same_section_answer_409_with_base_theirs_and_yours_and_save_nothing(world) -> None:
    v, ee, fr = await two_party(world, sections=[section("A", "the original text")])
    cid = v["communique"]
    (a,) = editable(v)
    await save(world.client, ee, cid, v["digest"], sections=[dict(a, body="the estonian text")])
    before = await version_count(world, cid)
    response = await world.client.post(
        f"{BASE}/{cid}/versions",
        json={"sections": [dict(a, body="the french text")]},
        headers=fr | if_match(v["digest"]),
    )
    body = await problem(response, 409, "merge_conflict")
    (conflict,) = body["conflicts"]
    assert conflict["kind"] == "edit_edit" and conflict["id"] == a["id"]
    assert (conflict["base"]["body"], conflict["theirs"]["body"], conflict["yours"]["body"]) == (
        "the original text",
        "the estonian text",
        "the french text",
    )
    assert body["head"]["number"] == 3 and body["base"]["digest"] == v["digest"]
    assert await version_count(world, cid) == before


async def test_edit_against_a_delete_conflicts(world) -> None:
    v, ee, fr = await two_party(world, sections=[section("A", "text"), section("B")])
    cid = v["communique"]
    a, b = editable(v)
    await save(world.client, ee, cid, v["digest"], sections=[b])
    response = await world.client.post(
        f"{BASE}/{cid}/versions", json={"sections": [dict(a, body="changed"), b]}, headers=fr | if_match(v["digest"])
    )
    body = await problem(response, 409, "merge_conflict")
    assert [(c["kind"], c["theirs"]) for c in body["conflicts"]] == [("edit_delete", None)]


async def test_concurrent_title_changes_conflict_but_one_sided_ones_merge(world) -> None:
    v, ee, fr = await two_party(world)
    cid = v["communique"]
    await save(world.client, ee, cid, v["digest"], title="Estonian title")
    body = await problem(
        await world.client.post(
            f"{BASE}/{cid}/versions", json={"title": "French title"}, headers=fr | if_match(v["digest"])
        ),
        409,
        "merge_conflict",
    )
    assert body["conflicts"][0]["part"] == "title"
    merged = await save(world.client, fr, cid, v["digest"], sections=[dict(editable(v)[0], body="new")])
    assert merged["title"] == "Estonian title"


async def test_frozen_communique_cannot_be_edited(world) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    async with world.sessions.begin() as session:
        (await session.get(Communique, cid)).state = "released"
    await problem(
        await world.client.post(f"{BASE}/{cid}/versions", json={"title": "x"}, headers=ee | if_match(v["digest"])),
        409,
        "communique_frozen",
    )


async def test_limits_on_sections_and_unknown_ids_are_enforced(world, settings) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    too_many = [section(f"S{i}") for i in range(settings.limits.max_sections + 1)]
    await problem(
        await world.client.post(
            f"{BASE}/{cid}/versions", json={"sections": too_many}, headers=ee | if_match(v["digest"])
        ),
        422,
        "too_many_sections",
    )
    body = await problem(
        await world.client.post(
            f"{BASE}/{cid}/versions",
            json={"sections": [section("S", id="made-up")]},
            headers=ee | if_match(v["digest"]),
        ),
        422,
        "unknown_item",
    )
    assert body["field"] == "/sections/0/id"


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        "hello <b>bold</b>",
        "[click](javascript:alert(1))",
        "<javascript:alert(1)>",
        "![x](data:text/html,boom)",
    ],
)
async def test_markdown_carrying_html_or_script_is_refused_and_nothing_changes(world, body) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    response = await world.client.post(
        f"{BASE}/{cid}/versions",
        json={"sections": [dict(editable(v)[0], body=body)]},
        headers=ee | if_match(v["digest"]),
    )
    problem_body = await problem(response, 422, "markdown_unsafe")
    assert problem_body["field"] == "/sections/0/body"
    assert await version_count(world, cid) == 2


# --- markings and originator control ------------------------------------------------------------


async def test_marking_naming_a_party_not_taking_part_is_refused(world) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    response = await world.client.post(
        f"{BASE}/{cid}/versions", json={"sections": [section("S", to=["EU"])]}, headers=ee | if_match(v["digest"])
    )
    body = await problem(response, 422, "marking_party_not_participating")
    assert body["field"] == "/sections/0/marking/releasable_to"


async def test_only_the_originating_party_may_widen_a_restricted_section_and_anyone_may_narrow(world) -> None:
    v, ee, fr = await two_party(world)
    cid = v["communique"]
    v3 = await save(world.client, ee, cid, v["digest"], sections=[section("Shared", "both", to=["EE", "FR"])])
    (shared,) = editable(v3)
    assert shared["marking"]["releasable_to"] == ["EE", "FR"]
    widen = dict(shared, marking={"public": True})
    await problem(
        await world.client.post(
            f"{BASE}/{cid}/versions", json={"sections": [widen]}, headers=fr | if_match(v3["digest"])
        ),
        403,
        "marking_widen_forbidden",
    )
    assert await version_count(world, cid) == 3
    narrowed = await save(
        world.client, fr, cid, v3["digest"], sections=[dict(shared, marking={"releasable_to": ["FR"]})]
    )
    assert narrowed["sections"][0]["marking"] == {"public": False, "releasable_to": ["EE", "FR"], "tlp": "TLP:AMBER"}
    only_ee = await save(
        world.client,
        ee,
        cid,
        narrowed["digest"],
        sections=[dict(editable(narrowed)[0], marking={"releasable_to": ["EE"]})],
    )
    assert only_ee["sections"][0]["marking"]["tlp"] == "TLP:RED"
    public = await save(
        world.client, ee, cid, only_ee["digest"], sections=[dict(editable(only_ee)[0], marking={"public": True})]
    )
    assert public["sections"][0]["marking"]["tlp"] == "TLP:CLEAR"


async def test_sections_a_drafter_cannot_see_survive_its_save_in_place(world) -> None:
    v, ee, fr = await two_party(
        world, sections=[section("A"), section("EE eyes only", "ee secret", to=["EE"]), section("B")]
    )
    cid = v["communique"]
    fr_view = await head(world.client, fr, cid)
    assert [s["heading"] for s in fr_view["sections"]] == ["A", "B"]
    a, b = editable(fr_view)
    saved = await save(world.client, fr, cid, fr_view["digest"], sections=[a, dict(b, body="fr text")])
    assert "ee secret" not in json.dumps(saved) and saved["withheld"]["sections"] == 1
    ee_view = await head(world.client, ee, cid)
    assert [s["heading"] for s in ee_view["sections"]] == ["A", "EE eyes only", "B"]
    assert ee_view["sections"][1]["body"] == "ee secret"


async def test_invisible_section_id_answers_like_an_unknown_one(world) -> None:
    v, ee, fr = await two_party(world, sections=[section("EE eyes only", "x", to=["EE"])])
    cid = v["communique"]
    hidden_id = (await head(world.client, ee, cid))["sections"][0]["id"]
    fr_view = await head(world.client, fr, cid)
    hidden = await world.client.post(
        f"{BASE}/{cid}/versions",
        json={"sections": [section("S", id=hidden_id)]},
        headers=fr | if_match(fr_view["digest"]),
    )
    unknown = await world.client.post(
        f"{BASE}/{cid}/versions",
        json={"sections": [section("S", id="s-0000000000")]},
        headers=fr | if_match(fr_view["digest"]),
    )
    a, b = await problem(hidden, 422, "unknown_item"), await problem(unknown, 422, "unknown_item")
    assert a["detail"].replace(hidden_id, "X") == b["detail"].replace("s-0000000000", "X")


# --- history, diffs, comments ------------------------------------------------------------------------


async def test_history_lists_every_version_newest_first_and_any_version_is_readable(world) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    v3 = await save(world.client, ee, cid, v["digest"], title="Second title")
    history = await (await world.client.get(f"{BASE}/{cid}/versions", headers=ee)).json()
    assert [h["number"] for h in history] == [3, 2, 1]
    assert history[0]["prev"] == v["digest"] and history[0]["digest"] == v3["digest"]
    by_digest = await world.client.get(f"{BASE}/{cid}/versions/{v['digest']}", headers=ee)
    assert (await by_digest.json())["number"] == 2
    assert (await world.client.get(f"{BASE}/{cid}/versions/99", headers=ee)).status == 404


async def test_diff_shows_word_changes_marking_changes_and_never_a_section_the_reader_cannot_see(world) -> None:
    v, ee, fr = await two_party(
        world, sections=[section("A", "we condemn the attack"), section("Hidden", "ee only words", to=["EE"])]
    )
    cid = v["communique"]
    ee_view = await head(world.client, ee, cid)
    a, hidden = editable(ee_view)
    v3 = await save(
        world.client,
        ee,
        cid,
        ee_view["digest"],
        sections=[
            dict(a, body="we firmly condemn the attack", marking={"releasable_to": ["EE", "FR"]}),
            dict(hidden, body="ee only changed words"),
        ],
    )
    ee_diff = await (await world.client.get(f"{BASE}/{cid}/diff/2/{v3['number']}", headers=ee)).json()
    fr_diff = await (await world.client.get(f"{BASE}/{cid}/diff/2/head", headers=fr)).json()
    assert [d["change"] for d in ee_diff["sections"]] == ["changed", "changed"]
    (only,) = fr_diff["sections"]
    assert only["body"] == [["=", "we "], ["+", "firmly "], ["=", "condemn the attack"]]
    assert only["marking_from"]["tlp"] == "TLP:CLEAR" and only["marking_to"]["tlp"] == "TLP:AMBER"
    assert "ee only" not in json.dumps(fr_diff) and "Hidden" not in json.dumps(fr_diff)


async def test_comment_threads_follow_their_section_marking_and_resolve(world) -> None:
    v, ee, fr = await two_party(world, sections=[section("Public"), section("EE only", "x", to=["EE"])])
    cid = v["communique"]
    public_id, hidden_id = [s["id"] for s in (await head(world.client, ee, cid))["sections"]]
    first = await world.client.post(
        f"{BASE}/{cid}/sections/{public_id}/comments", json={"body": "Too strong?"}, headers=fr
    )
    assert first.status == 201
    thread = (await first.json())["id"]
    reply = await world.client.post(
        f"{BASE}/{cid}/sections/{public_id}/comments", json={"body": "Agreed", "reply_to": thread}, headers=ee
    )
    assert (await reply.json())["thread"] == thread
    secret = await world.client.post(
        f"{BASE}/{cid}/sections/{hidden_id}/comments", json={"body": "ee note"}, headers=ee
    )
    assert secret.status == 201
    fr_comments = await (await world.client.get(f"{BASE}/{cid}/comments", headers=fr)).json()
    assert [c["body"] for c in fr_comments] == ["Too strong?", "Agreed"]
    hidden_comment = (await secret.json())["id"]
    a = await world.client.post(f"{BASE}/{cid}/sections/{hidden_id}/comments", json={"body": "?"}, headers=fr)
    b = await world.client.post(f"{BASE}/{cid}/sections/s-nothing/comments", json={"body": "?"}, headers=fr)
    assert (await problem(a, 404, "not_found"))["detail"].replace(hidden_id, "X") == (
        await problem(b, 404, "not_found")
    )["detail"].replace("s-nothing", "X")
    await problem(
        await world.client.post(f"{BASE}/{cid}/comments/{hidden_comment}/resolve", headers=fr), 404, "not_found"
    )
    resolved = await world.client.post(f"{BASE}/{cid}/comments/{thread}/resolve", headers=fr)
    assert (await resolved.json())["resolved_by"] == "fr.drafter"
    await problem(
        await world.client.post(f"{BASE}/{cid}/comments/{thread}/resolve", headers=ee), 409, "already_resolved"
    )
    await problem(
        await world.client.post(
            f"{BASE}/{cid}/sections/{public_id}/comments", json={"body": "<img src=x onerror=alert(1)>"}, headers=ee
        ),
        422,
        "markdown_unsafe",
    )


async def test_narrowing_a_section_hides_its_comment_thread(world) -> None:
    v, ee, fr = await two_party(world, sections=[section("Shared", "x", to=["EE", "FR"])])
    cid = v["communique"]
    sid = v["sections"][0]["id"]
    await world.client.post(f"{BASE}/{cid}/sections/{sid}/comments", json={"body": "fr remark"}, headers=fr)
    await save(world.client, ee, cid, v["digest"], sections=[dict(editable(v)[0], marking={"releasable_to": ["EE"]})])
    assert await (await world.client.get(f"{BASE}/{cid}/comments", headers=fr)).json() == []
    assert len(await (await world.client.get(f"{BASE}/{cid}/comments", headers=ee)).json()) == 1


async def test_non_drafters_cannot_save_and_press_cannot_read(world) -> None:
    v, ee, _ = await two_party(world)
    cid = v["communique"]
    signatory = await world.token("ee.signatory")
    await problem(
        await world.client.post(
            f"{BASE}/{cid}/versions", json={"title": "x"}, headers=signatory | if_match(v["digest"])
        ),
        403,
        "role_required",
    )
    async with world.sessions.begin() as session:
        from entente import auth

        await auth.create_user(
            session,
            username="ee.press",
            display_name="Press",
            party="EE",
            roles=[Role.PRESS],
            password=None,
            now=world.clock(),
        )
    press = await world.token("ee.press")
    await problem(await world.client.get(f"{BASE}/{cid}", headers=press), 404, "not_found")


async def test_every_change_is_audited_without_section_text(world) -> None:
    from entente import audit

    v, ee, _ = await two_party(world, sections=[section("S", "confidential wording")])
    await save(world.client, ee, v["communique"], v["digest"], title="t2")
    async with world.sessions() as session:
        entries = await audit.list_entries(session, limit=50)
        report = await audit.verify_chain(session)
    events = [e.event for e in entries]
    assert {"drafting:communique:add", "drafting:participant:accept", "drafting:version:add"} <= set(events)
    assert report.ok
    assert "confidential wording" not in json.dumps([e.details for e in entries])


async def test_a_conflict_is_resolved_by_resubmitting_its_proposal_against_the_head(world) -> None:
    v, ee, fr = await two_party(world, sections=[section("A", "a0"), section("B", "b0"), section("C", "c0")])
    cid = v["communique"]
    a, b, c = editable(v)
    await save(world.client, ee, cid, v["digest"], sections=[dict(a, body="a-ee"), dict(b, body="b-ee"), c])
    response = await world.client.post(
        f"{BASE}/{cid}/versions",
        json={"sections": [a, dict(b, body="b-fr"), dict(c, body="c-fr")]},
        headers=fr | if_match(v["digest"]),
    )
    body = await problem(response, 409, "merge_conflict")
    proposed = body["proposal"]["sections"]
    assert [s["body"] for s in proposed] == ["a-ee", "b-fr", "c-fr"]
    resolved = await save(world.client, fr, cid, body["head"]["digest"], sections=proposed)
    assert [s["body"] for s in resolved["sections"]] == ["a-ee", "b-fr", "c-fr"]
    assert [s["id"] for s in resolved["sections"]] == [a["id"], b["id"], c["id"]]


async def test_a_communique_started_from_an_incident_uses_the_partys_decided_tier(world) -> None:
    from entente.appkeys import ladder_key
    from entente.auth import Caller
    from entente.incidents.decisions import decide_tier
    from entente.incidents.lifecycle import open_incident
    from entente.models import IncidentCreate

    ladder = world.client.app[ladder_key]
    drafter = Caller(0, "ee.drafter", "", "EE", frozenset({Role.DRAFTER}), "token")
    async with world.sessions.begin() as session:
        incident = await open_incident(
            session,
            caller=drafter,
            data=IncidentCreate(title="Grid outage", participants=["FR"]),
            ladder=ladder,
            now=world.clock(),
        )
    ee = await world.token("ee.drafter")
    params = {
        "activity": "probing of grid operators",
        "first_observed": "2026-10-01",
        "sectors": ["energy"],
        "summary": "Probing.",
        "mitigations": ["Patch."],
    }
    body = {
        "kind": "joint_statement",
        "title": "Advisory",
        "participants": ["FR"],
        "incident": incident.id,
        "template": "joint-advisory",
        "params": params,
    }
    await problem(await world.client.post(BASE, json=body, headers=ee), 409, "tier_not_decided")
    async with world.sessions.begin() as session:
        await decide_tier(
            session,
            incident_id=incident.id,
            caller=drafter,
            tier=1,
            justification="probing only",
            ladder=ladder,
            now=world.clock(),
        )
    v1 = await create(
        world.client,
        ee,
        **{k: v for k, v in body.items() if k not in ("title", "participants")},
        title="Advisory",
        participants=["FR"],
    )
    assert v1["template"] == {"id": "joint-advisory", "version": 1, "digest": v1["template"]["digest"], "tier": 1}
    communique = await (await world.client.get(f"{BASE}/{v1['communique']}", headers=ee)).json()
    assert communique["incident"] == incident.id
    lv_incident = dict(body, incident=incident.id + 1)
    await problem(await world.client.post(BASE, json=lv_incident, headers=ee), 404, "not_found")


@pytest.fixture
def short_busy_timeout(monkeypatch):
    """A SQLite writer gives up waiting for the lock after 20 ms instead of 10 s: contention made cheap."""
    from entente import db

    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 20)


async def test_twenty_concurrent_saves_from_one_base_merge_conflict_or_ask_to_retry_never_500(
    short_busy_timeout, world
) -> None:
    import asyncio

    v, ee, fr = await two_party(world, sections=[section(f"S{i}", "text") for i in range(20)])
    cid = v["communique"]
    sections = editable(v)
    before = await version_count(world, cid)

    async def save_one(index: int):
        target = index % 12  # some saves touch the same section: those conflict
        changed = [dict(s, body=f"edit {index}") if n == target else s for n, s in enumerate(sections)]
        headers = (ee if index % 2 else fr) | if_match(v["digest"])
        response = await world.client.post(f"{BASE}/{cid}/versions", json={"sections": changed}, headers=headers)
        return response.status, response.headers.get("Retry-After"), await response.text()

    results = await asyncio.gather(*(save_one(i) for i in range(20)))
    assert all(status in (201, 409, 503) for status, _, _ in results), [(s, t[:300]) for s, _, t in results]
    assert all(retry and int(retry) >= 1 for status, retry, _ in results if status == 503)
    saved = sum(1 for status, _, _ in results if status == 201)
    assert saved >= 1
    assert await version_count(world, cid) == before + saved
