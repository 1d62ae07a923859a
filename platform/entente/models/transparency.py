"""The public transparency log (RFC 9162 Merkle tree): entries, signed checkpoints, cosignatures.

``log_entry.idx`` is the leaf index from 0, gap-free; ``leaf`` holds the exact leaf bytes (canonical
JSON) and ``leaf_hash`` SHA-256(0x00 || leaf). A checkpoint is the C2SP signed note of one tree size,
signed by the platform's log key; parties add cosignatures (C2SP tlog-cosignature) to checkpoints they
checked for consistency. Nothing here is ever updated or deleted.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import Field as InputField
from sqlmodel import Column, Field, SQLModel

from entente.models.base import ApiModel, instant_column

__all__ = [
    "LogCheckpoint",
    "LogCosignature",
    "LogCosignatureCreate",
    "LogCosignaturePublic",
    "LogEntry",
    "LogProofPublic",
]


class LogEntry(SQLModel, table=True):
    __tablename__ = "log_entry"

    idx: int = Field(sa_column=Column(sa.Integer(), primary_key=True, autoincrement=False))
    kind: str = Field(max_length=32)
    leaf: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    leaf_hash: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    created_at: datetime = instant_column()


class LogCheckpoint(SQLModel, table=True):
    __tablename__ = "log_checkpoint"

    size: int = Field(sa_column=Column(sa.Integer(), primary_key=True, autoincrement=False))
    root: bytes = Field(sa_column=Column(sa.LargeBinary(), nullable=False))
    note: str = Field(sa_column=Column(sa.Text(), nullable=False))
    created_at: datetime = instant_column()


class LogCosignature(SQLModel, table=True):
    __tablename__ = "log_cosignature"
    __table_args__ = (sa.UniqueConstraint("size", "kid", name="ux_log_cosignature_size_kid"),)

    id: int | None = Field(default=None, primary_key=True)
    size: int = Field(foreign_key="log_checkpoint.size", index=True)
    party: str = Field(foreign_key="party.code", max_length=16)
    kid: str = Field(max_length=64)
    line: str = Field(sa_column=Column(sa.Text(), nullable=False))
    timestamp: int = Field(sa_column=Column(sa.BigInteger(), nullable=False))
    created_at: datetime = instant_column()


# --- API shapes ---------------------------------------------------------------------------------------


class LogCosignatureCreate(ApiModel):
    """A party's cosignature of the checkpoint of ``size``: one C2SP tlog-cosignature/v1 note signature
    line, ``— <origin>/cosigner/<party> <base64>``, made with one of the party's Ed25519 keys."""

    party: str = InputField(min_length=2, max_length=16)
    size: int = InputField(ge=0, le=2**31 - 1)
    line: str = InputField(min_length=1, max_length=1000)


class LogCosignaturePublic(SQLModel):
    party: str
    size: int
    kid: str
    timestamp: int
    line: str
    created_at: datetime


class LogProofPublic(SQLModel):
    """An RFC 9162 inclusion or consistency proof: the node hashes, leaf side first, standard base64."""

    hashes: list[str]
