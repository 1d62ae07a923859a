"""The parts a designation is made of: names, dates, documents, addresses, evidence, party positions.

Every part is a frozen, strict pydantic model. Text is NFC-normalised and trimmed; a one-line
field refuses control characters and the bidirectional controls that can make text display
differently from what was signed. Country codes are ISO 3166-1 alpha-2; languages ISO 639-1.
Rules that concern one part are checked here; rules across parts are in :mod:`.model`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator
from pydantic import model_validator as _model_validator

from ..disclosure import Marking
from ..errors import EntenteError
from .countries import COUNTRIES
from .dates import PartialDate, parse_date, parse_normalised
from .names import is_latin, transliterate

__all__ = [
    "Address",
    "AdoptionState",
    "Affiliation",
    "Alias",
    "AliasType",
    "BirthDate",
    "Country",
    "DocumentType",
    "EvidenceItem",
    "Gender",
    "IdentityDocument",
    "ItemId",
    "Line",
    "Name",
    "NameForm",
    "PartyCode",
    "PartyPosition",
    "Place",
    "RegistrationNumber",
    "RegistrationType",
    "Relation",
    "SanctionsModel",
    "SubjectType",
    "Text",
    "Utc",
]

MAX_LINE = 1_000
MAX_TEXT = 20_000

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


class SanctionsModel(BaseModel):
    """Frozen and strict: unknown members refused, no coercion (JSON text is read in JSON mode)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, arbitrary_types_allowed=True)


# --- scalar types -----------------------------------------------------------------------------


def _clean(text: str, *, multiline: bool) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    if not text:
        raise ValueError("must not be empty")
    for char in text:
        if char in _BIDI_CONTROLS:
            raise ValueError(f"bidirectional control character U+{ord(char):04X} is not allowed")
        if 0xFDD0 <= ord(char) <= 0xFDEF or ord(char) & 0xFFFE == 0xFFFE:
            raise ValueError(f"U+{ord(char):04X} is not a character")
        if unicodedata.category(char) == "Cc" and not (multiline and char in "\n\t"):
            raise ValueError(
                f"control character U+{ord(char):04X} is not allowed" + ("" if multiline else " (one line of text)")
            )
    return text


def _line(text: str) -> str:
    return _clean(text, multiline=False)


def _text(text: str) -> str:
    return _clean(text, multiline=True)


def _country(code: str) -> str:
    if code not in COUNTRIES:
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (like RU, KP, FR)")
    return code


def _party(code: str) -> str:
    if not (2 <= len(code) <= 16 and code.isascii() and code.isupper() and code.replace("-", "").isalnum()):
        raise ValueError(f"party code {code!r}: 2 to 16 upper-case letters or digits")
    return code


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


#: One line of text (names, numbers, cities).
Line = Annotated[str, Field(max_length=MAX_LINE), AfterValidator(_line)]
#: Paragraphs (reasons, evidence, legal bases): newlines and tabs allowed.
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_text)]
Country = Annotated[str, AfterValidator(_country)]
PartyCode = Annotated[str, AfterValidator(_party)]
#: Identifiers of designations and evidence items: letters, digits, ``.``, ``_``, ``-``.
ItemId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
Utc = Annotated[AwareDatetime, AfterValidator(_utc)]


def _read_date(value: Any) -> PartialDate:
    if isinstance(value, PartialDate):
        return value
    if not isinstance(value, dict) or not isinstance(value.get("text"), str) or set(value) - {"text", "normalised"}:
        raise ValueError('a date is {"text": "4 October 1983"} (with "normalised": "1983-10-04" optionally)')
    try:
        parsed = parse_date(value["text"])
        if "normalised" in value and value["normalised"] != parsed.normalised:
            given = parse_normalised(value["normalised"], original=value["text"])
            raise ValueError(
                f"normalised {given.normalised!r} does not match the text {value['text']!r} "
                f"(which reads as {parsed.normalised!r})"
            )
    except EntenteError as exc:
        raise ValueError(exc.detail) from None
    return parsed


def _write_date(value: PartialDate) -> dict[str, str]:
    return {"text": value.text, "normalised": value.normalised}


#: A date as the source wrote it, with its normalised value (see :mod:`.dates`).
BirthDate = Annotated[PartialDate, PlainValidator(_read_date), PlainSerializer(_write_date)]


