"""Data models of sanctions packages (no tables: a package is a communiqué, a designation an annex item)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, JsonValue
from pydantic import Field as InputField
from sqlmodel import Field, SQLModel

from entente.models.base import ApiModel
from entente.models.drafting import MarkingInput, MarkingPublic, PartyCode, VersionRef

__all__ = [
    "AdoptionCreate",
    "AmendmentCreate",
    "CoordinationPublic",
    "CoordinationRowPublic",
    "DesignationPublic",
    "DesignationWrite",
    "EffectCreate",
    "PackageCreate",
    "PackagePublic",
    "ReviewPublic",
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
    or ``proposed`` (reconsider after declining). ``on`` defaults to today."""

    party: PartyCode
    state: str = InputField(pattern="^(proposed|adopted|declined|lifted)$")
    legal_act: str | None = InputField(default=None, min_length=1, max_length=300)
    legal_basis: str | None = InputField(default=None, min_length=1, max_length=2000)
    reason: str | None = InputField(default=None, min_length=1, max_length=5000)
    on: date | None = None


class AmendmentCreate(ApiModel):
    reasons: str = InputField(min_length=1, max_length=20_000)


class EffectCreate(ApiModel):
    """The release instant the package's designations take effect at (default: now)."""

    at: AwareDatetime | None = None


class DesignationPublic(SQLModel):
    item: str
    marking: MarkingPublic
    designation: dict[str, JsonValue]


class PackagePublic(SQLModel):
    id: int
    title: str
    lead: str
    state: str
    incident: int | None = None
    tier: int | None = None
    head: VersionRef | None = None
    parties: list[str]
    as_of: datetime | None = None
    designations: list[DesignationPublic]
    withheld: int = 0


class CoordinationRowPublic(SQLModel):
    designation: str
    name: str
    proposed_by: str
    states: dict[str, str | None]


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
