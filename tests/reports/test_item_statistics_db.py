"""Item statistics from real attempts: loading, caching, the nightly job, key corrections."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from examcentre.exams import operations as exam_ops
from examcentre.exams.grading import original_to_displayed
from examcentre.extensions import db
from examcentre.models import (
    AuditEntry,
    ItemStatistics,
    Paper,
    PaperQuestion,
    QuestionVersion,
)
from examcentre.reports import itemstats
from examcentre.reports import operations as reports

from ..factories import TEST_ACTOR

NOV = (date(2026, 11, 1), date(2026, 11, 30))
ANY = itemstats.Thresholds(min_responses=1)
TZ = "Asia/Shanghai"


def paper_of(attempt):
    return db.session.execute(
        select(PaperQuestion, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == PaperQuestion.question_version_id)
        .where(PaperQuestion.paper_id == attempt.paper_id)
        .order_by(PaperQuestion.position)
    ).all()


def right_answer(pq, qv):
    if qv.type == "true_false":
        return qv.answer
    return original_to_displayed(qv.answer, pq.option_order)


def wrong_answer(pq, qv):
    if qv.type == "true_false":
        return "false" if qv.answer == "true" else "true"
    right = right_answer(pq, qv)
    return next(c for c in "ABCD" if c not in right)


def sit_all(tickets, right_counts):
    """Candidate i answers their first ``right_counts[i]`` questions right, the rest wrong."""
    attempts = []
    for ticket, right in zip(tickets, right_counts, strict=True):
        attempt = exam_ops.attempt_for(ticket)
        exam_ops.start(attempt, ticket.terminal, TEST_ACTOR)
        for i, (pq, qv) in enumerate(paper_of(attempt)):
            answer = right_answer(pq, qv) if i < right else wrong_answer(pq, qv)
            exam_ops.save_answer(attempt, pq.position, answer, False, 1, ticket.terminal)
        exam_ops.submit(attempt, TEST_ACTOR, by="candidate")
        attempts.append(attempt)
    db.session.commit()
    return attempts


def blueprint_of(attempt):
    return db.session.get(Paper, attempt.paper_id).blueprint


def test_statistics_of_real_attempts_agree_with_their_results(make):
    tickets = make.exam_tickets(3)
    attempts = sit_all(tickets, [10, 5, 0])
    blueprint = blueprint_of(attempts[0])
    row = reports.compute_item_statistics(
        TEST_ACTOR, blueprint, *NOV, TZ, ANY, datetime(2026, 12, 1, tzinfo=UTC)
    )
    db.session.commit()
    doc = row.document
    assert row.attempts == 3 and doc["test"]["attempts"] == 3
    assert doc["test"]["histogram"] == [1, 0, 0, 0, 0, 1, 0, 0, 0, 1]  # 0, 50, 100 %
    # Every question's count of right answers equals what the results say.
    right = {}
    for attempt in attempts:
        for (_, qv), mark in zip(paper_of(attempt), attempt.result.marks, strict=True):
            right.setdefault(qv.id, []).append(mark["correct"])
    for q in doc["questions"]:
        marks = right[q["ref"]]
        assert q["n"] == len(marks)
        assert q["facility"] == round(sum(marks) / len(marks), 6)
        key_rows = [r for r in q["distractors"] if r["key"]]
        if q["type"] == "single":  # the key's count is the right answers, in original letters
            assert key_rows[0]["count"] == sum(marks)
    # Cached: the same period again replaces the row.
    reports.compute_item_statistics(TEST_ACTOR, blueprint, *NOV, TZ, ANY, datetime.now(UTC))
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(ItemStatistics)) == 1
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("reports.item_statistics") == 2


def test_a_session_outside_the_period_is_not_counted(make):
    attempts = sit_all(make.exam_tickets(1), [3])
    row = reports.compute_item_statistics(
        TEST_ACTOR,
        blueprint_of(attempts[0]),
        date(2026, 12, 1),
        date(2026, 12, 31),
        TZ,
        ANY,
        datetime.now(UTC),
    )
    assert row.attempts == 0 and row.document["questions"] == []


def test_a_key_correction_shows_in_the_statistics(make):
    tickets = make.exam_tickets(2)
    attempts = sit_all(tickets, [10, 10])
    _, qv = paper_of(attempts[0])[0]
    blueprint = blueprint_of(attempts[0])
    before = reports.compute_item_statistics(
        TEST_ACTOR, blueprint, *NOV, TZ, ANY, datetime.now(UTC)
    )
    q = next(q for q in before.document["questions"] if q["ref"] == qv.id)
    assert q["facility"] == 1.0
    new_key = (
        ("false" if qv.answer == "true" else "true")
        if qv.type == "true_false"
        else next(c for c in "ABCD" if c not in qv.answer)
        if qv.type == "single"
        else "".join(sorted(set("ABCD") - set(qv.answer)))[:1]
    )
    exam_ops.correct_key(TEST_ACTOR, qv, new_key, "key misprinted")
    db.session.commit()
    after = reports.compute_item_statistics(TEST_ACTOR, blueprint, *NOV, TZ, ANY, datetime.now(UTC))
    q = next(q for q in after.document["questions"] if q["ref"] == qv.id)
    assert q["facility"] == 0.0


def test_the_nightly_job_refreshes_the_rolling_period_and_drops_older_ones(app, make):
    from examcentre.jobs import refresh_item_statistics

    attempts = sit_all(make.exam_tickets(2), [4, 6])
    blueprint = blueprint_of(attempts[0])
    # An automatic row of an older window, and one an administrator asked for.
    reports.compute_item_statistics(
        TEST_ACTOR,
        blueprint,
        date(2025, 1, 1),
        date(2025, 12, 31),
        TZ,
        ANY,
        datetime.now(UTC),
        automatic=True,
    )
    reports.compute_item_statistics(TEST_ACTOR, blueprint, *NOV, TZ, ANY, datetime.now(UTC))
    db.session.commit()
    app.config["ITEM_STATS_PERIOD_DAYS"] = 3650  # the fixture's sessions are in Nov 2026
    app.config["ITEM_STATS_MIN_RESPONSES"] = 1
    from examcentre.models import Centre

    code = db.session.get(Centre, blueprint.centre_id).code
    flagged = refresh_item_statistics(app)
    # Two candidates: every question is too easy, too hard, or has an unused distractor.
    assert flagged[code] > 0
    rows = db.session.scalars(select(ItemStatistics).order_by(ItemStatistics.id)).all()
    periods = sorted((r.period_from, r.automatic) for r in rows)
    assert len(rows) == 2
    assert (NOV[0], False) in periods  # the administrator's period stays
    auto = next(r for r in rows if r.automatic)
    assert auto.attempts == 2 and auto.period_to > NOV[1]
