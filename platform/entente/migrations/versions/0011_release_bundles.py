"""release bundles, late alignments, corrections: bundles of communiqués released as one, alignments with
released communiqués (and the PDF re-rendered with them)

Revision ID: 0011
Revises: 0010
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes

import entente.models
from entente.migrations import frozen


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('release_bundle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('lead', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead'], ['party.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('release_bundle_member',
    sa.Column('bundle_id', sa.Integer(), nullable=False),
    sa.Column('communique_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('added_party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('added_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bundle_id'], ['release_bundle.id'], ),
    sa.ForeignKeyConstraint(['communique_id'], ['communique.id'], ),
    sa.PrimaryKeyConstraint('bundle_id', 'communique_id')
    )
    frozen.create_indexes('release_bundle_member', 'communique_id')
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bundle_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_release_bundle_id'), ['bundle_id'], unique=False)
        batch_op.create_foreign_key('fk_release_bundle_id', 'release_bundle', ['bundle_id'], ['id'])
    op.create_table('communique_alignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('communique_id', sa.Integer(), nullable=False),
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('version_digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('signer', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('envelope', sa.LargeBinary(), nullable=False),
    sa.Column('kids', sa.JSON(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=True),
    sa.Column('aligned_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('log_index', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.Column('withdrawal_log_index', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['communique_id'], ['communique.id'], ),
    sa.ForeignKeyConstraint(['party'], ['party.code'], ),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    frozen.create_indexes('communique_alignment', 'communique_id')
    op.create_table('release_aligned_pdf',
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('through', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ),
    sa.PrimaryKeyConstraint('release_id')
    )


def downgrade() -> None:
    op.drop_table('release_aligned_pdf')
    frozen.drop_indexes('communique_alignment', 'communique_id')
    op.drop_table('communique_alignment')
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.drop_constraint('fk_release_bundle_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_release_bundle_id'))
        batch_op.drop_column('bundle_id')
    frozen.drop_indexes('release_bundle_member', 'communique_id')
    op.drop_table('release_bundle_member')
    op.drop_table('release_bundle')
