"""Column types and base classes every model module shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlmodel import Column, Field


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An instant, stored in UTC, always read back timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: every instant carries its offset")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def instant_column(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def json_column(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(sa.JSON(), nullable=nullable))


class ApiModel(BaseModel):
    """Input bodies: unknown fields are refused and types are not coerced (validated in JSON mode).

    Plain pydantic rather than SQLModel: input models never become tables, and pydantic's strict
    JSON mode reads enums and RFC 3339 instants from their JSON text without lax coercion.
    """

    model_config = ConfigDict(extra="forbid", strict=True)
