"""The certifying authority's area: read-only, across every centre.

On an install in authority-hub mode it also shows the results batches received from the
centres (``/authority/hub``); they arrive by the signed ingest endpoint or `examcentre hub
import`, never by a page here: authority staff do not write.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from ..auth.roles import require_role
from ..compliance.operations import latest_check, report_of
from ..extensions import db
from ..models import AdmissionTicket, Centre, ComplianceCheck, Role, User
from . import audit_pages
from .compliance import pdf_response

bp = Blueprint("authority", __name__, url_prefix="/authority")
bp.before_request(require_role(Role.AUTHORITY))


@bp.route("/")
def home():
    """The dashboard across centres (filtered by period, centre and item): the period's
    figures, each centre's compliance status, outliers and the monthly trend; then the
    centres registered on this platform."""
    from ..reports import dashboard, queries
    from ..reports.operations import period_bounds
    from ..reports.summary import rate
    from . import report_pages

    config = current_app.config
    source, centre_choices, chosen, label = _report_scope()
    doc, period_from, period_to, item = report_pages.document(source, chosen, label)
    per_centre = dashboard.per_centre(doc)
    outliers = dashboard.outliers(
        per_centre, config["OUTLIER_PASS_RATE_POINTS"], config["OUTLIER_MIN_SAT"]
    )
    months = dashboard.month_buckets(period_to, config["DASHBOARD_TREND_MONTHS"])
    timezone = config["BABEL_DEFAULT_TIMEZONE"]
    # Examiners' sheets live in the centres' own tables; the results batches a hub receives
    # carry each result's examiners but not their separate sheets (None: not known here).
    examiners = None
    if source == "local":
        examiners = dashboard.examiner_outliers(
            queries.examiner_differences(
                chosen, *period_bounds(period_from, period_to, timezone), [item] if item else None
            ),
            config["OUTLIER_EXAMINER_MIN_PAIRS"],
            config["OUTLIER_EXAMINER_POINTS"],
        )
    trend = queries.monthly_trend(
        source,
        chosen,
        [period_bounds(first, last, timezone) for first, last in months],
        [item] if item else None,
    )
    rates = [rate(t["passed"], t["decided"]) for t in trend]
    staff = dict(
        db.session.execute(
            select(User.centre_id, func.count())
            .where(User.centre_id.is_not(None))
            .group_by(User.centre_id)
        ).all()
    )
    tickets = dict(
        db.session.execute(
            select(AdmissionTicket.centre_id, func.count()).group_by(AdmissionTicket.centre_id)
        ).all()
    )
    centres = db.session.scalars(select(Centre).order_by(Centre.code)).all()
    checks = {centre.id: latest_check(centre) for centre in centres}
    # Compliance is checked where a centre's records are: on this install. A hub knows the
    # status only of centres that also live here (by code); the others show "not known".
    checks_by_code = {centre.code: checks[centre.id] for centre in centres}
    return render_template(
        "authority/home.html",
        centres=centres,
        staff=staff,
        tickets=tickets,
        checks=checks,
        checks_by_code=checks_by_code,
        doc=doc,
        totals=doc["totals"],
        per_centre=per_centre,
        outliers=outliers,
        outlier_points=config["OUTLIER_PASS_RATE_POINTS"],
        outlier_min_sat=config["OUTLIER_MIN_SAT"],
        examiners=examiners,
        examiner_points=config["OUTLIER_EXAMINER_POINTS"],
        examiner_min_pairs=config["OUTLIER_EXAMINER_MIN_PAIRS"],
        trend=[
            {"month": first.strftime("%Y-%m"), "rate": value, **point, **t}
            for (first, _last), value, point, t in zip(
                months, rates, dashboard.trend_points(rates), trend, strict=True
            )
        ],
        centre_choices=centre_choices,
        centre=chosen,
        item=item,
        items=report_pages.ITEMS,
        period_from=period_from,
        period_to=period_to,
        hub_mode=source == "hub",
    )


@bp.route("/centres/<int:centre_id>")
def centre_detail(centre_id: int):
    centre = db.session.get(Centre, centre_id) or abort(404)
    users = db.session.scalars(
        select(User).where(User.centre_id == centre.id).order_by(User.role, User.username)
    ).all()
    check = latest_check(centre)
    return render_template(
        "authority/centre.html",
        centre=centre,
        users=users,
        check=check,
        report=report_of(check) if check else None,
    )


@bp.route("/centres/<int:centre_id>/compliance/<int:check_id>.pdf")
def compliance_pdf(centre_id: int, check_id: int):
    check = db.session.get(ComplianceCheck, check_id)
    if check is None or check.centre_id != centre_id:
        abort(404)
    return pdf_response(check)


@bp.route("/audit")
def audit():
    return audit_pages.render_audit_list(current_user, "authority")


@bp.route("/audit/<int:entry_id>")
def audit_entry(entry_id: int):
    return audit_pages.render_audit_entry(current_user, entry_id, "authority")


@bp.route("/audit/verify")
def audit_verify():
    return audit_pages.render_audit_verify("authority")


# --- Results received (authority-hub mode) -----------------------------------------------------


@bp.route("/hub/")
def hub():
    """Registered centres and the batches received from them, newest first. Late batches
    (received after the due date the hub computes itself) stand out."""
    from ..models import HubBatch, HubCentre, HubSitting, HubSubjectResult
    from ..transmission.hub import is_late

    centres = db.session.scalars(select(HubCentre).order_by(HubCentre.code)).all()
    batches = db.session.scalars(
        select(HubBatch).order_by(HubBatch.received_at.desc(), HubBatch.id.desc()).limit(200)
    ).all()
    ids = [b.id for b in batches]
    sittings = dict(
        db.session.execute(
            select(HubSitting.hub_batch_id, func.count())
            .where(HubSitting.hub_batch_id.in_(ids))
            .group_by(HubSitting.hub_batch_id)
        ).all()
    )
    results = dict(
        db.session.execute(
            select(HubSubjectResult.hub_batch_id, func.count())
            .where(HubSubjectResult.hub_batch_id.in_(ids))
            .group_by(HubSubjectResult.hub_batch_id)
        ).all()
    )
    return render_template(
        "authority/hub.html",
        hub_mode=current_app.config.get("HUB_MODE"),
        centres=centres,
        batches=batches,
        sittings=sittings,
        results=results,
        late={b.id: is_late(b) for b in batches},
    )


@bp.route("/hub/batches/<int:batch_id>")
def hub_batch(batch_id: int):
    from ..models import HubBatch, HubSitting, HubSubjectResult
    from ..transmission.hub import is_late

    batch = db.session.get(HubBatch, batch_id) or abort(404)
    sittings = db.session.scalars(
        select(HubSitting)
        .where(HubSitting.hub_batch_id == batch.id)
        .order_by(HubSitting.session_ref, HubSitting.ticket)
    ).all()
    results: dict[int, list] = {}
    for row in db.session.scalars(
        select(HubSubjectResult)
        .where(HubSubjectResult.hub_batch_id == batch.id)
        .order_by(HubSubjectResult.id)
    ):
        results.setdefault(row.sitting_id, []).append(row)
    return render_template(
        "authority/hub_batch.html",
        batch=batch,
        sittings=sittings,
        results=results,
        late=is_late(batch),
    )


@bp.route("/appeals")
def appeals_statistics():
    """The complaint classification table across every centre (read-only)."""
    from ..appeals import operations as appeal_ops
    from ..appeals.forms import OUTCOME_LABELS, TYPE_LABELS
    from ..clock import centre_today
    from .appeals import _date_arg, calendar

    start, end = _date_arg("from"), _date_arg("to")
    stats = appeal_ops.statistics(calendar(), start=start, end=end, today=centre_today())
    return render_template(
        "appeals/statistics.html",
        stats=stats,
        start=start,
        end=end,
        type_labels=TYPE_LABELS,
        outcome_labels=OUTCOME_LABELS,
    )


# --- Summary reports (汇总报表), every centre, read-only ----------------------------------------


def _report_scope():
    """The source (an authority hub reads the received batches, a centre install its own
    tables), the centres to choose from, and the chosen one (None: all)."""
    from ..models import HubCentre

    raw = request.args.get("centre") or None
    if current_app.config.get("HUB_MODE"):
        centres = [
            (c.code, f"{c.code} {c.name}")
            for c in db.session.scalars(select(HubCentre).order_by(HubCentre.code))
        ]
        chosen = raw if raw in {code for code, _ in centres} else None
        return "hub", centres, chosen, chosen
    rows = db.session.scalars(select(Centre).order_by(Centre.code)).all()
    centres = [(c.id, f"{c.code} {c.name}") for c in rows]
    by_id = {str(c.id): c for c in rows}
    centre = by_id.get(raw) if raw else None
    return "local", centres, centre.id if centre else None, centre.code if centre else None


@bp.route("/reports")
def reports():
    from ..models import StoredReport
    from . import report_pages

    source, centres, chosen, label = _report_scope()
    doc, period_from, period_to, item = report_pages.document(source, chosen, label)
    stored = db.session.scalars(
        select(StoredReport).order_by(StoredReport.period_from.desc(), StoredReport.id).limit(48)
    ).all()
    return report_pages.render(
        "reports/summary.html",
        doc,
        period_from=period_from,
        period_to=period_to,
        item=item,
        stored=stored,
        download_endpoint="authority.reports_download",
        stored_endpoint="authority.stored_report",
        centres=centres,
        centre=chosen,
    )


@bp.route("/reports/summary.<any(pdf, csv, xlsx):fmt>")
def reports_download(fmt: str):
    from . import report_pages

    source, _centres, chosen, label = _report_scope()
    doc, *_rest = report_pages.document(source, chosen, label)
    return report_pages.download(doc, fmt, report_pages.file_name(doc, label))


@bp.route("/reports/stored/<int:report_id>.<any(pdf, csv, xlsx):fmt>")
def stored_report(report_id: int, fmt: str):
    from ..models import StoredReport
    from . import report_pages

    row = db.session.get(StoredReport, report_id) or abort(404)
    return report_pages.stored_download(row, fmt)


# --- Query (查询) and the candidate dossier (建档存档) -------------------------------------------


@bp.route("/query")
def query():
    """Find a candidate by ID number, name, ticket number or application number."""
    from ..reports.dossier import LIMIT, find_candidates, find_hub_sittings

    text = (request.args.get("q") or "").strip()
    hub_mode = current_app.config.get("HUB_MODE")
    return render_template(
        "authority/query.html",
        text=text,
        found=find_candidates(text) if text else [],
        received=find_hub_sittings(text) if text and hub_mode else [],
        limit=LIMIT,
        hub_mode=hub_mode,
    )


@bp.route("/candidates/<int:candidate_id>")
def dossier(candidate_id: int):
    from ..models import Candidate
    from ..reports.dossier import dossier as build

    candidate = db.session.get(Candidate, candidate_id) or abort(404)
    return render_template("authority/dossier.html", doc=build(candidate), candidate=candidate)


@bp.route("/candidates/<int:candidate_id>.pdf")
def dossier_pdf(candidate_id: int):
    from flask import Response

    from ..models import Candidate
    from ..reports.dossier import dossier as build
    from ..reports.dossier_pdf import build_pdf
    from .report_pages import language

    candidate = db.session.get(Candidate, candidate_id) or abort(404)
    body = build_pdf(build(candidate), language(), current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="dossier-{candidate.id}.pdf"'},
    )


@bp.route("/attempts/<int:attempt_id>/verify")
def verify_result(attempt_id: int):
    """Re-check one result's sealed archive now (bytes, SHA-256, the audit chain's copy)."""
    from ..models import Attempt
    from ..reports.dossier import verify_attempt

    attempt = db.session.get(Attempt, attempt_id) or abort(404)
    return render_template(
        "authority/verify_result.html",
        attempt=attempt,
        verification=verify_attempt(attempt),
        result=attempt.result,
    )


@bp.route("/hub/sittings/<int:sitting_id>/verify")
def verify_received(sitting_id: int):
    """Re-check a received sitting against the signed batch it came in."""
    from ..models import HubSitting, HubSubjectResult
    from ..reports.dossier import verify_hub_sitting

    sitting = db.session.get(HubSitting, sitting_id) or abort(404)
    results = db.session.scalars(
        select(HubSubjectResult)
        .where(HubSubjectResult.sitting_id == sitting.id)
        .order_by(HubSubjectResult.id)
    ).all()
    return render_template(
        "authority/verify_received.html",
        sitting=sitting,
        results=results,
        verification=verify_hub_sitting(sitting),
    )
