"""Submitted papers: the archive detects any change; a key correction re-scores as new
result versions, never overwriting."""

from __future__ import annotations

import json

from sqlalchemy import select

from examcentre.exams import operations as exam_ops
from examcentre.exams.archive import canonical_json
from examcentre.exams.grading import original_to_displayed
from examcentre.extensions import db
from examcentre.models import (
    Attempt,
    AttemptArchive,
    AttemptResult,
    AuditEntry,
    PaperQuestion,
    QuestionVersion,
)

from ..factories import TEST_ACTOR


def sit(tickets, answer_first_right: bool = True) -> list[Attempt]:
    """Each candidate answers their first question (right or wrong) and submits."""
    attempts = []
    for ticket in tickets:
        attempt = exam_ops.attempt_for(ticket)
        exam_ops.start(attempt, ticket.terminal, TEST_ACTOR)
        pq, qv = first_question(attempt)
        right = (
            qv.answer
            if qv.type == "true_false"
            else original_to_displayed(qv.answer, pq.option_order)
        )
        if not answer_first_right:
            right = {"true": "false", "false": "true"}.get(right, "A" if right != "A" else "B")
        exam_ops.save_answer(attempt, pq.position, right, False, 1, ticket.terminal)
        exam_ops.submit(attempt, TEST_ACTOR, by="candidate")
        attempts.append(attempt)
    db.session.commit()
    return attempts


def first_question(attempt):
    return db.session.execute(
        select(PaperQuestion, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == attempt.paper_id)
        .order_by(PaperQuestion.position)
    ).first()


def test_archive_verify_finds_every_kind_of_change(make, runner):
    attempts = sit(make.exam_tickets(3))
    intact = runner.invoke(args=["archive", "verify"])
    assert intact.exit_code == 0 and "3 submitted papers verified" in intact.output

    first, second, third = (
        db.session.scalar(select(AttemptArchive).where(AttemptArchive.attempt_id == a.id))
        for a in attempts
    )
    # 1. The score is edited in place.
    document = json.loads(first.document)
    document["result"]["score"] = 100.0
    first.document = canonical_json(document).decode()
    # 2. An answer is edited and the stored digest recomputed to match: the audit log's
    #    copy of the digest, sealed in the hash chain, still disagrees.
    document = json.loads(second.document)
    document["answers"][0]["response"] = "changed"
    second.document = canonical_json(document).decode()
    from examcentre.exams.archive import digest

    second.sha256 = digest(document)
    db.session.commit()

    changed = runner.invoke(args=["archive", "verify"])
    assert changed.exit_code == 1
    assert "2 of 3 papers fail verification" in changed.output
    assert f"attempt {attempts[0].id} " in changed.output
    assert f"attempt {attempts[1].id} " in changed.output
    assert "audit log" in changed.output
    assert f"attempt {attempts[2].id} " not in changed.output
    del third


def test_a_key_correction_adds_result_versions_with_the_reason(make, runner):
    tickets = make.exam_tickets(2)
    attempts = sit(tickets, answer_first_right=False)
    # Both candidates answered their first question wrong; say that question's key was
    # wrong and the candidate's answer is the right one (for the first candidate).
    attempt = attempts[0]
    pq, qv = first_question(attempt)
    given = exam_ops.responses_of(attempt)[pq.position]
    from examcentre.exams.grading import displayed_to_original

    corrected = given if qv.type == "true_false" else displayed_to_original(given, pq.option_order)
    before = attempt.result
    assert before.version == 1 and before.earned == 0

    result = runner.invoke(
        args=[
            "exam",
            "correct-key",
            "--question-version",
            str(qv.id),
            "--answer",
            corrected,
            "--reason",
            "Key mixed up in import",
        ]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    versions = db.session.scalars(
        select(AttemptResult)
        .where(AttemptResult.attempt_id == attempt.id)
        .order_by(AttemptResult.version)
    ).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].earned == 0  # the first version is untouched
    assert versions[1].earned == 1 and versions[1].reason == "Key mixed up in import"
    rescored = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "attempt.rescore")
    ).all()
    assert {e.object_id for e in rescored} >= {str(attempt.id)}
    assert all(e.reason == "Key mixed up in import" for e in rescored)
    # The archive is the record of the sitting, not of later corrections: still intact.
    assert runner.invoke(args=["archive", "verify"]).exit_code == 0


def test_a_bad_correction_is_refused_and_changes_nothing(make, runner):
    attempts = sit(make.exam_tickets(1))
    _pq, qv = first_question(attempts[0])
    bad = "maybe" if qv.type == "true_false" else "Z"
    result = runner.invoke(
        args=[
            "exam",
            "correct-key",
            "--question-version",
            str(qv.id),
            "--answer",
            bad,
            "--reason",
            "x",
        ]
    )
    assert result.exit_code == 2 and "--answer" in result.output
    assert db.session.scalar(select(AttemptResult).where(AttemptResult.version == 2)) is None
