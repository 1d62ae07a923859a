"""Who sees what of an incident: the container gate (participants and the secretariat), evidence and
attribution markings through disclosure.may_see, and 404s that say nothing about what is hidden."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import pytest
from hypothesis import strategies as st

from tests.support.backends import on_both_backends
from tests.support.incidents import TIER_3, Desk
from tests.support.pages import browser

AUTHORS = {"EE": "ee.drafter", "FR": "fr.drafter", "EU": "eu.signatory"}
VIEWERS = {
    "ee.drafter": "EE",
    "fr.drafter": "FR",
    "eu.signatory": "EU",
    "eu.secretariat": "EU",
    "ee.oversight": "EE",  # oversight reads what its party may read, nothing more
    "fr.oversight": "FR",
    None: None,
}
SECRETARIAT = "eu.secretariat"


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


async def page_cookie(world, username: str) -> dict[str, str]:
    """The session cookie header of ``username`` signed in through the pages' own sign-in."""
    return (await browser(world, username)).headers


def evidence_body(marker: str, marking: dict) -> dict:
    return {
        "kind": "technical_data",
        "title": f"title {marker}",
        "body": f"**body** {marker}",
        "source": f"source {marker}",
        "marking": marking,
    }


# --- the property: no marked text reaches a party it is not releasable to ----------------------------


@dataclass(frozen=True)
class Item:
    marker: str
    participants: frozenset[str]
    public: bool
    parties: frozenset[str]

    def visible_to(self, user: str | None) -> bool:
        party = VIEWERS[user]
        if party is None or not (party in self.participants or user == SECRETARIAT):
            return False
        return self.public or party in self.parties


def markings(participants: list[str]) -> st.SearchStrategy:
    return st.one_of(st.just(None), st.sets(st.sampled_from(participants)))  # None: public


@st.composite
def scenarios(draw: st.DrawFn) -> dict:
    participants = ["EE", *sorted(draw(st.sets(st.sampled_from(["FR", "EU"]))))]
    evidence = draw(st.lists(st.tuples(st.sampled_from(participants), markings(participants)), min_size=1, max_size=4))
    attributions = draw(st.dictionaries(st.sampled_from(participants), markings(participants)))
    narrow = draw(
        st.one_of(
            st.none(),
            st.tuples(
                st.integers(0, len(evidence) - 1), st.sets(st.sampled_from(participants)), st.sampled_from(participants)
            ),
        )
    )
    return {"participants": participants, "evidence": evidence, "attributions": attributions, "narrow": narrow}


def wire(marking: set[str] | None) -> dict:
    return {"public": True} if marking is None else {"releasable_to": sorted(marking)}


def expected(marking: set[str] | None, author: str, participants: list[str], marker: str) -> Item:
    parties = frozenset() if marking is None else frozenset(marking | {author})
    return Item(marker, frozenset(participants), marking is None, parties)


@pytest.fixture
async def seen(world) -> dict:
    """Items created across Hypothesis examples (all are checked at every example) and page cookies."""
    return {"items": [], "cookies": {user: await page_cookie(world, user) for user in VIEWERS if user}}


