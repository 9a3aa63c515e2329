"""Releasing a session draws every enrolled candidate's paper, in one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from examcentre.audit.operations import Actor
from examcentre.compliance.model import ComplianceSettings
from examcentre.compliance.operations import update_settings
from examcentre.extensions import db
from examcentre.models import Attempt, AttemptEvent, Paper, PaperQuestion
from examcentre.papers.blueprint import Spec
from examcentre.papers.operations import create_blueprint_version, publish_blueprint
from examcentre.sessions.operations import SessionError, change_state, enrol
from examcentre.sessions.states import SessionState

from .bankdata import load_synthetic
from .factories import TEST_ACTOR, Factory, valid_id_number

ON = Factory.TIMEZONE


@pytest.fixture
def centre_with_bank(make, tmp_path):
    centre = make.centre()
    load_synthetic(centre, tmp_path)
    # The compliance gate is tested elsewhere; here it would stop every release.
    update_settings(Actor("system", None, "t"), centre, ComplianceSettings(), False, "test")
    db.session.commit()
    return centre


def enrol_three(session):
    return [
        enrol(TEST_ACTOR, session, id_number=valid_id_number(sequence=n), name=f"考生{n}",
              timezone=Factory.TIMEZONE)
        for n in (11, 12, 13)
    ]


def test_release_pregenerates_exactly_one_paper_per_enrolled_candidate(make, centre_with_bank):
    blueprint = create_blueprint_version(TEST_ACTOR, centre_with_bank, "Q1", Spec())
    publish_blueprint(TEST_ACTOR, blueprint)
    session = make.session(centre_with_bank, item="Q1", seats=4)
    tickets = enrol_three(session)
    db.session.commit()
    change_state(TEST_ACTOR, session, SessionState.RELEASED, on=session.starts_at.date())
    db.session.commit()
    papers = db.session.scalars(select(Paper)).all()
    assert sorted(p.ticket_id for p in papers) == sorted(t.id for t in tickets)
    assert {p.blueprint_id for p in papers} == {blueprint.id} == {session.blueprint_version_id}
    assert len({p.seed for p in papers}) == 3  # each candidate a different paper
    per_paper = dict(db.session.execute(
        select(PaperQuestion.paper_id, func.count()).group_by(PaperQuestion.paper_id)).all())
    assert set(per_paper.values()) == {Spec().question_count}
    # Each paper's attempt comes with it, ready: the room's sign-ins only read them.
    attempts = db.session.scalars(select(Attempt)).all()
    assert sorted((a.ticket_id, a.paper_id) for a in attempts) == sorted(
        (p.ticket_id, p.id) for p in papers)
    assert {(a.state, a.session_id, a.duration_seconds, a.terminal_id, a.started_at)
            for a in attempts} == {("ready", session.id, Spec().duration_minutes * 60, None, None)}
    assert db.session.scalar(select(func.count()).select_from(AttemptEvent)) == 0


def test_release_without_a_published_blueprint_is_refused_and_draws_nothing(
    make, centre_with_bank
):
    session = make.session(centre_with_bank, item="Q1", seats=3)
    enrol_three(session)
    db.session.commit()
    with pytest.raises(SessionError) as refused:
        change_state(TEST_ACTOR, session, SessionState.RELEASED, on=session.starts_at.date())
    assert refused.value.field == "blueprint_version_id"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Paper)) == 0
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
    assert session.state == "scheduled"
