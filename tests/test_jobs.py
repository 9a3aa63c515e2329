"""Scheduled work: the nightly chain check, and no scheduler started by the app factory."""

from __future__ import annotations

import json

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select, text

from examcentre.audit.operations import SYSTEM, record
from examcentre.extensions import db
from examcentre.jobs import add_jobs, verify_audit_chain
from examcentre.models import AuditEntry


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
        assert sorted(jobs) == ["check-every-centre", "verify-audit-chain"]
        assert "hour='3'" in str(jobs["verify-audit-chain"].trigger)
        assert jobs["verify-audit-chain"].next_run_time.hour == 3
    finally:
        scheduler.shutdown(wait=False)


def test_the_app_factory_starts_no_scheduler(app):
    import threading

    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]
