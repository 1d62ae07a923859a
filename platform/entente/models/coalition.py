"""The coalition: parties, users, credentials, and the audit trail; with their API shapes."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import Field as InputField
from pydantic import field_validator
from sqlmodel import Column, Field, SQLModel

from entente.models.base import ApiModel, instant_column, json_column

# --- the coalition -----------------------------------------------------------------------------


class PartyKind(StrEnum):
    STATE = "state"
    ORGANISATION = "organisation"


class PartyStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Role(StrEnum):
    DRAFTER = "drafter"
    COMMS = "comms"
    SIGNATORY = "signatory"
    SECRETARIAT = "secretariat"
    PRESS = "press"
    OVERSIGHT = "oversight"  # read-only: a party's parliamentary committee or ombudsperson


class Party(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=200)
    kind: PartyKind = Field(sa_column=Column(sa.String(16), nullable=False))
    timezone: str = Field(max_length=64)
    status: PartyStatus = Field(default=PartyStatus.ACTIVE, sa_column=Column(sa.String(16), nullable=False))
    created_at: datetime = instant_column()


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    display_name: str = Field(max_length=200)
    party_code: str = Field(foreign_key="party.code", index=True, max_length=16)
    roles: list[str] = json_column()
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = True
    created_at: datetime = instant_column()


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    created_at: datetime = instant_column()
    expires_at: datetime = instant_column()
    revoked_at: datetime | None = instant_column(nullable=True)


class BrowserSession(SQLModel, table=True):
    __tablename__ = "browser_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = instant_column()
    expires_at: datetime = instant_column()


class LoginAttempt(SQLModel, table=True):
    """Attempts at a guessable secret (a password) per account and client in the current window.

    One row per subject, counted up by one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
    *before* the secret is checked, so parallel attempts on any number of instances see each other.
    """

    __tablename__ = "login_attempt"

    subject: str = Field(primary_key=True, max_length=200)
    window_start: datetime = instant_column()
    attempts: int = Field(default=0)


class AuditEntry(SQLModel, table=True):
    """One link of the hash-chained audit trail; ``seq`` is dense and ``hash`` covers ``prev_hash``."""

    __tablename__ = "audit_entry"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = instant_column()
    actor: str = Field(max_length=64)
    party: str | None = Field(default=None, max_length=16)
    event: str = Field(max_length=100, index=True)
    object: str = Field(max_length=200)
    details: dict[str, Any] = json_column()
    prev_hash: str = Field(max_length=71)
    hash: str = Field(max_length=71)


# --- data models crossing the API ----------------------------------------------------------------


USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]*")


class PartyPublic(SQLModel):
    code: str
    name: str
    kind: PartyKind
    timezone: str
    status: PartyStatus


class MePublic(SQLModel):
    username: str
    display_name: str
    party: PartyPublic
    roles: list[Role]
    authenticated_by: str


class TokenCreate(ApiModel):
    name: str = InputField(min_length=1, max_length=100)
    days: int | None = InputField(default=None, ge=1, le=3650)


class TokenPublic(SQLModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


class TokenCreated(TokenPublic):
    token: str


class UserCreate(ApiModel):
    username: str = InputField(min_length=2, max_length=64)
    display_name: str = InputField(min_length=1, max_length=200)
    party: str = InputField(min_length=2, max_length=16)
    roles: list[Role] = InputField(min_length=1)
    password: str | None = InputField(default=None, min_length=12, max_length=1024)

    @field_validator("username")
    @classmethod
    def _username_shape(cls, value: str) -> str:
        if not USERNAME_PATTERN.fullmatch(value):
            raise ValueError("lower-case letters, digits, '.', '_' and '-', starting with a letter or digit")
        return value


class UserPublic(SQLModel):
    username: str
    display_name: str
    party: str
    roles: list[Role]
    active: bool


class HealthPublic(SQLModel):
    status: str
    database: str
    version: str
