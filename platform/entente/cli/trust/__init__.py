"""The trust commands: ``entente keys``, ``sign``, ``verify`` and ``roster``; the demo keys.

- :mod:`.keys`: ``keys generate|show|register`` and ``sign``
- :mod:`.verify`: ``verify --payload FILE JWS-FILE`` (a single FILE is kept for PDFs and bundles)
- :mod:`.roster`: ``roster show|propose|sign|export|verify``
- :mod:`.demo`: :func:`seed_demo_keys`, and :mod:`.statement`: :func:`seed_demo_statement`, called by
  ``init --demo``
"""

from __future__ import annotations

from typing import Any

from entente.cli.trust import keys, roster, verify
from entente.cli.trust.demo import DEMO_PASSPHRASE, seed_demo_keys
from entente.cli.trust.statement import seed_demo_statement

__all__ = ["DEMO_PASSPHRASE", "register", "seed_demo_keys", "seed_demo_statement"]


def register(commands: Any) -> None:
    keys.register(commands)
    verify.register(commands)
    roster.register(commands)
