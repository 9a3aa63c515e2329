"""Rules that hold whichever edge calls them (page, CLI or API)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from examcentre.compliance import operations as compliance
from examcentre.extensions import db
from examcentre.models import Alert
from examcentre.sessions import operations as sessions

from .factories import TEST_ACTOR


def test_a_session_edit_cannot_drop_a_terminal_someone_sits_at(make):
    ticket = make.ticket(checked_in=False)
    session = ticket.session
    session.state = "scheduled"
    kept = [t for t in session.terminals if t.id != ticket.terminal_id]
    plan = sessions.SessionPlan(
        item=session.item,
        room=session.room,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        capacity=len(kept),
        terminals=kept,
        invigilators=session.invigilators,
    )
    with pytest.raises(sessions.SessionError) as refused:
        sessions.update_session(TEST_ACTOR, session, plan)
    assert refused.value.field == "terminals"
    db.session.rollback()
    assert ticket.terminal_id in {t.id for t in db.session.get(type(session), session.id).terminals}


def test_absence_is_final_and_an_absent_candidate_is_not_seated(make):
    ticket = make.ticket(checked_in=False)
    sessions.record_attendance(TEST_ACTOR, ticket, "absent", "did not come")
    with pytest.raises(sessions.SessionError):
        sessions.record_attendance(TEST_ACTOR, ticket, "checked_in")
    other = next(t for t in ticket.session.terminals if t.id != ticket.terminal_id)
    with pytest.raises(sessions.SessionError):
        sessions.assign_seat(TEST_ACTOR, ticket, other, "x")
    assert ticket.attendance == "absent"


def test_the_compliance_banner_neither_shows_nor_clears_invigilators_alerts(make):
    centre = make.centre()
    db.session.add_all(
        [
            Alert(
                centre_id=centre.id,
                kind="second_sign_in",
                level="warn",
                message="m",
                message_en="m",
            ),
            Alert(
                centre_id=centre.id, kind="compliance", level="fail", message="c", message_en="c"
            ),
        ]
    )
    db.session.commit()
    assert [a.kind for a in compliance.open_alerts(centre)] == ["compliance"]
    assert compliance.acknowledge_alerts(TEST_ACTOR, centre) == 1
    second = db.session.scalar(select(Alert).where(Alert.kind == "second_sign_in"))
    assert second.acknowledged_at is None
    assert compliance.acknowledge_alert(TEST_ACTOR, second) is True
    assert compliance.acknowledge_alert(TEST_ACTOR, second) is False
