"""The invigilator's area: the sessions they invigilate and each session's check-in list.

Check-in is identity confirmation against the roster (人证核验): the invigilator looks at
the candidate, their ID card and the photo on the list, then confirms. Absence is final
for the sitting. Moving a candidate to another terminal also ends their sign-in at the
old one. Every change goes through ``sessions.operations`` and is audited there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import (
    Blueprint,
    abort,
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
from sqlalchemy import select
from wtforms import SelectField, ValidationError
from wtforms.validators import InputRequired

from ..audit.operations import actor_from
from ..auth.forms import ReasonForm
from ..auth.roles import require_role
from ..clock import centre_today
from ..compliance import operations as alerts
from ..exams.operations import existing_attempt as attempt_of
from ..exams.operations import move as exam_move
from ..extensions import db
from ..models import AdmissionTicket, Alert, ExamSession, Role, Terminal, User, utcnow
from ..sessions.operations import (
    SessionError,
    assign_seat,
    exam_day,
    free_terminals,
    record_attendance,
    tickets_of,
)
from ..sessions.photos import photo_path, photo_response
from ..sessions.tickets_pdf import mask_id_number

bp = Blueprint("invigilator", __name__, url_prefix="/invigilator")
bp.before_request(require_role(Role.INVIGILATOR))

# The check-in list reloads itself this often (seconds): a <meta http-equiv="refresh">,
# because the content security policy allows no inline script.
REFRESH_SECONDS = 30
SECOND_SIGN_IN = "second_sign_in"
CHECK_IN_STATES = ("released", "in_progress")

SESSION_STATE_LABELS = {
    "scheduled": _l("Scheduled"),
    "released": _l("Released"),
    "in_progress": _l("In progress"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
}
ATTENDANCE_LABELS = {
    "enrolled": _l("Enrolled"),
    "checked_in": _l("Checked in"),
    "absent": _l("Absent"),
}
FILTERS = ("all", "enrolled", "checked_in", "absent")


@bp.app_template_global()
def session_state_label(state: str) -> str:
    return str(SESSION_STATE_LABELS.get(state, state))


@bp.app_template_global()
def attendance_label(attendance: str) -> str:
    return str(ATTENDANCE_LABELS.get(attendance, attendance))


# --- Scoped getters --------------------------------------------------------------------------


def _timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def assigned_session_or_404(session_id: int) -> ExamSession:
    """A session the signed-in invigilator is assigned to; anything else is a 404."""
    session = db.session.get(ExamSession, session_id)
    if (
        session is None
        or session.centre_id != current_user.centre_id
        or all(user.id != current_user.id for user in session.invigilators)
    ):
        abort(404)
    return session


def _ticket_or_404(session: ExamSession, ticket_id: int) -> AdmissionTicket:
    ticket = db.session.get(AdmissionTicket, ticket_id)
    if ticket is None or ticket.session_id != session.id:
        abort(404)
    return ticket


def _my_sessions() -> list[ExamSession]:
    return list(
        db.session.scalars(
            select(ExamSession).where(
                ExamSession.centre_id == current_user.centre_id,
                ExamSession.invigilators.any(User.id == current_user.id),
            )
        )
    )


def _open_alerts() -> list[Alert]:
    return alerts.open_alerts(current_user.centre, kind=SECOND_SIGN_IN)


# --- The sessions list -----------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    enrolled: int = 0
    checked_in: int = 0
    absent: int = 0
    signed_in: int = 0

    @property
    def total(self) -> int:
        return self.enrolled + self.checked_in + self.absent


def counts_of(tickets: list[AdmissionTicket]) -> Counts:
    return Counts(
        enrolled=sum(t.attendance == "enrolled" for t in tickets),
        checked_in=sum(t.attendance == "checked_in" for t in tickets),
        absent=sum(t.attendance == "absent" for t in tickets),
        signed_in=sum(t.active_terminal_id is not None for t in tickets),
    )


def _order(sessions: list[ExamSession], today: date, tz: str) -> list[tuple[str, ExamSession]]:
    """Today's sessions first (by start), then the coming ones, then earlier ones (latest
    first)."""

    def key(session: ExamSession) -> tuple[int, float]:
        day = exam_day(session, tz)
        stamp = session.starts_at.timestamp()
        if day == today:
            return (0, stamp)
        if day > today:
            return (1, stamp)
        return (2, -stamp)

    groups = {0: "today", 1: "upcoming", 2: "earlier"}
    return [(groups[key(s)[0]], s) for s in sorted(sessions, key=key)]


@bp.route("/")
def home():
    tz = _timezone()
    ordered = _order(_my_sessions(), centre_today(), tz)
    rows = [(group, s, counts_of(tickets_of(s))) for group, s in ordered]
    return render_template("invigilator/home.html", rows=rows, alerts=_open_alerts())


# --- The check-in list -----------------------------------------------------------------------


@dataclass(frozen=True)
class CandidateRow:
    ticket: AdmissionTicket
    masked_id: str
    seat: Terminal | None
    active_at: Terminal | None
    has_photo: bool


def _rows(session: ExamSession) -> list[CandidateRow]:
    terminals = {t.id: t for t in session.terminals}

    def terminal(terminal_id: int | None) -> Terminal | None:
        if terminal_id is None:
            return None
        return terminals.get(terminal_id) or db.session.get(Terminal, terminal_id)

    return [
        CandidateRow(
            ticket=t,
            masked_id=mask_id_number(t.candidate.id_number),
            seat=terminal(t.terminal_id),
            active_at=terminal(t.active_terminal_id),
            has_photo=photo_path(t.candidate) is not None,
        )
        for t in tickets_of(session)
    ]


@bp.route("/sessions/<int:session_id>")
def session_detail(session_id: int):
    session = assigned_session_or_404(session_id)
    rows = _rows(session)
    show = request.args.get("show", "all")
    if show not in FILTERS:
        show = "all"
    shown = [r for r in rows if show == "all" or r.ticket.attendance == show]
    focus = request.args.get("focus", type=int)
    refresh = request.args.get("refresh") != "off"
    return render_template(
        "invigilator/session.html",
        session=session,
        rows=shown,
        counts=counts_of([r.ticket for r in rows]),
        show=show,
        focus=focus,
        refresh=refresh,
        refresh_seconds=REFRESH_SECONDS,
        check_in_open=session.state in CHECK_IN_STATES,
        alerts=_open_alerts(),
        free_terminals=free_terminals(session, registered_only=True),
        now=utcnow(),
    )


def _back_to_list(session: ExamSession, ticket: AdmissionTicket | None = None, **args):
    """Back to the list, scrolled to the candidate, keeping the filter in use."""
    show = request.values.get("show")
    if show in FILTERS and show != "all":
        args["show"] = show
    # A fragment would stop the browser from honouring autofocus (HTML's autofocus rules),
    # and the focused button is scrolled into view anyway.
    anchor = f"ticket-{ticket.id}" if ticket is not None and "focus" not in args else None
    return redirect(
        url_for("invigilator.session_detail", session_id=session.id, _anchor=anchor, **args)
    )


def _next_waiting(session: ExamSession, after: AdmissionTicket) -> AdmissionTicket | None:
    """The next candidate still waiting for check-in, so that the keyboard focus moves on."""
    tickets = tickets_of(session)
    later = [t for t in tickets if t.number > after.number and t.attendance == "enrolled"]
    earlier = [t for t in tickets if t.number < after.number and t.attendance == "enrolled"]
    return (later or earlier or [None])[0]


@bp.route("/sessions/<int:session_id>/tickets/<int:ticket_id>/check-in", methods=["POST"])
def check_in(session_id: int, ticket_id: int):
    session = assigned_session_or_404(session_id)
    ticket = _ticket_or_404(session, ticket_id)
    name = ticket.candidate.name
    if ticket.attendance == "checked_in":
        flash(_("%(name)s is already checked in.", name=name), "info")
        return _back_to_list(session, ticket)
    try:
        record_attendance(actor_from(current_user), ticket, "checked_in")
    except SessionError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return _back_to_list(session, ticket)
    db.session.commit()
    seat = ticket.terminal.code if ticket.terminal else None
    if seat:
        flash(
            _("%(name)s is checked in. Seat: terminal %(code)s.", name=name, code=seat), "success"
        )
    else:
        flash(
            _("%(name)s is checked in but has no seat: move them to a terminal.", name=name),
            "warning",
        )
    following = _next_waiting(session, ticket)
    if following is None:
        return _back_to_list(session, ticket)
    return _back_to_list(session, following, focus=following.id)


@bp.route("/sessions/<int:session_id>/tickets/<int:ticket_id>/absent", methods=["GET", "POST"])
def absent(session_id: int, ticket_id: int):
    session = assigned_session_or_404(session_id)
    ticket = _ticket_or_404(session, ticket_id)
    if ticket.attendance != "enrolled":
        flash(
            _(
                "%(name)s is already %(state)s.",
                name=ticket.candidate.name,
                state=attendance_label(ticket.attendance).lower(),
            ),
            "info",
        )
        return _back_to_list(session, ticket)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            record_attendance(actor_from(current_user), ticket, "absent", form.reason.data.strip())
        except SessionError as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
        else:
            db.session.commit()
            flash(_("%(name)s is recorded as absent.", name=ticket.candidate.name), "success")
            return _back_to_list(session, ticket)
    return render_template(
        "invigilator/absent.html",
        form=form,
        session=session,
        ticket=ticket,
        masked_id=mask_id_number(ticket.candidate.id_number),
    )


class MoveForm(ReasonForm):
    terminal_id = SelectField(
        _l("Move to terminal"),
        coerce=int,
        choices=[],
        validators=[InputRequired(message=_l("Choose a free terminal."))],
    )

    def validate_terminal_id(self, field) -> None:
        if not field.data:  # the "Choose…" line: nothing is pre-selected for a move
            raise ValidationError(_("Choose a free terminal."))


@bp.route("/sessions/<int:session_id>/tickets/<int:ticket_id>/move", methods=["GET", "POST"])
def move(session_id: int, ticket_id: int):
    session = assigned_session_or_404(session_id)
    ticket = _ticket_or_404(session, ticket_id)
    if ticket.attendance == "absent":  # assign_seat refuses it too; say so before the form
        flash(
            _("%(name)s is recorded as absent and cannot be seated.", name=ticket.candidate.name),
            "info",
        )
        return _back_to_list(session, ticket)
    free = free_terminals(session, registered_only=True)
    form = MoveForm()
    form.terminal_id.choices = [(0, _("Choose a terminal…"))] + [
        (t.id, f"{t.code} · {t.location}" if t.location else t.code) for t in free
    ]
    if form.validate_on_submit():
        terminal = next(t for t in free if t.id == form.terminal_id.data)
        old = ticket.terminal.code if ticket.terminal else None
        try:
            assign_seat(actor_from(current_user), ticket, terminal, form.reason.data.strip())
            # A running paper pauses and continues at the new terminal with the same time.
            exam_move(attempt_of(ticket), ticket, terminal, actor_from(current_user),
                      form.reason.data.strip())
        except SessionError as error:
            db.session.rollback()
            form.terminal_id.errors = [*form.terminal_id.errors, str(error.message)]
        else:
            db.session.commit()
            if old:
                message = _(
                    "%(name)s moved from %(old)s to %(new)s. They can sign in at %(new)s now.",
                    name=ticket.candidate.name,
                    old=old,
                    new=terminal.code,
                )
            else:
                message = _(
                    "%(name)s is seated at %(new)s.", name=ticket.candidate.name, new=terminal.code
                )
            flash(message, "success")
            return _back_to_list(session, ticket)
    return render_template(
        "invigilator/move.html",
        form=form,
        session=session,
        ticket=ticket,
        free=free,
        masked_id=mask_id_number(ticket.candidate.id_number),
    )


@bp.route("/sessions/<int:session_id>/candidates/<int:ticket_id>/photo")
def photo(session_id: int, ticket_id: int):
    """The candidate's ID photo, for the invigilators of their session only."""
    session = assigned_session_or_404(session_id)
    return photo_response(_ticket_or_404(session, ticket_id).candidate)


# --- Alerts ----------------------------------------------------------------------------------


@bp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"])
def acknowledge_alert(alert_id: int):
    """Acknowledge one second-sign-in alert of this centre; audited."""
    alert = db.session.get(Alert, alert_id)
    if alert is None or alert.centre_id != current_user.centre_id or alert.kind != SECOND_SIGN_IN:
        abort(404)
    if alerts.acknowledge_alert(actor_from(current_user), alert):
        db.session.commit()
        flash(_("Alert acknowledged."), "info")
    session_id = request.form.get("session_id", type=int)
    if session_id is not None:
        return redirect(url_for("invigilator.session_detail", session_id=session_id))
    return redirect(url_for("invigilator.home"))
