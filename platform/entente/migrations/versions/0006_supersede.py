"""supersede: a communiqué may supersede a released one (a correction, or a sanctions package's review)

Revision ID: 0006
Revises: 0005
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('communique', sa.Column('supersedes_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_communique_supersedes_id'), 'communique', ['supersedes_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_communique_supersedes_id'), table_name='communique')
    op.drop_column('communique', 'supersedes_id')
