"""publication: the transparency log (entries, checkpoints, cosignatures); release PDFs and log indexes

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes

import entente.models
from entente.migrations import frozen


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('log_entry',
    sa.Column('idx', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('leaf', sa.LargeBinary(), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('idx')
    )
    op.create_table('log_checkpoint',
    sa.Column('size', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('size')
    )
    op.create_table('log_cosignature',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('line', sa.Text(), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['party'], ['party.code'], ),
    sa.ForeignKeyConstraint(['size'], ['log_checkpoint.size'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('size', 'kid', name='ux_log_cosignature_size_kid')
    )
    frozen.create_indexes('log_cosignature', 'size')

    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commitment_index', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('commitment_salt', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('publication_index', sa.Integer(), nullable=True))
    op.create_table('release_pdf',
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('embargo_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ),
    sa.PrimaryKeyConstraint('release_id')
    )


def downgrade() -> None:
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.drop_column('publication_index')
        batch_op.drop_column('commitment_salt')
        batch_op.drop_column('commitment_index')
    op.drop_table('release_pdf')
    frozen.drop_indexes('log_cosignature', 'size')
    op.drop_table('log_cosignature')
    op.drop_table('log_checkpoint')
    op.drop_table('log_entry')
