"""trust: party keys, roster proposals, signatures and versions, template pre-signatures

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes

import entente.models
from entente.migrations import frozen


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('party_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('alg', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('jwk', sa.JSON(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('not_before', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('not_after', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revocation_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('registered_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['party_code'], ['party.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('fingerprint')
    )
    frozen.create_indexes('party_key', 'kid', 'party_code')

    op.create_table('roster_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('expires', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    frozen.create_indexes('roster_proposal', 'version')

    op.create_table('roster_signature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('entry', sa.JSON(), nullable=False),
    sa.Column('iat', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['roster_proposal.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('proposal_id', 'fingerprint')
    )
    frozen.create_indexes('roster_signature', 'proposal_id')

    op.create_table('roster_version',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('envelope', sa.LargeBinary(), nullable=False),
    sa.Column('expires', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('adopted_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['roster_proposal.id'], ),
    sa.PrimaryKeyConstraint('version'),
    sa.UniqueConstraint('digest')
    )
    op.create_table('template_presignature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('template_digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('tiers', sa.JSON(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('envelope', sa.LargeBinary(), nullable=False),
    sa.Column('kid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('iat', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('not_before', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('not_after', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['party_code'], ['party.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    frozen.create_indexes('template_presignature', 'party_code', 'template_id')



def downgrade() -> None:
    frozen.drop_indexes('template_presignature', 'template_id', 'party_code')
    op.drop_table('template_presignature')
    op.drop_table('roster_version')
    frozen.drop_indexes('roster_signature', 'proposal_id')
    op.drop_table('roster_signature')
    frozen.drop_indexes('roster_proposal', 'version')
    op.drop_table('roster_proposal')
    frozen.drop_indexes('party_key', 'party_code', 'kid')
    op.drop_table('party_key')
