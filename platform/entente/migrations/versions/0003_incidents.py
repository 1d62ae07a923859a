"""incidents: the shared record, participants, evidence, attributions, decided tiers, legal reviews, history

Revision ID: 0003
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes

import entente.models
from entente.migrations import frozen


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('incident',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('lead', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('opened_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('assessment', sa.JSON(), nullable=False),
    sa.Column('recommended_tier', sa.Integer(), nullable=False),
    sa.Column('ladder_version', sa.Integer(), nullable=False),
    sa.Column('close_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('opened_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lead'], ['party.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    frozen.create_indexes('incident', 'state', 'updated_at')

    op.create_table('incident_participant',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('invited_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('joined_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], ),
    sa.ForeignKeyConstraint(['party'], ['party.code'], ),
    sa.PrimaryKeyConstraint('incident_id', 'party')
    )
    frozen.create_indexes('incident_participant', 'party')

    frozen.create_incident_table('incident_evidence',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('marking', sa.JSON(), nullable=False),
    sa.Column('author_party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('added_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    random_id=True,
    )

    frozen.create_incident_table('incident_attribution',
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('suspected_actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('confidence', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('state_backing', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('reasoning', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('marking', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('updated_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    unique_party='uq_incident_attribution_party',
    )

    frozen.create_incident_table('incident_decision',
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('justification', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recommended_tier', sa.Integer(), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('decided_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    )

    frozen.create_incident_table('incident_legal_review',
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('conclusion', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reviewed_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('recorded_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    )

    frozen.create_incident_table('incident_change',
    sa.Column('at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('incident_version', sa.Integer(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    for table in ('incident_change', 'incident_legal_review', 'incident_decision', 'incident_attribution',
                  'incident_evidence', 'incident_participant'):
        frozen.drop_indexes(table, 'party' if table == 'incident_participant' else 'incident_id')
        op.drop_table(table)
    frozen.drop_indexes('incident', 'updated_at', 'state')
    op.drop_table('incident')
