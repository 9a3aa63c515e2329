"""The centre's candidates (/centre/candidates): the list, and each candidate's record with
the whole history of both subjects per item and the combined result (centre administrators).
A conflict of interest between an examiner and a candidate is declared here too."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from ..audit.operations import actor_from
from ..auth.roles import get_in_centre_or_404, in_centre, require_role
from ..extensions import db
from ..models import AdmissionTicket, Candidate, ExaminerConflict, Role, User
from ..practical import operations as practical
from ..practical.gate import CONFLICT_KINDS
from ..sessions.tickets_pdf import mask_id_number

bp = Blueprint("candidates", __name__, url_prefix="/centre/candidates")
bp.before_request(require_role(Role.CENTRE_ADMIN))


def conflict_labels() -> dict[str, str]:
    return {
        "own_trainee": _("Own trainee"),
        "relative": _("Relative"),
        "same_employer": _("Same employer"),
    }


@bp.route("/")
def overview():
    query = in_centre(select(Candidate), Candidate, current_user).order_by(Candidate.name)
    term = (request.args.get("q") or "").strip()
    if term:
        query = query.where(
            or_(Candidate.name.contains(term), Candidate.id_number.contains(term.upper()))
        )
    candidates = db.session.scalars(query.limit(200)).all()
    return render_template(
        "candidates/overview.html", candidates=candidates, term=term, mask=mask_id_number
    )


@bp.route("/<int:candidate_id>")
def record(candidate_id: int):
    candidate = get_in_centre_or_404(Candidate, candidate_id, current_user)
    settings = practical.settings_from(current_app.config)
    items = sorted(
        {
            t.item
            for t in db.session.scalars(
                select(AdmissionTicket).where(AdmissionTicket.candidate_id == candidate.id)
            )
        }
    )
    histories = {item: practical.candidate_history(candidate, item, settings) for item in items}
    conflicts = db.session.scalars(
        select(ExaminerConflict).where(ExaminerConflict.candidate_id == candidate.id)
    ).all()
    examiners = db.session.scalars(
        in_centre(select(User), User, current_user)
        .where(User.role == Role.EXAMINER)
        .order_by(User.display_name)
    ).all()
    return render_template(
        "candidates/record.html",
        candidate=candidate,
        histories=histories,
        conflicts=conflicts,
        examiners=examiners,
        kinds=CONFLICT_KINDS,
        conflict_labels=conflict_labels(),
        mask=mask_id_number,
    )


@bp.route("/<int:candidate_id>/conflicts", methods=["POST"])
def declare_conflict(candidate_id: int):
    candidate = get_in_centre_or_404(Candidate, candidate_id, current_user)
    try:
        examiner_id = int(request.form.get("examiner", ""))
    except ValueError:
        examiner_id = 0
    examiner = get_in_centre_or_404(User, examiner_id, current_user)
    try:
        practical.declare_conflict(
            actor_from(current_user),
            examiner,
            candidate,
            request.form.get("kind", ""),
            request.form.get("note"),
        )
    except practical.PracticalError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("The conflict is recorded."), "success")
    return redirect(url_for("candidates.record", candidate_id=candidate.id) + "#conflicts")