async def _no_marked_text_reaches_a_party_it_is_not_releasable_to(desk, seen, scenario) -> None:
    participants = scenario["participants"]
    incident = await desk.open(participants=participants[1:], title="property incident")
    base = f"/api/v1/incidents/{incident['id']}"
    created: list[tuple[int, Item, str]] = []
    for author, marking in scenario["evidence"]:
        marker = f"EVD{uuid.uuid4().hex}"
        _, evidence = await desk.call(
            AUTHORS[author], "POST", f"{base}/evidence", evidence_body(marker, wire(marking)), status=201
        )
        created.append((evidence["id"], expected(marking, author, participants, marker), author))
    attribution_items = []
    for party, marking in scenario["attributions"].items():
        marker = f"ATT{uuid.uuid4().hex}"
        body = {
            "suspected_actor": f"actor {marker}",
            "confidence": "likely",
            "reasoning": f"why {marker}",
            "marking": wire(marking),
        }
        await desk.call(AUTHORS[party], "PUT", f"{base}/attribution", body, status=200)
        attribution_items.append(expected(marking, party, participants, marker))
    if scenario["narrow"] is not None:
        index, subset, actor = scenario["narrow"]
        evidence_id, item, author = created[index]
        if item.visible_to(AUTHORS[actor]):
            narrower = (set(participants) if item.public else set(item.parties)) & subset
            response, _ = await desk.call(
                AUTHORS[actor], "PUT", f"{base}/evidence/{evidence_id}/marking", {"marking": wire(narrower)}
            )
            assert response.status in (200, 204)
            created[index] = (evidence_id, expected(narrower, author, participants, item.marker), author)
    seen["items"].extend(item for _, item, _ in created)
    seen["items"].extend(attribution_items)

    for user in VIEWERS:
        headers = await desk.headers(user)
        cookie = seen["cookies"].get(user, {})
        texts = []
        paths = [
            "/api/v1/incidents",
            base,
            f"{base}/evidence",
            f"{base}/history",
            f"{base}/de-escalation",
            "/api/v1/oversight/report",
            "/api/v1/audit?limit=1000",
            *(f"{base}/evidence/{evidence_id}" for evidence_id, _, _ in created),
        ]
        for path in paths:
            response = await desk.world.client.get(path, headers=headers)
            texts.append(await response.text())
        for path in ("/oversight", "/incidents", f"/incidents/{incident['id']}"):
            response = await desk.world.client.get(path, headers=cookie, allow_redirects=False)
            texts.append(await response.text())
        everything = "\n".join(texts)
        for item in seen["items"]:
            if not item.visible_to(user):
                assert item.marker not in everything, (user, item)
        # Not vacuous: what the viewer may see of this incident is all there, in the JSON and on the page.
        for evidence_id, item, _ in created:
            response = await desk.world.client.get(f"{base}/evidence/{evidence_id}", headers=headers)
            assert response.status == (200 if item.visible_to(user) else 401 if user is None else 404)
            if item.visible_to(user):
                assert item.marker in texts[1] and item.marker in texts[-1]
        for item in attribution_items:
            if item.visible_to(user):
                assert item.marker in texts[1] and item.marker in texts[-1]


(
    test_no_marked_text_reaches_a_party_it_is_not_releasable_to,
    test_no_marked_text_reaches_a_party_it_is_not_releasable_to_on_postgresql,
) = on_both_backends(
    _no_marked_text_reaches_a_party_it_is_not_releasable_to, examples=12, strategies={"scenario": scenarios()}
)


# --- 404s that reveal nothing -------------------------------------------------------------------------


async def compare(desk: Desk, user: str | None, method: str, hidden: str, missing: str, json=None) -> None:
    """The answer for something hidden equals the answer for something missing: status, headers, body."""
    assert len(hidden) == len(missing)
    headers = await desk.headers(user)
    a = await desk.world.client.request(method, hidden, json=json, headers=headers, allow_redirects=False)
    b = await desk.world.client.request(method, missing, json=json, headers=headers, allow_redirects=False)
    assert a.status == b.status and a.status in (401, 404), await a.text()
    assert {k: v for k, v in a.headers.items() if k != "Date"} == {k: v for k, v in b.headers.items() if k != "Date"}
    body_a, body_b = await a.text(), await b.text()
    assert body_a.replace(hidden, "PATH") == body_b.replace(missing, "PATH")


def missing_like(number: int) -> int:
    return number ^ 1  # same number of digits, and (with random 31-bit ids) never used in these tests


