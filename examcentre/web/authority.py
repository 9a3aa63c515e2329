"""The certifying authority's area: read-only, across every centre.

On an install in authority-hub mode it also shows the results batches received from the
centres (``/authority/hub``); they arrive by the signed ingest endpoint or `examcentre hub
import`, never by a page here: authority staff do not write.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
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
    return render_template(
        "authority/home.html", centres=centres, staff=staff, tickets=tickets, checks=checks
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
