"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from entente import db


async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = db.create_engine(database_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata))
        revision = await db.current_revision(engine)
    finally:
        await engine.dispose()
    assert diff == []
    assert revision == db.head_revision()
