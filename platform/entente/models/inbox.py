"""What waits for people: per-user preferences, notices, their deliveries, and press briefings.

- ``user_setting``: a user's remembered time zone (the release panel's instants) and e-mail address
- ``notice``: one notification for one user, written from the audit trail by
  :func:`entente.inbox.dispatch_notices`; its text says only what the recipient may see
- ``notice_cursor``: how far the audit trail has been read (one row)
- ``party_webhook``: a party's webhook address and the HMAC-SHA256 secret its body is signed with
- ``delivery``: one e-mail or webhook delivery of a notice, its attempts and outcome (the delivery log)
- ``press_briefing``: a press account invited by its party's comms officer to the embargoed
  briefing of a scheduled communiqué
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Column, Field, SQLModel

from entente.models.base import instant_column

__all__ = [
    "Delivery",
    "DeliveryChannel",
    "DeliveryState",
    "Notice",
    "NoticeCursor",
    "PartyWebhook",
    "PressBriefing",
    "UserSetting",
]


class DeliveryChannel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last attempt


class UserSetting(SQLModel, table=True):
    __tablename__ = "user_setting"

    user_id: int = Field(foreign_key="user.id", primary_key=True)
    timezone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=254)
    updated_at: datetime = instant_column()


class Notice(SQLModel, table=True):
    """One notification for one user: what happened, on which object, and where to look."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    audit_seq: int = Field(index=True)
    event: str = Field(max_length=100)
    object: str = Field(max_length=200)
    text: str = Field(sa_column=Column(sa.Text(), nullable=False))
    link: str = Field(max_length=300)
    at: datetime = instant_column()
    read_at: datetime | None = instant_column(nullable=True)


class NoticeCursor(SQLModel, table=True):
    """The last audit sequence number turned into notices."""

    __tablename__ = "notice_cursor"

    name: str = Field(primary_key=True, max_length=32)
    seq: int = 0


class PartyWebhook(SQLModel, table=True):
    __tablename__ = "party_webhook"

    party: str = Field(foreign_key="party.code", primary_key=True, max_length=16)
    url: str = Field(max_length=500)
    secret: str = Field(max_length=100)
    created_by: str = Field(max_length=64)
    created_at: datetime = instant_column()


class Delivery(SQLModel, table=True):
    """One e-mail or webhook delivery: the exact body sent, each attempt counted, the last outcome."""

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=16)
    party: str = Field(max_length=16, index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id")
    notice_id: int | None = Field(default=None, foreign_key="notice.id")
    target: str = Field(max_length=500)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(sa.Text(), nullable=False))
    state: str = Field(default=DeliveryState.PENDING, max_length=16, index=True)
    attempts: int = 0
    next_at: datetime = instant_column()
    last_error: str | None = Field(default=None, max_length=500)
    last_status: int | None = None
    created_at: datetime = instant_column()
    delivered_at: datetime | None = instant_column(nullable=True)


class PressBriefing(SQLModel, table=True):
    """A press account invited to the embargoed briefing of one communiqué."""

    __tablename__ = "press_briefing"

    communique_id: int = Field(foreign_key="communique.id", primary_key=True)
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    party: str = Field(foreign_key="party.code", max_length=16)
    invited_by: str = Field(max_length=64)
    invited_at: datetime = instant_column()
    revoked_at: datetime | None = instant_column(nullable=True)
