"""Communiqués, their participants, immutable versions with per-item disclosures, and comments
(sign-offs of versions: :mod:`entente.models.signoffs`).

A version's ``content`` holds the exact canonical bytes of its version object (what signatories
sign); each section and annex item of that version is a row of ``communique_version_item`` holding
its encoded disclosure, so a reader is given only the disclosures it may see. ``content_hash`` is a
server-side fingerprint of an item's content (never shown) used to merge and diff without decoding.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import AfterValidator, JsonValue, field_validator
from pydantic import Field as InputField
from sqlmodel import Column, Field, SQLModel

from entente.models.base import ApiModel, MarkingInput, MarkingPublic, PartyCode, instant_column, json_column

__all__ = [
    "ITEM_ID_PATTERN",
    "AnnexItemInput",
    "AnnexItemPublic",
    "CommentCreate",
    "CommentPublic",
    "Communique",
    "CommuniqueCreate",
    "CommuniqueKind",
    "CommuniqueParticipant",
    "CommuniquePublic",
    "CommuniqueState",
    "CommuniqueVersion",
    "DiffPublic",
    "InvitationCreate",
    "ItemDiffPublic",
    "MarkingInput",
    "MarkingPublic",
    "ParticipantPublic",
    "SectionComment",
    "SectionInput",
    "SectionPublic",
    "TemplateRefPublic",
    "VersionItem",
    "VersionPublic",
    "VersionRef",
    "VersionSave",
    "VersionSummary",
    "WithheldMarkingPublic",
    "WithheldPublic",
]

ITEM_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
ANNEX_KIND_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,31}")


class CommuniqueKind(StrEnum):
    JOINT_STATEMENT = "joint_statement"
    COORDINATED_NATIONAL_STATEMENT = "coordinated_national_statement"
    SANCTIONS_PACKAGE = "sanctions_package"


class CommuniqueState(StrEnum):
    DRAFTING = "drafting"
    SIGNING = "signing"
    SCHEDULED = "scheduled"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"
    HELD = "held"

    @property
    def editable(self) -> bool:
        return self in (CommuniqueState.DRAFTING, CommuniqueState.SIGNING)


# --- tables ------------------------------------------------------------------------------------


class CommuniqueRecord(SQLModel):
    """The first columns of a table of a communiqué's rows: a sequential ``id``, then the communiqué's
    (indexed). Not a table: versions, comments, sign-offs, releases and alignments inherit it."""

    id: int | None = Field(default=None, primary_key=True)
    communique_id: int = Field(foreign_key="communique.id", index=True)


class Communique(SQLModel, table=True):
    """A communiqué: its lead, state, template and incident links, and a pointer to its head version.

    ``id`` is random (like an incident's): a public id reveals neither how many communiqués exist nor
    that unreleased ones do. Communiqués made before migration 0016 keep their sequential ids."""

    # The lists (newest first) walk this index instead of sorting every communiqué of a party.
    __table_args__ = (sa.Index("ix_communique_updated", "updated_at", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(max_length=40)
    title: str = Field(max_length=300)
    lead: str = Field(foreign_key="party.code", max_length=16)
    state: str = Field(default=CommuniqueState.DRAFTING, max_length=16, index=True)
    incident_id: int | None = Field(default=None, index=True)
    template_id: str | None = Field(default=None, max_length=64)
    template_version: int | None = None
    template_digest: str | None = Field(default=None, max_length=71)
    tier: int | None = None
    head_number: int = 0
    head_digest: str | None = Field(default=None, max_length=71)
    ready_digest: str | None = Field(default=None, max_length=71)
    supersedes_id: int | None = Field(default=None, index=True)
    created_by: str = Field(max_length=64)
    created_at: datetime = instant_column()
    updated_at: datetime = instant_column()


class CommuniqueParticipant(SQLModel, table=True):
    """A party taking part in a communiqué; it sees the text only once ``accepted``, and, when it
    joined after the release instant was agreed, once it has also accepted an instant
    (``awaits_instant`` until then)."""

    __tablename__ = "communique_participant"

    communique_id: int = Field(foreign_key="communique.id", primary_key=True)
    party: str = Field(foreign_key="party.code", primary_key=True, max_length=16, index=True)
    accepted: bool = False
    awaits_instant: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    invited_by: str = Field(max_length=64)
    invited_at: datetime = instant_column()
    accepted_at: datetime | None = instant_column(nullable=True)


class CommuniqueVersion(CommuniqueRecord, table=True):
    """One immutable saved state; ``content`` is the exact canonical version object."""

    __tablename__ = "communique_version"
    __table_args__ = (sa.UniqueConstraint("communique_id", "number"),)

    number: int
    digest: str = Field(max_length=71, sa_column_kwargs={"unique": True})
    prev_digest: str | None = Field(default=None, max_length=71)
    title: str = Field(max_length=300)
    author: str = Field(max_length=64)
    author_party: str = Field(max_length=16)
    created_at: datetime = instant_column()
    content: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    merged_head: str | None = Field(default=None, max_length=71)
    template_params: dict[str, Any] | None = json_column(nullable=True)


class VersionItem(SQLModel, table=True):
    """A section (``part == "section"``) or annex item of a version, as its encoded disclosure."""

    __tablename__ = "communique_version_item"
    __table_args__ = (sa.Index("ix_communique_version_item_lookup", "communique_id", "item_id"),)

    version_id: int = Field(foreign_key="communique_version.id", primary_key=True)
    part: str = Field(primary_key=True, max_length=8)
    position: int = Field(primary_key=True)
    communique_id: int = Field(foreign_key="communique.id")
    item_id: str = Field(max_length=64)
    digest: str = Field(max_length=64)
    disclosure: str = Field(sa_column=Column(sa.Text(), nullable=False))
    marking: dict[str, Any] = json_column()
    #: The salted disclosure ``[salt, "marking", marking]`` a format 2 version object lists the digest of
    #: (None in format 1 versions, whose object holds the marking in the clear).
    marking_disclosure: str | None = Field(default=None, sa_column=Column(sa.Text(), nullable=True))
    origin: str = Field(max_length=16)
    content_hash: str = Field(max_length=64)


class SectionComment(CommuniqueRecord, table=True):
    """A comment on a section; ``thread_id`` is the first comment of its thread (None for that one)."""

    __tablename__ = "communique_comment"

    section_id: str = Field(max_length=64)
    thread_id: int | None = Field(default=None, foreign_key="communique_comment.id")
    version_number: int
    author: str = Field(max_length=64)
    author_party: str = Field(max_length=16)
    body: str = Field(sa_column=Column(sa.Text(), nullable=False))
    created_at: datetime = instant_column()
    resolved_at: datetime | None = instant_column(nullable=True)
    resolved_by: str | None = Field(default=None, max_length=64)


# --- data models: input -------------------------------------------------------------------------


def _item_id(value: str) -> str:
    if not ITEM_ID_PATTERN.fullmatch(value):
        raise ValueError("lower-case letters, digits, '_' and '-', at most 64, starting with a letter or digit")
    return value


ItemId = Annotated[str, AfterValidator(_item_id)]


class SectionInput(ApiModel):
    """A section as the editor sends it; a new section has no ``id`` (the server names it)."""

    id: ItemId | None = None
    heading: str = InputField(min_length=1, max_length=300)
    body: str = ""
    marking: MarkingInput = InputField(default_factory=lambda: MarkingInput(public=True))


class AnnexItemInput(ApiModel):
    id: ItemId | None = None
    kind: str = InputField(min_length=1, max_length=32)
    content: JsonValue
    marking: MarkingInput = InputField(default_factory=lambda: MarkingInput(public=True))

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if not ANNEX_KIND_PATTERN.fullmatch(value):
            raise ValueError("lower-case letters, digits and '_', starting with a letter")
        return value


class CommuniqueCreate(ApiModel):
    """A new communiqué: written directly (``sections``), or rendered from a crisis ``template``."""

    kind: CommuniqueKind
    title: str = InputField(min_length=1, max_length=300)
    participants: list[PartyCode] = InputField(default_factory=list, max_length=64)
    sections: list[SectionInput] = InputField(default_factory=list)
    annex: list[AnnexItemInput] = InputField(default_factory=list)
    incident: int | None = InputField(default=None, ge=1)
    template: str | None = InputField(default=None, max_length=64)
    params: dict[str, JsonValue] | None = None
    tier: int | None = InputField(default=None, ge=0, le=100)


class VersionSave(ApiModel):
    """A save: the title and the sections (and annex) as the editor sees them; omitted means unchanged."""

    title: str | None = InputField(default=None, min_length=1, max_length=300)
    sections: list[SectionInput] | None = None
    annex: list[AnnexItemInput] | None = None


class InvitationCreate(ApiModel):
    party: PartyCode


class CommentCreate(ApiModel):
    body: str = InputField(min_length=1, max_length=20_000)
    reply_to: int | None = InputField(default=None, ge=1)


# --- data models: output ------------------------------------------------------------------------


class ParticipantPublic(SQLModel):
    party: str
    accepted: bool
    awaits_instant: bool = False
    invited_at: datetime
    accepted_at: datetime | None = None


class VersionRef(SQLModel):
    number: int
    digest: str


class TemplateRefPublic(SQLModel):
    id: str
    version: int
    digest: str
    tier: int | None = None


class CommuniquePublic(SQLModel):
    id: int
    kind: CommuniqueKind
    title: str
    lead: str
    state: CommuniqueState
    incident: int | None = None
    template: TemplateRefPublic | None = None
    participants: list[ParticipantPublic]
    head: VersionRef | None = None
    ready_for_release: bool
    accepted: bool
    supersedes: int | None = None
    created_by: str
    created_at: datetime
    updated_at: datetime


class VersionSummary(SQLModel):
    number: int
    digest: str
    prev: str | None = None
    title: str
    author: str
    author_party: str
    created_at: datetime
    merged_head: str | None = None
    #: what the version did: ``start`` (version 1), ``edit``, or ``join`` (a party accepted to take
    #: part: the text is unchanged and the version lists the party; not an edit)
    change: str = "edit"
    joined: list[str] = []


class SectionPublic(SQLModel):
    id: str
    heading: str
    body: str
    marking: MarkingPublic
    origin: str
    digest: str
    disclosure: str
    marking_disclosure: str | None = None  # format 2: the disclosure of ``marking`` the object lists


class AnnexItemPublic(SQLModel):
    id: str
    kind: str
    content: JsonValue
    marking: MarkingPublic
    origin: str
    digest: str
    disclosure: str
    marking_disclosure: str | None = None  # format 2: the disclosure of ``marking`` the object lists


class WithheldPublic(SQLModel):
    sections: int
    annex: int


class WithheldMarkingPublic(SQLModel):
    """An item this participant may not read: where it is, its digest and who may read it (so a
    signatory signs knowingly); in format 2 versions with the marking disclosure to check that against
    the object. Only participants get these; the public learns the counts alone."""

    part: str
    position: int
    digest: str
    marking: MarkingPublic
    marking_disclosure: str | None = None


class VersionPublic(VersionSummary):
    communique: int
    kind: str
    lead: str
    parties: list[str]
    template: TemplateRefPublic | None = None
    object: dict[str, JsonValue]
    sections: list[SectionPublic]
    annex: list[AnnexItemPublic]
    withheld: WithheldPublic
    withheld_markings: list[WithheldMarkingPublic] = Field(default_factory=list)


class ItemDiffPublic(SQLModel):
    id: str
    change: str
    heading: list[list[str]] | None = None
    body: list[list[str]] | None = None
    content: dict[str, JsonValue] | None = None
    marking_from: MarkingPublic | None = None
    marking_to: MarkingPublic | None = None
    moved: bool = False


class DiffPublic(SQLModel):
    communique: int
    from_version: VersionRef
    to_version: VersionRef
    title: list[list[str]]
    sections: list[ItemDiffPublic]
    annex: list[ItemDiffPublic]


class CommentPublic(SQLModel):
    id: int
    section: str
    thread: int
    reply_to: int | None = None
    version: int
    author: str
    author_party: str
    body: str
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
