"""awaits instant: a party joining after the release instant was agreed reads the text once it accepted one

Revision ID: 0007
Revises: 0006
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'communique_participant',
        sa.Column('awaits_instant', sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column('communique_participant', 'awaits_instant')
