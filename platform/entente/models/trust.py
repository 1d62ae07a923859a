"""Trust: party keys, the signed roster versions and their proposals, template pre-signatures.

Tables keep exact bytes where bytes are signed (roster versions, pre-signature objects and their
JWS envelopes): they are published as stored, never re-serialised from columns.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import Field as InputField
from sqlmodel import Column, Field, SQLModel

from entente.models.base import ApiModel, Instant, instant_column, json_column

__all__ = [
    "JwksPublic",
    "KeyCreate",
    "KeyPublic",
    "KeyRevoke",
    "PartyKey",
    "PresignatureCreate",
    "PresignaturePublic",
    "PresignatureState",
    "RosterDocument",
    "RosterProposal",
    "RosterProposalCreate",
    "RosterProposalPublic",
    "RosterProposalStatus",
    "RosterSignature",
    "RosterSignatureCreate",
    "RosterSignaturePublic",
    "RosterStatePublic",
    "RosterThresholdPublic",
    "RosterVersion",
    "TemplateDetail",
    "TemplatePresignature",
    "TemplatePublic",
]


# --- tables ----------------------------------------------------------------------------------------


class PartyKey(SQLModel, table=True):
    """A party's public signing key. ``fingerprint`` (the key material) is unique across parties."""

    __tablename__ = "party_key"

    id: int | None = Field(default=None, primary_key=True)
    party_code: str = Field(foreign_key="party.code", index=True, max_length=16)
    kid: str = Field(max_length=64, index=True)
    alg: str = Field(max_length=16)
    jwk: dict[str, Any] = json_column()
    fingerprint: str = Field(max_length=71, sa_column_kwargs={"unique": True})
    not_before: datetime = instant_column()
    not_after: datetime | None = instant_column(nullable=True)
    revoked_at: datetime | None = instant_column(nullable=True)
    revocation_reason: str | None = Field(default=None, max_length=500)
    registered_by: str = Field(max_length=64)
    created_at: datetime = instant_column()


class RosterProposalStatus(StrEnum):
    PENDING = "pending"
    ADOPTED = "adopted"
    WITHDRAWN = "withdrawn"


class RosterProposal(SQLModel, table=True):
    """Roster version N+1 as proposed: exact canonical bytes, collecting signatures until adopted."""

    __tablename__ = "roster_proposal"

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(index=True)
    body: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    digest: str = Field(max_length=71)
    expires: datetime = instant_column()
    status: RosterProposalStatus = Field(sa_column=Column(sa.String(16), nullable=False))
    created_by: str = Field(max_length=64)
    created_at: datetime = instant_column()
    closed_at: datetime | None = instant_column(nullable=True)


class RosterSignature(SQLModel, table=True):
    """One verified JWS signature entry (``protected`` and ``signature``) over a proposal's bytes."""

    __tablename__ = "roster_signature"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "fingerprint"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="roster_proposal.id", index=True)
    party_code: str = Field(max_length=16)
    kid: str = Field(max_length=64)
    fingerprint: str = Field(max_length=71)
    entry: dict[str, Any] = json_column()
    iat: datetime = instant_column()
    submitted_by: str = Field(max_length=64)
    created_at: datetime = instant_column()


class RosterVersion(SQLModel, table=True):
    """An effective roster version: its bytes, digest and the merged JWS that made it effective."""

    __tablename__ = "roster_version"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    body: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    digest: str = Field(max_length=71, sa_column_kwargs={"unique": True})
    envelope: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    expires: datetime = instant_column()
    proposal_id: int = Field(foreign_key="roster_proposal.id")
    adopted_at: datetime = instant_column()


class TemplatePresignature(SQLModel, table=True):
    """A party's signature, in advance, over a crisis template's pre-signature object."""

    __tablename__ = "template_presignature"

    id: int | None = Field(default=None, primary_key=True)
    template_id: str = Field(max_length=64, index=True)
    template_version: int
    template_digest: str = Field(max_length=71)
    party_code: str = Field(foreign_key="party.code", index=True, max_length=16)
    tiers: list[int] = json_column()
    payload: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    envelope: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    kid: str = Field(max_length=64)
    fingerprint: str = Field(max_length=71)
    iat: datetime = instant_column()
    not_before: datetime = instant_column()
    not_after: datetime = instant_column()
    created_by: str = Field(max_length=64)
    created_at: datetime = instant_column()
    withdrawn_at: datetime | None = instant_column(nullable=True)
    withdrawn_by: str | None = Field(default=None, max_length=64)


