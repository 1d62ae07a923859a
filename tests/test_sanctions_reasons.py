"""A party's reason for declining a designation is its own text, marked like any text.

By default it is releasable to the package's participants only; it is public only when the party
chooses so, and never wider than the designation it is about. Hypothesis generates designations
(public or restricted) and declines with random reason markings, then every read path is probed as
every viewer (the parties of the package, a party outside it, and the public's view of the package):
no reason reaches a reader it is not releasable to. The ground truth comes from the stored version
objects and disclosures, never from the code under test.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from hypothesis import Phase, example
from hypothesis import strategies as st

from entente import parties
from entente.disclosure import Marking
from entente.models import Party, PartyKind, Role
from entente.sanctions import AdoptionState, Designation, decline
from entente.sanctions.chains import _public_designations
from tests.support.backends import on_both_backends
from tests.support.disclosure import VIEWERS, found, ground_truth
from tests.support.sanctions import DESIGNATIONS, SANCTIONS, Desk
from tests.support.world import PASSWORD, START, sign_in

SIGNATORIES = {"EE": "ee.signatory", "FR": "fr.signatory", "EU": "eu.signatory"}
counter = itertools.count()


@pytest.fixture
def desk(world) -> Desk:
    return Desk(world)


def test_declining_keeps_the_reason_with_its_own_marking_always_including_the_party() -> None:
    d = Designation.from_annex_content(DESIGNATIONS["D-002"] | {"proposed_by": "EE"})
    default = decline(d, party="FR", on=START.date(), reason="Not under our law.", at=START)
    assert default.position("FR").reason_marking == Marking.releasable_to(["FR"], author="FR")
    chosen = decline(
        d,
        party="FR",
        on=START.date(),
        reason="Not under our law.",
        at=START,
        reason_marking=Marking.releasable_to(["EE"], author="EE"),
    )
    assert chosen.position("FR").reason_marking.parties == {"EE", "FR"}


async def test_a_reason_is_releasable_to_the_participants_by_default_and_public_only_by_choice(desk) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002")
    await desk.add(pid, "D-003")
    path = f"{SANCTIONS}/{pid}/designations"
    await desk.call(
        "fr.signatory",
        "POST",
        f"{path}/D-002/adoption",
        {"party": "FR", "state": "declined", "reason": "Participants may read this."},
        status=200,
    )
    await desk.call(
        "eu.signatory",
        "POST",
        f"{path}/D-003/adoption",
        {"party": "EU", "state": "declined", "reason": "Anyone may read this.", "reason_marking": {"public": True}},
        status=200,
    )
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    positions = {d["designation"]["id"]: d["designation"]["parties"] for d in package["designations"]}
    fr = next(p for p in positions["D-002"] if p["party"] == "FR")
    assert fr["reason"] == "Participants may read this."
    assert fr["reason_marking"] == {"public": False, "releasable_to": ["EE", "EU", "FR"], "tlp": "TLP:AMBER"}
    # The public part (what is exported for the public and released) carries only the public reason.
    _, public = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}/export?format=csv&view=public", status=200)
    assert "Anyone may read this." in public and "Participants may read this." not in public
    async with desk.world.sessions() as session:
        shown = await _public_designations(session, pid)
    texts = [p.reason for d in shown for p in d.parties]
    assert "Anyone may read this." in texts and "Participants may read this." not in texts
    # A declined position whose reason a reader may not see reads as declined, without a reason.
    await desk.call(
        "fr.signatory",
        "POST",
        f"{path}/D-003/adoption",
        {"party": "FR", "state": "declined", "reason": "For FR alone.", "reason_marking": {"releasable_to": ["FR"]}},
        status=200,
    )
    _, package = await desk.call("ee.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    d003 = next(d for d in package["designations"] if d["designation"]["id"] == "D-003")
    fr = next(p for p in d003["designation"]["parties"] if p["party"] == "FR")
    assert fr["state"] == "declined" and "reason" not in fr
    _, package = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    d003 = next(d for d in package["designations"] if d["designation"]["id"] == "D-003")
    assert next(p for p in d003["designation"]["parties"] if p["party"] == "FR")["reason"] == "For FR alone."
    # An edit of the designation by a party that cannot see the reason keeps it, unread and unchanged.
    changed = copy.deepcopy(DESIGNATIONS["D-003"]) | {"reasons": "Edited by EE."}
    await desk.call("ee.drafter", "PUT", f"{path}/D-003", {"designation": changed, "confirm": True}, status=200)
    _, package = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    d003 = next(d for d in package["designations"] if d["designation"]["id"] == "D-003")
    assert next(p for p in d003["designation"]["parties"] if p["party"] == "FR")["reason"] == "For FR alone."


async def test_a_public_reason_on_a_restricted_designation_stays_within_the_designation(desk) -> None:
    pid = await desk.package()
    await desk.add(pid, "D-002", marking={"releasable_to": ["EE", "FR"]})
    await desk.call(
        "fr.signatory",
        "POST",
        f"{SANCTIONS}/{pid}/designations/D-002/adoption",
        {"party": "FR", "state": "declined", "reason": "Said in public.", "reason_marking": {"public": True}},
        status=200,
    )
    _, package = await desk.call("fr.drafter", "GET", f"{SANCTIONS}/{pid}", status=200)
    fr = next(p for p in package["designations"][0]["designation"]["parties"] if p["party"] == "FR")
    assert fr["reason_marking"]["releasable_to"] == ["EE", "FR"]
    _, eu = await desk.call("eu.secretariat", "GET", f"{SANCTIONS}/{pid}", status=200)
    assert "Said in public." not in str(eu)


# --- no reason reaches a reader it is not releasable to ----------------------------------------

reason_markings = st.one_of(
    st.none(), st.just("public"), st.sets(st.sampled_from(["EE", "FR", "EU"]), min_size=0, max_size=3)
)
histories = st.tuples(
    st.one_of(st.just("public"), st.sets(st.sampled_from(["EE", "FR", "EU"]), min_size=1, max_size=3)),
    st.lists(st.tuples(st.sampled_from(["EE", "FR", "EU"]), reason_markings), min_size=1, max_size=4),
)


def _marking(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"public": True} if value == "public" else {"releasable_to": sorted(value)}


async def _seed_latvia(world) -> None:
    async with world.sessions.begin() as session:
        if await session.get(Party, "LV") is None:
            latvia = parties.SeedParty(
                "LV",
                "Republic of Latvia",
                PartyKind.STATE,
                "Europe/Riga",
                (parties.SeedUser("lv.drafter", "LV", (Role.DRAFTER,)),),
            )
            await parties.seed_coalition(session, [latvia], password=PASSWORD, now=world.clock())


async def _probe(desk: Desk, user: str, pid: int) -> str:
    texts = []
    for path in (
        f"{SANCTIONS}/{pid}",
        f"{SANCTIONS}/{pid}/coordination",
        f"{SANCTIONS}/{pid}/export?format=csv",
        f"{SANCTIONS}/{pid}/export?format=eu-xml",
        f"{SANCTIONS}/{pid}/export?format=ofac-xml&view=public",
        f"/api/v1/communiques/{pid}/versions",
        f"/api/v1/communiques/{pid}/versions/head",
        f"/api/v1/communiques/{pid}/diff/1/head",
    ):
        response, body = await desk.call(user, "GET", path)
        assert response.status < 500, body
        texts.append(str(body))
    client = desk.world.client
    await sign_in(client, user)
    for path in (f"/sanctions/packages/{pid}", f"/communiques/{pid}", f"/communiques/{pid}/versions/head"):
        response = await client.get(path, allow_redirects=False)
        assert response.status < 500
        texts.append(await response.text())
    return "\n".join(texts)


@example(history=("public", [("FR", None), ("EU", "public"), ("EE", {"EE"})]))
@example(history=({"EE", "FR"}, [("FR", "public"), ("EE", set())]))
async def _no_reason_for_declining_reaches_a_reader_it_is_not_releasable_to(world, history) -> None:
    await _seed_latvia(world)
    desk = Desk(world)
    example_number = next(counter)
    designation_marking, declines = history
    pid = await desk.package()
    content = copy.deepcopy(DESIGNATIONS["D-002"]) | {"reasons": f"Statement TOK{example_number}x0B"}
    await desk.call(
        "ee.drafter",
        "POST",
        f"{SANCTIONS}/{pid}/designations",
        {"designation": content, "marking": _marking(designation_marking) or {"public": True}, "confirm": True},
        status=201,
    )
    for index, (party, marking) in enumerate(declines, start=1):
        body: dict[str, Any] = {"party": party, "state": "declined", "reason": f"Reason TOK{example_number}x{index}B"}
        if marking is not None:
            body["reason_marking"] = _marking(marking)
        path = f"{SANCTIONS}/{pid}/designations/D-002/adoption"
        response, answer = await desk.call(SIGNATORIES[party], "POST", path, body)
        sees = designation_marking == "public" or party in designation_marking | {"EE"}
        if not sees:  # a designation a party may not see does not exist for it
            assert response.status == 404, answer
            continue
        assert response.status in (200, 409), answer
        if response.status == 409:  # already declined: reconsider, then decline with this reason
            await desk.call(SIGNATORIES[party], "POST", path, {"party": party, "state": "proposed"}, status=200)
            await desk.call(SIGNATORIES[party], "POST", path, body, status=200)
    allowed, _, everything, _ = await ground_truth(world, pid)
    public_marked = await _public_tokens(world, pid)
    for party, user in VIEWERS.items():
        seen = found(await _probe(desk, user, pid))
        leaked = seen - allowed[party]
        assert not leaked, f"{party} saw {sorted(leaked)}; allowed {sorted(allowed[party])}"
        assert seen <= everything
    async with world.sessions() as session:
        shown = await _public_designations(session, pid)
    public_seen = found(" ".join(str(d.to_annex_content()) for d in shown))
    assert public_seen <= public_marked, f"the public would see {sorted(public_seen - public_marked)}"
    # The reasons' markings are what each party chose, narrowed to the designation's marking.
    for party, user in (("FR", "fr.drafter"), ("EU", "eu.secretariat"), ("EE", "ee.drafter")):
        _, package = await desk.call(user, "GET", f"{SANCTIONS}/{pid}", status=200)
        for placed in package["designations"]:
            for position in placed["designation"].get("parties", []):
                if position["state"] == AdoptionState.DECLINED and "reason" in position:
                    mark = position["reason_marking"]
                    assert mark.get("public") or position["party"] in mark["releasable_to"]
                    if designation_marking != "public":
                        assert not mark.get("public")
                        assert set(mark["releasable_to"]) <= designation_marking | {"EE", position["party"]}


(
    test_no_reason_for_declining_reaches_a_reader_it_is_not_releasable_to,
    test_no_reason_for_declining_reaches_a_reader_it_is_not_releasable_to_on_postgresql,
) = on_both_backends(
    _no_reason_for_declining_reaches_a_reader_it_is_not_releasable_to,
    examples=8,
    strategies={"history": histories},
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)


async def _public_tokens(world, pid: int) -> set[str]:
    """Tokens in items marked public in the head version (from the stored rows)."""
    import json

    import sqlalchemy as sa

    from entente import canonical
    from entente.models import Communique, CommuniqueVersion, VersionItem

    async with world.sessions() as session:
        communique = await session.get(Communique, pid)
        version = await session.scalar(
            sa.select(CommuniqueVersion).where(
                CommuniqueVersion.communique_id == pid, CommuniqueVersion.number == communique.head_number
            )
        )
        rows = (
            await session.execute(
                sa.select(VersionItem.disclosure, VersionItem.marking).where(VersionItem.version_id == version.id)
            )
        ).all()
    out: set[str] = set()
    for encoded, marking in rows:  # the stored marking (format 2 versions carry only its digest)
        disclosure = canonical.decode_disclosure(encoded)
        if marking.get("public"):
            out |= found(json.dumps(disclosure.value))
    return out
