"""The trust commands: ``entente keys``, ``sign``, ``verify`` and ``roster``; the demo keys.

- :mod:`.keys`: ``keys generate|show|register`` and ``sign``
- :mod:`.verify`: ``verify --payload FILE JWS-FILE`` (a single FILE is kept for PDFs and bundles)
- :mod:`.roster`: ``roster show|propose|sign|export|verify``
- :mod:`.demo`: :func:`seed_demo_keys`, and :mod:`.statement`: :func:`seed_demo_statement`, called by
  ``init --demo`` (imported from there: they need the server's modules, the commands above do not)
"""

from __future__ import annotations

from typing import Any

__all__ = ["register"]


def register(commands: Any) -> None:
    from entente.cli.trust import keys, roster, verify  # here: importing one of them alone stays light

    keys.register(commands)
    verify.register(commands)
    roster.register(commands)
