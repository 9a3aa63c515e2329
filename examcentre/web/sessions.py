"""The centre administrator's exam sessions: schedule, enrol, tickets, release, close."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
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

from ..audit.operations import actor_from
from ..auth.roles import get_in_centre_or_404, in_centre, require_role
from ..clock import centre_today, now_utc
from ..extensions import db
from ..formfields import choices
from ..models import AdmissionTicket, ExamSession, Role, Terminal, User
from ..sessions import operations as ops
from ..sessions.forms import EnrolForm, RosterConfirmForm, RosterUploadForm, SeatForm, SessionForm
from ..sessions.roster import roster_template_csv
from ..sessions.states import ALLOWED, ForbiddenTransition, SessionState, is_editable
from ..sessions.tickets_pdf import build_admission_tickets_pdf, mask_id_number

bp = Blueprint("sessions", __name__, url_prefix="/centre/sessions")
bp.before_request(require_role(Role.CENTRE_ADMIN))

MAX_ROSTER_BYTES = 2 * 1024 * 1024

STATE_LABELS = {
    "scheduled": _l("Scheduled"),
    "released": _l("Released"),
    "in_progress": _l("In progress"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
}
STATE_BADGES = {
    "scheduled": "secondary",
    "released": "primary",
    "in_progress": "warning",
    "closed": "success",
    "cancelled": "dark",
}
ATTENDANCE_LABELS = {
    "enrolled": _l("Enrolled"),
    "checked_in": _l("Checked in"),
    "absent": _l("Absent"),
}
# (target state, action verb, what it does)
ACTIONS = {
    "released": (
        _l("Release"),
        _l("Editing and enrolment are frozen and admission tickets can be handed out."),
    ),
    "in_progress": (_l("Start"), _l("The exam starts: checked-in candidates can sign in.")),
    "closed": (
        _l("Close"),
        _l("The exam ends; every candidate never checked in is marked absent."),
    ),
    "cancelled": (_l("Cancel"), _l("The session is called off for good; give a reason.")),
}


@bp.context_processor
def _labels() -> dict:
    return {
        "state_labels": STATE_LABELS,
        "state_badges": STATE_BADGES,
        "attendance_labels": ATTENDANCE_LABELS,
        "actions": ACTIONS,
        "mask_id_number": mask_id_number,
    }


def _timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def _session(session_id: int) -> ExamSession:
    return get_in_centre_or_404(ExamSession, session_id, current_user)


@bp.route("/")
def overview():
    sessions = db.session.scalars(
        in_centre(select(ExamSession), ExamSession, current_user).order_by(ExamSession.starts_at)
    ).all()
    now = now_utc()
    upcoming = [s for s in sessions if s.ends_at >= now and s.state not in ("closed", "cancelled")]
    past = [s for s in sessions if s not in upcoming][::-1]
    counts = {s.id: ops.enrolled_count(s) for s in sessions}
    return render_template("sessions/overview.html", upcoming=upcoming, past=past, counts=counts)


def _fill_choices(form: SessionForm) -> None:
    terminals = db.session.scalars(
        in_centre(select(Terminal), Terminal, current_user).order_by(Terminal.code)
    ).all()
    form.terminals.choices = choices((t.id, t.code) for t in terminals if t.status == "working")
    invigilators = db.session.scalars(
        in_centre(select(User), User, current_user)
        .where(User.role == Role.INVIGILATOR, User.is_enabled.is_(True))
        .order_by(User.display_name)
    ).all()
    form.invigilators.choices = choices(
        (u.id, f"{u.display_name} ({u.username})") for u in invigilators
    )
    examiners = db.session.scalars(
        in_centre(select(User), User, current_user)
        .where(User.role == Role.EXAMINER, User.is_enabled.is_(True))
        .order_by(User.display_name)
    ).all()
    form.examiners.choices = choices((u.id, f"{u.display_name} ({u.username})") for u in examiners)
    form.lead.choices = choices([(0, "—"), *((u.id, u.display_name) for u in examiners)])
    form.equipment.choices = choices([("", "—"), *_equipment_choices()])


def _equipment_choices() -> list[tuple[str, str]]:
    """The registry's machines (centre records), so the session names one the gate can check."""
    from ..compliance.operations import record_document

    machines = record_document(current_user.centre).get("equipment") or []
    return [
        (m["id"], f"{m['id']} ({m.get('type', '')}, {m.get('status', '')})")
        for m in machines
        if isinstance(m, dict) and isinstance(m.get("id"), str)
    ]


