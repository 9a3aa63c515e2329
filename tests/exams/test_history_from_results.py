"""A graded theory paper counts in the candidate's history (retake and pass rules)."""

from __future__ import annotations

from examcentre.exams import operations as exam_ops
from examcentre.extensions import db
from examcentre.sessions.operations import history_for

from ..factories import TEST_ACTOR


def test_a_graded_paper_is_a_passed_or_failed_sitting(make):
    failing, passing, waiting = make.exam_tickets(3)
    for ticket in (failing, passing):
        attempt = exam_ops.attempt_for(ticket)
        exam_ops.start(attempt, ticket.terminal, TEST_ACTOR)
        exam_ops.submit(attempt, TEST_ACTOR, by="candidate")  # nothing answered: 0, failed
    db.session.flush()
    # A later re-score (new result version) is what counts: make the second one a pass.
    newest = exam_ops.existing_attempt(passing).result
    newest.passed = True
    db.session.commit()

    sittings = history_for(failing.centre, failing.item, excluding=None)
    assert [s.outcome for s in sittings(failing.candidate.id_number)] == ["failed"]
    assert [s.outcome for s in sittings(passing.candidate.id_number)] == ["passed"]
    # Not yet sat, session still open: pending.
    assert [s.outcome for s in sittings(waiting.candidate.id_number)] == ["pending"]
