"""private metadata: random communiqué ids; each version item's marking as a salted disclosure

New communiqués take random ids (the application draws them), so the PostgreSQL sequence behind
``communique.id`` is dropped; existing communiqués keep their ids. ``marking_disclosure`` holds the
salted disclosure of an item's marking that a format 2 version object commits to (null for the items
of format 1 versions, whose markings are in the clear in the object).

Revision ID: 0016
Revises: 0013
"""

from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('communique_version_item', sa.Column('marking_disclosure', sa.Text(), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE communique ALTER COLUMN id DROP DEFAULT')
        op.execute('DROP SEQUENCE IF EXISTS communique_id_seq')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE SEQUENCE IF NOT EXISTS communique_id_seq OWNED BY communique.id')
        op.execute("SELECT setval('communique_id_seq', COALESCE((SELECT max(id) FROM communique), 0) + 1, false)")
        op.execute("ALTER TABLE communique ALTER COLUMN id SET DEFAULT nextval('communique_id_seq')")
    with op.batch_alter_table('communique_version_item', schema=None) as batch_op:
        batch_op.drop_column('marking_disclosure')