def _plan(form: SessionForm) -> ops.SessionPlan:
    zone = _timezone()
    terminals = [get_in_centre_or_404(Terminal, i, current_user) for i in form.terminals.data]
    invigilators = [get_in_centre_or_404(User, i, current_user) for i in form.invigilators.data]
    practical = form.kind.data == "practical"
    examiners = (
        [get_in_centre_or_404(User, i, current_user) for i in form.examiners.data]
        if practical
        else []
    )
    lead = next((u for u in examiners if u.id == form.lead.data), None)
    return ops.SessionPlan(
        kind="practical" if practical else "theory",
        equipment=(form.equipment.data or None) if practical else None,
        examiners=examiners,
        lead=lead,
        item=form.item.data,
        room=form.room.data.strip(),
        starts_at=ops.local_to_utc(form.day.data, form.starts_at.data, zone),
        ends_at=ops.local_to_utc(form.day.data, form.ends_at.data, zone),
        capacity=form.capacity.data,
        terminals=terminals,
        invigilators=invigilators,
    )


def _field_error(form, error: ops.SessionError) -> None:
    field = getattr(form, error.field, None)
    if field is not None and hasattr(field, "errors") and error.field != "state":
        field.errors = [*list(field.errors or []), error.message]
    else:
        form.form_errors.append(error.message)


@bp.route("/new", methods=["GET", "POST"])
def new():
    form = SessionForm()
    _fill_choices(form)
    refusals: list[str] = []
    if request.method == "GET" and request.args.get("kind") == "practical":
        form.kind.data = "practical"
    if request.method == "GET":
        form.invigilators.data = [c.value for c in form.invigilators.choices[:1]]
    if form.validate_on_submit():
        try:
            session = ops.create_session(
                actor_from(current_user), current_user.centre, _plan(form), _timezone()
            )
        except ops.SessionError as error:
            db.session.rollback()
            _field_error(form, error)
            refusals = ops.eligibility_messages(error.details, _english())
        else:
            db.session.commit()
            flash(_("The session is scheduled."), "success")
            return redirect(url_for("sessions.detail", session_id=session.id))
    return render_template("sessions/edit.html", form=form, session=None, refusals=refusals)


@bp.route("/<int:session_id>/edit", methods=["GET", "POST"])
def edit(session_id: int):
    session = _session(session_id)
    form = SessionForm()
    _fill_choices(form)
    refusals: list[str] = []
    frozen = not is_editable(session.state)
    if request.method == "GET":
        zone = ZoneInfo(_timezone())
        starts, ends = session.starts_at.astimezone(zone), session.ends_at.astimezone(zone)
        form.item.data, form.room.data, form.capacity.data = (
            session.item,
            session.room,
            session.capacity,
        )
        form.day.data, form.starts_at.data, form.ends_at.data = (
            starts.date(),
            starts.time().replace(tzinfo=None, second=0, microsecond=0),
            ends.time().replace(tzinfo=None, second=0, microsecond=0),
        )
        form.terminals.data = [t.id for t in session.terminals]
        form.invigilators.data = [u.id for u in session.invigilators]
        form.kind.data = session.kind
        form.equipment.data = session.equipment or ""
        form.examiners.data = [u.id for u in session.examiners]
        lead = ops.lead_of(session)
        form.lead.data = lead.id if lead else 0
    elif not frozen and form.validate_on_submit():
        try:
            ops.update_session(actor_from(current_user), session, _plan(form), _timezone())
        except ops.SessionError as error:
            db.session.rollback()
            _field_error(form, error)
            refusals = ops.eligibility_messages(error.details, _english())
        else:
            db.session.commit()
            flash(_("The session is saved."), "success")
            return redirect(url_for("sessions.detail", session_id=session.id))
    elif frozen:
        form.form_errors.append(_("A session can be changed only while it is scheduled."))
    return render_template(
        "sessions/edit.html", form=form, session=session, frozen=frozen, refusals=refusals
    )


