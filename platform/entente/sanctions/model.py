"""A designation: a person or an entity, what is known of them, the measures, and each party's position.

A sanctions package is a communiqué whose annex items are designations: each designation enters
the version object as annex content (:meth:`Designation.to_annex_content`: canonical-JSON-ready,
no floats, NFC text) and comes back with :meth:`Designation.from_annex_content`, which refuses
bad input with an :class:`~entente.errors.InvalidInputError` listing every problem, each with a
JSON Pointer (``/documents/0/country``) in ``extra["errors"]``.

Designations are values: nothing here mutates one. Lifecycle steps (:mod:`.lifecycle`) and
adoption steps (:mod:`.adoption`) return a new designation with the next ``version``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

from pydantic import Field, ValidationError, ValidationInfo, model_validator

from ..canonical import canonical_bytes, normalize
from ..errors import InvalidInputError
from ..ladder import Measure
from .parts import (
    Address,
    Affiliation,
    Alias,
    AliasType,
    BirthDate,
    Country,
    EvidenceItem,
    Gender,
    IdentityDocument,
    ItemId,
    Line,
    Name,
    NameForm,
    PartyCode,
    PartyPosition,
    Place,
    RegistrationNumber,
    ReviewStep,
    SameSubject,
    SanctionsModel,
    SubjectType,
    Text,
    Utc,
)

__all__ = [
    "ANNEX_KIND",
    "MAX_ITEMS",
    "STANDING",
    "STATE",
    "Designation",
    "NamedForm",
    "TransliterationSuggestion",
    "invalid_input",
]

#: The annex item ``kind`` a designation is stored under in a communiqué version.
ANNEX_KIND = "designation"

#: Members the releases of a designation's packages set: the server's, never an editor's.
STANDING = ("effective_at", "review_at", "lifted_at", "step")
#: Members that say where a designation stands rather than what it says.
STATE = ("version", "version_at", *STANDING)

#: Most entries any list of a designation may have.
MAX_ITEMS = 100

Items = Field(default=(), max_length=MAX_ITEMS)

#: ``(pointer, form, alias type or None)``: one way a designation is named, for matching and exports.
NamedForm = tuple[str, Name, AliasType | None]


class TransliterationSuggestion(SanctionsModel):
    """A machine transliteration offered to the drafter: ``value`` would go at ``pointer`` if accepted."""

    pointer: str
    value: NameForm


class Designation(SanctionsModel):
    """One person or entity in a sanctions package, as of one version."""

    id: ItemId
    version: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    subject_type: SubjectType
    proposed_by: PartyCode
    primary_name: Name
    other_names: tuple[Name, ...] = Items
    aliases: tuple[Alias, ...] = Items
    gender: Gender | None = None
    titles: tuple[Line, ...] = Items
    functions: tuple[Line, ...] = Items
    dates_of_birth: tuple[BirthDate, ...] = Items
    places_of_birth: tuple[Place, ...] = Items
    nationalities: tuple[Country, ...] = Items
    documents: tuple[IdentityDocument, ...] = Items
    addresses: tuple[Address, ...] = Items
    registrations: tuple[RegistrationNumber, ...] = Items
    affiliations: tuple[Affiliation, ...] = Items
    same_as: tuple[SameSubject, ...] = Field(default=(), max_length=10)
    measures: tuple[Measure, ...] = Field(min_length=1, max_length=len(Measure))
    reasons: Text
    evidence: tuple[EvidenceItem, ...] = Items
    parties: tuple[PartyPosition, ...] = Items
    effective_at: Utc | None = None
    review_at: Utc | None = None
    lifted_at: Utc | None = None
    version_at: Utc | None = None
    step: ReviewStep | None = None

    @model_validator(mode="after")
    def _cross_field_rules(self, info: ValidationInfo) -> Designation:
        problems = list(_rules(self))
        if not problems:
            return self
        collector = (info.context or {}).get("problems") if info else None
        if collector is not None:
            collector.extend(problems)
            return self
        pointer, reason = problems[0]
        raise ValueError(f"{pointer}: {reason}")

    # --- reading ------------------------------------------------------------------------------

    @property
    def is_person(self) -> bool:
        return self.subject_type is SubjectType.PERSON

    @property
    def is_lifted(self) -> bool:
        return self.lifted_at is not None

    def position(self, party: str) -> PartyPosition | None:
        return next((p for p in self.parties if p.party == party), None)

    def named_forms(self) -> Iterator[NamedForm]:
        """Every name this designation goes by, with its JSON Pointer and alias type (None for names)."""
        yield "/primary_name", self.primary_name, None
        for index, name in enumerate(self.other_names):
            yield f"/other_names/{index}", name, None
        for index, alias in enumerate(self.aliases):
            yield f"/aliases/{index}/name", alias.name, alias.type

    def transliteration_suggestions(self) -> list[TransliterationSuggestion]:
        """Machine transliterations the drafter may accept, one per name written only in a non-Latin script.

        Each names where to put it (``pointer``): accepted, it is part of the designation and signed
        with it. Exports never add one by themselves.
        """
        out = []
        for pointer, name, _ in self.named_forms():
            suggestion = name.suggested_transliteration()
            if suggestion is not None:
                out.append(TransliterationSuggestion(pointer=f"{pointer}/transliterated", value=suggestion))
        return out

    @property
    def display_name(self) -> str:
        """The primary name in Latin script, with the original after it when that differs."""
        latin = self.primary_name.latin.whole_name
        original = self.primary_name.original.whole_name
        return latin if latin == original else f"{latin} ({original})"

    # --- annex content ------------------------------------------------------------------------

    def to_annex_content(self) -> dict[str, Any]:
        """The designation as annex content: JSON values only (no floats), NFC text, absent members left out."""
        return normalize(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_annex_content(cls, content: Mapping[str, Any]) -> Designation:
        """Read annex content (or an API body); InvalidInputError lists every problem with its pointer."""
        if not isinstance(content, Mapping):
            raise InvalidInputError("a designation is a JSON object", field="")
        data = canonical_bytes(dict(content))
        problems: list[tuple[str, str]] = []
        try:
            designation = cls.model_validate_json(data, context={"problems": problems})
        except ValidationError as exc:
            raise invalid_input(exc, more=problems) from None
        if problems:
            raise _problems_error(problems)
        return designation

    def without_evidence(self) -> Designation:
        """The same designation with no confidential evidence and no party's reason for declining that
        the party did not make public (what a public export carries)."""
        parties = tuple(
            p if p.reason_marking is None or p.reason_marking.public
            else p.model_copy(update={"reason": None, "reason_marking": None})
            for p in self.parties
        )
        # A reason without a marking of its own comes from content stored before reasons were marked:
        # it is not known to be public, so it is left out too.
        parties = tuple(
            p.model_copy(update={"reason": None}) if p.reason is not None and p.reason_marking is None else p
            for p in parties
        )
        return self.evolve(evidence=(), parties=parties, bump=False)

    def evolve(self, *, bump: bool = True, **changes: Any) -> Designation:
        """A validated copy with ``changes`` (and the next version number unless ``bump`` is false)."""
        values = dict(self)
        values.update(changes)
        if bump:
            values["version"] = self.version + 1
        try:
            return type(self).model_validate(values)
        except ValidationError as exc:
            raise invalid_input(exc) from None


# --- cross-field rules ------------------------------------------------------------------------

_PERSON_ONLY = ("gender", "titles", "functions", "dates_of_birth", "places_of_birth", "nationalities", "documents")


def _duplicates(values: list[Any]) -> list[int]:
    """Indexes of entries that repeat an earlier one."""
    seen: Counter[Any] = Counter()
    repeated = []
    for index, value in enumerate(values):
        seen[value] += 1
        if seen[value] > 1:
            repeated.append(index)
    return repeated


def _rules(d: Designation) -> Iterator[tuple[str, str]]:
    if not d.is_person:
        for name in _PERSON_ONLY:
            if getattr(d, name):
                yield f"/{name}", f"an entity has no {name.replace('_', ' ')}"
    for field, values in (
        ("measures", list(d.measures)),
        ("nationalities", list(d.nationalities)),
        ("evidence", [e.id for e in d.evidence]),
        ("parties", [p.party for p in d.parties]),
        ("documents", [doc.key for doc in d.documents]),
        ("registrations", [r.key for r in d.registrations]),
        ("affiliations", [a.designation_id for a in d.affiliations]),
        ("same_as", list(d.same_as)),
    ):
        for index in _duplicates(values):
            yield f"/{field}/{index}", "repeats an earlier entry"
    for index, link in enumerate(d.affiliations):
        if link.designation_id == d.id:
            yield f"/affiliations/{index}/designation_id", "a designation is not affiliated with itself"
    if d.review_at is not None and (d.effective_at is None or d.review_at <= d.effective_at):
        yield "/review_at", "the review date comes after the effective instant"
    if d.lifted_at is not None and (d.effective_at is None or d.lifted_at < d.effective_at):
        yield "/lifted_at", "a designation is lifted only after it took effect"
    if d.step is not None and (d.effective_at is None or d.lifted_at is not None):
        yield "/step", f"only a designation in effect can be {'renewed' if d.step is ReviewStep.RENEW else 'lifted'}"


# --- errors -----------------------------------------------------------------------------------


def _pointer(loc: tuple[int | str, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in loc)


def _reason(error: Mapping[str, Any]) -> str:
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix) :]
    if error["type"] == "missing":
        return "required"
    if error["type"] == "extra_forbidden":
        return "unknown member"
    return message


def _problems_error(problems: list[tuple[str, str]]) -> InvalidInputError:
    pointer, reason = problems[0]
    more = len(problems) - 1
    detail = reason + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
    return InvalidInputError(detail, field=pointer, extra={"errors": [{"field": f, "reason": r} for f, r in problems]})


def invalid_input(
    exc: ValidationError, *, prefix: str = "", more: list[tuple[str, str]] | None = None
) -> InvalidInputError:
    """One InvalidInputError for a pydantic ValidationError, with a JSON Pointer per problem."""
    problems: list[tuple[str, str]] = []
    for error in exc.errors(include_url=False):
        loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        reason = _reason(error)
        if not loc and reason.startswith("/") and ": " in reason:  # a cross-field rule raised directly
            pointer, reason = reason.split(": ", 1)
            problems.append((prefix + pointer, reason))
        else:
            problems.append((prefix + _pointer(loc), reason))
    problems.extend(more or ())
    return _problems_error(problems)