async def test_an_incident_of_other_parties_answers_exactly_like_a_missing_one(desk) -> None:
    hidden = await desk.open(participants=[])  # EE only
    assert (await desk.call(SECRETARIAT, "GET", f"/api/v1/incidents/{missing_like(hidden['id'])}"))[0].status == 404
    h, m = hidden["id"], missing_like(hidden["id"])
    for method, suffix, body in [
        ("GET", "", None),
        ("GET", "/history", None),
        ("GET", "/evidence", None),
        ("GET", "/evidence/123", None),
        ("PATCH", "", {"title": "x", "version": 1}),
        ("POST", "/evidence", evidence_body("x", {"public": True})),
        ("POST", "/decisions", {"tier": 2, "justification": "x"}),
        ("POST", "/legal-reviews", {"tier": 3, "outcome": "cleared", "reviewer": "r", "conclusion": "c"}),
        (
            "PUT",
            "/attribution",
            {"suspected_actor": "a", "confidence": "likely", "reasoning": "r", "marking": {"public": True}},
        ),
        ("POST", "/participants", {"parties": ["FR"]}),
        ("POST", "/close", {}),
        ("POST", "/communique-drafts", {"template": "joint-advisory", "params": {}}),
    ]:
        for user in ("fr.drafter", "fr.signatory", "eu.signatory", None):
            await compare(desk, user, method, f"/api/v1/incidents/{h}{suffix}", f"/api/v1/incidents/{m}{suffix}", body)
    cookie = await page_cookie(desk.world, "fr.drafter")
    a = await desk.world.client.get(f"/incidents/{h}", headers=cookie)
    b = await desk.world.client.get(f"/incidents/{m}", headers=cookie)
    assert a.status == b.status == 404
    assert (await a.text()).replace(str(h), "ID") == (await b.text()).replace(str(m), "ID")
    await desk.get(SECRETARIAT, hidden)  # the secretariat sees every incident
    await desk.get("ee.comms", hidden)


async def test_evidence_a_participant_may_not_see_answers_exactly_like_missing_evidence(desk) -> None:
    incident = await desk.open(participants=["FR"])
    base = f"/api/v1/incidents/{incident['id']}"
    _, red = await desk.call(
        "ee.drafter", "POST", f"{base}/evidence", evidence_body("RED1", {"releasable_to": []}), status=201
    )
    assert red["marking"] == {"public": False, "releasable_to": ["EE"], "tlp": "TLP:RED"}
    h, m = f"{base}/evidence/{red['id']}", f"{base}/evidence/{missing_like(red['id'])}"
    await compare(desk, "fr.drafter", "GET", h, m)
    await compare(desk, "fr.drafter", "PUT", f"{h}/marking", f"{m}/marking", {"marking": {"releasable_to": []}})
    await compare(desk, SECRETARIAT, "GET", h, m)
    _, listed = await desk.call("fr.drafter", "GET", f"{base}/evidence", status=200)
    assert listed == []
    _, history = await desk.call("fr.drafter", "GET", f"{base}/history", status=200)
    assert [c["action"] for c in history] == ["incident:open"]
    _, everything = await desk.call("ee.signatory", "GET", f"{base}/history", status=200)
    assert [c["action"] for c in everything] == ["incident:open", "evidence:add"]
    assert (await desk.get("fr.drafter", incident))["version"] == 1  # the version does not betray it either


# --- markings: who may widen, narrow, and name whom -----------------------------------------------------


