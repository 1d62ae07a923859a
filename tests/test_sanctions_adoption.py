"""Each party's adoption of a designation: proposed, adopted, declined, lifted, and the rules between them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from entente.disclosure import Marking
from entente.errors import ConflictError, InvalidInputError, NotFoundError
from entente.sanctions import (
    TRANSITIONS,
    AdoptionState,
    Designation,
    adopt,
    decline,
    lift_for_party,
    propose_to,
    reconsider,
    set_legal_basis,
)

PACKAGE = json.loads((Path(__file__).parent / "data" / "sanctions" / "package.json").read_text(encoding="utf-8"))
AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
ON = date(2026, 11, 27)


@pytest.fixture
def designation() -> Designation:
    return Designation.from_annex_content(PACKAGE["designations"][0])


def test_adopting_records_the_legal_act_and_keeps_the_legal_basis(designation: Designation) -> None:
    adopted = adopt(designation, party="FR", legal_act="Arrêté du 27 novembre 2026", on=ON, at=AT)
    position = adopted.position("FR")
    assert position is not None
    assert (position.state, position.legal_act, position.adopted_on) == (
        AdoptionState.ADOPTED,
        "Arrêté du 27 novembre 2026",
        ON,
    )
    assert position.legal_basis == "Code monétaire et financier, article L. 562-2"
    assert adopted.version == designation.version + 1 and adopted.version_at == AT
    assert designation.position("FR").state is AdoptionState.PROPOSED  # the old version is untouched


def test_adopting_needs_a_legal_act(designation: Designation) -> None:
    with pytest.raises(InvalidInputError) as caught:
        adopt(designation, party="FR", legal_act="  ", on=ON, at=AT)
    assert caught.value.field == "/parties/1/legal_act"


def test_declining_needs_a_date_and_a_reason(designation: Designation) -> None:
    declined = decline(designation, party="EU", on=ON, reason="No listing criterion met under EU law.", at=AT)
    assert declined.position("EU").state is AdoptionState.DECLINED
    with pytest.raises(InvalidInputError):
        decline(designation, party="EU", on=ON, reason="", at=AT)


def test_lifting_is_only_possible_after_adopting(designation: Designation) -> None:
    with pytest.raises(ConflictError) as caught:
        lift_for_party(designation, party="EE", on=ON, at=AT)
    assert caught.value.code == "adoption_transition"
    assert "from proposed to lifted" in caught.value.detail
    adopted = adopt(designation, party="EE", legal_act="RT I, 27.11.2026, 1", on=ON, at=AT)
    lifted = lift_for_party(adopted, party="EE", on=ON + timedelta(days=30), at=AT + timedelta(days=30))
    position = lifted.position("EE")
    assert (position.state, position.legal_act, position.adopted_on, position.lifted_on) == (
        AdoptionState.LIFTED,
        "RT I, 27.11.2026, 1",
        ON,
        ON + timedelta(days=30),
    )
    with pytest.raises(ConflictError, match="final"):
        adopt(lifted, party="EE", legal_act="again", on=ON, at=AT + timedelta(days=31))


def test_a_lift_cannot_predate_the_adoption(designation: Designation) -> None:
    adopted = adopt(designation, party="EE", legal_act="RT I, 27.11.2026, 1", on=ON, at=AT)
    with pytest.raises(InvalidInputError, match="before adopted_on"):
        lift_for_party(adopted, party="EE", on=ON - timedelta(days=1), at=AT)


def test_a_party_that_declined_may_adopt_later_or_reconsider(designation: Designation) -> None:
    declined = decline(designation, party="FR", on=ON, reason="Pending national review.", at=AT)
    adopted = adopt(declined, party="FR", legal_act="Arrêté n° 2", on=ON + timedelta(days=7), at=AT)
    position = adopted.position("FR")
    assert position.state is AdoptionState.ADOPTED and position.reason is None and position.declined_on is None
    assert reconsider(declined, party="FR", at=AT).position("FR").state is AdoptionState.PROPOSED
    with pytest.raises(ConflictError):
        decline(adopted, party="FR", on=ON, reason="changed mind", at=AT)


def test_a_party_without_a_position_starts_from_proposed(designation: Designation) -> None:
    adopted = adopt(designation, party="LV", legal_act="Cabinet Order 1", on=ON, at=AT)
    assert [p.party for p in adopted.parties] == ["EE", "FR", "EU", "LV"]
    proposed = propose_to(designation, party="LT", legal_basis="Law on sanctions", at=AT)
    assert proposed.position("LT").state is AdoptionState.PROPOSED
    with pytest.raises(ConflictError):
        propose_to(designation, party="EE", at=AT)


def test_the_legal_basis_can_be_recorded_until_lifted(designation: Designation) -> None:
    changed = set_legal_basis(designation, party="EU", legal_basis="Council Regulation (EU) 2019/796", at=AT)
    assert changed.position("EU").legal_basis == "Council Regulation (EU) 2019/796"
    adopted = adopt(designation, party="EU", legal_act="Implementing Regulation 2026/1", on=ON, at=AT)
    lifted = lift_for_party(adopted, party="EU", on=ON, at=AT)
    with pytest.raises(ConflictError):
        set_legal_basis(lifted, party="EU", legal_basis="x", at=AT)


def test_a_party_that_may_not_see_the_designation_cannot_adopt_it(designation: Designation) -> None:
    marking = Marking.releasable_to({"FR"}, author="EE")
    with pytest.raises(NotFoundError) as caught:
        adopt(designation, party="EU", legal_act="x", on=ON, at=AT, marking=marking)
    assert caught.value.code == "not_found"
    adopted = adopt(designation, party="FR", legal_act="Arrêté", on=ON, at=AT, marking=marking)
    assert adopted.position("FR").state is AdoptionState.ADOPTED


def test_transitions_form_the_documented_graph() -> None:
    assert TRANSITIONS[AdoptionState.PROPOSED] == {AdoptionState.ADOPTED, AdoptionState.DECLINED}
    assert TRANSITIONS[AdoptionState.ADOPTED] == {AdoptionState.LIFTED}
    assert TRANSITIONS[AdoptionState.LIFTED] == frozenset()


def test_three_parties_adopt_a_package_and_one_declines_one_designation() -> None:
    package = [Designation.from_annex_content(item) for item in PACKAGE["designations"]]
    acts = {"EE": "RT I, 01.12.2026, 3", "FR": "Arrêté du 1er décembre 2026", "EU": "Council Implementing Reg. 2026/9"}
    signed = []
    for designation in package:
        for party in PACKAGE["parties"]:
            if party == "FR" and designation.id == "D-008":
                designation = decline(
                    designation, party="FR", on=ON, reason="Outside the scope of the national regime.", at=AT
                )
            else:
                designation = adopt(designation, party=party, legal_act=acts[party], on=ON, at=AT)
        signed.append(designation)
    states = {(d.id, p.party): p.state for d in signed for p in d.parties}
    assert states[("D-008", "FR")] is AdoptionState.DECLINED
    assert sum(state is AdoptionState.ADOPTED for state in states.values()) == 29
