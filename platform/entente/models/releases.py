"""Releases: the embargo instant the parties negotiate, the frozen version, and the public artefact.

A communiqué has at most one *open* release (any state but ``cancelled``): enforced under the
communiqué's lock in :mod:`entente.releases` and by a partial unique index on both backends.
``public_body`` is the public artefact rendered when the release is scheduled (canonical JSON),
so lifting the embargo at the instant needs no work.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import Field as InputField
from pydantic import JsonValue
from sqlmodel import Column, Field, SQLModel

from entente.models.base import ApiModel, Instant, instant_column
from entente.models.drafting import CommuniqueRecord

__all__ = [
    "AlignedPdf",
    "Alignment",
    "AlignmentCreate",
    "AlignmentPublic",
    "AlignmentWithdraw",
    "BundleCreate",
    "BundleMemberCreate",
    "BundleMemberPublic",
    "BundlePublic",
    "BundleResponseCreate",
    "BundleState",
    "PublicBundle",
    "PublicAlignmentRef",
    "PublicBundleRef",
    "ReleaseBundle",
    "ReleaseBundleMember",
    "CorrectionCreate",
    "Release",
    "ReleaseCreate",
    "ReleaseDecision",
    "ReleasePdf",
    "ReleasePartyPublic",
    "ReleasePublic",
    "ReleaseReason",
    "ReleaseResponse",
    "ReleaseResponseCreate",
    "ReleaseState",
    "ResponseDecision",
    "PublicReleaseSummary",
    "ReleaseVersionPublic",
]


class ReleaseState(StrEnum):
    PROPOSED = "proposed"
    AGREED = "agreed"
    SCHEDULED = "scheduled"
    RELEASED = "released"
    HELD = "held"
    CANCELLED = "cancelled"


class ResponseDecision(StrEnum):
    """What a party's response row records."""

    ACCEPTED = "accepted"
    COUNTERED = "countered"


class ReleaseDecision(StrEnum):
    """What a comms officer sends: accept the current instant, or counter-propose another."""

    ACCEPT = "accept"
    COUNTER = "counter"


# --- tables ------------------------------------------------------------------------------------


class Release(CommuniqueRecord, table=True):
    """One negotiation of an embargo instant for a communiqué, and what was released."""

    __table_args__ = (
        sa.Index(
            "ux_release_open",
            "communique_id",
            unique=True,
            sqlite_where=sa.text("state != 'cancelled'"),
            postgresql_where=sa.text("state != 'cancelled'"),
        ),
        # The public list, newest instant first, a page at a time (keyset pagination).
        sa.Index("ix_release_public_order", "embargo_at", "communique_id"),
    )

    state: str = Field(default=ReleaseState.PROPOSED, max_length=16, index=True)
    embargo_at: datetime = instant_column()
    proposed_by: str = Field(max_length=64)
    proposed_party: str = Field(max_length=16)
    version_number: int | None = None
    version_digest: str | None = Field(default=None, max_length=71)
    public_body: bytes | None = Field(default=None, sa_column=Column(sa.LargeBinary(), nullable=True))
    commitment_index: int | None = None
    commitment_salt: str | None = Field(default=None, max_length=64)
    publication_index: int | None = None
    created_at: datetime = instant_column()
    agreed_at: datetime | None = instant_column(nullable=True)
    scheduled_at: datetime | None = instant_column(nullable=True)
    published_at: datetime | None = instant_column(nullable=True)
    held_at: datetime | None = instant_column(nullable=True)
    cancelled_at: datetime | None = instant_column(nullable=True)
    lifted_at: datetime | None = instant_column(nullable=True)
    reason: str | None = Field(default=None, sa_column=Column(sa.Text(), nullable=True))
    bundle_id: int | None = Field(default=None, foreign_key="release_bundle.id", index=True)