async def test_only_the_author_party_widens_and_any_participant_narrows(desk) -> None:
    incident = await desk.open(participants=["FR", "EU"])
    base = f"/api/v1/incidents/{incident['id']}"
    _, amber = await desk.call(
        "ee.drafter", "POST", f"{base}/evidence", evidence_body("AMB1", {"releasable_to": ["FR"]}), status=201
    )
    path = f"{base}/evidence/{amber['id']}/marking"
    for wider in ({"public": True}, {"releasable_to": ["FR", "EU"]}, {"releasable_to": ["EU"]}):
        _, problem = await desk.call("fr.drafter", "PUT", path, {"marking": wider}, status=403)
        assert problem["code"] == "widening_not_allowed"
    assert (await desk.call("fr.drafter", "GET", f"{base}/evidence/{amber['id']}"))[1]["version"] == 1
    await desk.call("fr.drafter", "PUT", path, {"marking": {"releasable_to": ["FR"]}, "version": 7}, status=409)
    response, _ = await desk.call("fr.signatory", "PUT", path, {"marking": {"releasable_to": []}, "version": 1})
    assert response.status == 204  # FR narrowed it out of its own sight
    await desk.call("fr.drafter", "GET", f"{base}/evidence/{amber['id']}", status=404)
    _, widened = await desk.call("ee.signatory", "PUT", path, {"marking": {"public": True}}, status=200)
    assert widened["marking"]["tlp"] == "TLP:CLEAR" and widened["version"] == 3
    _, seen = await desk.call("eu.signatory", "GET", f"{base}/evidence/{amber['id']}", status=200)
    assert seen["body"] == "**body** AMB1"
    _, history = await desk.call("eu.signatory", "GET", f"{base}/history", status=200)
    marks = [c["details"]["widened"] for c in history if c["action"] == "evidence:mark"]
    assert marks == [False, True]


async def test_markings_name_participating_parties_only(desk) -> None:
    incident = await desk.open(participants=["FR"])
    base = f"/api/v1/incidents/{incident['id']}"
    for marking, field, code in [
        ({"releasable_to": ["FR", "EU"]}, "/marking/releasable_to/1", "not_participating"),
        ({"releasable_to": ["XX"]}, "/marking/releasable_to/0", "not_participating"),
        ({"public": True, "releasable_to": ["FR"]}, "/marking", "invalid_input"),
        ({"releasable_to": "FR"}, "/marking/releasable_to", "invalid_input"),
        ({"audience": "all"}, "/marking/audience", "invalid_input"),
    ]:
        _, problem = await desk.call("ee.drafter", "POST", f"{base}/evidence", evidence_body("M", marking), status=422)
        assert (problem["field"], problem["code"]) == (field, code)
    await desk.call("ee.comms", "POST", f"{base}/evidence", evidence_body("M", {"public": True}), status=403)
    await desk.call("eu.secretariat", "POST", f"{base}/evidence", evidence_body("M", {"public": True}), status=403)
    _, listed = await desk.call("ee.drafter", "GET", f"{base}/evidence", status=200)
    assert listed == []


async def test_the_incident_page_shows_evidence_with_tlp_bands_to_those_who_may_see_it(desk) -> None:
    incident = await desk.open(participants=["FR"], metrics=TIER_3)
    base = f"/api/v1/incidents/{incident['id']}"
    for marker, marking in [
        ("CLEAR1", {"public": True}),
        ("AMBER1", {"releasable_to": ["FR"]}),
        ("RED1", {"releasable_to": []}),
    ]:
        await desk.call("ee.drafter", "POST", f"{base}/evidence", evidence_body(marker, marking), status=201)
    await desk.call(
        "ee.drafter",
        "POST",
        f"{base}/evidence",
        evidence_body("SCRIPT <script>alert(1)</script> [x](javascript:alert(1))", {"public": True}),
        status=201,
    )
    ee = await (
        await desk.world.client.get(f"/incidents/{incident['id']}", headers=await page_cookie(desk.world, "ee.drafter"))
    ).text()
    fr = await (
        await desk.world.client.get(f"/incidents/{incident['id']}", headers=await page_cookie(desk.world, "fr.drafter"))
    ).text()
    for band, label in [("band-clear", "TLP:CLEAR"), ("band-amber", "TLP:AMBER"), ("band-red", "TLP:RED")]:
        assert band in ee and label in ee
    assert "<strong>body</strong> RED1" in ee
    assert "CLEAR1" in fr and "AMBER1" in fr and "RED1" not in fr and "band-red" not in fr
    assert "<script>alert" not in ee and "&lt;script&gt;" in ee and 'href="javascript:' not in ee
    assert "Recommended: tier 3" in fr


