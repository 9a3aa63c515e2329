"""hub_sittings outcome flags (theory_decided, theory_passed, practical_decided,
practical_passed): what the overall pass rate needs of a sitting, kept at ingest (the period
summary without a join to every subject result); back-filled here

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 00:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# A copy of examcentre.transmission.hub.MARK_OUTCOMES_SQL as it was written (a migration must
# not change when the code does): the rule of examcentre.transmission.outcome (a simulator
# result does not count when the sitting also has a practical result, the one the examiners
# signed from the run). UPDATE ... FROM: PostgreSQL, SQLite >= 3.33.
MARK_OUTCOMES_SQL = """
UPDATE hub_sittings SET
    theory_decided = (o.td = 1),
    theory_passed = (o.tp = 1),
    practical_decided = (o.pd = 1),
    practical_passed = (o.pp = 1)
FROM (
    SELECT r.sitting_id AS sitting_id,
        MAX(CASE WHEN r.subject = 'theory' AND r.passed IS NOT NULL THEN 1 ELSE 0 END) AS td,
        MAX(CASE WHEN r.subject = 'theory' AND r.passed THEN 1 ELSE 0 END) AS tp,
        CASE WHEN MAX(CASE WHEN r.subject = 'practical' THEN 1 ELSE 0 END) = 1
            THEN MAX(CASE WHEN r.subject = 'practical' AND r.passed IS NOT NULL
                THEN 1 ELSE 0 END)
            ELSE MAX(CASE WHEN r.subject = 'simulator' AND r.passed IS NOT NULL
                THEN 1 ELSE 0 END)
        END AS pd,
        CASE WHEN MAX(CASE WHEN r.subject = 'practical' THEN 1 ELSE 0 END) = 1
            THEN MAX(CASE WHEN r.subject = 'practical' AND r.passed THEN 1 ELSE 0 END)
            ELSE MAX(CASE WHEN r.subject = 'simulator' AND r.passed THEN 1 ELSE 0 END)
        END AS pp
    FROM hub_subject_results r
    GROUP BY r.sitting_id
) AS o
WHERE o.sitting_id = hub_sittings.id
"""

FLAGS = ('theory_decided', 'theory_passed', 'practical_decided', 'practical_passed')

# ALTER TABLE, never a copy of the table: on SQLite, batch mode would otherwise rebuild
# hub_sittings (a server default that is an expression, a dropped column), and dropping the
# old table fails on a hub that holds data (hub_subject_results refers to it and foreign keys
# are on). SQLite adds a NOT NULL column with a default, and drops a column since 3.35.


def upgrade():
    with op.batch_alter_table('hub_sittings', schema=None, recreate='never') as batch_op:
        for name in FLAGS:
            batch_op.add_column(
                sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
    op.execute(MARK_OUTCOMES_SQL)


def downgrade():
    with op.batch_alter_table('hub_sittings', schema=None, recreate='never') as batch_op:
        for name in reversed(FLAGS):
            batch_op.drop_column(name)
