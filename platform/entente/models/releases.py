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
from sqlmodel import Column, Field, SQLModel

from entente.models.base import ApiModel, Instant, instant_column

__all__ = [
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


class Release(SQLModel, table=True):
    """One negotiation of an embargo instant for a communiqué, and what was released."""

    __table_args__ = (
        sa.Index(
            "ux_release_open",
            "communique_id",
            unique=True,
            sqlite_where=sa.text("state != 'cancelled'"),
            postgresql_where=sa.text("state != 'cancelled'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    communique_id: int = Field(foreign_key="communique.id", index=True)
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


class PublicReleaseSummary(SQLModel):
    """A released communiqué as the public list shows it."""

    id: int
    kind: str
    title: str
    lead: str
    embargo_at: datetime
    version_number: int
    version_digest: str