async def test_secretariat_and_other_parties_see_only_what_is_releasable_to_their_party(desk) -> None:
    incident = await desk.open(participants=["FR", "EU"])
    base = f"/api/v1/incidents/{incident['id']}"
    bodies = {}
    for users, marking in itertools.product([("ee.drafter",)], [{"releasable_to": ["EU"]}, {"releasable_to": ["FR"]}]):
        _, item = await desk.call(
            users[0], "POST", f"{base}/evidence", evidence_body(str(marking), marking), status=201
        )
        bodies[item["id"]] = marking["releasable_to"][0]
    for user, party in [("eu.secretariat", "EU"), ("eu.signatory", "EU"), ("fr.drafter", "FR")]:
        _, listed = await desk.call(user, "GET", f"{base}/evidence", status=200)
        assert [bodies[e["id"]] for e in listed] == [party]


# --- after-action reviews: lessons reach only the parties they are releasable to, oversight included ----


@st.composite
def lesson_scenarios(draw: st.DrawFn) -> dict:
    participants = ["EE", *sorted(draw(st.sets(st.sampled_from(["FR", "EU"]))))]
    authors = {"EE": "ee.drafter", "FR": "fr.drafter", "EU": "eu.comms"}
    lessons = draw(
        st.lists(
            st.tuples(
                st.sampled_from(participants),
                st.sampled_from(["thresholds", "messages", "tools"]),
                markings(participants),
            ),
            min_size=1,
            max_size=4,
        )
    )
    return {"participants": participants, "authors": authors, "lessons": lessons}


async def _no_lesson_reaches_a_party_or_its_oversight_it_is_not_releasable_to(desk, seen, scenario) -> None:
    participants = scenario["participants"]
    incident = await desk.open(participants=participants[1:], title="lessons incident")
    base = f"/api/v1/incidents/{incident['id']}"
    await desk.call("ee.drafter", "POST", f"{base}/close", {"reason": "over"}, status=200)
    items = []
    for author, topic, marking in scenario["lessons"]:
        marker = f"LSN{uuid.uuid4().hex}"
        body = {"topic": topic, "body": f"lesson {marker}", "marking": wire(marking)}
        await desk.call(scenario["authors"][author], "POST", f"{base}/after-action/lessons", body, status=201)
        items.append(expected(marking, author, participants, marker))
    seen["items"].extend(items)
    for user in VIEWERS:
        headers = await desk.headers(user)
        texts = []
        for path in (f"{base}/after-action", f"{base}/history", "/api/v1/oversight/report", "/api/v1/incidents"):
            texts.append(await (await desk.world.client.get(path, headers=headers)).text())
        for path in (f"/incidents/{incident['id']}/after-action", "/oversight"):
            response = await desk.world.client.get(path, headers=seen["cookies"].get(user, {}), allow_redirects=False)
            texts.append(await response.text())
        everything = "\n".join(texts)
        for item in seen["items"]:
            if not item.visible_to(user):
                assert item.marker not in everything, (user, item)
        for item in items:  # not vacuous: what the viewer may see is there, in the JSON and on the page
            if item.visible_to(user):
                assert item.marker in texts[0] and item.marker in texts[4], (user, item)


(
    test_no_lesson_reaches_a_party_or_its_oversight_it_is_not_releasable_to,
    test_no_lesson_reaches_a_party_or_its_oversight_it_is_not_releasable_to_on_postgresql,
) = on_both_backends(
    _no_lesson_reaches_a_party_or_its_oversight_it_is_not_releasable_to,
    examples=8,
    strategies={"scenario": lesson_scenarios()},
)
