"""Numeric ids in URL paths: ASCII digits naming a 32-bit database id, or nothing.

Every handler reading an id from its path goes through :func:`parse_id`, so a segment that cannot
be an id (``abc``, ``²``, ``99999999999``, ``0``) answers exactly like an id that does not exist,
never with a 500 from ``int()`` or from a PostgreSQL integer overflow.
"""

from __future__ import annotations

__all__ = ["MAX_ID", "parse_id"]

#: The largest id a PostgreSQL ``integer`` column holds (SQLite takes more; no id gets that far).
MAX_ID = 2**31 - 1


def parse_id(text: str) -> int | None:
    """The id ``text`` names, or None when it names none."""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None
