"""Measures against the ladder, review dates, renew / amend / lift as new versions, and what was in force when."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente import ladder as L
from entente.errors import ConflictError, InvalidInputError
from entente.sanctions import (
    Designation,
    amend,
    check_measures,
    due_for_review,
    in_force,
    in_force_on,
    lift,
    release_record,
    renew,
    review_date,
    take_effect,
    version_at,
)
from entente.sanctions.parts import ReviewStep
from tests.support.examples import examples

REPO = Path(__file__).resolve().parents[1]
PACKAGE = json.loads((REPO / "tests" / "data" / "sanctions" / "package.json").read_text(encoding="utf-8"))
RELEASE = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def ladder() -> L.Ladder:
    return L.load_ladder(REPO / "config" / "ladder.toml")


@pytest.fixture(scope="module")
def package() -> list[Designation]:
    return [Designation.from_annex_content(item) for item in PACKAGE["designations"]]


def _with_measures(designation: Designation, *measures: str) -> Designation:
    return designation.evolve(measures=tuple(L.Measure(m) for m in measures), bump=False)


def test_measures_the_tier_allows_pass(ladder: L.Ladder, package: list[Designation]) -> None:
    for designation in package:
        check_measures(designation, ladder.tier(3))
        check_measures(designation, ladder.tier(4))


def test_a_measure_the_tier_does_not_allow_is_refused_with_its_pointer(
    ladder: L.Ladder, package: list[Designation]
) -> None:
    designation = _with_measures(package[0], "asset_freeze", "import_restrictions", "investment_restrictions")
    with pytest.raises(InvalidInputError) as caught:
        check_measures(designation, ladder.tier(3))
    error = caught.value
    assert error.code == "measure_not_allowed"
    assert error.field == "/measures/1"
    assert [e["field"] for e in error.extra["errors"]] == ["/measures/1", "/measures/2"]
    assert {e["reason"] for e in error.extra["errors"]} == {"measure not allowed at tier 3"}
    check_measures(designation, ladder.tier(4))


def test_tiers_without_sanctions_allow_no_measure(ladder: L.Ladder, package: list[Designation]) -> None:
    with pytest.raises(InvalidInputError, match="measure not allowed at tier 2"):
        check_measures(package[0], ladder.tier(2))


def test_an_allowed_set_without_a_tier_works_too(package: list[Designation]) -> None:
    check_measures(package[0], {L.Measure.ASSET_FREEZE, L.Measure.TRAVEL_BAN})
    with pytest.raises(InvalidInputError, match="not allowed here"):
        check_measures(package[0], [L.Measure.ASSET_FREEZE])


def test_a_designation_takes_effect_at_release_with_the_tier_review_period(
    ladder: L.Ladder, package: list[Designation]
) -> None:
    draft = package[0]
    effective = take_effect(draft, at=RELEASE, review_days=ladder.tier(3).review_days)
    assert effective.effective_at == RELEASE
    assert effective.review_at == RELEASE + timedelta(days=60) == review_date(RELEASE, 60)
    assert (effective.version, effective.version_at) == (2, RELEASE)
    assert draft.effective_at is None and draft.version == 1  # the draft is untouched
    with pytest.raises(ConflictError):
        take_effect(effective, at=RELEASE, review_days=60)


def test_review_periods_are_positive_whole_days() -> None:
    for bad in (0, -1, True):
        with pytest.raises(InvalidInputError):
            review_date(RELEASE, bad)  # type: ignore[arg-type]


def test_due_for_review_lists_soonest_first(package: list[Designation]) -> None:
    a = take_effect(package[0], at=RELEASE, review_days=60)
    b = take_effect(package[1], at=RELEASE, review_days=30)
    c = take_effect(package[2], at=RELEASE - timedelta(days=40), review_days=30)  # overdue
    d = take_effect(package[3], at=RELEASE, review_days=180)  # far off
    lifted = lift(take_effect(package[4], at=RELEASE, review_days=30), at=RELEASE + timedelta(days=1))
    now = RELEASE + timedelta(days=20)
    due = due_for_review([a, b, c, d, lifted, package[5]], now)
    assert [x.id for x in due] == [c.id, b.id]
    assert [x.id for x in due_for_review([a, b, c, d], now, within=timedelta(days=45))] == [c.id, b.id, a.id]


def test_renew_amend_and_lift_make_new_versions_and_keep_the_old(package: list[Designation]) -> None:
    v2 = take_effect(package[0], at=RELEASE, review_days=60)
    v3 = renew(v2, at=RELEASE + timedelta(days=50), review_days=60)
    assert v3.review_at == RELEASE + timedelta(days=120)  # the next period follows on
    v4 = amend(v3, at=RELEASE + timedelta(days=55), reasons="Reasons rewritten at review.")
    v5 = lift(v4, at=RELEASE + timedelta(days=90))
    assert [v.version for v in (v2, v3, v4, v5)] == [2, 3, 4, 5]
    assert v2.review_at == RELEASE + timedelta(days=60) and v3.reasons == package[0].reasons
    assert v5.lifted_at == RELEASE + timedelta(days=90) and v5.reasons == "Reasons rewritten at review."
    with pytest.raises(ConflictError):
        renew(v5, at=RELEASE + timedelta(days=91), review_days=60)
    with pytest.raises(ConflictError):
        lift(v5, at=RELEASE + timedelta(days=91))


def test_lifecycle_steps_need_a_designation_in_effect(package: list[Designation]) -> None:
    with pytest.raises(ConflictError, match="not taken effect"):
        renew(package[0], at=RELEASE, review_days=60)
    with pytest.raises(ConflictError):
        amend(package[0], at=RELEASE, reasons="x")


def test_amendments_leave_lifecycle_fields_alone(package: list[Designation]) -> None:
    effective = take_effect(package[0], at=RELEASE, review_days=60)
    with pytest.raises(InvalidInputError, match="review_at"):
        amend(effective, at=RELEASE, review_at=RELEASE + timedelta(days=900))
    with pytest.raises(InvalidInputError, match="no member"):
        amend(effective, at=RELEASE, colour="red")
    with pytest.raises(InvalidInputError):
        amend(effective, at=RELEASE)
    changed = amend(effective, at=RELEASE, nationalities=("RU", "BY"))
    assert changed.nationalities == ("RU", "BY")


def test_a_version_cannot_predate_the_previous_one(package: list[Designation]) -> None:
    effective = take_effect(package[0], at=RELEASE, review_days=60)
    with pytest.raises(ConflictError, match="predate"):
        amend(effective, at=RELEASE - timedelta(seconds=1), reasons="Earlier.")


def test_in_force_answers_for_any_instant(package: list[Designation]) -> None:
    draft = package[0]
    v2 = take_effect(draft, at=RELEASE, review_days=60)
    lapse = RELEASE + timedelta(days=60)
    v3 = renew(v2, at=lapse + timedelta(days=10), review_days=60)  # renewed ten days after it lapsed
    v4 = amend(v3, at=lapse + timedelta(days=20), reasons="Amended.")
    v5 = lift(v4, at=lapse + timedelta(days=40))
    history = [v5, draft, v3, v2, v4]  # any order
    assert in_force(history, RELEASE - timedelta(seconds=1)) is None
    assert in_force(history, RELEASE) == v2
    assert in_force(history, lapse - timedelta(seconds=1)) == v2
    assert in_force(history, lapse + timedelta(days=5)) is None  # the gap stays in the history
    assert in_force(history, lapse + timedelta(days=10)) == v3
    assert in_force(history, lapse + timedelta(days=25)) == v4
    assert in_force(history, lapse + timedelta(days=40)) is None
    assert version_at(history, lapse + timedelta(days=41)) == v5
    assert version_at(history, RELEASE - timedelta(days=1)) is None


def test_in_force_on_a_package(package: list[Designation]) -> None:
    a = [package[0], take_effect(package[0], at=RELEASE, review_days=60)]
    b = [package[1]]  # never took effect
    c = [package[2], take_effect(package[2], at=RELEASE + timedelta(days=1), review_days=60)]
    assert [d.id for d in in_force_on([a, b, c], RELEASE + timedelta(days=2))] == ["D-001", "D-003"]
    assert [d.id for d in in_force_on([a, b, c], RELEASE)] == ["D-001"]


def test_a_history_is_of_one_designation(package: list[Designation]) -> None:
    with pytest.raises(InvalidInputError):
        in_force([package[0], package[1]], RELEASE)
    with pytest.raises(InvalidInputError):
        in_force([package[0], package[0]], RELEASE)


def test_instants_without_an_offset_are_refused(package: list[Designation]) -> None:
    naive = datetime(2026, 12, 1, 12, 0)
    with pytest.raises(InvalidInputError, match="UTC offset"):
        take_effect(package[0], at=naive, review_days=60)
    with pytest.raises(InvalidInputError, match="UTC offset"):
        due_for_review(package, naive)


# --- the record of a chain of released packages ----------------------------------------------------


def _carried(record: dict[str, list[Designation]], designation_id: str, **changes) -> Designation:
    """A designation as a successor package carries it: the record's latest version, plus ``changes``."""
    latest = record[designation_id][-1]
    return latest.evolve(bump=False, **changes)


