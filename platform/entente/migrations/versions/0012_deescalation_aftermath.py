"""exit ramps met, step-downs, after-action lessons and proposed ladder changes

Revision ID: 0012
Revises: 0011
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes

import entente.models
from entente.migrations import frozen


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    frozen.create_incident_table('incident_ramp_met',
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('ramp', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('showing', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('met_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('recorded_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    )

    frozen.create_incident_table('incident_step_down',
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('from_tier', sa.Integer(), nullable=False),
    sa.Column('to_tier', sa.Integer(), nullable=False),
    sa.Column('ramps', sa.JSON(), nullable=False),
    sa.Column('justification', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('proposed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('proposed_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    )

    frozen.create_incident_table('after_action_lesson',
    sa.Column('topic', sa.String(length=16), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('marking', sa.JSON(), nullable=False),
    sa.Column('author_party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('added_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    random_id=True,
    )

    frozen.create_incident_table('ladder_proposal',
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rationale', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('base_digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('proposed_version', sa.Integer(), nullable=False),
    sa.Column('proposed_digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('proposed_text', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('diff', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('proposed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('proposed_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ('ladder_proposal', 'after_action_lesson', 'incident_step_down', 'incident_ramp_met'):
        frozen.drop_indexes(table, 'incident_id')
        op.drop_table(table)
