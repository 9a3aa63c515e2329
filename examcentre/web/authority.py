"""The certifying authority's area: read-only, across every centre."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
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
