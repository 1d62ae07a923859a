"""HMAC-SHA256 over webhook bodies: a shared secret per party, not a signature of the coalition.

The header a party's receiver checks::

    Entente-Signature: t=1764576000,v1=<hex HMAC-SHA256 of "1764576000." + body>

Binding the timestamp lets the receiver refuse replays older than it tolerates.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = ["new_webhook_secret", "webhook_signature", "webhook_signature_valid"]


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Entente-Signature`` header value for ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def webhook_signature_valid(secret: str, header: str, body: bytes) -> bool:
    """Whether ``header`` is the signature of ``body`` with ``secret`` (constant-time comparison)."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    return hmac.compare_digest(webhook_signature(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")