def _detail_page(session: ExamSession, enrol_form=None, upload_form=None, eligibility=(), **kw):
    tickets = ops.tickets_of(session)
    seat_forms = {}
    for ticket in tickets:
        form = SeatForm(prefix=f"seat{ticket.id}", formdata=None)
        form.terminal.choices = choices((t.id, t.code) for t in session.terminals)
        form.terminal.data = ticket.terminal_id
        seat_forms[ticket.id] = form
    return render_template(
        "sessions/detail.html",
        session=session,
        tickets=tickets,
        seat_forms=kw.pop("seat_forms", None) or seat_forms,
        enrol_form=enrol_form or EnrolForm(formdata=None),
        upload_form=upload_form or RosterUploadForm(formdata=None),
        eligibility=eligibility,
        editable=is_editable(session.state),
        next_states=[s.value for s in SessionState if s in ALLOWED[SessionState(session.state)]],
        english=_english(),
        lead=ops.lead_of(session) if session.is_practical else None,
        **kw,
    )


@bp.route("/<int:session_id>")
def detail(session_id: int):
    return _detail_page(_session(session_id))


def _english() -> bool:
    from flask_babel import get_locale

    return str(get_locale()).startswith("en")


@bp.route("/<int:session_id>/enrol", methods=["POST"])
def enrol(session_id: int):
    session = _session(session_id)
    form = EnrolForm()
    eligibility: list[str] = []
    if form.validate_on_submit():
        try:
            ticket = ops.enrol(
                actor_from(current_user),
                session,
                id_number=form.id_number.data,
                name=form.name.data.strip(),
                timezone=_timezone(),
                employer=form.employer.data or None,
                phone=form.phone.data or None,
                application_no=form.application_no.data or None,
                requires_theory_pass=current_app.config["PRACTICAL_REQUIRES_THEORY_PASS"],
                retake_window_days=current_app.config["PRACTICAL_RETAKE_WINDOW_DAYS"],
            )
        except ops.SessionError as error:
            db.session.rollback()
            _field_error(form, error)
            eligibility = ops.eligibility_messages(error.details, _english())
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s is enrolled with ticket %(number)s.",
                    name=ticket.candidate.name,
                    number=ticket.number,
                ),
                "success",
            )
            return redirect(url_for("sessions.detail", session_id=session.id) + "#roster")
    return _detail_page(session, enrol_form=form, eligibility=eligibility), 422


@bp.route("/<int:session_id>/seat/<int:ticket_id>", methods=["POST"])
def seat(session_id: int, ticket_id: int):
    session = _session(session_id)
    ticket = get_in_centre_or_404(AdmissionTicket, ticket_id, current_user)
    if ticket.session_id != session.id:
        abort(404)
    form = SeatForm(prefix=f"seat{ticket.id}")
    form.terminal.choices = choices((t.id, t.code) for t in session.terminals)
    if form.validate_on_submit():
        terminal = get_in_centre_or_404(Terminal, form.terminal.data, current_user)
        try:
            ops.assign_seat(actor_from(current_user), ticket, terminal, form.reason.data.strip())
        except ops.SessionError as error:
            db.session.rollback()
            form.terminal.errors = [*list(form.terminal.errors or []), error.message]
        else:
            db.session.commit()
            flash(
                _("%(name)s now sits at %(code)s.", name=ticket.candidate.name, code=terminal.code),
                "success",
            )
            return redirect(url_for("sessions.detail", session_id=session.id) + "#roster")
    # Show the submitted form with its errors in place of the fresh one.
    return _detail_page(session, seat_forms=_with(form, ticket.id, session)), 422