def _read_marking(value: Any) -> Marking:
    if isinstance(value, Marking):
        if not value.public and not value.parties:
            raise ValueError("a marking that is not public names at least one party")
        return value
    if not isinstance(value, dict):
        raise ValueError('a marking is {"public": true} or {"public": false, "releasable_to": ["EE", ...]}')
    parties = value.get("releasable_to")
    if value.get("public") is not True and not (isinstance(parties, list) and parties):
        raise ValueError("a marking that is not public names at least one party in releasable_to")
    try:
        marking = Marking.from_dict(value, author=parties[0] if parties else "")
    except EntenteError as exc:
        raise ValueError(exc.detail) from None
    for party in marking.parties:
        _party(party)
    return marking


MarkingField = Annotated[Marking, PlainValidator(_read_marking), PlainSerializer(lambda m: m.to_dict())]


# --- closed sets ------------------------------------------------------------------------------


class SubjectType(StrEnum):
    PERSON = "person"
    ENTITY = "entity"


class AliasType(StrEnum):
    AKA = "aka"  # also known as
    FKA = "fka"  # formerly known as
    WEAK = "weak"  # a weak alias: too broad to screen on alone (nicknames, noms de guerre)


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"


class DocumentType(StrEnum):
    PASSPORT = "passport"
    DIPLOMATIC_PASSPORT = "diplomatic_passport"
    NATIONAL_ID = "national_id"
    RESIDENCE_PERMIT = "residence_permit"
    DRIVING_LICENCE = "driving_licence"
    SOCIAL_SECURITY = "social_security"
    PERSONAL_TAX_ID = "personal_tax_id"
    OTHER = "other"


class RegistrationType(StrEnum):
    COMPANY_REGISTRATION = "company_registration"
    TAX_ID = "tax_id"
    LEI = "lei"
    IMO = "imo"
    SWIFT_BIC = "swift_bic"
    OTHER = "other"


class Relation(StrEnum):
    """How a designation is linked to another one."""

    OWNED_BY = "owned_by"
    CONTROLLED_BY = "controlled_by"
    ACTING_FOR = "acting_for"
    MEMBER_OF = "member_of"
    LEADER_OF = "leader_of"
    ASSOCIATE_OF = "associate_of"
    FAMILY_OF = "family_of"


class ReviewStep(StrEnum):
    """What a superseding package does, at its release, to a designation already in effect."""

    RENEW = "renew"
    LIFT = "lift"


class AdoptionState(StrEnum):
    """A party's position on a designation under its own law."""

    PROPOSED = "proposed"
    ADOPTED = "adopted"
    DECLINED = "declined"
    LIFTED = "lifted"


# --- names ------------------------------------------------------------------------------------


class NameForm(SanctionsModel):
    """One written form of a name: the whole, and its parts when known."""

    whole_name: Line
    first_name: Line | None = None
    middle_name: Line | None = None
    last_name: Line | None = None
    language: Language | None = None  # ISO 639-1, lower case ("ru", "ko")

    def texts(self) -> tuple[str, ...]:
        return tuple(t for t in (self.whole_name, self.first_name, self.middle_name, self.last_name) if t)

    @property
    def is_latin(self) -> bool:
        return all(is_latin(t) for t in self.texts())


class Name(SanctionsModel):
    """A name as written in its original script, and its Latin transliteration when that differs."""

    original: NameForm
    transliterated: NameForm | None = None

    @_model_validator(mode="after")
    def _latin_transliteration(self) -> Name:
        if self.transliterated is not None:
            if self.original.is_latin:
                raise ValueError("a name already in Latin script has no transliteration")
            if not self.transliterated.is_latin:
                raise ValueError("the transliteration must be in Latin script")
        return self

    @property
    def given_latin(self) -> NameForm | None:
        """The Latin form as entered (and so signed): the original when it is Latin, else the transliteration
        given, else None. Exports use this, never :attr:`latin`."""
        return self.original if self.original.is_latin else self.transliterated

    def suggested_transliteration(self) -> NameForm | None:
        """A machine transliteration to offer the drafter when the name has no Latin form yet; accepted
        into ``transliterated`` it becomes part of the designation (and is signed), otherwise it is nowhere."""
        return None if self.given_latin is not None else self.latin

    @property
    def latin(self) -> NameForm:
        """The Latin form: the one given, or a transliteration (ICAO 9303, Revised Romanization, Pinyin).

        For display and matching only: a machine transliteration is not a name anybody signed, so
        exports write :meth:`forms` (and :attr:`given_latin`) instead."""
        if self.transliterated is not None or self.original.is_latin:
            return self.transliterated or self.original
        o = self.original

        def latin(text: str | None) -> str | None:
            return transliterate(text) if text else None

        return NameForm(
            whole_name=transliterate(o.whole_name),
            first_name=latin(o.first_name),
            middle_name=latin(o.middle_name),
            last_name=latin(o.last_name),
        )

    def forms(self) -> tuple[NameForm, ...]:
        return (self.original,) if self.transliterated is None else (self.original, self.transliterated)


