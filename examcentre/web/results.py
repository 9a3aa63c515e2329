"""Results reporting to the authority (centre administrators): the outbox, each batch's
delivery state and receipt, the reporting deadline, and the centre's public key.

The signed file of a batch can be downloaded here for offline transfer (USB stick); the
private key never leaves the instance folder.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from ..audit.operations import actor_from
from ..auth.roles import get_in_centre_or_404, in_centre, require_role
from ..clock import centre_today, now_utc
from ..extensions import db
from ..models import ExamSession, OutboxBatch, Role
from ..transmission import keys
from ..transmission import operations as ops

bp = Blueprint("results", __name__, url_prefix="/centre/results")
bp.before_request(require_role(Role.CENTRE_ADMIN))

PAGE = 100


@bp.route("/")
def overview():
    batches = db.session.scalars(
        in_centre(select(OutboxBatch), OutboxBatch, current_user)
        .order_by(OutboxBatch.id.desc())
        .limit(PAGE)
    ).all()
    today = centre_today()
    sessions = {
        s.id: s
        for s in db.session.scalars(
            select(ExamSession).where(
                ExamSession.id.in_([b.session_id for b in batches if b.session_id])
            )
        )
    }
    reported = select(OutboxBatch.session_id).where(OutboxBatch.session_id.is_not(None))
    waiting = db.session.scalar(
        select(func.count())
        .select_from(ExamSession)
        .where(
            ExamSession.centre_id == current_user.centre_id,
            ExamSession.state == "closed",
            ExamSession.id.not_in(reported),
        )
    )
    return render_template(
        "results/overview.html",
        batches=batches,
        sessions=sessions,
        overdue={b.id: ops.overdue(b, today) for b in batches},
        waiting=waiting,
        hub_url=current_app.config.get("AUTHORITY_HUB_URL"),
        public_key=keys.public_key_pem(current_user.centre_id),
        fingerprint=keys.fingerprint(current_user.centre_id),
        form=FlaskForm(),
    )


@bp.route("/<int:outbox_id>.json")
def download(outbox_id: int):
    outbox = get_in_centre_or_404(OutboxBatch, outbox_id, current_user)
    return Response(
        ops.signed_envelope(outbox),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="results-{outbox.batch_id}.json"'},
    )


@bp.post("/<int:outbox_id>/send")
def send_now(outbox_id: int):
    outbox = get_in_centre_or_404(OutboxBatch, outbox_id, current_user)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        ops.send_now(actor_from(current_user), outbox, now_utc())
    except ops.TransmissionError:
        flash(_("This batch has already been delivered."), "info")
        return redirect(url_for("results.overview"))
    db.session.commit()
    flash(_("The batch will be sent at the next run of the outbox."), "success")
    return redirect(url_for("results.overview"))