def _with(form: SeatForm, ticket_id: int, session: ExamSession) -> dict:
    forms = {}
    for ticket in ops.tickets_of(session):
        if ticket.id == ticket_id:
            forms[ticket.id] = form
            continue
        other = SeatForm(prefix=f"seat{ticket.id}", formdata=None)
        other.terminal.choices = choices((t.id, t.code) for t in session.terminals)
        other.terminal.data = ticket.terminal_id
        forms[ticket.id] = other
    return forms


@bp.route("/roster-template.csv")
def roster_template():
    return Response(
        roster_template_csv().encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=roster-template.csv"},
    )


@bp.route("/<int:session_id>/roster", methods=["POST"])
def roster_upload(session_id: int):
    """Dry run: show what would be enrolled, or every problem; nothing is written."""
    session = _session(session_id)
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return _detail_page(session, upload_form=form), 422
    upload = form.roster.data
    filename = Path(upload.filename or "roster.csv").name
    data = upload.read(MAX_ROSTER_BYTES + 1)
    if len(data) > MAX_ROSTER_BYTES:
        form.roster.errors = [_("The file is larger than 2 MB.")]
        return _detail_page(session, upload_form=form), 422
    return _roster_check(session, filename, data)


def _import_roster(session: ExamSession, filename: str, data: bytes, *, dry_run: bool):
    """Run the roster import: (its result, None), or (None, the page explaining a refusal).

    A refused file is rolled back whole; every problem is shown as file:row: reason.
    """
    try:
        result = ops.import_roster(
            actor_from(current_user),
            session,
            filename,
            data,
            timezone=_timezone(),
            dry_run=dry_run,
            requires_theory_pass=current_app.config["PRACTICAL_REQUIRES_THEORY_PASS"],
        )
    except ops.RosterRejected as rejected:
        db.session.rollback()
        problems = [p.format(filename) for p in rejected.problems]
        page = render_template(
            "sessions/roster.html", session=session, filename=filename, problems=problems, rows=[]
        )
        return None, (page, 422)
    except ops.SessionError as error:
        db.session.rollback()
        # A refusal found only when enrolling (e.g. theory not passed, an examiner's
        # conflict) names its reasons too.
        reasons = ops.eligibility_messages(error.details, _english())
        flash(" ".join([str(error.message), *reasons]), "danger")
        return None, redirect(url_for("sessions.detail", session_id=session.id))
    return result, None


def _roster_check(session: ExamSession, filename: str, data: bytes):
    rows, refusal = _import_roster(session, filename, data, dry_run=True)
    if refusal is not None:
        return refusal
    db.session.rollback()  # a dry run writes nothing; drop anything it may have flushed
    confirm = RosterConfirmForm(formdata=None)
    confirm.filename.data = filename
    confirm.data.data = base64.b64encode(data).decode("ascii")
    return render_template(
        "sessions/roster.html",
        session=session,
        filename=filename,
        problems=[],
        rows=rows,
        confirm=confirm,
    )


