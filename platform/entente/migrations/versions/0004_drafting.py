"""drafting: communiqués, participants, versions with per-item disclosures, comments, sign-offs

Revision ID: 0004
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes

import entente.models
from entente.migrations import frozen


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('communique',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('lead', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('template_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('template_version', sa.Integer(), nullable=True),
    sa.Column('template_digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=True),
    sa.Column('tier', sa.Integer(), nullable=True),
    sa.Column('head_number', sa.Integer(), nullable=False),
    sa.Column('head_digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=True),
    sa.Column('ready_digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead'], ['party.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    frozen.create_indexes('communique', 'incident_id', 'state')

    op.create_table('communique_participant',
    sa.Column('communique_id', sa.Integer(), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('invited_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('invited_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['communique_id'], ['communique.id'], ),
    sa.ForeignKeyConstraint(['party'], ['party.code'], ),
    sa.PrimaryKeyConstraint('communique_id', 'party')
    )
    frozen.create_indexes('communique_participant', 'party')

    op.create_table('communique_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('communique_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('prev_digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('author_party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('merged_head', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=True),
    sa.Column('template_params', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['communique_id'], ['communique.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('communique_id', 'number'),
    sa.UniqueConstraint('digest')
    )
    frozen.create_indexes('communique_version', 'communique_id')

    op.create_table('communique_version_item',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('part', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('communique_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('disclosure', sa.Text(), nullable=False),
    sa.Column('marking', sa.JSON(), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['communique_id'], ['communique.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['communique_version.id'], ),
    sa.PrimaryKeyConstraint('version_id', 'part', 'position')
    )
    with op.batch_alter_table('communique_version_item', schema=None) as batch_op:
        batch_op.create_index('ix_communique_version_item_lookup', ['communique_id', 'item_id'], unique=False)

    op.create_table('communique_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('communique_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=True),
    sa.Column('version_number', sa.Integer(), nullable=False),
    sa.Column('author', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('author_party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['communique_id'], ['communique.id'], ),
    sa.ForeignKeyConstraint(['thread_id'], ['communique_comment.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    frozen.create_indexes('communique_comment', 'communique_id')

    op.create_table('communique_signoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('communique_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('signer', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('envelope', sa.LargeBinary(), nullable=False),
    sa.Column('kids', sa.JSON(), nullable=False),
    sa.Column('iat', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('presignature_id', sa.Integer(), nullable=True),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.ForeignKeyConstraint(['communique_id'], ['communique.id'], ),
    sa.ForeignKeyConstraint(['party'], ['party.code'], ),
    sa.ForeignKeyConstraint(['version_id'], ['communique_version.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    frozen.create_indexes('communique_signoff', 'communique_id', 'version_id')


def downgrade() -> None:
    frozen.drop_indexes('communique_signoff', 'version_id', 'communique_id')
    op.drop_table('communique_signoff')
    frozen.drop_indexes('communique_comment', 'communique_id')
    op.drop_table('communique_comment')
    with op.batch_alter_table('communique_version_item', schema=None) as batch_op:
        batch_op.drop_index('ix_communique_version_item_lookup')

    op.drop_table('communique_version_item')
    frozen.drop_indexes('communique_version', 'communique_id')
    op.drop_table('communique_version')
    frozen.drop_indexes('communique_participant', 'party')
    op.drop_table('communique_participant')
    frozen.drop_indexes('communique', 'state', 'incident_id')
    op.drop_table('communique')
