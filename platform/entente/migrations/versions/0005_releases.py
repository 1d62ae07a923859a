"""releases: the negotiated embargo instant, the frozen version and the public artefact; responses

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes

import entente.models


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('release',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('communique_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('embargo_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('proposed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('proposed_party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('version_number', sa.Integer(), nullable=True),
    sa.Column('version_digest', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=True),
    sa.Column('public_body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('agreed_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('scheduled_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('held_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('lifted_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['communique_id'], ['communique.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_communique_id'), ['communique_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_release_state'), ['state'], unique=False)
        batch_op.create_index(
            'ux_release_open',
            ['communique_id'],
            unique=True,
            sqlite_where=sa.text("state != 'cancelled'"),
            postgresql_where=sa.text("state != 'cancelled'"),
        )

    op.create_table('release_response',
    sa.Column('release_id', sa.Integer(), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('instant', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['party'], ['party.code'], ),
    sa.ForeignKeyConstraint(['release_id'], ['release.id'], ),
    sa.PrimaryKeyConstraint('release_id', 'party')
    )


def downgrade() -> None:
    op.drop_table('release_response')
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.drop_index('ux_release_open')
        batch_op.drop_index(batch_op.f('ix_release_state'))
        batch_op.drop_index(batch_op.f('ix_release_communique_id'))

    op.drop_table('release')
