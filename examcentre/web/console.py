"""The invigilator's exam console: a live grid of the room during the theory exam.

Per terminal: the candidate, questions answered, time left, last heartbeat and state, with
alerts for silent terminals (no heartbeat for ``HEARTBEAT_LOST_SECONDS``) and second
sign-ins. From the grid the invigilator starts the exam, pauses and resumes one candidate
or the whole room, extends a candidate's time (with a reason) and moves a candidate to
another terminal (the check-in list's move, which keeps the time left). Every action is
audited in ``exams.operations``.

The grid refreshes itself: ``static/js/console.js`` fetches this page's table again every
few seconds (no inline script: the content security policy forbids it); without script
the page still works, reloaded by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from ..audit.operations import actor_from
from ..auth.forms import ReasonForm
from ..clock import centre_today, now_utc
from ..compliance import operations as alerts
from ..exams import operations as exam_ops
from ..exams.timing import AttemptState
from ..extensions import db
from ..models import AdmissionTicket, Alert, Attempt, ExamSession, Terminal
from ..sessions.operations import SessionError, change_state, tickets_of
from ..sessions.states import SessionState
from .invigilator import SECOND_SIGN_IN, assigned_session_or_404, bp, session_state_label

ATTEMPT_STATE_LABELS = {
    "not_signed_in": _l("Not signed in"),
    "ready": _l("Signed in, not started"),
    "in_progress": _l("Answering"),
    "paused": _l("Paused"),
    "submitted": _l("Submitted"),
    "absent": _l("Absent"),
}
CONSOLE_REFRESH_SECONDS = 5


@dataclass(frozen=True)
class ConsoleRow:
    ticket: AdmissionTicket
    seat: Terminal | None
    attempt: Attempt | None
    state: str
    answered: int
    question_count: int
    remaining_seconds: float | None
    heartbeat_age: float | None
    heartbeat_lost: bool
    second_sign_in: bool


def console_rows(session: ExamSession, now: datetime) -> list[ConsoleRow]:
    tickets = tickets_of(session)
    attempts = {
        a.ticket_id: a
        for a in db.session.scalars(select(Attempt).where(Attempt.session_id == session.id))
    }
    terminals = {t.id: t for t in session.terminals}
    # Open second-sign-in alerts name the ticket number in their text (sessions.operations).
    alert_texts = [
        a.message_en
        for a in db.session.scalars(
            select(Alert).where(
                Alert.centre_id == session.centre_id,
                Alert.kind == SECOND_SIGN_IN,
                Alert.acknowledged_at.is_(None),
            )
        )
    ]
    lost_after = current_app.config["HEARTBEAT_LOST_SECONDS"]
    rows = []
    for ticket in tickets:
        attempt = attempts.get(ticket.id)
        if attempt is not None:
            exam_ops.settle(attempt, now)
        # A ready attempt is made at release with the paper (exams.operations.
        # make_ready_attempts): whether the candidate came is the ticket's to say, and the
        # row of one who has not signed in shows no attempt.
        if attempt is not None and attempt.state != AttemptState.READY:
            state = attempt.state
        elif ticket.attendance == "absent":
            state = "absent"
        else:
            state = "ready" if ticket.active_terminal_id else "not_signed_in"
        if state in ("absent", "not_signed_in"):
            attempt = None
        age = None
        if attempt is not None and attempt.last_heartbeat_at is not None:
            age = max(0.0, (now - attempt.last_heartbeat_at).total_seconds())
        rows.append(
            ConsoleRow(
                ticket=ticket,
                seat=terminals.get(ticket.terminal_id)
                or (db.session.get(Terminal, ticket.terminal_id) if ticket.terminal_id else None),
                attempt=attempt,
                state=state,
                answered=attempt.answered_count if attempt else 0,
                question_count=exam_ops.question_count(attempt.paper_id) if attempt else 0,
                remaining_seconds=exam_ops.remaining(attempt, now) if attempt else None,
                heartbeat_age=age,
                heartbeat_lost=state == AttemptState.IN_PROGRESS
                and (age is None or age > lost_after),
                second_sign_in=any(f"({ticket.number})" in text for text in alert_texts),
            )
        )
    rows.sort(key=lambda r: (r.seat.code if r.seat else "~", r.ticket.number))
    return rows


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@bp.route("/sessions/<int:session_id>/console")
def console(session_id: int):
    session = assigned_session_or_404(session_id)
    now = now_utc()
    rows = console_rows(session, now)
    db.session.commit()  # lazily submitted papers (time ran out) are kept
    template = (
        "invigilator/_console_grid.html"
        if request.args.get("grid")
        else ("invigilator/console.html")
    )
    return render_template(
        template,
        session=session,
        rows=rows,
        now=now,
        clock=_clock,
        state_label=lambda s: ATTEMPT_STATE_LABELS.get(s, s),
        session_state_label=session_state_label,
        refresh_seconds=CONSOLE_REFRESH_SECONDS,
        lost_count=sum(1 for r in rows if r.heartbeat_lost),
        second_count=sum(1 for r in rows if r.second_sign_in),
        running=sum(1 for r in rows if r.state == AttemptState.IN_PROGRESS),
        paused=sum(1 for r in rows if r.state == AttemptState.PAUSED),
        submitted=sum(1 for r in rows if r.state == AttemptState.SUBMITTED),
        alerts=alerts.open_alerts(current_user.centre, kind=SECOND_SIGN_IN),
        room_paused=any(r.attempt is not None and r.attempt.pause_reason == "room" for r in rows),
    )


def _back(session: ExamSession):
    return redirect(url_for("invigilator.console", session_id=session.id))


def _attempt_or_404(session: ExamSession, attempt_id: int) -> Attempt:
    from flask import abort

    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.session_id != session.id:
        abort(404)
    return attempt


@bp.route("/sessions/<int:session_id>/console/start", methods=["POST"])
def start_exam(session_id: int):
    """The start signal: the session goes in progress and candidates may open their paper."""
    session = assigned_session_or_404(session_id)
    try:
        change_state(actor_from(current_user), session, SessionState.IN_PROGRESS, on=centre_today())
    except (SessionError, ValueError) as error:
        db.session.rollback()
        flash(str(getattr(error, "message", error)), "danger")
    else:
        db.session.commit()
        flash(_("The exam has started. Candidates can open their papers now."), "success")
    return _back(session)


class PauseForm(ReasonForm):
    pass


class ExtendForm(ReasonForm):
    minutes = IntegerField(
        _l("Extra minutes"),
        default=5,
        validators=[
            InputRequired(message=_l("Enter the number of minutes.")),
            NumberRange(min=1, max=120, message=_l("Extend by 1 to 120 minutes.")),
        ],
    )


@bp.route("/sessions/<int:session_id>/console/pause", methods=["GET", "POST"])
def pause_room(session_id: int):
    """Pause every candidate at once (an incident in the room); a reason is required."""
    session = assigned_session_or_404(session_id)
    form = PauseForm()
    if form.validate_on_submit():
        count = exam_ops.pause_room(session, actor_from(current_user), form.reason.data.strip())
        db.session.commit()
        flash(_("The room is paused: %(count)s papers stopped.", count=count), "warning")
        return _back(session)
    return render_template(
        "invigilator/console_action.html",
        form=form,
        session=session,
        attempt=None,
        title=_("Pause the whole room"),
        explanation=_("Every running paper stops its clock now. No candidate loses time."),
        submit_label=_("Pause the room"),
    )


@bp.route("/sessions/<int:session_id>/console/resume", methods=["POST"])
def resume_room(session_id: int):
    session = assigned_session_or_404(session_id)
    count = exam_ops.resume_room(session, actor_from(current_user))
    db.session.commit()
    flash(_("The room continues: %(count)s papers resumed.", count=count), "success")
    return _back(session)


@bp.route("/sessions/<int:session_id>/console/<int:attempt_id>/pause", methods=["GET", "POST"])
def pause_candidate(session_id: int, attempt_id: int):
    session = assigned_session_or_404(session_id)
    attempt = _attempt_or_404(session, attempt_id)
    form = PauseForm()
    if form.validate_on_submit():
        try:
            exam_ops.pause(attempt, actor_from(current_user), form.reason.data.strip())
        except exam_ops.ExamError as error:
            db.session.rollback()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("%(name)s is paused.", name=attempt.ticket.candidate.name), "warning")
        return _back(session)
    return render_template(
        "invigilator/console_action.html",
        form=form,
        session=session,
        attempt=attempt,
        title=_("Pause %(name)s", name=attempt.ticket.candidate.name),
        explanation=_("The candidate's clock stops now and starts again when you resume."),
        submit_label=_("Pause"),
    )


@bp.route("/sessions/<int:session_id>/console/<int:attempt_id>/resume", methods=["POST"])
def resume_candidate(session_id: int, attempt_id: int):
    session = assigned_session_or_404(session_id)
    attempt = _attempt_or_404(session, attempt_id)
    try:
        exam_ops.resume(attempt, actor_from(current_user))
    except exam_ops.ExamError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s continues.", name=attempt.ticket.candidate.name), "success")
    return _back(session)


@bp.route("/sessions/<int:session_id>/console/<int:attempt_id>/extend", methods=["GET", "POST"])
def extend_candidate(session_id: int, attempt_id: int):
    session = assigned_session_or_404(session_id)
    attempt = _attempt_or_404(session, attempt_id)
    form = ExtendForm()
    if form.validate_on_submit():
        try:
            exam_ops.extend(
                attempt, actor_from(current_user), form.minutes.data, form.reason.data.strip()
            )
        except exam_ops.ExamError as error:
            db.session.rollback()
            form.form_errors.append(str(error.message))
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s has %(minutes)s more minutes.",
                    name=attempt.ticket.candidate.name,
                    minutes=form.minutes.data,
                ),
                "success",
            )
            return _back(session)
    return render_template(
        "invigilator/console_action.html",
        form=form,
        session=session,
        attempt=attempt,
        title=_("Extend time for %(name)s", name=attempt.ticket.candidate.name),
        explanation=_("The extension and its reason are kept in the audit log."),
        submit_label=_("Extend time"),
    )
