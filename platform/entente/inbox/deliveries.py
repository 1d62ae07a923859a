"""Sending queued notices: e-mail through SMTP (aiosmtplib) and signed webhooks, with retries.

Each :class:`~entente.models.Delivery` row is the delivery log: the exact body, the target, every
attempt counted, the last HTTP status or error, and when it was delivered. A failed attempt is tried
again after ``retry_seconds``, then twice as long each time, until ``attempts`` attempts were made;
then it is marked ``failed`` and stays in the log.

A webhook is a ``POST`` of the JSON notice with::

    Content-Type: application/json
    Entente-Delivery: <delivery id>
    Entente-Event: <audit event>
    Entente-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body, keyed by the party's secret>

Any 2xx answer counts as delivered. Redirects are not followed. A webhook reaches public addresses
only: a host that is, or resolves to, a loopback, private, link-local or otherwise non-global address
is refused when the connection is made (so a name that resolves differently later is checked again),
unless ``notify.webhook_private_addresses`` allows it for a receiver on the server's own network.

:func:`deliver_due` takes the due rows in one short transaction, sends without holding a
transaction, and records each outcome in another, so a slow receiver never blocks a writer.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import aiohttp
import aiosmtplib
from aiohttp.abc import AbstractResolver, ResolveResult
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import select

from entente import signing
from entente.models import Delivery, DeliveryChannel, DeliveryState, PartyWebhook
from entente.settings import NotifySettings

__all__ = ["Outcome", "deliver_due", "list_deliveries", "next_attempt", "send_email", "send_webhook"]

BATCH = 50


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None = None
    error: str | None = None


def next_attempt(attempts: int, now: datetime, settings: NotifySettings) -> datetime:
    """When to try again after ``attempts`` failed attempts: ``retry_seconds`` doubled each time."""
    return now + timedelta(seconds=settings.retry_seconds * 2 ** max(attempts - 1, 0))


async def send_email(delivery: Delivery, settings: NotifySettings) -> Outcome:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = delivery.target
    message["Subject"] = delivery.subject
    message["Entente-Delivery"] = str(delivery.id)
    message.set_content(delivery.body)
    password = os.environ.get(settings.smtp_password_env) if settings.smtp_username else None
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            start_tls=settings.smtp_starttls,
            username=settings.smtp_username or None,
            password=password,
            timeout=settings.timeout_seconds,
        )
    except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(True)


async def send_webhook(delivery: Delivery, secret: str, settings: NotifySettings, now: datetime) -> Outcome:
    body = delivery.body.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "Entente-Delivery": str(delivery.id),
        "Entente-Event": delivery.subject,
        "Entente-Signature": signing.webhook_signature(secret, int(now.timestamp()), body),
    }
    timeout = aiohttp.ClientTimeout(total=settings.timeout_seconds)
    connector = None
    if not settings.webhook_private_addresses:
        host = urlsplit(delivery.target).hostname or ""
        if _literal_address(host) and not public_address(host):
            return Outcome(False, error=f"refused: {host} is not a public address (notify.webhook_private_addresses)")
        connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver())
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as client:
            async with client.post(delivery.target, data=body, headers=headers, allow_redirects=False) as response:
                await response.read()
                status = response.status
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        return Outcome(False, error=f"{type(exc).__name__}: {exc}"[:500])
    if 200 <= status < 300:
        return Outcome(True, status=status)
    return Outcome(False, status=status, error=f"HTTP {status}")


def public_address(text: str) -> bool:
    """Whether an IP address is a public (global unicast) one; an IPv4 address mapped into IPv6 is
    judged as the IPv4 address it is."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _literal_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class PublicOnlyResolver(AbstractResolver):
    """aiohttp's resolver, keeping only the public addresses a name resolves to (none: the connection
    fails, and the delivery log says why)."""

    def __init__(self) -> None:
        self._resolver = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        public = [entry for entry in found if public_address(entry["host"])]
        if not public:
            raise OSError(
                errno.EACCES, f"refused: {host} resolves to no public address (notify.webhook_private_addresses)"
            )
        return public

    async def close(self) -> None:
        await self._resolver.close()


async def deliver_due(
    sessions: async_sessionmaker[AsyncSession],
    settings: NotifySettings,
    now: datetime,
    *,
    clock: Callable[[], datetime] | None = None,
    email: Callable[[Delivery, NotifySettings], Awaitable[Outcome]] = send_email,
) -> list[int]:
    """Attempt every pending delivery due at ``now``; returns the ids delivered."""
    async with sessions.begin() as session:
        due = list(
            (
                await session.execute(
                    select(Delivery)
                    .where(Delivery.state == DeliveryState.PENDING, Delivery.next_at <= now)
                    .order_by(Delivery.next_at, Delivery.id)  # type: ignore[arg-type]
                    .limit(BATCH)
                )
            ).scalars()
        )
        secrets = {
            h.party: h.secret
            for h in (await session.execute(select(PartyWebhook))).scalars()
            if any(d.channel == DeliveryChannel.WEBHOOK and d.party == h.party for d in due)
        }
    delivered: list[int] = []
    for delivery in due:
        if delivery.channel == DeliveryChannel.EMAIL:
            outcome = (
                await email(delivery, settings)
                if settings.smtp_host
                else Outcome(False, error="notify.smtp_host is not set")
            )
        elif delivery.party in secrets:
            outcome = await send_webhook(delivery, secrets[delivery.party], settings, now)
        else:
            outcome = Outcome(False, error="the party has no webhook any more")
        finished = clock() if clock is not None else now
        async with sessions.begin() as session:
            row = await session.get(Delivery, delivery.id, with_for_update=True)
            if row is None or row.state != DeliveryState.PENDING:
                continue
            row.attempts += 1
            row.last_status, row.last_error = outcome.status, outcome.error
            if outcome.ok:
                row.state, row.delivered_at = DeliveryState.DELIVERED, finished
                delivered.append(row.id or 0)
            elif row.attempts >= settings.attempts:
                row.state = DeliveryState.FAILED
            else:
                row.next_at = next_attempt(row.attempts, finished, settings)
            session.add(row)
    return delivered


async def list_deliveries(session: AsyncSession, *, party: str, limit: int = 50) -> Sequence[Delivery]:
    """The delivery log of one party's webhook and its users' e-mails, newest first."""
    query = select(Delivery).where(Delivery.party == party).order_by(Delivery.id.desc()).limit(limit)  # type: ignore[union-attr]
    return (await session.execute(query)).scalars().all()