def test_a_chain_of_releases_makes_each_designation_s_history(package: list[Designation]) -> None:
    first, second = package[1], package[2]
    record = release_record([(RELEASE, [first, second])], review_days=60)
    assert [d.effective_at for d in record[first.id]] == [RELEASE]
    assert record[first.id][0].review_at == RELEASE + timedelta(days=60)
    later = RELEASE + timedelta(days=50)
    successor = [
        _carried(record, first.id, step=ReviewStep.RENEW, reasons="Reasons rewritten at review."),
        _carried(record, second.id, step=ReviewStep.LIFT),
        package[4],  # new in the successor
    ]
    record = release_record([(RELEASE, [first, second]), (later, successor)], review_days=60)
    renewed = record[first.id][-1]
    assert renewed.review_at == RELEASE + timedelta(days=120)  # from the review date, not the release
    assert renewed.reasons == "Reasons rewritten at review." and renewed.version_at == later
    assert record[second.id][-1].lifted_at == later
    assert record[package[4].id][0].effective_at == later
    assert in_force(record[first.id], RELEASE + timedelta(days=1)).reasons == first.reasons
    assert in_force(record[second.id], later - timedelta(seconds=1)) is not None
    assert in_force(record[second.id], later) is None
    assert in_force(record[package[4].id], later - timedelta(seconds=1)) is None


