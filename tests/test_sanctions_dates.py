"""Dates as sanctions lists write them: the formats accepted, the normalised value, the refusals."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from entente.errors import InvalidInputError
from entente.sanctions import DatePrecision, parse_date, parse_normalised
from tests.support.examples import examples


@pytest.mark.parametrize(
    ("text", "normalised", "precision"),
    [
        ("4 October 1983", "1983-10-04", DatePrecision.DAY),
        ("04 Oct 1983", "1983-10-04", DatePrecision.DAY),
        ("4th October, 1983", "1983-10-04", DatePrecision.DAY),
        ("October 4, 1983", "1983-10-04", DatePrecision.DAY),
        ("04.10.1983", "1983-10-04", DatePrecision.DAY),
        ("27.5.1972", "1972-05-27", DatePrecision.DAY),
        ("1983-10-04", "1983-10-04", DatePrecision.DAY),
        ("1983/10/04", "1983-10-04", DatePrecision.DAY),
        ("October 1983", "1983-10", DatePrecision.MONTH),
        ("Sept 1983", "1983-09", DatePrecision.MONTH),
        ("1983-10", "1983-10", DatePrecision.MONTH),
        ("10.1983", "1983-10", DatePrecision.MONTH),
        ("1972", "1972", DatePrecision.YEAR),
        ("circa 1970", "1970~", DatePrecision.YEAR),
        ("ca. 1970", "1970~", DatePrecision.YEAR),
        ("approximately October 1983", "1983-10~", DatePrecision.MONTH),
        ("1970~", "1970~", DatePrecision.YEAR),
        ("1970-1975", "1970/1975", DatePrecision.RANGE),
        ("1970 – 1975", "1970/1975", DatePrecision.RANGE),
        ("between 1970 and 1975", "1970/1975", DatePrecision.RANGE),
        ("Between 1970 And 1975", "1970/1975", DatePrecision.RANGE),
        ("1970 to 1975", "1970/1975", DatePrecision.RANGE),
        ("1970/1975", "1970/1975", DatePrecision.RANGE),
        ("  4   October  1983 ", "1983-10-04", DatePrecision.DAY),
    ],
)
def test_real_list_date_formats_are_read_and_normalised(text: str, normalised: str, precision: DatePrecision) -> None:
    value = parse_date(text)
    assert value.normalised == normalised
    assert value.precision is precision
    assert value.text == text  # the original is kept as written


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31 February 1980", "February 1980 has no day 31"),
        ("30.02.1980", "has no day 30"),
        ("1983-13-01", "no month 13"),
        ("04/10/1983", "ambiguous"),
        ("4 Octember 1983", "not a month name"),
        ("1975-1970", "earlier year to a later one"),
        ("circa 1970-1975", "already approximate"),
        ("1200", "outside 1850 to 2100"),
        ("yesterday", "not a date this list understands"),
        ("", "empty"),
        ("1983 10 04", "not a date"),
    ],
)
def test_unparseable_dates_are_refused_with_a_clear_message(text: str, reason: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_date(text, field="/dates_of_birth/0")
    assert reason in caught.value.detail
    assert caught.value.code == "date_invalid"
    assert caught.value.field == "/dates_of_birth/0"


def test_a_refusal_says_which_formats_are_accepted() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_date("the spring of 83")
    assert "4 October 1983" in caught.value.detail and "between 1970 and 1975" in caught.value.detail


def test_non_text_and_overlong_dates_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        parse_date(1983)
    with pytest.raises(InvalidInputError):
        parse_date("1" * 200)


def test_partial_dates_span_the_days_they_may_stand_for() -> None:
    assert (parse_date("October 1983").earliest, parse_date("October 1983").latest) == (
        date(1983, 10, 1),
        date(1983, 10, 31),
    )
    assert parse_date("1970-1975").latest == date(1975, 12, 31)
    assert parse_date("circa 1970").earliest == date(1968, 1, 1)  # circa widens by two years
    assert parse_date("February 1984").latest == date(1984, 2, 29)


def test_overlap_and_same_day() -> None:
    day = parse_date("4 October 1983")
    assert day.overlaps(parse_date("1983")) and day.overlaps(parse_date("circa 1982"))
    assert day.overlaps(parse_date("between 1980 and 1985"))
    assert not day.overlaps(parse_date("1984"))
    assert day.same_day(parse_date("04.10.1983"))
    assert not day.same_day(parse_date("October 1983"))
    assert not day.same_day(parse_date("circa 4 October 1983"))


def test_normalised_values_are_read_back_strictly() -> None:
    assert parse_normalised("1970/1975", original="between 1970 and 1975").text == "between 1970 and 1975"
    for bad in ("1970-1975", "4 October 1983", "1983-1-4", "1983~~"):
        with pytest.raises(InvalidInputError):
            parse_normalised(bad)


_day_dates = st.dates(min_value=date(1850, 1, 1), max_value=date(2100, 12, 31))


@settings(max_examples=examples(60), deadline=None)
@given(day=_day_dates, precision=st.sampled_from(["day", "month", "year"]), circa=st.booleans())
def test_every_normalised_value_reads_back_to_itself(day: date, precision: str, circa: bool) -> None:
    text = {"day": day.isoformat(), "month": day.isoformat()[:7], "year": str(day.year)}[precision]
    text += "~" if circa else ""
    value = parse_date(text)
    assert value.normalised == text
    assert parse_normalised(value.normalised) == value
    spelled = f"{day.day} {day.strftime('%B')} {day.year}"
    assert parse_date(spelled).normalised == day.isoformat()
