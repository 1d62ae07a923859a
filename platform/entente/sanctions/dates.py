"""Dates as sanctions lists write them: partial, approximate, or a span of years.

Real lists record what is known about a date of birth, no more: ``4 October 1983``,
``04.10.1983``, ``27.5.1972``, ``1983-10-04``, ``October 1983``, ``1972``, ``circa 1970``,
``1970-1975`` or ``between 1970 and 1975``. :func:`parse_date` reads those into a
:class:`PartialDate` that keeps the original text beside a normalised value written in the
Extended Date/Time Format of ISO 8601-2 (EDTF, level 1):

==================  ==============  ===========================================
text                normalised      meaning
==================  ==============  ===========================================
4 October 1983      1983-10-04      a day
October 1983        1983-10         a month
1972                1972            a year
circa 1970          1970~           approximately that year (``~`` after any of the above)
1970-1975           1970/1975       some time in that span of years, ends included
==================  ==============  ===========================================

The normalised forms are accepted as text too. Day-month-year with dots is the European order
(``27.5.1972`` is 27 May); slashes between day and month are refused because ``04/10/1983``
means different days on each side of the Atlantic. Month names are English (full or three
letters). Anything else is refused with a message saying what is accepted.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ..errors import InvalidInputError

__all__ = ["EARLIEST_YEAR", "LATEST_YEAR", "DatePrecision", "PartialDate", "parse_date", "parse_normalised"]

#: Years a date of birth (or of a legal act) may fall in.
EARLIEST_YEAR = 1850
LATEST_YEAR = 2100
MAX_TEXT = 100

ACCEPTED = (
    "write a date as 4 October 1983, 04.10.1983, 1983-10-04, October 1983, 1983, circa 1970, "
    "1970-1975 or between 1970 and 1975"
)

_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9

_CIRCA = re.compile(
    r"^(?:circa|approximately|approx\.?|about|around|ca\.?|c\.)(?:\s+|(?<=\.))(?P<rest>.+)$", re.IGNORECASE
)
_RANGE = re.compile(
    r"^(?:between\s+(?P<a1>\d{4})\s+and\s+(?P<b1>\d{4})"
    r"|(?:from\s+)?(?P<a2>\d{4})\s*(?:-|–|—|to|/)\s*(?P<b2>\d{4}))$",
    re.IGNORECASE,
)
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})(?:-(?P<d>\d{2}))?$")
_YMD_SLASH = re.compile(r"^(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})$")
_DOTTED = re.compile(r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})$")
_MONTH_DOTTED = re.compile(r"^(?P<m>\d{1,2})\.(?P<y>\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?P<mon>[a-z]+)\.?,?\s+(?P<y>\d{4})$", re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(r"^(?P<mon>[a-z]+)\.?\s+(?P<d>\d{1,2}),?\s+(?P<y>\d{4})$", re.IGNORECASE)
_MONTH_YEAR = re.compile(r"^(?P<mon>[a-z]+)\.?,?\s+(?P<y>\d{4})$", re.IGNORECASE)
_YEAR = re.compile(r"^(?P<y>\d{4})$")
_SLASHED = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4}$")

_EDTF = re.compile(r"^(?:(?P<from>\d{4})/(?P<to>\d{4})|(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?(?P<circa>~)?)$")


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True)
class PartialDate:
    """A date known to some precision. ``text`` is what the source said; the rest is derived."""

    text: str
    precision: DatePrecision
    year: int
    month: int | None = None
    day: int | None = None
    to_year: int | None = None
    circa: bool = False

    @property
    def normalised(self) -> str:
        """The EDTF form: ``1983-10-04``, ``1983-10``, ``1983``, ``1970~``, ``1970/1975``."""
        if self.precision is DatePrecision.RANGE:
            return f"{self.year:04d}/{self.to_year:04d}"
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
        if self.day is not None:
            text += f"-{self.day:02d}"
        return text + ("~" if self.circa else "")

    @property
    def earliest(self) -> date:
        """The first day the date may stand for (a circa year widens by two years either side)."""
        slack = 2 if self.circa and self.precision is DatePrecision.YEAR else 0
        return date(self.year - slack, self.month or 1, self.day or 1)

    @property
    def latest(self) -> date:
        """The last day the date may stand for."""
        if self.precision is DatePrecision.RANGE:
            assert self.to_year is not None
            return date(self.to_year, 12, 31)
        slack = 2 if self.circa and self.precision is DatePrecision.YEAR else 0
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year + slack, month)[1]
        return date(self.year + slack, month, day)

    def overlaps(self, other: PartialDate) -> bool:
        """True when both may stand for the same day."""
        return self.earliest <= other.latest and other.earliest <= self.latest

    def same_day(self, other: PartialDate) -> bool:
        """True when both are exact days (not circa) and the same day."""
        return (
            self.precision is DatePrecision.DAY
            and other.precision is DatePrecision.DAY
            and not (self.circa or other.circa)
            and (self.year, self.month, self.day) == (other.year, other.month, other.day)
        )


def _fail(text: str, reason: str, field: str) -> InvalidInputError:
    return InvalidInputError(f"{text!r}: {reason}", field=field, code="date_invalid")


def _month(name: str, text: str, field: str) -> int:
    number = _MONTHS.get(name.lower())
    if number is None:
        raise _fail(text, f"{name!r} is not a month name; {ACCEPTED}", field)
    return number


def _build(text: str, field: str, year: int, month: int | None, day: int | None, circa: bool) -> PartialDate:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise _fail(text, f"year {year} is outside {EARLIEST_YEAR} to {LATEST_YEAR}", field)
    if month is not None and not 1 <= month <= 12:
        raise _fail(text, f"there is no month {month}", field)
    if day is not None:
        assert month is not None
        last = calendar.monthrange(year, month)[1]
        if not 1 <= day <= last:
            raise _fail(text, f"{calendar.month_name[month]} {year} has no day {day}", field)
    precision = DatePrecision.YEAR if month is None else DatePrecision.MONTH if day is None else DatePrecision.DAY
    return PartialDate(text=text, precision=precision, year=year, month=month, day=day, circa=circa)


def _range(text: str, field: str, start: int, end: int) -> PartialDate:
    for year in (start, end):
        if not EARLIEST_YEAR <= year <= LATEST_YEAR:
            raise _fail(text, f"year {year} is outside {EARLIEST_YEAR} to {LATEST_YEAR}", field)
    if start >= end:
        raise _fail(
            text, f"a span of years runs from an earlier year to a later one ({start} is not before {end})", field
        )
    return PartialDate(text=text, precision=DatePrecision.RANGE, year=start, to_year=end)


def _single(text: str, body: str, field: str, circa: bool) -> PartialDate:
    if m := _ISO.match(body):
        day = int(m["d"]) if m["d"] else None
        return _build(text, field, int(m["y"]), int(m["m"]), day, circa)
    if m := _DOTTED.match(body) or _YMD_SLASH.match(body):
        return _build(text, field, int(m["y"]), int(m["m"]), int(m["d"]), circa)
    if m := _DAY_MONTH_YEAR.match(body) or _MONTH_DAY_YEAR.match(body):
        return _build(text, field, int(m["y"]), _month(m["mon"], text, field), int(m["d"]), circa)
    if m := _MONTH_YEAR.match(body):
        return _build(text, field, int(m["y"]), _month(m["mon"], text, field), None, circa)
    if m := _MONTH_DOTTED.match(body):
        return _build(text, field, int(m["y"]), int(m["m"]), None, circa)
    if m := _YEAR.match(body):
        return _build(text, field, int(m["y"]), None, None, circa)
    if _SLASHED.match(body):
        raise _fail(text, f"day/month order is ambiguous with slashes; {ACCEPTED}", field)
    raise _fail(text, f"not a date this list understands; {ACCEPTED}", field)


def parse_date(text: object, *, field: str = "") -> PartialDate:
    """Read a date as sanctions lists write it; InvalidInputError (code ``date_invalid``) says why not."""
    if not isinstance(text, str):
        raise InvalidInputError(f"a date is text; {ACCEPTED}", field=field, code="date_invalid")
    if len(text) > MAX_TEXT:
        raise InvalidInputError(f"a date is at most {MAX_TEXT} characters", field=field, code="date_invalid")
    body = " ".join(text.split())
    if not body:
        raise InvalidInputError(f"the date is empty; {ACCEPTED}", field=field, code="date_invalid")
    if m := _RANGE.match(body):
        start, end = (m["a1"], m["b1"]) if m["a1"] else (m["a2"], m["b2"])
        return _range(text, field, int(start), int(end))
    circa = False
    if m := _CIRCA.match(body):
        circa, body = True, m["rest"].strip()
    elif body.endswith("~"):  # EDTF's own spelling: 1970~
        circa, body = True, body[:-1].strip()
    if circa and _RANGE.match(body):
        raise _fail(text, "a span of years is already approximate: drop 'circa'", field)
    return _single(text, body, field, circa)


def parse_normalised(text: str, *, original: str | None = None, field: str = "") -> PartialDate:
    """Read an EDTF value written by :attr:`PartialDate.normalised` (``original`` defaults to it)."""
    m = _EDTF.match(text) if isinstance(text, str) else None
    if m is None:
        raise InvalidInputError(
            f"{text!r} is not a normalised date (1983-10-04, 1983-10, 1983, 1970~ or 1970/1975)",
            field=field,
            code="date_invalid",
        )
    shown = text if original is None else original
    if m["from"]:
        return _range(shown, field, int(m["from"]), int(m["to"]))
    month = int(m["m"]) if m["m"] else None
    day = int(m["d"]) if m["d"] else None
    return _build(shown, field, int(m["y"]), month, day, bool(m["circa"]))
