"""The designation model: annex content in and out, and every rule a bad designation breaks."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pydantic
import pytest

from entente.canonical import canonical_bytes, parse_strict
from entente.disclosure import Marking
from entente.errors import CanonicalFormError, InvalidInputError
from entente.ladder import Measure
from entente.sanctions import AliasType, Designation, Gender, SubjectType

PACKAGE = json.loads((Path(__file__).parent / "data" / "sanctions" / "package.json").read_text(encoding="utf-8"))


def content(index: int = 0) -> dict[str, Any]:
    return json.loads(json.dumps(PACKAGE["designations"][index]))


def minimal(**changes: Any) -> dict[str, Any]:
    base = {
        "id": "D-100",
        "subject_type": "person",
        "proposed_by": "EE",
        "primary_name": {"original": {"whole_name": "Иван Иванов"}},
        "measures": ["asset_freeze"],
        "reasons": "Reasons.",
    }
    return base | changes


def problems(value: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as caught:
        Designation.from_annex_content(value)
    errors = caught.value.extra["errors"]
    assert caught.value.field == errors[0]["field"]
    return {e["field"]: e["reason"] for e in errors}


def test_the_fixture_package_reads_as_ten_designations() -> None:
    designations = [Designation.from_annex_content(item) for item in PACKAGE["designations"]]
    assert len(designations) == 10
    first = designations[0]
    assert first.subject_type is SubjectType.PERSON and first.gender is Gender.MALE
    assert first.primary_name.original.whole_name == "Александр Сергеевич Петров"
    assert first.dates_of_birth[0].normalised == "1983-10-04"
    assert first.dates_of_birth[0].text == "4 October 1983"
    assert first.aliases[0].type is AliasType.WEAK
    assert first.evidence[0].marking == Marking(public=False, parties=frozenset({"EE", "FR"}))
    assert first.measures == (Measure.ASSET_FREEZE, Measure.TRAVEL_BAN)
    located = designations[5]
    assert located.subject_type is SubjectType.ENTITY and located.addresses[0].street is None


def test_annex_content_round_trips_and_is_canonical_json() -> None:
    for item in PACKAGE["designations"]:
        designation = Designation.from_annex_content(item)
        annex = designation.to_annex_content()
        assert Designation.from_annex_content(annex) == designation
        data = canonical_bytes(annex)
        assert parse_strict(data) == annex  # no floats, nothing the strict reader refuses
        assert b"." not in data.split(b'"version":')[1][:3]


def test_annex_content_keeps_the_original_date_text_beside_the_normalised_value() -> None:
    annex = Designation.from_annex_content(content(1)).to_annex_content()
    assert annex["dates_of_birth"] == [{"text": "27.5.1972", "normalised": "1972-05-27"}]


def test_text_is_nfc_normalised_and_trimmed() -> None:
    decomposed = unicodedata.normalize("NFD", "  José Müller ")
    designation = Designation.from_annex_content(minimal(primary_name={"original": {"whole_name": decomposed}}))
    assert designation.primary_name.original.whole_name == "José Müller"


def test_a_designation_is_frozen() -> None:
    designation = Designation.from_annex_content(content())
    with pytest.raises(pydantic.ValidationError):
        designation.reasons = "changed"  # type: ignore[misc]


def test_the_latin_form_is_given_or_transliterated() -> None:
    designation = Designation.from_annex_content(content(8))  # Олег Иванович Кузнецов, no transliteration
    assert designation.primary_name.transliterated is None
    assert designation.primary_name.latin.whole_name == "Oleg Ivanovich Kuznetsov"
    assert designation.display_name == "Oleg Ivanovich Kuznetsov (Олег Иванович Кузнецов)"


def test_floats_are_refused_before_validation() -> None:
    with pytest.raises(CanonicalFormError):
        Designation.from_annex_content(minimal(version=1.0))


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"dates_of_birth": [{"text": "31 February 1980"}]}, "/dates_of_birth/0", "has no day 31"),
        ({"dates_of_birth": [{"text": "sometime"}]}, "/dates_of_birth/0", "not a date"),
        ({"dates_of_birth": ["1980"]}, "/dates_of_birth/0", "a date is"),
        (
            {"dates_of_birth": [{"text": "1980", "normalised": "1981"}]},
            "/dates_of_birth/0",
            "does not match the text",
        ),
        ({"documents": [{"number": "123"}]}, "/documents/0/type", "required"),
        ({"documents": [{"type": "passport", "number": "123"}]}, "/documents/0/country", "required"),
        ({"documents": [{"number": "123", "country": "RU"}]}, "/documents/0/type", "required"),
        ({"documents": [{"type": "visa", "number": "1", "country": "RU"}]}, "/documents/0/type", "passport"),
        (
            {"aliases": [{"type": "nickname", "name": {"original": {"whole_name": "X"}}}]},
            "/aliases/0/type",
            "'aka', 'fka' or 'weak'",
        ),
        ({"nationalities": ["XX"]}, "/nationalities/0", "ISO 3166-1 alpha-2"),
        ({"nationalities": ["ru"]}, "/nationalities/0", "ISO 3166-1 alpha-2"),
        ({"addresses": [{"street": "1 Main St"}]}, "/addresses/0", "city or a country"),
        ({"places_of_birth": [{"region": "Kursk Oblast"}]}, "/places_of_birth/0", "city or a country"),
        ({"measures": ["naming_and_shaming"]}, "/measures/0", "asset_freeze"),
        ({"measures": []}, "/measures", "at least 1"),
        ({"reasons": "   "}, "/reasons", "must not be empty"),
        ({"reasons": "a\u202eb"}, "/reasons", "bidirectional"),
        ({"titles": ["Dr\nX"]}, "/titles/0", "control character"),
        ({"id": "has space"}, "/id", "pattern"),
        ({"proposed_by": "ee"}, "/proposed_by", "party code"),
        ({"colour": "red"}, "/colour", "unknown member"),
        ({"review_at": "2026-12-01T00:00:00"}, "/review_at", "timezone"),
        ({"review_at": "2026-12-01T00:00:00Z"}, "/review_at", "after the effective instant"),
        (
            {"evidence": [{"id": "E1", "text": "x", "marking": {"public": False, "releasable_to": []}}]},
            "/evidence/0/marking",
            "names at least one party",
        ),
        (
            {"parties": [{"party": "FR", "state": "adopted", "adopted_on": "2026-11-01"}]},
            "/parties/0",
            "needs legal_act",
        ),
        # A declined position may come without its reason (withheld from this reader), never a marking alone.
        (
            {"parties": [{"party": "FR", "state": "declined", "declined_on": "2026-11-01",
                          "reason_marking": {"public": True}}]},
            "/parties/0",
            "goes with a reason",
        ),
        (
            {"parties": [{"party": "FR", "state": "declined", "declined_on": "2026-11-01", "reason": "Ours.",
                          "reason_marking": {"public": False, "releasable_to": ["EE"]}}]},
            "/parties/0",
            "always releasable to FR",
        ),
        (
            {"parties": [{"party": "FR", "state": "adopted", "legal_act": "Decree 1", "adopted_on": "2026-11-01",
                          "reason": "Because."}]},
            "/parties/0",
            "not part of the adopted state",
        ),
        (
            {"parties": [{"party": "FR", "state": "lifted", "lifted_on": "2026-11-01"}]},
            "/parties/0",
            "needs adopted_on and legal_act",
        ),
        ({"parties": [{"party": "FR", "legal_act": "Décret 2026-1"}]}, "/parties/0", "not part of the proposed"),
        (
            {
                "primary_name": {
                    "original": {"whole_name": "Иван Иванов"},
                    "transliterated": {"whole_name": "Иван"},
                }
            },
            "/primary_name",
            "Latin script",
        ),
        (
            {"primary_name": {"original": {"whole_name": "Ivan"}, "transliterated": {"whole_name": "Ivan"}}},
            "/primary_name",
            "already in Latin script",
        ),
    ],
)
def test_bad_input_is_refused_with_a_pointer_and_a_reason(changes: dict[str, Any], field: str, reason: str) -> None:
    found = problems(minimal(**changes))
    assert field in found, found
    assert reason in found[field], found


def test_every_problem_is_listed_at_once() -> None:
    found = problems(
        minimal(
            dates_of_birth=[{"text": "not a date"}],
            documents=[{"number": "750123456"}],
            aliases=[{"type": "alias", "name": {"original": {"whole_name": "X"}}}],
            nationalities=["ZZ"],
        )
    )
    assert set(found) >= {"/dates_of_birth/0", "/documents/0/type", "/documents/0/country", "/aliases/0/type"}
    assert "/nationalities/0" in found


def test_entity_rules_and_repeats_are_checked_across_fields() -> None:
    found = problems(
        minimal(
            subject_type="entity",
            gender="male",
            dates_of_birth=[{"text": "1970"}],
            measures=["asset_freeze", "asset_freeze"],
            nationalities=["RU", "RU"],
            documents=[
                {"type": "passport", "number": "75 123", "country": "RU"},
                {"type": "passport", "number": "75-123", "country": "RU"},
            ],
            affiliations=[{"designation_id": "D-100", "relation": "member_of"}],
        )
    )
    assert found["/gender"] == "an entity has no gender"
    assert found["/dates_of_birth"] == "an entity has no dates of birth"
    assert found["/documents"] == "an entity has no documents"
    assert found["/measures/1"] == "repeats an earlier entry"
    assert found["/documents/1"] == "repeats an earlier entry"  # same number once normalised
    assert found["/affiliations/0/designation_id"] == "a designation is not affiliated with itself"


def test_an_entity_may_be_known_only_by_its_location() -> None:
    designation = Designation.from_annex_content(
        minimal(
            subject_type="entity",
            primary_name={"original": {"whole_name": "Facility at Sunan airfield"}},
            addresses=[{"city": "Pyongyang", "country": "KP"}],
        )
    )
    assert designation.addresses[0].country == "KP"


def test_a_document_number_without_type_or_country_is_refused_even_in_python() -> None:
    from entente.sanctions import IdentityDocument

    with pytest.raises(pydantic.ValidationError):
        IdentityDocument(number="123", country="RU")  # type: ignore[call-arg]


def test_non_objects_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        Designation.from_annex_content(["not", "an", "object"])  # type: ignore[arg-type]


def test_evolve_validates_and_counts_versions() -> None:
    designation = Designation.from_annex_content(content())
    changed = designation.evolve(reasons="New reasons.")
    assert (changed.version, changed.reasons, designation.reasons != "New reasons.") == (2, "New reasons.", True)
    with pytest.raises(InvalidInputError) as caught:
        designation.evolve(nationalities=("XX",))
    assert caught.value.field == "/nationalities/0"
