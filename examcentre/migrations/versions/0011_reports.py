"""reports: item_statistics (cached item statistics per blueprint and period), stored_reports
(the monthly summaries)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 21:30:00

"""
from alembic import op
import sqlalchemy as sa

import examcentre.models.types


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('item_statistics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('blueprint_id', sa.Integer(), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('flagged', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('computed_at', examcentre.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['blueprint_id'], ['blueprints.id'], name=op.f('fk_item_statistics_blueprint_id_blueprints')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_item_statistics_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_statistics')),
    sa.UniqueConstraint('centre_id', 'blueprint_id', 'period_from', 'period_to', name=op.f('uq_item_statistics_centre_id_blueprint_id_period_from_period_to'))
    )
    with op.batch_alter_table('item_statistics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_statistics_blueprint_id'), ['blueprint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_statistics_centre_id'), ['centre_id'], unique=False)

    op.create_table('stored_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', examcentre.models.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_stored_reports_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_reports')),
    sa.UniqueConstraint('centre_id', 'kind', 'period_from', 'period_to', name=op.f('uq_stored_reports_centre_id_kind_period_from_period_to'))
    )
    with op.batch_alter_table('stored_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_reports_centre_id'), ['centre_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stored_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_reports_centre_id'))

    op.drop_table('stored_reports')
    with op.batch_alter_table('item_statistics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_statistics_centre_id'))
        batch_op.drop_index(batch_op.f('ix_item_statistics_blueprint_id'))

    op.drop_table('item_statistics')
