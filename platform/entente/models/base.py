"""Column types, base classes and the value types every model module shares.

Cross-cutting rules live here, so that models, forms, the command line and the configuration read
them alike: :data:`PartyCode` (:func:`check_party_code`), :data:`Instant` (the rules of
:mod:`entente.clock`, for pydantic fields), and the one input and one public shape of a marking
(:class:`MarkingInput`, :class:`MarkingPublic`; ``entente.disclosure.Marking`` is the rule itself).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic import Field as InputField
from sqlmodel import Column, Field, SQLModel

from entente.clock import check_instant, parse_instant
from entente.errors import InvalidInputError

#: A party code: 2 to 16 upper-case ASCII letters, digits or ``-``, starting with a letter or digit and
#: holding at least one letter (``EE``, ``NATO``, ``EU-EEAS``; not ``12``, ``ee``, ``-EE``).
PARTY_CODE_PATTERN = re.compile(r"(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{1,15}")


class PartyCodeError(InvalidInputError, ValueError):
    """A party code refused (422 ``invalid_input``); a ``ValueError`` too, so validators report it as theirs."""


def check_party_code(code: object, *, field: str | None = "code") -> str:
    """``code`` when it is a party code (see :data:`PARTY_CODE_PATTERN`); otherwise a :class:`PartyCodeError`."""
    if not isinstance(code, str) or not PARTY_CODE_PATTERN.fullmatch(code):
        shown = repr(code)[:40]
        raise PartyCodeError(
            f"party code {shown}: 2 to 16 upper-case letters, digits or '-', starting with a letter or digit",
            field=field,
        )
    return code


def _party_code(code: str) -> str:
    return check_party_code(code, field=None)


def _instant(value: object) -> datetime:
    return check_instant(value) if isinstance(value, datetime) else parse_instant(value)


#: A party code in a data model (the one rule: :func:`check_party_code`).
PartyCode = Annotated[str, AfterValidator(_party_code)]
#: An instant in a data model: RFC 3339 with its UTC offset, years 1970 to 9998, read as UTC; a refusal
#: keeps the code ``instant_invalid`` (see ``web.bodies.validation_error``).
Instant = Annotated[datetime, BeforeValidator(_instant)]


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An instant, stored in UTC, always read back timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: every instant carries its offset")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def instant_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def json_column(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(sa.JSON(), nullable=nullable))


class ApiModel(BaseModel):
    """Input bodies: unknown fields are refused and types are not coerced (validated in JSON mode).

    Plain pydantic rather than SQLModel: input models never become tables, and pydantic's strict
    JSON mode reads enums and RFC 3339 instants from their JSON text without lax coercion.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


#: The most parties a marking names.
MAX_MARKING_PARTIES = 64


class MarkingInput(ApiModel):
    """The one input shape of a marking (sections, annex items, incident items, designations, evidence):
    ``{"public": true}`` or ``{"releasable_to": ["EE", "FR"]}``. ``tlp`` is ignored, so a marking read
    from the API (:class:`MarkingPublic`) can be sent back as it is."""

    public: bool = False
    releasable_to: list[PartyCode] = InputField(default_factory=list, max_length=MAX_MARKING_PARTIES)
    tlp: str | None = InputField(default=None, max_length=16)


class MarkingPublic(SQLModel):
    """The one public shape of a marking: ``releasable_to`` is empty when public; otherwise it lists the
    parties (the author's among them), and ``tlp`` is the TLP 2.0 label."""

    public: bool
    releasable_to: list[str] = Field(default_factory=list)
    tlp: str
