"""Sign-offs of communiqué versions: the table, the JWS a signatory sends, and the quorum status."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import JsonValue
from sqlmodel import Column, Field, SQLModel

from entente.models.base import ApiModel, instant_column, json_column
from entente.models.drafting import CommuniqueRecord, VersionRef

__all__ = [
    "InvalidSignaturePublic",
    "SignatoryPublic",
    "Signoff",
    "SignoffCreate",
    "SignoffKind",
    "SignoffStatusPublic",
]


class SignoffKind(StrEnum):
    EXPLICIT = "explicit"
    PRESIGNED = "presigned"


class Signoff(CommuniqueRecord, table=True):
    """A party's sign-off of one version: its JWS over the version bytes (``explicit``), or a
    pre-signature of the crisis template the version is an unedited rendering of (``presigned``)."""

    __tablename__ = "communique_signoff"

    version_id: int = Field(foreign_key="communique_version.id", index=True)
    party: str = Field(foreign_key="party.code", max_length=16)
    kind: str = Field(max_length=16)
    signer: str = Field(max_length=64)
    envelope: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    kids: list[str] = json_column()
    iat: datetime | None = instant_column(nullable=True)
    presignature_id: int | None = None
    created_at: datetime = instant_column()
    withdrawn_at: datetime | None = instant_column(nullable=True)
    withdrawn_by: str | None = Field(default=None, max_length=64)


# --- data models ------------------------------------------------------------------------------


class SignoffCreate(ApiModel):
    """A JWS in General JSON Serialization with a detached payload (the version bytes)."""

    jws: dict[str, JsonValue]


class InvalidSignaturePublic(SQLModel):
    party: str | None = None
    kid: str | None = None
    reason: str


class SignatoryPublic(SQLModel):
    """One participating party: whether and how it signed, and what of the version it cannot see."""

    party: str
    signed: bool
    how: SignoffKind | None = None
    signer: str | None = None
    signed_at: datetime | None = None
    kids: list[str] = Field(default_factory=list)
    presignature: int | None = None
    hidden_sections: int
    hidden_annex: int


class SignoffStatusPublic(SQLModel):
    communique: int
    version: VersionRef
    is_head: bool
    policy: dict[str, JsonValue]
    met: bool
    ready_for_release: bool
    signed: list[str]
    missing: list[str]
    unsigned: list[str]
    needed: int
    invalid: list[InvalidSignaturePublic]
    signatories: list[SignatoryPublic]
    template_unedited: bool | None = None
