"""question review: who reviewed a question version, and when

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

Review metadata is not part of a version's content hash: a review changes no wording.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('reviewed_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.drop_column('reviewed_on')
        batch_op.drop_column('reviewed_by')
