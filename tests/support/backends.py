"""Tests that choose their backends: a property whose cost is the server's Python, not its SQL,
generates its examples on SQLite and runs a few (and its explicit ones) on PostgreSQL too."""

from __future__ import annotations

import pytest

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRESQL_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)

#: Generated examples a property runs on PostgreSQL (beside its explicit ones) when SQLite runs them all.
POSTGRESQL_EXAMPLES = 2
