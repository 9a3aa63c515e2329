"""Builders for practical-exam tests: a centre with compliant records (crane BC-1, examiners
王五 and 孙八 filed for Q2), two examiner accounts named after them, a practical session."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from examcentre.compliance import operations as compliance
from examcentre.compliance.model import ComplianceSettings
from examcentre.exams.operations import attempt_for
from examcentre.extensions import db
from examcentre.models import AttemptResult
from examcentre.sessions import operations as sessions

from ..factories import TEST_ACTOR, valid_id_number

ITEM = "Q2(限桥式起重机)"
COMPLIANT = Path(__file__).parents[1] / "compliance" / "fixtures" / "compliant_centre.json"
DAY = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def records(centre, edit=None) -> dict:
    document = json.loads(COMPLIANT.read_text())
    document["centre"]["code"] = centre.code
    if edit:
        edit(document)
    compliance.save_record_document(TEST_ACTOR, centre, document, "test")
    # The compliance gate (R-SYS) is not the subject here.
    compliance.update_settings(TEST_ACTOR, centre, ComplianceSettings(), False, "test")
    db.session.commit()
    return document


def examiners(make, centre, names=("王五", "孙八")):
    users = []
    for name in names:
        user = make.user("examiner", centre=centre)
        user.display_name = name
        users.append(user)
    db.session.commit()
    return users


def plan(examiner_users, *, equipment="BC-1", starts_at=DAY, lead=None, capacity=5):
    return sessions.SessionPlan(
        item=ITEM, room="场地1", starts_at=starts_at, ends_at=starts_at + timedelta(hours=4),
        capacity=capacity, terminals=[], invigilators=[], kind="practical",
        equipment=equipment, examiners=list(examiner_users), lead=lead or examiner_users[0],
    )


def theory_passed(make, centre, score: float = 80.0, passed: bool = True):
    """A candidate who sat the theory exam (a closed session) with this result; their ticket."""
    ticket = make.exam_tickets(1, centre=centre)[0]
    attempt = attempt_for(ticket)
    attempt.state = "submitted"
    attempt.submitted_at = ticket.session.starts_at + timedelta(minutes=30)
    db.session.add(AttemptResult(
        attempt_id=attempt.id, version=1, earned=score, total=100, score=score,
        passed=passed, pass_mark=70, created_by="tests",
    ))
    ticket.session.state = "closed"
    db.session.commit()
    return ticket


def practical_session(make, centre=None, *, starts_at=DAY):
    """A released practical session at a centre with compliant records; (session, examiners)."""
    centre = centre or make.centre()
    records(centre)
    users = examiners(make, centre)
    session = sessions.create_session(TEST_ACTOR, centre, plan(users, starts_at=starts_at))
    db.session.commit()
    return session, users


def enrol(session, id_number=None, name="考生甲", **kw):
    ticket = sessions.enrol(
        TEST_ACTOR, session, id_number=id_number or valid_id_number(sequence=7),
        name=name, timezone="Asia/Shanghai", **kw,
    )
    db.session.commit()
    return ticket
