"""Cross-cutting rules with one home each: instants (``entente.clock``), party codes and markings
(``entente.models.base``), and the TOML reader (``entente.settings``). Every reader agrees with them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pydantic
import pytest

from entente.clock import InstantError, check_instant, isoformat, parse_instant
from entente.errors import ConfigError, InvalidInputError
from entente.models import MarkingInput, ReleaseCreate, SectionInput
from entente.models.base import check_party_code
from entente.parties import load_coalition
from entente.sanctions.parts import MarkingField
from entente.settings import read_toml
from entente.web.bodies import validate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T09:00:00Z", datetime(2026, 12, 1, 9, tzinfo=UTC)),
        ("2026-12-01t11:00:00.25+02:00", datetime(2026, 12, 1, 9, 0, 0, 250000, tzinfo=UTC)),
        ("1970-01-01T00:00:00z", datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_an_rfc_3339_instant_is_read_into_utc(text: str, expected: datetime) -> None:
    instant = parse_instant(text)
    assert instant == expected and instant.tzinfo is UTC
    assert parse_instant(isoformat(instant)) == instant


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01T09:00:00",  # no offset
        "2026-12-01T09:00Z",  # no seconds
        "2026-12-01 09:00:00Z",  # not RFC 3339's T
        "20261201T090000Z",  # ISO 8601 basic form
        "2026-12-01",  # a date is not an instant
        "2026-02-30T09:00:00Z",  # no such day
        "1969-12-31T23:59:59Z",  # before 1970
        "9999-12-31T23:59:59-05:00",  # past 9998 once in UTC
        "0001-01-01T00:00:00+05:00",  # overflows on the way to UTC
        "tomorrow",
        "",
    ],
)
def test_anything_else_is_one_error_with_one_code(text: str) -> None:
    with pytest.raises(InstantError) as caught:
        parse_instant(text, field="/at")
    assert caught.value.code == "instant_invalid" and caught.value.field == "/at"
    assert isinstance(caught.value, InvalidInputError) and isinstance(caught.value, ValueError)


def test_a_form_reads_a_local_time_in_the_zone_beside_it() -> None:
    assert parse_instant("2026-12-01T11:00", zone=ZoneInfo("Europe/Tallinn")) == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert parse_instant("2026-12-01T09:00:00+01:00", zone=ZoneInfo("Europe/Tallinn")).hour == 8


def test_check_instant_refuses_naive_and_out_of_range_datetimes() -> None:
    with pytest.raises(InstantError):
        check_instant(datetime(2026, 12, 1, 9))
    with pytest.raises(InstantError):
        check_instant(datetime(1969, 12, 31, 23, tzinfo=UTC))
    east = timezone(timedelta(hours=3))
    assert check_instant(datetime(2026, 12, 1, 12, tzinfo=east)) == datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_a_data_model_instant_keeps_the_one_code_at_the_api() -> None:
    with pytest.raises(InvalidInputError) as caught:
        validate(ReleaseCreate, {"at": "2026-12-01T09:00:00"})
    assert caught.value.code == "instant_invalid" and caught.value.field == "/at"
    assert validate(ReleaseCreate, {"at": "2026-12-01T11:00:00+02:00"}).at == datetime(2026, 12, 1, 9, tzinfo=UTC)


# --- party codes ---------------------------------------------------------------------------------

GOOD_CODES = ["EE", "FR", "EU", "NATO", "EU-EEAS", "G7", "A1B2C3D4E5F6G7H8"]
BAD_CODES = ["12", "E", "ee", "-EE", "EE_", "É1", "A1B2C3D4E5F6G7H8I", " EE", ""]


@pytest.mark.parametrize("code", GOOD_CODES)
def test_a_party_code_passes_every_reader(code: str, tmp_path: Path) -> None:
    assert check_party_code(code) == code
    assert MarkingInput.model_validate({"releasable_to": [code]}).releasable_to == [code]
    coalition = tmp_path / "coalition.toml"
    coalition.write_text(
        f'[[parties]]\ncode = "{code}"\nname = "A party"\nkind = "state"\ntimezone = "UTC"\n', encoding="utf-8"
    )
    assert [party.code for party in load_coalition(coalition)] == [code]


@pytest.mark.parametrize("code", BAD_CODES)
def test_a_bad_party_code_fails_every_reader(code: str, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_party_code(code)
    assert caught.value.code == "invalid_input"
    with pytest.raises(pydantic.ValidationError):
        MarkingInput.model_validate({"releasable_to": [code]})
    coalition = tmp_path / "coalition.toml"
    coalition.write_text(
        f'[[parties]]\ncode = "{code}"\nname = "A party"\nkind = "state"\ntimezone = "UTC"\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="party code"):
        load_coalition(coalition)


def test_the_command_line_refuses_the_same_party_codes(entente, tmp_path: Path) -> None:
    done = entente("keys", "generate", "--party", "12", "--out", str(tmp_path / "keys"), stdin="secret\nsecret\n")
    assert done.returncode == 1 and "party code" in done.stderr  # as for "ee" (tests/test_trust_cli.py)


# --- markings ------------------------------------------------------------------------------------


def test_one_marking_shape_is_read_by_sections_and_designations() -> None:
    section = SectionInput.model_validate(
        {"heading": "H", "body": "B", "marking": {"public": False, "releasable_to": ["EE"], "tlp": "TLP:AMBER"}}
    )
    assert section.marking == MarkingInput(releasable_to=["EE"], tlp="TLP:AMBER")
    for bad in ({"releasable_to": ["ee"]}, {"public": "yes"}, {"releasable_to": ["EE"], "colour": "red"}):
        with pytest.raises(pydantic.ValidationError):
            MarkingInput.model_validate(bad)
        with pytest.raises(pydantic.ValidationError):
            pydantic.TypeAdapter(MarkingField).validate_python(bad)


# --- the TOML reader -----------------------------------------------------------------------------


def test_every_toml_fault_is_one_line_naming_file_and_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('a = 1\nb = = 2\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=rf"^{broken}:2: invalid TOML: "):
        read_toml(broken)
    with pytest.raises(ConfigError, match=rf"^{tmp_path / 'nope.toml'}:1: cannot read: file not found$"):
        read_toml(tmp_path / "nope.toml")
    (tmp_path / "latin1.toml").write_bytes(b'a = "\xe9"\n')
    with pytest.raises(ConfigError, match=r":1: cannot read: "):
        read_toml(tmp_path / "latin1.toml")
    with pytest.raises(ConfigError, match=rf"^{broken}:2: invalid TOML: "):
        load_coalition(broken)