# --- party keys: API shapes --------------------------------------------------------------------------


class KeyCreate(ApiModel):
    """A public key to register. ``alg``, when given, must fit the key type (as ``jwk.alg`` must)."""

    jwk: dict[str, Any]
    alg: str | None = InputField(default=None, max_length=16)
    not_before: Instant | None = None
    not_after: Instant | None = None


class KeyRevoke(ApiModel):
    reason: str = InputField(min_length=1, max_length=500)
    at: Instant | None = None


class KeyPublic(SQLModel):
    party: str
    kid: str
    alg: str
    fingerprint: str
    jwk: dict[str, Any]
    not_before: datetime
    not_after: datetime | None = None
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    registered_by: str
    created_at: datetime


class JwksPublic(SQLModel):
    """RFC 7517 JWK Set; each key adds ``not_before``/``not_after``/``revoked_at`` (RFC 3339) when set."""

    party: str
    keys: list[dict[str, Any]]


# --- the roster: API shapes --------------------------------------------------------------------------


class RosterProposalCreate(ApiModel):
    """Build roster N+1 from the database (optionally overriding its policies and expiry), or take
    a complete roster object in ``roster``."""

    expires: Instant | None = None
    threshold: int | None = InputField(default=None, ge=1, le=1000)
    default_policy: dict[str, Any] | None = None
    policies: dict[str, dict[str, Any]] | None = None
    roster: dict[str, Any] | None = None


class RosterSignatureCreate(ApiModel):
    """A JWS (general or flattened JSON, detached payload) over the proposal's exact bytes."""

    party: str | None = InputField(default=None, min_length=2, max_length=16)
    jws: dict[str, Any]


class RosterSignaturePublic(SQLModel):
    party: str
    kid: str
    iat: datetime
    submitted_by: str
    created_at: datetime


class RosterThresholdPublic(SQLModel):
    """One of the two thresholds of the TUF root rule: the previous roster's and the proposal's own."""

    roster_version: int
    threshold: int
    signed: list[str]
    met: bool


class RosterProposalPublic(SQLModel):
    id: int
    version: int
    digest: str
    status: RosterProposalStatus
    expires: datetime
    created_by: str
    created_at: datetime
    closed_at: datetime | None = None
    roster: dict[str, Any]
    signatures: list[RosterSignaturePublic]
    thresholds: list[RosterThresholdPublic]


class RosterDocument(SQLModel):
    """What ``/.well-known/entente/roster/{n}.json`` serves: the roster object (its RFC 8785 bytes are
    what is signed), their digest, and a detached JWS in general JSON form."""

    roster: dict[str, Any]
    digest: str
    jws: dict[str, Any]


class RosterStatePublic(SQLModel):
    current: RosterDocument | None = None
    proposal: RosterProposalPublic | None = None


# --- template pre-signatures: API shapes ---------------------------------------------------------------


class PresignatureState(StrEnum):
    VALID = "valid"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    KEY_REVOKED = "key_revoked"
    KEY_EXPIRED = "key_expired"
    TEMPLATE_CHANGED = "template_changed"
    WITHDRAWN = "withdrawn"


class PresignatureCreate(ApiModel):
    """What a signatory submits: the terms it signed and a JWS over the exact pre-signature object.

    ``template_digest`` (recommended) is the digest of the template the signer reviewed; a mismatch
    answers 422 ``template_digest_mismatch`` before anything else is checked.
    """

    party: str | None = InputField(default=None, min_length=2, max_length=16)
    tiers: list[int] = InputField(min_length=1, max_length=20)
    not_before: Instant
    not_after: Instant
    template_digest: str | None = InputField(default=None, max_length=71)
    jws: dict[str, Any]


class PresignaturePublic(SQLModel):
    id: int
    template_id: str
    template_version: int
    template_digest: str
    party: str
    tiers: list[int]
    not_before: datetime
    not_after: datetime
    kid: str
    state: PresignatureState
    created_by: str
    created_at: datetime
    withdrawn_at: datetime | None = None


class TemplatePublic(SQLModel):
    id: str
    version: int
    title: str
    kind: str
    tiers: list[int]
    response: str
    parameters: dict[str, Any]
    digest: str
    presignatures: list[PresignaturePublic]


class TemplateDetail(TemplatePublic):
    sections: list[dict[str, str]]
