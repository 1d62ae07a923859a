"""Data models of sanctions packages (no tables: a package is a communiqué, a designation an annex item)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field as InputField
from pydantic import JsonValue
from sqlmodel import Field, SQLModel

from entente.models.base import ApiModel, MarkingInput, MarkingPublic, PartyCode
from entente.models.deescalation import ExitRampPublic
from entente.models.drafting import VersionRef

__all__ = [
    "AdoptionCreate",
    "AmendmentCreate",
    "CoordinationPublic",
    "CoordinationRowPublic",
    "DesignationPublic",
    "TransliterationSuggestionPublic",
    "DesignationWrite",
    "PackageCreate",
    "PackagePublic",
    "ReviewPublic",
    "StandingPublic",
    "SuccessorCreate",
]


class PackageCreate(ApiModel):
    """A sanctions package for an incident, led by my party, with the incident parties invited."""

    title: str = InputField(min_length=1, max_length=300)
    participants: list[PartyCode] = InputField(default_factory=list, max_length=64)


class DesignationWrite(ApiModel):
    """A designation (annex content form, see ``entente.sanctions.Designation``), its annex-item marking
    (public by default) and ``confirm`` to add it despite probable duplicates."""

    designation: dict[str, JsonValue]
    marking: MarkingInput | None = None
    confirm: bool = False


class AdoptionCreate(ApiModel):
    """A party's position: ``adopted`` (with ``legal_act``), ``declined`` (with ``reason``), ``lifted``,
    or ``proposed`` (reconsider after declining). ``on`` defaults to today. A reason is the party's own
    text: ``reason_marking`` says who may read it (default: the package's participants; never public
    unless ``{"public": true}`` is sent; never wider than the designation's marking)."""

    party: PartyCode
    state: str = InputField(pattern="^(proposed|adopted|declined|lifted)$")
    legal_act: str | None = InputField(default=None, min_length=1, max_length=300)
    legal_basis: str | None = InputField(default=None, min_length=1, max_length=2000)
    reason: str | None = InputField(default=None, min_length=1, max_length=5000)
    reason_marking: MarkingInput | None = None
    on: date | None = None


class AmendmentCreate(ApiModel):
    reasons: str = InputField(min_length=1, max_length=20_000)


class SuccessorCreate(ApiModel):
    """Start the package superseding a released one (to renew, amend or lift its designations, or add new
    ones); the title defaults to the released package's."""

    title: str | None = InputField(default=None, min_length=1, max_length=300)


class StandingPublic(SQLModel):
    """Where a designation stands in the in-force record at the moment of reading (from the releases of
    its package's chain): when it took effect, its review date, when it was lifted, and whether it is in
    force now."""

    version: int
    since: datetime
    effective_at: datetime
    review_at: datetime | None = None
    lifted_at: datetime | None = None
    in_force: bool


class TransliterationSuggestionPublic(SQLModel):
    """A machine transliteration offered to the drafter: put ``value`` at ``pointer`` (in ``designation``)
    and save to accept it; until then no export carries it."""

    pointer: str
    value: dict[str, JsonValue]


class DesignationPublic(SQLModel):
    item: str
    marking: MarkingPublic
    designation: dict[str, JsonValue]
    standing: StandingPublic | None = None
    suggestions: list[TransliterationSuggestionPublic] = []


class PackagePublic(SQLModel):
    id: int
    title: str
    lead: str
    state: str
    incident: int | None = None
    tier: int | None = None
    head: VersionRef | None = None
    parties: list[str]
    supersedes: int | None = None
    superseded_by: int | None = None
    released_at: datetime | None = None
    as_of: datetime | None = None
    designations: list[DesignationPublic]
    withheld: int = 0


class CoordinationRowPublic(SQLModel):
    designation: str
    name: str
    proposed_by: str
    states: dict[str, str | None]
    same_as: list[dict[str, int | str]] = Field(default_factory=list)


class CoordinationPublic(SQLModel):
    package: int
    parties: list[str]
    rows: list[CoordinationRowPublic]
    gaps: list[dict[str, str]] = Field(default_factory=list)


class ReviewPublic(SQLModel):
    package: int
    package_title: str
    designation: str
    name: str
    effective_at: datetime | None = None
    review_at: datetime | None = None
    successor: int | None = None
    step: str | None = None
    #: The ladder's exit ramps for the tier the measures were taken at, and whether each is met.
    exit_ramps: list[ExitRampPublic] = []
