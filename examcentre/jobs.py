"""Scheduled work (APScheduler 3).

One process owns the scheduler: ``examcentre jobs run`` in production, or the single
worker of ``examcentre serve`` in the embedded run. ``create_app`` never starts it, so
several gunicorn workers never run a job several times. Every job is idempotent.
"""

from __future__ import annotations

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask

from .audit.operations import SYSTEM, record, verify_chain
from .extensions import db


def verify_audit_chain(app: Flask) -> bool:
    """Nightly: walk the whole audit chain and record the outcome in the chain itself."""
    with app.app_context():
        report = verify_chain()
        if report.intact:
            record(SYSTEM, "audit.verified", details={"entries": report.entries_checked})
        else:
            brk = report.first_break
            app.logger.error("audit chain broken at entry %s: %s", brk.seq, brk.detail)
            record(
                SYSTEM,
                "audit.verify_failed",
                details={"first_break": brk.seq, "problem": brk.problem, "detail": brk.detail},
            )
        db.session.commit()
        return report.intact


def check_every_centre(app: Flask) -> dict[str, bool]:
    """Nightly: store a compliance check for every centre; new failures raise alerts."""
    from sqlalchemy import select

    from .clock import centre_today
    from .compliance.exchange import ExchangeError
    from .compliance.operations import note_unreadable_records, run_check
    from .models import Centre

    results = {}
    with app.app_context():
        today = centre_today()
        for centre in db.session.scalars(select(Centre).order_by(Centre.code)).all():
            try:
                check = run_check(SYSTEM, centre, today, trigger="nightly")
            except ExchangeError as error:
                # Records that cannot be checked (none yet, or no longer valid after a
                # settings change): alert the centre and go on with the others.
                db.session.rollback()
                app.logger.warning("compliance check of %s impossible: %s", centre.code, error)
                note_unreadable_records(centre, error)
                db.session.commit()
                continue
            db.session.commit()
            results[centre.code] = check.compliant
    return results


def add_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    _nightly(scheduler, app, verify_audit_chain, app.config["AUDIT_VERIFY_HOUR"], 7)
    _nightly(scheduler, app, check_every_centre, app.config["COMPLIANCE_CHECK_HOUR"], 17)


def _nightly(scheduler: BaseScheduler, app: Flask, job, hour: int, minute: int) -> None:
    scheduler.add_job(
        job,
        CronTrigger(hour=hour, minute=minute, timezone=app.config["BABEL_DEFAULT_TIMEZONE"]),
        args=[app],
        id=job.__name__.replace("_", "-"),
        replace_existing=True,
        coalesce=True,  # after downtime, run once, not once per missed night
        max_instances=1,
        misfire_grace_time=6 * 3600,
    )
