"""What waits for people, and telling them: the "waiting for me" list, notices written from the
audit trail, their e-mail and signed-webhook deliveries, and per-user preferences.

- :mod:`.waiting`: ``waiting_for`` (invitations, versions to sign, instants, conflicts, tiers,
  reviews, briefings), computed from the current state
- :mod:`.notices`: ``dispatch_notices`` (audit entries to notices, idempotent), reading them
- :mod:`.deliveries`: ``deliver_due`` (SMTP and HMAC-signed webhooks, retries with backoff, the log)
- :mod:`.preferences`: a user's time zone and e-mail address, a party's webhook
"""

from entente.inbox.deliveries import Outcome, deliver_due, list_deliveries, next_attempt, send_email, send_webhook
from entente.inbox.notices import NoticeText, dispatch_notices, list_notices, mark_read, notices_for, unread_count
from entente.inbox.preferences import (
    delete_webhook,
    get_preferences,
    get_webhook,
    known_zone,
    remember_zone,
    set_preferences,
    set_webhook,
    zone_names,
    zone_of,
)
from entente.inbox.waiting import KINDS, WaitingItem, count_waiting, waiting_for

__all__ = [
    "KINDS",
    "NoticeText",
    "Outcome",
    "WaitingItem",
    "count_waiting",
    "delete_webhook",
    "deliver_due",
    "dispatch_notices",
    "get_preferences",
    "get_webhook",
    "known_zone",
    "list_deliveries",
    "list_notices",
    "mark_read",
    "next_attempt",
    "notices_for",
    "remember_zone",
    "send_email",
    "send_webhook",
    "set_preferences",
    "set_webhook",
    "unread_count",
    "waiting_for",
    "zone_names",
    "zone_of",
]