@bp.route("/<int:session_id>/roster/confirm", methods=["POST"])
def roster_confirm(session_id: int):
    session = _session(session_id)
    form = RosterConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        data = base64.b64decode(form.data.data or "", validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    if len(data) > MAX_ROSTER_BYTES:
        abort(400)
    filename = Path(form.filename.data or "roster.csv").name
    tickets, refusal = _import_roster(session, filename, data, dry_run=False)
    if refusal is not None:
        return refusal
    db.session.commit()
    flash(_("%(count)s candidates are enrolled.", count=len(tickets)), "success")
    return redirect(url_for("sessions.detail", session_id=session.id) + "#roster")


@bp.route(
    "/<int:session_id>/state/<any(released, in_progress, closed, cancelled):target>",
    methods=["GET", "POST"],
)
def change_state(session_id: int, target: str):
    from ..sessions.forms import StateForm

    session = _session(session_id)
    form = StateForm()
    blocking: list = []
    if form.validate_on_submit():
        reason = (form.reason.data or "").strip() or None
        if target == "cancelled" and not reason:
            form.reason.errors = [_("Give a reason; it is kept in the audit log.")]
        else:
            try:
                ops.change_state(
                    actor_from(current_user), session, target, on=centre_today(), reason=reason
                )
            except ForbiddenTransition:
                db.session.rollback()
                form.form_errors.append(
                    _(
                        "A session that is %(state)s cannot be moved to %(target)s.",
                        state=STATE_LABELS[session.state],
                        target=STATE_LABELS[target],
                    )
                )
            except ops.SessionError as error:
                db.session.rollback()
                form.form_errors.append(error.message)
                blocking = list(error.details)
            else:
                db.session.commit()
                flash(_("The session is now %(state)s.", state=STATE_LABELS[target]), "success")
                return redirect(url_for("sessions.detail", session_id=session.id))
        status = 422
    else:
        status = 200
    return render_template(
        "sessions/state.html",
        session=session,
        target=target,
        form=form,
        blocking=blocking,
        english=_english(),
        allowed=SessionState(target) in ALLOWED[SessionState(session.state)],
    ), status


def _pdf(session: ExamSession, tickets: list[AdmissionTicket], name: str) -> Response:
    photos = Path(current_app.instance_path) / "photos"
    data = ops.admission_ticket_data(session, tickets, timezone=_timezone(), photo_dir=photos)
    return Response(
        build_admission_tickets_pdf(data),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f"inline; filename={name}",
            "Cache-Control": "no-store",
        },
    )


@bp.route("/<int:session_id>/show-result", methods=["POST"])
def show_result(session_id: int):
    """Whether candidates see their result on submitting (a centre's choice, audited)."""
    session = _session(session_id)
    try:
        ops.set_show_result(actor_from(current_user), session, request.form.get("show") == "on")
    except ops.SessionError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(
            _("Candidates now see their result when they submit.")
            if session.show_result
            else _("Results are now hidden from candidates at the terminal."),
            "success",
        )
    return redirect(url_for("sessions.detail", session_id=session.id))


@bp.route("/<int:session_id>/tickets.pdf")
def tickets_pdf(session_id: int):
    session = _session(session_id)
    tickets = ops.tickets_of(session)
    if not tickets:
        flash(_("Enrol candidates before printing admission tickets."), "warning")
        return redirect(url_for("sessions.detail", session_id=session.id))
    return _pdf(session, tickets, f"tickets-session-{session.id}.pdf")


@bp.route("/<int:session_id>/tickets/<int:ticket_id>.pdf")
def ticket_pdf(session_id: int, ticket_id: int):
    session = _session(session_id)
    ticket = get_in_centre_or_404(AdmissionTicket, ticket_id, current_user)
    if ticket.session_id != session.id:
        abort(404)
    return _pdf(session, [ticket], f"ticket-{ticket.number}.pdf")


# --- Practical sessions: printable score sheets and roster ----------------------------------


def _pdf_response(data: bytes, name: str) -> Response:
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename={name}", "Cache-Control": "no-store"},
    )


@bp.route("/<int:session_id>/practical-roster.pdf")
def practical_roster_pdf(session_id: int):
    from ..practical import operations as practical
    from ..practical.pdf import build_roster_pdf

    session = _session(session_id)
    if not session.is_practical:
        abort(404)
    data = practical.roster_data(session, current_user.centre.name, _timezone())
    return _pdf_response(build_roster_pdf(data), f"practical-roster-{session.id}.pdf")


@bp.route("/<int:session_id>/score-sheets/<int:ticket_id>.pdf")
def practical_sheet_pdf(session_id: int, ticket_id: int):
    from ..practical import operations as practical
    from ..practical.pdf import build_score_sheet_pdf

    session = _session(session_id)
    ticket = get_in_centre_or_404(AdmissionTicket, ticket_id, current_user)
    if ticket.session_id != session.id or not session.is_practical:
        abort(404)
    data = practical.score_sheet_data(ticket, current_user.centre.name, _timezone())
    return _pdf_response(build_score_sheet_pdf(data), f"score-sheet-{ticket.number}.pdf")