class ReleasePdf(SQLModel, table=True):
    """The signed public PDF of a scheduled release (rendered off the event loop after scheduling, and
    again after an early lift, since it names the release instant). Its own table: never loaded with
    the release row."""

    __tablename__ = "release_pdf"

    release_id: int = Field(foreign_key="release.id", primary_key=True)
    pdf: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    digest: str = Field(max_length=71)
    embargo_at: datetime = instant_column()
    created_at: datetime = instant_column()


class ReleaseResponse(SQLModel, table=True):
    """A party's answer to the current proposal: it accepted ``instant``, or counter-proposed it."""

    __tablename__ = "release_response"

    release_id: int = Field(foreign_key="release.id", primary_key=True)
    party: str = Field(foreign_key="party.code", primary_key=True, max_length=16)
    decision: str = Field(max_length=16)
    instant: datetime = instant_column()
    by: str = Field(max_length=64)
    at: datetime = instant_column()


# --- data models: input -------------------------------------------------------------------------


class ReleaseCreate(ApiModel):
    """Propose an embargo instant: RFC 3339 with an offset (``2026-12-01T09:00:00Z``)."""

    at: Instant


class ReleaseResponseCreate(ApiModel):
    """Accept the current instant (``at`` names it) or counter-propose another (``at`` is the new one)."""

    party: str = InputField(min_length=1, max_length=16)
    decision: ReleaseDecision
    at: Instant


class ReleaseReason(ApiModel):
    reason: str = InputField(min_length=1, max_length=2000)


# --- data models: output ------------------------------------------------------------------------


class ReleasePartyPublic(SQLModel):
    """One accepted participating party: its zone, the instant there, and its answer."""

    party: str
    timezone: str
    embargo_local: datetime
    accepted: bool
    decision: ResponseDecision | None = None
    instant: datetime | None = None
    by: str | None = None
    at: datetime | None = None


class ReleaseVersionPublic(SQLModel):
    number: int
    digest: str


class ReleasePublic(SQLModel):
    id: int
    communique: int
    state: ReleaseState
    embargo_at: datetime
    public: bool
    proposed_by: str
    proposed_party: str
    version: ReleaseVersionPublic | None = None
    created_at: datetime
    agreed_at: datetime | None = None
    scheduled_at: datetime | None = None
    published_at: datetime | None = None
    held_at: datetime | None = None
    lifted_at: datetime | None = None
    reason: str | None = None
    waiting_for: list[str]
    parties: list[ReleasePartyPublic]


class PublicBundleRef(SQLModel):
    id: int
    title: str


class PublicAlignmentRef(SQLModel):
    """A later alignment as the public list and feed show it."""

    party: str
    aligned_at: datetime
    withdrawn_at: datetime | None = None


class PublicReleaseSummary(SQLModel):
    """A released communiqué as the public list shows it."""

    id: int
    kind: str
    title: str
    lead: str
    embargo_at: datetime
    version_number: int
    version_digest: str
    bundle: PublicBundleRef | None = None
    supersedes: int | None = None
    superseded_by: int | None = None
    alignments: list[PublicAlignmentRef] = Field(default_factory=list)


# --- release bundles -----------------------------------------------------------------------------


class BundleState(StrEnum):
    """A bundle's state, read from its members' releases (never stored on its own)."""

    OPEN = "open"  # members gathered, no instant proposed yet
    PROPOSED = "proposed"
    AGREED = "agreed"
    SCHEDULED = "scheduled"
    RELEASED = "released"
    HELD = "held"


class ReleaseBundle(SQLModel, table=True):
    """Several communiqués released as one: one instant, one schedule, one hold, one lift or cancel."""

    __tablename__ = "release_bundle"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=300)
    lead: str = Field(foreign_key="party.code", max_length=16)
    created_by: str = Field(max_length=64)
    created_at: datetime = instant_column()


class ReleaseBundleMember(SQLModel, table=True):
    """A communiqué in a bundle (a communiqué is in at most one bundle that is not cancelled)."""

    __tablename__ = "release_bundle_member"

    bundle_id: int = Field(foreign_key="release_bundle.id", primary_key=True)
    communique_id: int = Field(foreign_key="communique.id", primary_key=True, index=True)
    position: int
    added_by: str = Field(max_length=64)
    added_party: str = Field(max_length=16)
    added_at: datetime = instant_column()


