"""SQLModel tables and the data models that cross the API.

Tables (``table=True``) hold state; data models (``...Create``, ``...Public``) are what JSON looks
like going in and out. Data models never inherit from tables. Instants are stored timezone-aware
through ``UTCDateTime`` so SQLite and PostgreSQL read back the same aware UTC values.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as InputField
from sqlmodel import Column, Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An instant, stored in UTC, always read back timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: every instant carries its offset")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def instant_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def json_column(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(sa.JSON(), nullable=nullable))


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


class LoginFailure(SQLModel, table=True):
    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=200, index=True)
    at: datetime = instant_column(index=True)


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


class ApiModel(BaseModel):
    """Input bodies: unknown fields are refused and types are not coerced (validated in JSON mode).

    Plain pydantic rather than SQLModel: input models never become tables, and pydantic's strict
    JSON mode reads enums and RFC 3339 instants from their JSON text without lax coercion.
    """

    model_config = ConfigDict(extra="forbid", strict=True)


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
