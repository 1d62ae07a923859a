"""Tests that choose their backends: a property whose cost is the server's Python, not its SQL,
generates its examples on SQLite and runs a few (and its explicit ones) on PostgreSQL too."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from tests.support.examples import examples as share

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRESQL_ONLY = pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgresql)], indirect=True
)

#: Generated examples a property runs on PostgreSQL (beside its explicit ones) when SQLite runs them all.
POSTGRESQL_EXAMPLES = 2


def on_both_backends(body: Any, *, examples: int, strategies: dict[str, Any], **options: Any) -> tuple[Any, Any]:
    """A property as its two tests: ``examples`` generated examples on SQLite (or this run's share of them,
    :mod:`tests.support.examples`), :data:`POSTGRESQL_EXAMPLES` on PostgreSQL, and the explicit
    ``@example`` ones of ``body`` on both. The world a test's fixtures
    build is shared by its examples (each adds to it), and no example has a deadline. Assign the pair
    to the two tests' names."""
    shared = settings(
        deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], **options
    )
    on_sqlite = SQLITE_ONLY(settings(shared, max_examples=share(examples))(given(**strategies)(body)))
    on_postgresql = POSTGRESQL_ONLY(settings(shared, max_examples=POSTGRESQL_EXAMPLES)(given(**strategies)(body)))
    return on_sqlite, on_postgresql