class BundleCreate(ApiModel):
    """A new bundle of communiqués my party takes part in (at least one; others' parties add theirs)."""

    title: str = InputField(min_length=1, max_length=300)
    members: list[int] = InputField(min_length=1, max_length=32)


class BundleMemberCreate(ApiModel):
    communique: int = InputField(ge=1)


class BundleResponseCreate(ApiModel):
    """My party accepts the bundle's instant (``at`` names it) or counter-proposes ``at``."""

    party: str = InputField(min_length=1, max_length=16)
    decision: ReleaseDecision
    at: datetime


class BundleMemberPublic(SQLModel):
    """A member as one viewer sees it: id and title only when the viewer's party takes part in it."""

    communique: int | None = None
    title: str | None = None
    kind: str
    lead: str
    state: str
    release_state: ReleaseState | None = None
    ready_for_release: bool
    waiting_for: list[str] = Field(default_factory=list)


class BundlePublic(SQLModel):
    id: int
    title: str
    lead: str
    state: BundleState
    embargo_at: datetime | None = None
    public: bool
    parties: list[str]
    waiting_for: list[str]
    created_by: str
    created_at: datetime
    reason: str | None = None
    members: list[BundleMemberPublic]


class PublicBundle(SQLModel):
    """A released bundle as the public sees it: its members, each verifiable alone."""

    id: int
    title: str
    embargo_at: datetime
    members: list[int]


# --- late alignment ------------------------------------------------------------------------------


class Alignment(CommuniqueRecord, table=True):
    """A party aligning with a released communiqué after its release: its JWS over the released version
    bytes (``entente-alignment+jws``), an optional statement, both logged; withdrawn, never erased."""

    __tablename__ = "communique_alignment"

    release_id: int = Field(foreign_key="release.id")
    version_digest: str = Field(max_length=71)
    party: str = Field(foreign_key="party.code", max_length=16)
    signer: str = Field(max_length=64)
    envelope: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    kids: list[str] = Field(sa_column=Column(sa.JSON(), nullable=False))
    statement: str | None = Field(default=None, sa_column=Column(sa.Text(), nullable=True))
    aligned_at: datetime = instant_column()
    log_index: int | None = None
    withdrawn_at: datetime | None = instant_column(nullable=True)
    withdrawn_by: str | None = Field(default=None, max_length=64)
    withdrawal_reason: str | None = Field(default=None, sa_column=Column(sa.Text(), nullable=True))
    withdrawal_log_index: int | None = None


class AlignedPdf(SQLModel, table=True):
    """The public PDF re-rendered with the alignments as they stand (``through``: the digest of the
    alignment list it shows); the original PDF of the release stays as it was."""

    __tablename__ = "release_aligned_pdf"

    release_id: int = Field(foreign_key="release.id", primary_key=True)
    pdf: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    digest: str = Field(max_length=71)
    through: str = Field(max_length=71)
    created_at: datetime = instant_column()


class AlignmentCreate(ApiModel):
    """My party's JWS over the released version bytes (typ ``entente-alignment+jws``); with a statement,
    its protected header carries ``statement_digest`` (sha256 of the statement's UTF-8 bytes)."""

    jws: dict[str, JsonValue]
    statement: str | None = InputField(default=None, min_length=1, max_length=4000)


class AlignmentWithdraw(ApiModel):
    reason: str = InputField(min_length=1, max_length=2000)


class AlignmentPublic(SQLModel):
    id: int
    communique: int
    party: str
    signer: str | None = None
    version_digest: str
    statement: str | None = None
    kids: list[str]
    aligned_at: datetime
    log_index: int | None = None
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None
    withdrawal_log_index: int | None = None


class CorrectionCreate(ApiModel):
    """A correction: the successor's title and what changed (stated in the successor's signed text)."""

    title: str | None = InputField(default=None, min_length=1, max_length=300)
    changes: str = InputField(min_length=1, max_length=4000)