class Alias(SanctionsModel):
    type: AliasType
    name: Name


# --- places, documents, links -----------------------------------------------------------------


class Place(SanctionsModel):
    """A place of birth: a city, a country, or both."""

    city: Line | None = None
    region: Line | None = None
    country: Country | None = None

    @_model_validator(mode="after")
    def _city_or_country(self) -> Place:
        if self.city is None and self.country is None:
            raise ValueError("a place names at least a city or a country")
        return self


class Address(SanctionsModel):
    """An address; any part may be unknown, but not both the city and the country."""

    street: Line | None = None
    city: Line | None = None
    region: Line | None = None
    postal_code: Line | None = None
    country: Country | None = None
    note: Line | None = None

    @_model_validator(mode="after")
    def _city_or_country(self) -> Address:
        if self.city is None and self.country is None:
            raise ValueError("an address names at least a city or a country")
        return self


def normalise_number(number: str) -> str:
    """A document or registration number for comparison: no spaces, dashes, dots or slashes; case folded."""
    return re.sub(r"[\s\-./]", "", number).casefold()


class IdentityDocument(SanctionsModel):
    """An identity document: every number has its type and its issuing country."""

    type: DocumentType
    number: Annotated[Line, Field(max_length=64)]
    country: Country
    note: Line | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.type.value, self.country, normalise_number(self.number))


class RegistrationNumber(SanctionsModel):
    """A registration of an entity (or a tax number); ``country`` is absent for global schemes (LEI, IMO)."""

    type: RegistrationType
    number: Annotated[Line, Field(max_length=64)]
    country: Country | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.type.value, self.country or "", normalise_number(self.number))


class Affiliation(SanctionsModel):
    designation_id: ItemId
    relation: Relation


class SameSubject(SanctionsModel):
    """A link to the same subject designated in another package (a probable duplicate the drafter linked)."""

    package: Annotated[int, Field(ge=1, le=10**12)]
    designation: ItemId


class EvidenceItem(SanctionsModel):
    """Confidential evidence, each item with its own marking."""

    id: ItemId
    text: Text
    marking: MarkingField


class PartyPosition(SanctionsModel):
    """One party's legal basis and adoption state, with the dates and references each state needs.

    proposed: nothing else; adopted: ``legal_act`` and ``adopted_on``; declined: ``declined_on``
    and, for a reader who may see it, ``reason`` with its own ``reason_marking``; lifted: the
    adoption's act and date, and ``lifted_on``.

    A party's reason for declining is its own text, not part of the designation: it is stored as a
    separate annex item under ``reason_marking`` (by default releasable to the package's
    participants only, never public unless the party chooses), so a reader it is not releasable to
    sees a declined position without a reason. The marking always includes the party itself.
    """

    party: PartyCode
    legal_basis: Text | None = None
    state: AdoptionState = AdoptionState.PROPOSED
    legal_act: Line | None = None
    adopted_on: date | None = None
    declined_on: date | None = None
    reason: Text | None = None
    reason_marking: MarkingField | None = None
    lifted_on: date | None = None

    @_model_validator(mode="after")
    def _state_needs(self) -> PartyPosition:
        need = {
            AdoptionState.PROPOSED: set(),
            AdoptionState.ADOPTED: {"legal_act", "adopted_on"},
            AdoptionState.DECLINED: {"declined_on"},
            AdoptionState.LIFTED: {"legal_act", "adopted_on", "lifted_on"},
        }[self.state]
        may = {"reason", "reason_marking"} if self.state is AdoptionState.DECLINED else set()
        optional = {"legal_basis", "party", "state"}
        given = {name for name in type(self).model_fields if getattr(self, name) is not None} - optional
        if missing := sorted(need - given):
            raise ValueError(f"the {self.state.value} state needs {' and '.join(missing)}")
        if extra := sorted(given - need - may):
            raise ValueError(f"{' and '.join(extra)}: not part of the {self.state.value} state")
        if self.reason_marking is not None:
            if self.reason is None:
                raise ValueError("reason_marking goes with a reason")
            if not self.reason_marking.public and self.party not in self.reason_marking.parties:
                raise ValueError(f"a reason of {self.party} is always releasable to {self.party}")
        if self.lifted_on and self.adopted_on and self.lifted_on < self.adopted_on:
            raise ValueError("lifted_on is before adopted_on")
        return self
