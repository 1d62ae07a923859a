"""foundation: parties, users, tokens, sessions, audit

Revision ID: 0001
Revises: (none)
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes

import entente.models
from entente.migrations import frozen


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_entry',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('object', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=71), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    frozen.create_indexes('audit_entry', 'event')

    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    frozen.create_indexes('login_failure', 'at', 'subject')

    op.create_table('party',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('party_code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['party_code'], ['party.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    frozen.create_indexes('user', 'party_code')

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', entente.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    frozen.create_indexes('api_token', 'user_id')

    op.create_table('browser_session',
    sa.Column('id_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', entente.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id_hash')
    )
    frozen.create_indexes('browser_session', 'user_id')



def downgrade() -> None:
    frozen.drop_indexes('browser_session', 'user_id')
    op.drop_table('browser_session')
    frozen.drop_indexes('api_token', 'user_id')
    op.drop_table('api_token')
    frozen.drop_indexes('user', 'party_code')
    op.drop_table('user')
    op.drop_table('party')
    frozen.drop_indexes('login_failure', 'subject', 'at')
    op.drop_table('login_failure')
    frozen.drop_indexes('audit_entry', 'event')
    op.drop_table('audit_entry')
