"""scale indexes: the communiqué lists and the public list walk an index, newest first

Revision ID: 0010
Revises: 0009
"""

from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('communique', schema=None) as batch_op:
        batch_op.create_index('ix_communique_updated', ['updated_at', 'id'], unique=False)
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.create_index('ix_release_public_order', ['embargo_at', 'communique_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('release', schema=None) as batch_op:
        batch_op.drop_index('ix_release_public_order')
    with op.batch_alter_table('communique', schema=None) as batch_op:
        batch_op.drop_index('ix_communique_updated')
