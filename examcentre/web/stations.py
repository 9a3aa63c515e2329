"""Crane-simulator stations (centre administrators): register, new secret, retire, record a
calibration, and whether simulator runs count as the exam, per item.

A station's secret is shown once, in the answer to the request that made it (never kept in
the browser's session or the database; ``practical.stations`` derives it when it checks a
signature). The page that shows it is not cached.
"""

from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..audit.operations import actor_from
from ..auth.forms import ReasonForm
from ..auth.roles import get_in_centre_or_404, require_role
from ..bank.vocab import ITEMS
from ..clock import centre_today
from ..compliance.forms import ITEM_CHOICES
from ..extensions import db
from ..formfields import choices
from ..models import PracticalSetting, Role, SimulatorRun, Station
from ..practical import stations as ops
from .labels import item_label

bp = Blueprint("stations", __name__, url_prefix="/centre/stations")
bp.before_request(require_role(Role.CENTRE_ADMIN))

REQUIRED = _l("This field is required.")
RECENT_RUNS = 20


class StationForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(message=REQUIRED), Length(max=32)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED), Length(max=100)])
    item = SelectField(_l("Item"), choices=choices(ITEM_CHOICES))
    calibrated_on = DateField(_l("Last calibration"), validators=[Optional()])


class CalibrationForm(FlaskForm):
    calibrated_on = DateField(
        _l("Last calibration"), validators=[DataRequired(message=_l("Enter a date."))]
    )


class SimulatorModeForm(FlaskForm):
    item = HiddenField()
    counts_as_exam = HiddenField()  # "1" or "0"


def _secret_page(station: Station, secret: str, new: bool):
    response = make_response(
        render_template("stations/secret.html", station=station, secret=secret, new=new)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _apply_error(form: FlaskForm, error: ops.StationError) -> None:
    target = getattr(form, error.field, None)
    if target is None:
        flash(str(error.message), "danger")
    else:
        target.errors = [*target.errors, error.message]


@bp.route("/")
def overview():
    centre_id = current_user.centre_id
    stations = db.session.scalars(
        select(Station)
        .where(Station.centre_id == centre_id)
        .order_by(Station.retired_at.is_not(None), Station.code)
    ).all()
    settings = {
        s.item: s
        for s in db.session.scalars(
            select(PracticalSetting).where(PracticalSetting.centre_id == centre_id)
        )
    }
    runs = db.session.scalars(
        select(SimulatorRun)
        .where(SimulatorRun.centre_id == centre_id)
        .order_by(SimulatorRun.received_at.desc(), SimulatorRun.id.desc())
        .limit(RECENT_RUNS)
    ).all()
    return render_template(
        "stations/overview.html",
        stations=stations,
        valid={s.id: ops.secret_still_valid(s) for s in stations},
        settings=settings,
        items=ITEMS,
        runs=runs,
        today=centre_today(),
    )


@bp.route("/new", methods=["GET", "POST"])
def register():
    form = StationForm()
    if form.validate_on_submit():
        try:
            station, secret = ops.register_station(
                actor_from(current_user),
                current_user.centre,
                code=form.code.data,
                name=form.name.data,
                item=form.item.data,
                calibrated_on=form.calibrated_on.data,
                today=centre_today(),
            )
        except ops.StationError as error:
            db.session.rollback()
            _apply_error(form, error)
        else:
            db.session.commit()
            return _secret_page(station, secret, new=True)
    return render_template("stations/register.html", form=form)


@bp.route("/<int:station_id>/secret", methods=["GET", "POST"])
def new_secret(station_id: int):
    station = get_in_centre_or_404(Station, station_id, current_user)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            secret = ops.issue_new_secret(
                actor_from(current_user), station, form.reason.data.strip()
            )
        except ops.StationError as error:
            db.session.rollback()
            _apply_error(form, error)
        else:
            db.session.commit()
            return _secret_page(station, secret, new=False)
    return render_template(
        "stations/reason.html",
        form=form,
        station=station,
        title=_("Issue a new secret for %(code)s?", code=station.code),
        explanation=_(
            "The old secret stops working at once: the station's posts are refused until the"
            " new secret is entered on it."
        ),
        button=_("Issue a new secret"),
        danger=False,
    )


@bp.route("/<int:station_id>/retire", methods=["GET", "POST"])
def retire(station_id: int):
    station = get_in_centre_or_404(Station, station_id, current_user)
    if not station.is_active:
        flash(_("Station %(code)s is retired already.", code=station.code), "info")
        return redirect(url_for("stations.overview"))
    form = ReasonForm()
    if form.validate_on_submit():
        ops.retire_station(actor_from(current_user), station, form.reason.data.strip())
        db.session.commit()
        flash(
            _(
                "Station %(code)s is retired: its posts are refused. Its runs are kept.",
                code=station.code,
            ),
            "success",
        )
        return redirect(url_for("stations.overview"))
    return render_template(
        "stations/reason.html",
        form=form,
        station=station,
        title=_("Retire station %(code)s?", code=station.code),
        explanation=_(
            "Its posts are refused from now on, and its code cannot be used again. The runs it"
            " posted are kept."
        ),
        button=_("Retire %(code)s", code=station.code),
        danger=True,
    )


@bp.route("/<int:station_id>/calibration", methods=["GET", "POST"])
def calibration(station_id: int):
    station = get_in_centre_or_404(Station, station_id, current_user)
    form = CalibrationForm()
    if request.method == "GET" and station.calibrated_on:
        form.calibrated_on.data = station.calibrated_on
    if form.validate_on_submit():
        try:
            ops.record_calibration(
                actor_from(current_user), station, form.calibrated_on.data, centre_today()
            )
        except ops.StationError as error:
            db.session.rollback()
            _apply_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "Calibration of %(code)s recorded: %(date)s.",
                    code=station.code,
                    date=station.calibrated_on.isoformat(),
                ),
                "success",
            )
            return redirect(url_for("stations.overview"))
    return render_template("stations/calibration.html", form=form, station=station)


@bp.route("/simulator-mode", methods=["POST"])
def simulator_mode():
    form = SimulatorModeForm()
    if (
        not form.validate_on_submit()
        or form.item.data not in ITEMS
        or form.counts_as_exam.data not in ("0", "1")
    ):
        flash(_("The setting was not changed: the form was incomplete."), "danger")
        return redirect(url_for("stations.overview"))
    counts = form.counts_as_exam.data == "1"
    ops.set_simulator_counts_as_exam(
        actor_from(current_user), current_user.centre, form.item.data, counts
    )
    db.session.commit()
    item = item_label(form.item.data)
    if counts:
        message = _(
            "From now on, simulator runs sent as exams count as exam results (%(item)s).", item=item
        )
    else:
        message = _("From now on, simulator runs are practice only (%(item)s).", item=item)
    flash(message, "success")
    return redirect(url_for("stations.overview"))
