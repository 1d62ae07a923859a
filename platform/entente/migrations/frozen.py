"""Steps the migration scripts share: the per-column indexes, and the tables of an incident's rows.

Frozen by design. A migration is history: what it runs must never change by a byte, so neither may
anything here. A new schema is a new migration; a step that must do something else is a new function
here, never an edit of one that scripts already call. Nothing here imports the models either: their
columns move on, and these steps must not move with them.
"""

from alembic import op
import sqlalchemy as sa


def create_indexes(table: str, *columns: str) -> None:
    """An index on each of ``columns``, named as the models name it (``ix_<table>_<column>``)."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f'ix_{table}_{column}'), [column], unique=False)


def drop_indexes(table: str, *columns: str) -> None:
    """Drop the indexes :func:`create_indexes` made on ``columns``."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))


def create_incident_table(
    name: str, *columns: sa.Column, random_id: bool = False, unique_party: str | None = None
) -> None:
    """A table of an incident's rows: ``id`` (drawn at random when ``random_id``, else a sequence),
    ``incident_id`` (indexed, referencing ``incident``), then ``columns``; with ``unique_party``, the
    name of the constraint allowing one row per incident and party."""
    op.create_table(name,
    sa.Column('id', sa.Integer(), autoincrement=False if random_id else 'auto', nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    *columns,
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    *([sa.UniqueConstraint('incident_id', 'party', name=unique_party)] if unique_party else []),
    )
    create_indexes(name, 'incident_id')
