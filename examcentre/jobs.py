"""Scheduled work (APScheduler 3).

One process owns the scheduler: ``examcentre jobs run`` in production, or the single
worker of ``examcentre serve`` in the embedded run. ``create_app`` never starts it, so
several gunicorn workers never run a job several times. Every job is idempotent.
"""

from __future__ import annotations

from datetime import UTC, datetime

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
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


def submit_overdue_papers(app: Flask) -> int:
    """Every few seconds, and once at start-up: submit and grade every theory paper whose
    time ran out (a server that was down at the deadline catches up as soon as it is back).
    Each paper commits on its own, so that one failure does not hold back the room."""
    from .exams.operations import overdue_attempt_ids, submit_overdue

    submitted = 0
    with app.app_context():
        for attempt_id in overdue_attempt_ids():
            try:
                submitted += submit_overdue(only=attempt_id)
                db.session.commit()
            except Exception:  # logged, retried on the next run
                db.session.rollback()
                app.logger.exception("automatic submission of attempt %s failed", attempt_id)
    return submitted


def deliver_results(app: Flask) -> int:
    """Every OUTBOX_INTERVAL_SECONDS, and once at start-up: build a signed batch for every
    newly closed session, then send each due batch to AUTHORITY_HUB_URL; a failure is
    retried with exponential backoff (transmission/policy.py). The batch id makes a resend
    harmless: the hub answers a duplicate with its original receipt. Each batch commits on
    its own. Without a hub URL batches are still built (for export) but nothing is sent."""
    from .transmission import delivery
    from .transmission import operations as ops

    delivered = 0
    with app.app_context():
        now = datetime.now(UTC)
        for session in ops.sessions_to_report():
            try:
                ops.build_session_batch(SYSTEM, session, now)
                db.session.commit()
            except Exception:  # logged, retried on the next run
                db.session.rollback()
                app.logger.exception("results batch of session %s not built", session.id)
        url = app.config.get("AUTHORITY_HUB_URL")
        if not url:
            return 0
        for outbox in ops.due_for_delivery(now):
            outcome = delivery.send(
                url, ops.signed_envelope(outbox), app.config["OUTBOX_TIMEOUT_SECONDS"]
            )
            ops.record_delivery(outbox, outcome, datetime.now(UTC))
            db.session.commit()
            if outcome.delivered:
                delivered += 1
            else:
                app.logger.warning(
                    "results batch %s not delivered (attempt %s): %s",
                    outbox.batch_id,
                    outbox.attempts,
                    outcome.error,
                )
    return delivered


def refresh_item_statistics(app: Flask) -> dict[str, int]:
    """Nightly: recompute every centre's item statistics over the rolling period
    (ITEM_STATS_PERIOD_DAYS up to yesterday), so that the pages only read the cache. Each
    centre commits on its own; returns the flagged questions per centre."""
    from sqlalchemy import select

    from .clock import centre_today
    from .models import Centre
    from .reports import operations as reports

    flagged = {}
    with app.app_context():
        period = reports.rolling_period(centre_today(), app.config["ITEM_STATS_PERIOD_DAYS"])
        thresholds = reports.thresholds_from(app.config)
        for centre in db.session.scalars(select(Centre).order_by(Centre.code)).all():
            try:
                rows = reports.refresh_item_statistics(
                    SYSTEM,
                    centre.id,
                    *period,
                    app.config["BABEL_DEFAULT_TIMEZONE"],
                    thresholds,
                    datetime.now(UTC),
                )
                db.session.commit()
            except Exception:  # logged, retried the next night
                db.session.rollback()
                app.logger.exception("item statistics of %s not computed", centre.code)
                continue
            flagged[centre.code] = sum(row.flagged for row in rows)
    return flagged


def store_monthly_reports(app: Flask) -> int:
    """Nightly (idempotent): keep last month's summary report of every centre, and on an
    authority hub the all-centres report from the received batches. A month already stored
    is skipped, so the first night of a month makes them and a server that was down then
    catches up. Returns how many were made."""
    from sqlalchemy import select

    from .clock import centre_today
    from .models import Centre
    from .reports import operations as reports

    made = 0
    with app.app_context():
        month = reports.previous_month(centre_today())
        timezone = app.config["BABEL_DEFAULT_TIMEZONE"]
        targets = [
            (centre, "local", centre.code)
            for centre in db.session.scalars(select(Centre).order_by(Centre.code)).all()
        ]
        if app.config.get("HUB_MODE"):
            targets.append((None, "hub", None))
        for centre, source, label in targets:
            try:
                row = reports.store_monthly_report(
                    SYSTEM, centre, source, month, timezone, datetime.now(UTC), label
                )
                db.session.commit()
            except Exception:  # logged, retried the next night
                db.session.rollback()
                app.logger.exception("monthly report of %s not stored", label or "all centres")
                continue
            made += row is not None
    return made


def add_jobs(scheduler: BaseScheduler, app: Flask) -> None:
    scheduler.add_job(
        submit_overdue_papers,
        IntervalTrigger(seconds=app.config["AUTO_SUBMIT_INTERVAL_SECONDS"]),
        args=[app],
        id="submit-overdue-papers",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),  # at start-up too: papers due while we were down
    )
    scheduler.add_job(
        deliver_results,
        IntervalTrigger(seconds=app.config["OUTBOX_INTERVAL_SECONDS"]),
        args=[app],
        id="deliver-results",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),  # at start-up too: batches waiting while we were down
    )
    _nightly(scheduler, app, verify_audit_chain, app.config["AUDIT_VERIFY_HOUR"], 7)
    _nightly(scheduler, app, check_every_centre, app.config["COMPLIANCE_CHECK_HOUR"], 17)
    _nightly(scheduler, app, refresh_item_statistics, app.config["ITEM_STATS_HOUR"], 27)
    _nightly(scheduler, app, store_monthly_reports, app.config["MONTHLY_REPORT_HOUR"], 37)


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
