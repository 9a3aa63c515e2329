"""Practical sessions: the crane, the examiners' filings, conflicts, theory first."""

from __future__ import annotations

import pytest

from examcentre.extensions import db
from examcentre.models import ExamSession
from examcentre.practical import operations as practical
from examcentre.sessions import operations as sessions

from ..factories import TEST_ACTOR, valid_id_number
from .practicaldata import ITEM, enrol, examiners, plan, practical_session, records, theory_passed


def codes(error) -> list[str]:
    return [getattr(d, "code", None) or d["rule"] for d in error.details]


def test_a_practical_session_is_created_with_crane_examiners_and_lead(app, make):
    session, users = practical_session(make)
    assert session.kind == "practical" and session.equipment == "BC-1"
    assert {u.id for u in session.examiners} == {u.id for u in users}
    assert sessions.lead_of(session).id == users[0].id


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda d: d["equipment"][0].update(status="out_of_service"), "equipment_out_of_service"),
        (lambda d: d["equipment"][0].update(next_inspection_due="2026-12-06"),
         "inspection_overdue"),
        (lambda d: d["examiners"][1]["filings"][0].update(expires_on="2026-12-06"),
         "examiner_not_filed"),
        (lambda d: d["examiners"][1].update(items=["Q1"]), "examiner_not_qualified"),
    ],
)
def test_create_is_refused_with_a_named_reason(app, make, edit, code):
    centre = make.centre()
    records(centre, edit)
    users = examiners(make, centre)
    with pytest.raises(sessions.SessionError) as refused:
        sessions.create_session(TEST_ACTOR, centre, plan(users))
    assert code in codes(refused.value)
    db.session.rollback()
    assert db.session.query(ExamSession).count() == 0


def test_the_inspection_due_day_itself_is_still_in_date(app, make):
    centre = make.centre()
    records(centre, lambda d: d["equipment"][0].update(next_inspection_due="2026-12-07"))
    users = examiners(make, centre)
    sessions.create_session(TEST_ACTOR, centre, plan(users))


def test_an_examiner_missing_from_the_records_and_too_few_examiners(app, make):
    centre = make.centre()
    records(centre)
    users = examiners(make, centre, names=("张三",))
    with pytest.raises(sessions.SessionError) as refused:
        sessions.create_session(TEST_ACTOR, centre, plan(users))
    assert codes(refused.value) == ["too_few_examiners", "examiner_not_in_records"]


def test_practical_needs_theory_passed_first(app, make):
    session, _users = practical_session(make)
    with pytest.raises(sessions.SessionError) as refused:
        enrol(session)
    assert codes(refused.value) == ["theory_not_passed"]
    db.session.rollback()
    from examcentre.models import Centre

    failed = theory_passed(make, db.session.get(Centre, session.centre_id), score=60, passed=False)
    with pytest.raises(sessions.SessionError) as refused:
        enrol(session, id_number=failed.candidate.id_number, name=failed.candidate.name)
    assert codes(refused.value) == ["theory_not_passed"]


def test_theory_pass_admits_and_the_setting_can_be_off(app, make):
    session, _users = practical_session(make)
    from examcentre.models import Centre

    centre = db.session.get(Centre, session.centre_id)
    theory = theory_passed(make, centre)
    ticket = enrol(session, id_number=theory.candidate.id_number, name=theory.candidate.name)
    assert ticket.item == ITEM
    other = enrol(session, id_number=valid_id_number(sequence=99), requires_theory_pass=False)
    assert other.session_id == session.id


def test_a_declared_conflict_refuses_enrolment_and_release(app, make):
    session, users = practical_session(make)
    ticket = enrol(session, requires_theory_pass=False)
    other = enrol(session, id_number=valid_id_number(sequence=98), name="考生乙",
                  requires_theory_pass=False)
    practical.declare_conflict(TEST_ACTOR, users[1], other.candidate, "relative", "表兄")
    db.session.commit()
    with pytest.raises(sessions.SessionError) as refused:
        sessions.change_state(TEST_ACTOR, session, "released", on=session.starts_at.date())
    assert codes(refused.value) == ["examiner_conflict"]
    assert "考生乙" in refused.value.details[0]["message"]
    db.session.rollback()
    assert db.session.get(ExamSession, session.id).state == "scheduled"
    # ...and enrolling that candidate in another session with that examiner is refused too.
    from datetime import timedelta

    from examcentre.models import Centre

    centre = db.session.get(Centre, session.centre_id)
    later = sessions.create_session(
        TEST_ACTOR, centre, plan(users, starts_at=session.starts_at + timedelta(days=1))
    )
    sessions.change_state(TEST_ACTOR, session, "cancelled", on=session.starts_at.date(),
                          reason="crane broke down")
    db.session.commit()
    with pytest.raises(sessions.SessionError) as refused:
        enrol(later, id_number=other.candidate.id_number, name="考生乙", requires_theory_pass=False)
    assert codes(refused.value) == ["examiner_conflict"]
    assert ticket.session_id == session.id
