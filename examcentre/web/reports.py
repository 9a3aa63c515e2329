"""Reports for centre administrators (/centre/reports): the period summary of their own
centre (page, PDF, CSV, XLSX, the stored monthly reports), and item statistics with the
flagged questions, each linked to its editor and to a key correction (which re-scores).

The statistics are read from the cache (``item_statistics``) that the nightly job fills;
"Compute now" recomputes a chosen period on request. Neither runs on the exam's hot path.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..audit.operations import actor_from
from ..auth.roles import get_in_centre_or_404, in_centre, require_role
from ..clock import centre_today, now_utc
from ..exams import operations as exam_ops
from ..extensions import db
from ..models import Blueprint as PaperBlueprint
from ..models import ItemStatistics, Paper, PaperQuestion, QuestionVersion, Role, StoredReport
from ..reports import operations as ops

bp = Blueprint("reports", __name__, url_prefix="/centre/reports")
bp.before_request(require_role(Role.CENTRE_ADMIN))

FLAG_LABELS = {
    "too_easy": _l("too easy"),
    "too_hard": _l("too hard"),
    "negative_discrimination": _l("negatively discriminating"),
    "unused_distractor": _l("a distractor nobody picks"),
}


class KeyCorrectionForm(FlaskForm):
    answer = StringField(
        _l("Correct key"),
        validators=[DataRequired(message=_l("Enter the correct key.")), Length(max=8)],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Give the reason for the correction.")),
            Length(max=2000),
        ],
    )


def _period() -> tuple[date, date, list[str]]:
    """The period asked for (``from``/``to``, local dates) or the nightly job's default."""
    default = ops.rolling_period(centre_today(), current_app.config["ITEM_STATS_PERIOD_DAYS"])
    values, errors = [], []
    for name, fallback in (("from", default[0]), ("to", default[1])):
        raw = request.values.get(name, "").strip()
        try:
            values.append(date.fromisoformat(raw) if raw else fallback)
        except ValueError:
            errors.append(_("%(field)s: enter a date as YYYY-MM-DD.", field=name))
            values.append(fallback)
    if not errors and values[1] < values[0]:
        errors.append(_("to: the period ends on or after its first day."))
    return values[0], values[1], errors


@bp.route("/")
def overview():
    return redirect(url_for("reports.summary"))


@bp.route("/items")
def items():
    period_from, period_to, errors = _period()
    for error in errors:
        flash(error, "danger")
    rows = db.session.scalars(
        in_centre(select(ItemStatistics), ItemStatistics, current_user)
        .where(ItemStatistics.period_from == period_from, ItemStatistics.period_to == period_to)
        .order_by(ItemStatistics.item, ItemStatistics.blueprint_id)
    ).all()
    blueprints = {
        b.id: b
        for b in db.session.scalars(
            select(PaperBlueprint).where(PaperBlueprint.id.in_([r.blueprint_id for r in rows]))
        )
    }
    return render_template(
        "reports/items.html",
        rows=rows,
        blueprints=blueprints,
        period_from=period_from,
        period_to=period_to,
        flag_labels=FLAG_LABELS,
        form=FlaskForm(),
    )


@bp.post("/items/compute")
def compute():
    period_from, period_to, errors = _period()
    if errors:
        for error in errors:
            flash(error, "danger")
        return redirect(url_for("reports.items"))
    timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    start, end = ops.period_bounds(period_from, period_to, timezone)
    actor = actor_from(current_user)
    thresholds = ops.thresholds_from(current_app.config)
    rows = [
        ops.compute_item_statistics(
            actor, blueprint, period_from, period_to, timezone, thresholds, now_utc()
        )
        for blueprint in ops.blueprints_with_attempts(current_user.centre_id, start, end)
    ]
    db.session.commit()
    if rows:
        flash(_("Item statistics computed for %(count)s blueprints.", count=len(rows)), "success")
    else:
        flash(_("No submitted theory papers in this period."), "info")
    return redirect(
        url_for("reports.items", **{"from": period_from.isoformat(), "to": period_to.isoformat()})
    )


@bp.route("/items/<int:row_id>")
def item_detail(row_id: int):
    row = get_in_centre_or_404(ItemStatistics, row_id, current_user)
    return render_template(
        "reports/item_detail.html",
        row=row,
        blueprint=db.session.get(PaperBlueprint, row.blueprint_id),
        flag_labels=FLAG_LABELS,
    )


@bp.route("/key/<int:version_id>", methods=["GET", "POST"])
def correct_key(version_id: int):
    """Correct a question version's key: every submitted paper holding it is re-scored as a
    new result version with the reason (``exams.operations.correct_key``)."""
    version = get_in_centre_or_404(QuestionVersion, version_id, current_user)
    affected = db.session.scalar(
        select(db.func.count())
        .select_from(PaperQuestion)
        .join(Paper, Paper.id == PaperQuestion.paper_id)
        .where(PaperQuestion.question_version_id == version.id)
    )
    form = KeyCorrectionForm()
    if form.validate_on_submit():
        try:
            results = exam_ops.correct_key(
                actor_from(current_user), version, form.answer.data, form.reason.data
            )
        except exam_ops.ExamError as error:
            db.session.rollback()
            target = getattr(form, error.field or "answer", form.answer)
            target.errors = [*target.errors, str(error.message)]
        else:
            db.session.commit()
            flash(
                _(
                    "Key corrected; %(count)s papers re-scored as new result versions.",
                    count=len(results),
                ),
                "success",
            )
            return redirect(url_for("bank.question", question_id=version.question_id))
    return render_template(
        "reports/correct_key.html", form=form, version=version, affected=affected
    )


# --- period summary (汇总报表) ---------------------------------------------------------------


@bp.route("/summary")
def summary():
    from . import report_pages

    doc, period_from, period_to, item = report_pages.document(
        "local", current_user.centre_id, current_user.centre.code
    )
    stored = db.session.scalars(
        in_centre(select(StoredReport), StoredReport, current_user)
        .order_by(StoredReport.period_from.desc())
        .limit(24)
    ).all()
    return report_pages.render(
        "reports/summary.html",
        doc,
        period_from=period_from,
        period_to=period_to,
        item=item,
        stored=stored,
        download_endpoint="reports.summary_download",
        stored_endpoint="reports.stored_download",
        centres=None,
    )


@bp.route("/summary.<any(pdf, csv, xlsx):fmt>")
def summary_download(fmt: str):
    from . import report_pages

    code = current_user.centre.code
    doc, *_ = report_pages.document("local", current_user.centre_id, code)
    return report_pages.download(doc, fmt, report_pages.file_name(doc, code))


@bp.route("/stored/<int:report_id>.<any(pdf, csv, xlsx):fmt>")
def stored_download(report_id: int, fmt: str):
    from . import report_pages

    return report_pages.stored_download(
        get_in_centre_or_404(StoredReport, report_id, current_user), fmt
    )
