"""Scheduled work: the nightly chain check, and no scheduler started by the app factory."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, text

from examcentre.audit.operations import SYSTEM, record
from examcentre.extensions import db
from examcentre.jobs import add_jobs, verify_audit_chain
from examcentre.models import AuditEntry

from .factories import TEST_ACTOR


def test_nightly_check_records_an_intact_chain(app):
    record(SYSTEM, "test.event")
    db.session.commit()
    assert verify_audit_chain(app) is True
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "audit.verified"
    assert json.loads(entry.details) == {"entries": 1}


def test_nightly_check_records_a_broken_chain(app):
    from .test_audit import drop_append_only_triggers

    record(SYSTEM, "test.event")
    record(SYSTEM, "test.event")
    db.session.commit()
    drop_append_only_triggers()
    db.session.execute(text("UPDATE audit_entries SET reason = 'x' WHERE seq = 2"))
    db.session.commit()
    assert verify_audit_chain(app) is False
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert entry.action == "audit.verify_failed"
    assert json.loads(entry.details)["first_break"] == 2


def test_schedule_holds_one_nightly_job_at_the_configured_hour(app):
    app.config["AUDIT_VERIFY_HOUR"] = 3
    scheduler = BackgroundScheduler(timezone="Asia/Shanghai")
    scheduler.start(paused=True)  # a running (paused) scheduler: nothing fires
    try:
        add_jobs(scheduler, app)
        add_jobs(scheduler, app)  # idempotent: replaces, never duplicates
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert sorted(jobs) == [
            "check-every-centre",
            "deliver-results",
            "refresh-item-statistics",
            "store-monthly-reports",
            "submit-overdue-papers",
            "verify-audit-chain",
        ]
        outbox = jobs["deliver-results"]
        assert outbox.trigger.interval.total_seconds() == app.config["OUTBOX_INTERVAL_SECONDS"]
        assert "hour='3'" in str(jobs["verify-audit-chain"].trigger)
        assert jobs["verify-audit-chain"].next_run_time.hour == 3
        # Overdue papers: every few seconds, and at once on start-up (after a restart).
        overdue = jobs["submit-overdue-papers"]
        interval = app.config["AUTO_SUBMIT_INTERVAL_SECONDS"]
        assert overdue.trigger.interval.total_seconds() == interval
        assert (overdue.next_run_time - datetime.now(UTC)).total_seconds() < 5
    finally:
        scheduler.shutdown(wait=False)


def test_the_app_factory_starts_no_scheduler(app):
    import threading

    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]


def test_the_job_submits_papers_whose_time_ran_out(app, make):
    from datetime import timedelta

    from examcentre.clock import now_utc
    from examcentre.exams.operations import attempt_for, start
    from examcentre.jobs import submit_overdue_papers
    from examcentre.models import Attempt

    late, running = make.exam_tickets(2)
    for ticket in (late, running):
        start(attempt_for(ticket), ticket.terminal, TEST_ACTOR)
    db.session.commit()
    overdue = db.session.scalar(select(Attempt).where(Attempt.ticket_id == late.id))
    overdue.deadline_at = now_utc() - timedelta(minutes=2)
    db.session.commit()

    assert submit_overdue_papers(app) == 1
    assert submit_overdue_papers(app) == 0  # idempotent
    db.session.expire_all()
    states = dict(db.session.execute(select(Attempt.ticket_id, Attempt.state)).all())
    assert states == {late.id: "submitted", running.id: "in_progress"}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "attempt.submit"))
    assert entry.actor_type == "system" and json.loads(entry.details)["by"] == "deadline"