def test_a_carried_designation_left_as_it_was_adds_nothing_to_the_record(package: list[Designation]) -> None:
    record = release_record([(RELEASE, [package[1]])], review_days=60)
    carried = _carried(record, package[1].id)
    again = release_record([(RELEASE, [package[1]]), (RELEASE + timedelta(days=3), [carried])], review_days=60)
    assert len(again[package[1].id]) == 1


def test_a_renewal_after_the_review_date_restores_from_the_release(package: list[Designation]) -> None:
    record = release_record([(RELEASE, [package[1]])], review_days=60)
    late = RELEASE + timedelta(days=75)
    carried = _carried(record, package[1].id, step=ReviewStep.RENEW)
    record = release_record([(RELEASE, [package[1]]), (late, [carried])], review_days=60)
    assert record[package[1].id][-1].review_at == late + timedelta(days=60)
    assert in_force(record[package[1].id], RELEASE + timedelta(days=70)) is None  # the lapse stays in the history


def test_a_review_step_needs_a_designation_in_effect(package: list[Designation]) -> None:
    with pytest.raises(InvalidInputError) as caught:
        package[1].evolve(bump=False, step=ReviewStep.RENEW)
    assert caught.value.field == "/step"
    record = release_record([(RELEASE, [package[1]])], review_days=60)
    lifted = lift(record[package[1].id][-1], at=RELEASE + timedelta(days=1))
    with pytest.raises(InvalidInputError):
        lifted.evolve(bump=False, step=ReviewStep.LIFT)


_STEPS = st.lists(
    st.tuples(st.integers(min_value=1, max_value=200), st.sampled_from(["carry", "renew", "lift", "amend"])),
    max_size=6,
)


@settings(max_examples=examples(150), deadline=None)
@given(steps=_STEPS, review_days=st.integers(min_value=1, max_value=365))
def test_the_record_of_any_chain_of_releases_keeps_its_rules(package_fixture_designation, steps, review_days) -> None:
    """Whatever successors do: never in force before the first release or after a lifting, a renewal
    never shortens the review date, and every version of the record is kept (versions only grow)."""
    first = package_fixture_designation
    releases = [(RELEASE, [first])]
    at = RELEASE
    lifted_at = None
    for gap, step in steps:
        at = at + timedelta(days=gap)
        record = release_record(releases, review_days=review_days)
        latest = record[first.id][-1]
        if latest.lifted_at is not None:
            break
        changes = {"step": ReviewStep(step)} if step in ("renew", "lift") else {}
        if step == "amend":
            changes["reasons"] = f"Reasons rewritten on day {(at - RELEASE).days}."
        releases.append((at, [latest.evolve(bump=False, **changes)]))
        if step == "lift":
            lifted_at = at
    history = release_record(releases, review_days=review_days)[first.id]
    assert [v.version for v in history] == list(range(1, len(history) + 1))
    assert [v.version_at for v in history] == sorted(v.version_at for v in history)
    assert in_force(history, RELEASE - timedelta(seconds=1)) is None
    for earlier, later in zip(history, history[1:]):
        assert later.review_at >= earlier.review_at
    if lifted_at is not None:
        assert in_force(history, lifted_at) is None and in_force(history, lifted_at + timedelta(days=999)) is None


@pytest.fixture(scope="module")
def package_fixture_designation(package: list[Designation]) -> Designation:
    return package[1]
