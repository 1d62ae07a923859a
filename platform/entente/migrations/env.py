"""Alembic environment: always called from ``entente.db`` with a live connection."""

from alembic import context

from entente import models  # noqa: F401  (registers every table on SQLModel.metadata)
from sqlmodel import SQLModel

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - a usage error, not a runtime path
    raise RuntimeError("run migrations through `entente migrate`")
context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
