from __future__ import annotations

import pytest

from examcentre.audit.operations import Actor
from examcentre.extensions import db

ACTOR = Actor("system", None, "test")


@pytest.fixture(autouse=True)
def _keys_in_tmp(app, tmp_path):
    """Every test's centre keys live in its own folder, never the repository's instance/."""
    app.config["SIGNING_KEY_DIR"] = str(tmp_path / "keys")
    app.config["HUB_MODE"] = True


def sit_and_close(make, count: int = 3, absent: int = 1):
    """A closed session: ``count - absent`` candidates sat and submitted, ``absent`` absent."""
    from examcentre.exams import operations as exam_ops

    tickets = make.exam_tickets(count)
    for ticket in tickets[absent:]:
        attempt = exam_ops.attempt_for(ticket)
        exam_ops.start(attempt, ticket.terminal, ACTOR)
        exam_ops.submit(attempt, ACTOR, by="candidate")
    for ticket in tickets[:absent]:
        ticket.attendance = "absent"
    session = tickets[0].session
    session.state = "closed"
    db.session.commit()
    return session, tickets


@pytest.fixture
def closed_session(make):
    return sit_and_close(make)
