"""The centre's compliance self-check: findings, history, PDF report, settings, alerts."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..audit.operations import actor_from
from ..auth.roles import get_in_centre_or_404, require_role
from ..clock import centre_now, centre_today
from ..compliance.exchange import ExchangeError
from ..compliance.operations import (
    acknowledge_alerts,
    changes_between,
    latest_check,
    load_settings,
    previous_check,
    record_document,
    report_of,
    run_check,
    update_settings,
)
from ..compliance.pdf import build_compliance_pdf
from ..compliance.settings_form import SettingsForm
from ..extensions import db
from ..models import ComplianceCheck, Role

bp = Blueprint("compliance", __name__, url_prefix="/centre/compliance")
bp.before_request(require_role(Role.CENTRE_ADMIN))


def _history(centre_id: int, limit: int = 20) -> list[tuple[ComplianceCheck, list, bool]]:
    """The latest checks, each with what changed since the one before (and if it is the first)."""
    checks = db.session.scalars(
        select(ComplianceCheck)
        .where(ComplianceCheck.centre_id == centre_id)
        .order_by(ComplianceCheck.id.desc())
        .limit(limit + 1)
    ).all()
    history = []
    for i, check in enumerate(checks[:limit]):
        earlier = checks[i + 1] if i + 1 < len(checks) else previous_check(check)
        history.append((check, changes_between(earlier, check), earlier is None))
    return history


@bp.route("/")
def overview():
    check = latest_check(current_user.centre)
    report = report_of(check) if check else None
    return render_template(
        "compliance/overview.html",
        check=check,
        report=report,
        history=_history(current_user.centre_id),
    )


@bp.route("/run", methods=["POST"])
def run():
    try:
        check = run_check(actor_from(current_user), current_user.centre, centre_today(), "manual")
    except ExchangeError as error:
        db.session.rollback()
        flash(
            _(
                "The centre's records cannot be read: %(problems)s",
                problems="; ".join(str(p) for p in error.problems),
            ),
            "danger",
        )
        return redirect(url_for("compliance.overview"))
    db.session.commit()
    if check.compliant:
        flash(_("Check complete: the centre meets every requirement."), "success")
    else:
        flash(
            _("Check complete: %(count)s requirement(s) not met.", count=check.fail_count),
            "warning",
        )
    return redirect(url_for("compliance.overview"))


@bp.route("/checks/<int:check_id>")
def check_detail(check_id: int):
    check = get_in_centre_or_404(ComplianceCheck, check_id, current_user)
    earlier = previous_check(check)
    return render_template(
        "compliance/check.html",
        check=check,
        report=report_of(check),
        changes=changes_between(earlier, check),
        earlier=earlier,
    )


def pdf_response(check: ComplianceCheck) -> Response:
    from ..models import Centre

    centre = db.session.get(Centre, check.centre_id)
    stamp = centre_now().strftime("%Y-%m-%d %H:%M")
    pdf = build_compliance_pdf(report_of(check), record_document(centre), stamp)
    name = f"{centre.code}-compliance-{check.evaluated_on.isoformat()}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


@bp.route("/checks/<int:check_id>/report.pdf")
def check_pdf(check_id: int):
    return pdf_response(get_in_centre_or_404(ComplianceCheck, check_id, current_user))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    current, block = load_settings(current_user.centre)
    form = SettingsForm()
    if request.method == "GET":
        form.load(current, block)
    elif form.validate_on_submit():
        try:
            new_settings = form.settings()
        except ValueError as error:
            form.form_errors.append(str(error))
        else:
            update_settings(
                actor_from(current_user),
                current_user.centre,
                new_settings,
                form.block_sessions.data,
                form.reason.data.strip(),
            )
            db.session.commit()
            flash(_("Settings saved. Run the check again to apply them."), "success")
            return redirect(url_for("compliance.overview"))
    return render_template("compliance/settings.html", form=form)


@bp.route("/alerts/acknowledge", methods=["POST"])
def acknowledge():
    count = acknowledge_alerts(actor_from(current_user), current_user.centre)
    db.session.commit()
    flash(_("%(count)s alert(s) acknowledged.", count=count), "info")
    return redirect(
        request.referrer
        if (request.referrer or "").startswith(request.host_url)
        else url_for("compliance.overview")
    )


@bp.app_context_processor
def _compliance_banner() -> dict:
    """For centre administrators on every page: the latest check's verdict and open alerts."""
    from ..compliance.operations import open_alerts

    if not (current_user.is_authenticated and current_user.role == Role.CENTRE_ADMIN):
        return {}
    check = latest_check(current_user.centre)
    alerts = open_alerts(current_user.centre)
    if not alerts and (check is None or (check.compliant and not check.warn_count)):
        return {}
    return {"compliance_banner": {"check": check, "alerts": alerts[:5], "alert_count": len(alerts)}}
