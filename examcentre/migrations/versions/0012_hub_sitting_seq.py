"""hub_sittings.seq: a sitting's place among the candidate's current sittings of the item,
kept at ingest (the period summary's retakes without a window over every sitting);
back-filled here

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# A copy of examcentre.transmission.hub.NUMBER_ALL_SQL as it was written (a migration must
# not change when the code does). UPDATE ... FROM: PostgreSQL, SQLite >= 3.33.
NUMBER_ALL_SQL = """
UPDATE hub_sittings SET seq = numbered.seq
FROM (
    SELECT s.id AS id, CASE WHEN b.current THEN row_number() OVER (
        PARTITION BY s.id_number, s.item, b.current ORDER BY s.starts_at, s.id) END AS seq
    FROM hub_sittings s JOIN hub_batches b ON b.id = s.hub_batch_id
) AS numbered
WHERE numbered.id = hub_sittings.id
"""


def upgrade():
    with op.batch_alter_table('hub_sittings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
    op.execute(NUMBER_ALL_SQL)


def downgrade():
    with op.batch_alter_table('hub_sittings', schema=None) as batch_op:
        batch_op.drop_column('seq')
