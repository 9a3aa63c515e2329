"""question bank: syllabus points, questions and versions, blueprints, papers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('syllabus_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.CheckConstraint("area IN ('basics', 'operation', 'law')", name=op.f('ck_syllabus_points_area')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_syllabus_points_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_syllabus_points')),
    sa.UniqueConstraint('centre_id', 'item', 'code', name=op.f('uq_syllabus_points_centre_id_item_code'))
    )
    with op.batch_alter_table('syllabus_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_syllabus_points_centre_id'), ['centre_id'], unique=False)

    op.create_table('blueprints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('spec', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'published', 'superseded')", name=op.f('ck_blueprints_status')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_blueprints_centre_id_centres')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_blueprints_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blueprints')),
    sa.UniqueConstraint('centre_id', 'item', 'version', name=op.f('uq_blueprints_centre_id_item_version'))
    )
    with op.batch_alter_table('blueprints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blueprints_centre_id'), ['centre_id'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('live_version', sa.Integer(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'review', 'live', 'retired')", name=op.f('ck_questions_status')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_questions_centre_id_centres')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_questions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('centre_id', 'external_id', name=op.f('uq_questions_centre_id_external_id'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_item'), ['item'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_status'), ['status'], unique=False)

    op.create_table('papers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=40), nullable=False),
    sa.Column('blueprint_id', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('bank_version', sa.String(length=64), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['blueprint_id'], ['blueprints.id'], name=op.f('fk_papers_blueprint_id_blueprints')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_papers_centre_id_centres')),
    sa.ForeignKeyConstraint(['ticket_id'], ['admission_tickets.id'], name=op.f('fk_papers_ticket_id_admission_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_papers'))
    )
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_papers_blueprint_id'), ['blueprint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_papers_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_papers_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('question_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=16), nullable=True),
    sa.Column('point_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=12), nullable=False),
    sa.Column('difficulty', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=True),
    sa.Column('critical', sa.Boolean(), nullable=False),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('stem_zh', sa.Text(), nullable=False),
    sa.Column('options_zh', sa.JSON(), nullable=False),
    sa.Column('explanation_zh', sa.Text(), nullable=True),
    sa.Column('stem_en', sa.Text(), nullable=True),
    sa.Column('options_en', sa.JSON(), nullable=False),
    sa.Column('explanation_en', sa.Text(), nullable=True),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('image', sa.String(length=200), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('went_live_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("type IN ('true_false', 'single', 'multiple')", name=op.f('ck_question_versions_type')),
    sa.CheckConstraint('difficulty BETWEEN 1 AND 3', name=op.f('ck_question_versions_difficulty')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_question_versions_centre_id_centres')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_question_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['point_id'], ['syllabus_points.id'], name=op.f('fk_question_versions_point_id_syllabus_points')),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_question_versions_question_id_questions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_versions')),
    sa.UniqueConstraint('question_id', 'number', name=op.f('uq_question_versions_question_id_number'))
    )
    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_versions_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_versions_question_id'), ['question_id'], unique=False)

    op.create_table('paper_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('paper_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_version_id', sa.Integer(), nullable=False),
    sa.Column('option_order', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_paper_questions_centre_id_centres')),
    sa.ForeignKeyConstraint(['paper_id'], ['papers.id'], name=op.f('fk_paper_questions_paper_id_papers')),
    sa.ForeignKeyConstraint(['question_version_id'], ['question_versions.id'], name=op.f('fk_paper_questions_question_version_id_question_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_questions')),
    sa.UniqueConstraint('paper_id', 'position', name=op.f('uq_paper_questions_paper_id_position'))
    )
    with op.batch_alter_table('paper_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_questions_question_version_id'), ['question_version_id'], unique=False)



def downgrade():
    with op.batch_alter_table('paper_questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_questions_question_version_id'))

    op.drop_table('paper_questions')
    with op.batch_alter_table('question_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_versions_question_id'))
        batch_op.drop_index(batch_op.f('ix_question_versions_centre_id'))

    op.drop_table('question_versions')
    with op.batch_alter_table('papers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_papers_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_papers_centre_id'))
        batch_op.drop_index(batch_op.f('ix_papers_blueprint_id'))

    op.drop_table('papers')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_status'))
        batch_op.drop_index(batch_op.f('ix_questions_item'))
        batch_op.drop_index(batch_op.f('ix_questions_centre_id'))

    op.drop_table('questions')
    with op.batch_alter_table('blueprints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blueprints_centre_id'))

    op.drop_table('blueprints')
    with op.batch_alter_table('syllabus_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_syllabus_points_centre_id'))

    op.drop_table('syllabus_points')
