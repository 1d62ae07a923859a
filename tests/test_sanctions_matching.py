"""Probable duplicates: identifiers, names across scripts, dates of birth, and the one-subject-per-package rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from entente.errors import ConflictError
from entente.sanctions import (
    DUPLICATE_SCORE,
    Designation,
    find_matches,
    match,
    require_no_duplicate_in_package,
)

PACKAGE = json.loads((Path(__file__).parent / "data" / "sanctions" / "package.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def package() -> list[Designation]:
    return [Designation.from_annex_content(item) for item in PACKAGE["designations"]]


def person(id: str, name: str, **changes: Any) -> Designation:
    base = {
        "id": id,
        "subject_type": "person",
        "proposed_by": "FR",
        "primary_name": {"original": {"whole_name": name}},
        "measures": ["asset_freeze"],
        "reasons": "Reasons.",
    }
    return Designation.from_annex_content(base | changes)


def entity(id: str, name: str, **changes: Any) -> Designation:
    return person(id, name, subject_type="entity", **changes)


def test_the_fixture_alias_conflict_is_found_with_its_reasons(package: list[Designation]) -> None:
    petrov, volkov = package[0], package[9]
    found = find_matches(volkov, package)
    assert [m.existing_id for m in found] == ["D-001"]
    assert found[0].score == 90
    assert "names match after transliteration" in found[0].reasons[0]
    assert "Александр Сергеевич Петров" in found[0].reasons[0]
    assert "dates of birth may be the same" in found[0].reasons[1]
    assert find_matches(petrov, package)[0].existing_id == "D-010"
    require_no_duplicate_in_package(package)  # a warning for the drafter, not the same person


def test_nothing_else_in_the_fixture_matches(package: list[Designation]) -> None:
    matched = {d.id for d in package if find_matches(d, package)}
    assert matched == {"D-001", "D-010"}


def test_the_same_document_number_matches_once_normalised(package: list[Designation]) -> None:
    candidate = person(
        "N-1", "Unrelated Name", documents=[{"type": "passport", "number": "751-234-567", "country": "RU"}]
    )
    found = find_matches(candidate, package)
    assert found[0].existing_id == "D-001" and found[0].score == 100
    assert found[0].reasons[0] == "same passport number 751-234-567 issued by RU (listed as 75 1234567)"


def test_a_document_number_matches_only_with_the_same_type_and_country(package: list[Designation]) -> None:
    elsewhere = person(
        "N-2", "Unrelated Name", documents=[{"type": "passport", "number": "751234567", "country": "BY"}]
    )
    other_type = person(
        "N-3", "Unrelated Name", documents=[{"type": "national_id", "number": "751234567", "country": "RU"}]
    )
    assert find_matches(elsewhere, package) == []
    assert find_matches(other_type, package) == []


def test_registration_numbers_match(package: list[Designation]) -> None:
    candidate = entity(
        "N-4", "Shell Company", registrations=[{"type": "tax_id", "number": "77-0123-4567", "country": "RU"}]
    )
    found = find_matches(candidate, package)
    assert [(m.existing_id, m.score) for m in found] == [("D-005", 100)]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Aleksandr Petrov Sergeevich", "D-001"),
        ("Kim Jong Ho", "D-003"),
        ("Gim Jeong-ho", "D-003"),
        ("김정호", "D-003"),
        ("Pak Song Chol", "D-004"),
        ("Bak Seong-cheol", "D-004"),
        ("Wang Jianguo", "D-008"),
        ("王建国", "D-008"),
        ("Yevgeniy Viktorovich Smirnov", "D-002"),
        ("Evgenii Smirnov", "D-002"),
        ("Oleg Kuznetsov", "D-009"),
    ],
)
def test_names_match_across_scripts_and_spellings(package: list[Designation], name: str, expected: str) -> None:
    found = find_matches(person("N-9", name), package)
    assert found and found[0].existing_id == expected, found


def test_entity_names_match_without_their_legal_form(package: list[Designation]) -> None:
    found = find_matches(entity("N-5", "Tekhnologii Bezopasnosti, LLC"), package)
    assert [m.existing_id for m in found] == ["D-005"]
    found = find_matches(entity("N-6", "Kiber Shchit"), package)  # its former name
    assert [m.existing_id for m in found] == ["D-005"]


def test_a_person_and_an_entity_do_not_match_by_name(package: list[Designation]) -> None:
    assert find_matches(person("N-7", "Chollima Cyber Unit"), package) == []


def test_dates_of_birth_strengthen_or_weaken_a_name_match() -> None:
    existing = person("E-1", "Ivan Ivanovich Sidorov", dates_of_birth=[{"text": "12 March 1975"}])
    same_day = person("C-1", "Иван Иванович Сидоров", dates_of_birth=[{"text": "12.3.1975"}])
    same_year = person("C-2", "Иван Иванович Сидоров", dates_of_birth=[{"text": "1975"}])
    no_date = person("C-3", "Иван Иванович Сидоров")
    other_day = person("C-4", "Иван Иванович Сидоров", dates_of_birth=[{"text": "1 January 1990"}])
    scores = [match(c, existing).score for c in (same_day, same_year, no_date, other_day)]
    assert scores == [95, 90, 80, 50]
    assert "same date of birth 1975-03-12" in match(same_day, existing).reasons
    assert any("dates of birth differ" in r for r in match(other_day, existing).reasons)


def test_weak_aliases_and_partial_names_count_less() -> None:
    existing = person("E-2", "Nikolai Orlov", aliases=[{"type": "weak", "name": {"original": {"whole_name": "Kolya"}}}])
    assert match(person("C-5", "Kolya"), existing).score == 60
    assert match(person("C-6", "Nikolai Petrovich Orlov"), existing).score == 60
    assert match(person("C-7", "Nikolay Orlova"), existing).score == 40  # sounds alike only
    assert find_matches(person("C-7", "Nikolay Orlova"), [existing]) == []  # below the threshold


def test_matches_are_sorted_best_first_and_skip_the_candidate_itself() -> None:
    a = person("A", "Ivan Sidorov", dates_of_birth=[{"text": "1975"}])
    b = person("B", "Ivan Sidorov")
    c = person("C", "Ivan Sidorov", documents=[{"type": "passport", "number": "1", "country": "RU"}])
    candidate = person(
        "X",
        "Иван Сидоров",
        dates_of_birth=[{"text": "1975"}],
        documents=[{"type": "passport", "number": "1", "country": "RU"}],
    )
    assert [m.existing_id for m in find_matches(candidate, [a, b, c, candidate])] == ["C", "A", "B"]
    assert find_matches(candidate, [a], threshold=95) == []


def test_the_same_person_twice_in_a_package_is_refused(package: list[Designation]) -> None:
    twin = person(
        "D-011",
        "Sergei Ivanov",
        documents=[{"type": "passport", "number": "7512 34567", "country": "RU"}],
    )
    with pytest.raises(ConflictError) as caught:
        require_no_duplicate_in_package([*package, twin])
    error = caught.value
    assert error.code == "duplicate_designation"
    assert "D-011" in error.detail and "D-001" in error.detail
    assert (error.extra["first"], error.extra["second"]) == ("D-001", "D-011")
    assert error.field == "/10"


def test_equal_names_and_the_same_birthday_are_the_same_person() -> None:
    a = person("A", "Ivan Sidorov", dates_of_birth=[{"text": "12 March 1975"}])
    b = person("B", "СИДОРОВ Иван", dates_of_birth=[{"text": "1975-03-12"}])
    assert match(b, a).score >= DUPLICATE_SCORE
    with pytest.raises(ConflictError, match="same subject"):
        require_no_duplicate_in_package([a, b])


def test_one_designation_id_twice_is_refused(package: list[Designation]) -> None:
    with pytest.raises(ConflictError, match="listed twice"):
        require_no_duplicate_in_package([package[0], package[1], package[0]])


def test_a_match_is_json_ready(package: list[Designation]) -> None:
    found = find_matches(package[9], package)[0]
    assert json.loads(json.dumps(found.to_dict()))["existing_id"] == "D-001"
