"""/api/v1: exam sessions, enrolment and check-in, for the centre's own tools.

Who may do what (``ENDPOINT_ROLES``; an endpoint missing from it is closed to everyone):

- centre administrators: everything, for their own centre's sessions;
- invigilators: read, and record attendance, for the sessions they are assigned to;
- authority staff: read-only, every centre;
- candidates and examiners: nothing.

Another centre's session (or, for an invigilator, a session they are not assigned to) is a
404, as everywhere in the app. Views parse and check the whole body first, call the
operations, and commit once; any error rolls back (``errors.init_errors``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from ..audit.operations import actor_from
from ..auth.forms import explain_id_problem
from ..auth.roles import SAFE_METHODS, get_in_centre_or_404, in_centre
from ..clock import centre_today
from ..compliance.exchange import ExchangeError
from ..extensions import csrf, db
from ..i18n import interface_language
from ..idnumber import InvalidIdNumber, parse_id_number
from ..models import AdmissionTicket, ExamSession, Role, Terminal, User
from ..models.session import session_invigilators
from ..sessions import operations as ops
from ..sessions.states import CancellationReasonRequired, ForbiddenTransition, SessionState
from ..sessions.tickets_pdf import mask_id_number
from . import bp
from .errors import ApiError
from .validation import MISSING, Body, invalid, json_body, query_date_or_instant, utc_iso

# The same item codes the centre's records accept (compliance exchange format).
ITEM_CODE = re.compile(r"Q1|Q2\(限[^()\s]+\)")

ADMIN = frozenset({Role.CENTRE_ADMIN})
READERS = frozenset({Role.CENTRE_ADMIN, Role.INVIGILATOR, Role.AUTHORITY})
CHECK_IN = frozenset({Role.CENTRE_ADMIN, Role.INVIGILATOR})

TARGETS = ("released", "in_progress", "closed", "cancelled")

CANDIDATE = frozenset({Role.CANDIDATE})
# The terminal's sign-in needs no session yet (it needs a registered terminal's cookie and a
# JSON body, which a cross-site form cannot send, so no CSRF token either). A simulator
# station signs each request itself (api/stations.py); no session is read there. The hub's
# ingest endpoint is authenticated by the batch's Ed25519 signature (api/hub.py).
PUBLIC_ENDPOINTS = frozenset(
    {"api.openapi_document", "api.terminal_sign_in", "api.station_post_run", "api.hub_ingest_batch"}
)
ENDPOINT_ROLES: dict[str, frozenset[Role]] = {
    "api.csrf_token": READERS,
    "api.list_sessions": READERS,
    "api.create_session": ADMIN,
    "api.get_session": READERS,
    "api.update_session": ADMIN,
    "api.change_session_state": ADMIN,
    "api.list_enrolments": READERS,
    "api.create_enrolment": ADMIN,
    "api.record_attendance": CHECK_IN,
    "api.assign_seat": CHECK_IN,  # the invigilator moves a candidate in the room
    # The candidate's exam at the terminal (api/terminal.py).
    "api.terminal_exam": CANDIDATE,
    "api.terminal_start": CANDIDATE,
    "api.terminal_paper": CANDIDATE,
    "api.terminal_save_answer": CANDIDATE,
    "api.terminal_heartbeat": CANDIDATE,
    "api.terminal_submit": CANDIDATE,
    "api.terminal_result": CANDIDATE,
}

# The gate checks CSRF itself, after sign-in and role (so that an anonymous request is a
# 401, not a CSRF failure); Flask-WTF's app-wide check is skipped for this blueprint.
csrf.exempt(bp)


@bp.before_request
def _gate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    if not current_user.is_authenticated:
        raise ApiError(401, "unauthenticated", _("Sign in first."))
    if current_user.role not in ENDPOINT_ROLES.get(request.endpoint or "", frozenset()):
        raise ApiError(403, "forbidden", _("You do not have access to this page"))
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


# --- Fetching, scoped ------------------------------------------------------------------------


def get_session_or_404(session_id: int) -> ExamSession:
    """A session the signed-in person may see: their centre's; an invigilator's own."""
    session = get_in_centre_or_404(ExamSession, session_id, current_user)
    if current_user.role == Role.INVIGILATOR and current_user not in session.invigilators:
        raise ApiError(
            404, "not_found", _("The page or record does not exist, or it is not yours to see.")
        )
    return session


def get_ticket_or_404(session: ExamSession, ticket_number: str) -> AdmissionTicket:
    ticket = db.session.scalar(
        select(AdmissionTicket).where(
            AdmissionTicket.session_id == session.id, AdmissionTicket.number == ticket_number
        )
    )
    if ticket is None:
        raise ApiError(
            404, "not_found", _("The page or record does not exist, or it is not yours to see.")
        )
    return ticket


# --- Representations -------------------------------------------------------------------------


def session_json(session: ExamSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "centre_id": session.centre_id,
        "item": session.item,
        "room": session.room,
        "starts_at": utc_iso(session.starts_at),
        "ends_at": utc_iso(session.ends_at),
        "capacity": session.capacity,
        "enrolled": ops.enrolled_count(session),
        "state": session.state,
        "blueprint_version_id": session.blueprint_version_id,
        "terminals": [t.code for t in session.terminals],
        "invigilators": [u.username for u in session.invigilators],
        "cancelled_reason": session.cancelled_reason,
        "show_result": session.show_result,
        "created_at": utc_iso(session.created_at),
        "released_at": utc_iso(session.released_at),
        "started_at": utc_iso(session.started_at),
        "closed_at": utc_iso(session.closed_at),
    }


def enrolment_json(ticket: AdmissionTicket) -> dict[str, Any]:
    candidate = ticket.candidate
    active = (
        db.session.get(Terminal, ticket.active_terminal_id) if ticket.active_terminal_id else None
    )
    return {
        "ticket_number": ticket.number,
        "session_id": ticket.session_id,
        "item": ticket.item,
        "candidate": {
            "name": candidate.name,
            # Never the full number: responses end up in logs and browser caches.
            "id_number_masked": mask_id_number(candidate.id_number),
            "gender": candidate.gender,
            "employer": candidate.employer,
            "has_photo": bool(candidate.photo),
        },
        "application_no": ticket.application_no,
        "terminal": ticket.terminal.code if ticket.terminal else None,
        "attendance": ticket.attendance,
        "attendance_at": utc_iso(ticket.attendance_at),
        "attendance_by": ticket.attendance_by,
        "active_terminal": active.code if active else None,
        "issued_at": utc_iso(ticket.issued_at),
    }


# --- Errors from the operations layer ----------------------------------------------------------


def session_error(error: ops.SessionError) -> ApiError:
    """Map an operation's refusal: a wrong state is a conflict, anything else names its field."""
    message = str(error.message)
    if error.field == "state":
        if error.details:
            english = interface_language() == "en"
            return ApiError(
                409,
                "compliance_gate",
                message,
                [
                    {
                        "path": "$.target",
                        "message": f.get("message_en" if english else "message", ""),
                    }
                    for f in error.details
                    if isinstance(f, dict)
                ],
                findings=list(error.details),
            )
        return ApiError(409, "invalid_state", message)
    if error.details:  # eligibility reasons
        english = interface_language() == "en"
        reasons = [
            {"code": str(r.code), "message": r.message_en if english else r.message_zh}
            for r in error.details
        ]
        return ApiError(
            422,
            "not_eligible",
            message,
            [{"path": f"$.{error.field}", "message": r["message"]} for r in reasons],
            reasons=reasons,
        )
    return ApiError(
        422, "invalid_input", message, [{"path": f"$.{error.field}", "message": message}]
    )


def created(body: dict[str, Any], location: str):
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


# --- Views -----------------------------------------------------------------------------------


@bp.get("/csrf-token")
def csrf_token():
    """The token to send in the X-CSRFToken header of every state-changing request."""
    return jsonify(csrf_token=generate_csrf())


@bp.get("/sessions")
def list_sessions():
    errors: list[dict[str, str]] = []
    state = request.args.get("state") or None
    if state is not None and state not in {s.value for s in SessionState}:
        errors.append(
            {
                "path": "query.state",
                "message": _(
                    "Expected one of: %(choices)s.",
                    choices=", ".join(s.value for s in SessionState),
                ),
            }
        )
    timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    bounds = {}
    for name, end in (("from", False), ("to", True)):
        try:
            bounds[name] = query_date_or_instant(name, end=end, timezone=timezone)
        except ApiError as error:
            errors += error.errors
    starts_from, starts_before = bounds.get("from"), bounds.get("to")
    if errors:
        raise invalid(errors)
    statement = in_centre(select(ExamSession), ExamSession, current_user)
    if current_user.role == Role.INVIGILATOR:
        statement = statement.join(
            session_invigilators, session_invigilators.c.session_id == ExamSession.id
        ).where(session_invigilators.c.user_id == current_user.id)
    if state:
        statement = statement.where(ExamSession.state == state)
    if starts_from is not None:
        statement = statement.where(ExamSession.starts_at >= starts_from)
    if starts_before is not None:
        statement = statement.where(ExamSession.starts_at < starts_before)
    sessions = db.session.scalars(statement.order_by(ExamSession.starts_at, ExamSession.id))
    return jsonify(sessions=[session_json(s) for s in sessions])


SESSION_FIELDS = (
    "item",
    "room",
    "starts_at",
    "ends_at",
    "capacity",
    "terminals",
    "invigilators",
    "blueprint_version_id",
)


def read_plan(data: dict[str, Any], current: ExamSession | None) -> ops.SessionPlan:
    """The plan a body describes (all fields for a new session; any subset for a change)."""
    creating = current is None
    body = Body(data, SESSION_FIELDS)
    item = body.string("item", required=creating, max_length=40)
    if item is not MISSING and not ITEM_CODE.fullmatch(item):
        body.problem("item", _("Unknown item (expected Q1 or Q2(限…), e.g. Q2(限桥式起重机))."))
    room = body.string("room", required=creating, max_length=100)
    starts_at = body.instant("starts_at", required=creating)
    ends_at = body.instant("ends_at", required=creating)
    capacity = body.integer("capacity", required=creating, minimum=1)
    codes = body.string_list("terminals", required=creating, max_length=32)
    usernames = body.string_list("invigilators", required=creating, max_length=64)
    version = body.integer("blueprint_version_id", minimum=1, nullable=True)

    centre_id = current_user.centre_id
    terminals: list[Terminal] | object = MISSING
    if codes is not MISSING:
        found = {
            t.code: t
            for t in db.session.scalars(
                select(Terminal).where(Terminal.centre_id == centre_id, Terminal.code.in_(codes))
            )
        }
        for index, code in enumerate(codes):
            if code not in found:
                body.problem(
                    f"$.terminals[{index}]", _("No terminal %(code)s at this centre.", code=code)
                )
        terminals = [found[c] for c in codes if c in found]
    invigilators: list[User] | object = MISSING
    if usernames is not MISSING:
        found_users = {
            u.username: u
            for u in db.session.scalars(select(User).where(User.username.in_(usernames)))
        }
        for index, username in enumerate(usernames):
            user = found_users.get(username)
            if user is None or user.centre_id != centre_id or user.role != Role.INVIGILATOR:
                body.problem(
                    f"$.invigilators[{index}]", _("Only this centre's invigilators can be chosen.")
                )
        if not usernames:
            body.problem("invigilators", _("Choose at least one invigilator."))
        invigilators = [found_users[u] for u in usernames if u in found_users]

    def pick(value: Any, attribute: str) -> Any:
        return getattr(current, attribute) if value is MISSING and current is not None else value

    item, room = pick(item, "item"), pick(room, "room")
    starts_at, ends_at = pick(starts_at, "starts_at"), pick(ends_at, "ends_at")
    capacity, terminals = pick(capacity, "capacity"), pick(terminals, "terminals")
    invigilators = pick(invigilators, "invigilators")
    version = pick(version, "blueprint_version_id")
    if version is MISSING:
        version = None
    # Cross-field checks, reported with everything else (the operation checks them again).
    if (
        not body.has_problem_at("starts_at")
        and not body.has_problem_at("ends_at")
        and starts_at is not MISSING
        and ends_at is not MISSING
        and ends_at <= starts_at
    ):
        body.problem("ends_at", _("The session must end after it starts."))
    if (
        not body.has_problem_at("capacity")
        and not body.has_problem_at("terminals")
        and capacity is not MISSING
        and terminals is not MISSING
        and len(terminals) < capacity
    ):
        body.problem(
            "capacity",
            _(
                "Capacity %(capacity)s needs as many terminals; %(count)s are chosen.",
                capacity=capacity,
                count=len(terminals),
            ),
        )
    if (
        current is not None
        and capacity is not MISSING
        and not body.has_problem_at("capacity")
        and ops.enrolled_count(current) > capacity
    ):
        body.problem("capacity", _("More candidates are enrolled than this capacity."))
    body.raise_if_any()
    return ops.SessionPlan(
        item=item,
        room=room,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        terminals=terminals,
        invigilators=invigilators,
        blueprint_version_id=version,
    )


@bp.post("/sessions")
def create_session():
    plan = read_plan(json_body(), None)
    try:
        session = ops.create_session(actor_from(current_user), current_user.centre, plan)
    except ops.SessionError as error:
        raise session_error(error) from None
    db.session.commit()
    return created(session_json(session), url_for("api.get_session", session_id=session.id))


@bp.get("/sessions/<int:session_id>")
def get_session(session_id: int):
    return jsonify(session_json(get_session_or_404(session_id)))


@bp.patch("/sessions/<int:session_id>")
def update_session(session_id: int):
    session = get_session_or_404(session_id)
    data = json_body()
    if session.state != SessionState.SCHEDULED:
        raise ApiError(
            409, "invalid_state", _("A session can be changed only while it is scheduled.")
        )
    plan = read_plan(data, session)
    try:
        ops.update_session(actor_from(current_user), session, plan)
    except ops.SessionError as error:
        raise session_error(error) from None
    db.session.commit()
    return jsonify(session_json(session))


@bp.post("/sessions/<int:session_id>/transitions")
def change_session_state(session_id: int):
    session = get_session_or_404(session_id)
    body = Body(json_body(), ("target", "reason"))
    target = body.choice("target", TARGETS, required=True)
    reason = body.string("reason", max_length=500, nullable=True)
    if reason is MISSING:
        reason = None
    if target == SessionState.CANCELLED and not reason and not body.has_problem_at("reason"):
        body.problem("reason", _("Cancelling a session needs a reason."))
    body.raise_if_any()
    try:
        ops.change_state(
            actor_from(current_user), session, target, on=centre_today(), reason=reason
        )
    except ForbiddenTransition as error:
        raise ApiError(
            409,
            "forbidden_transition",
            _(
                "A session cannot go from %(current)s to %(target)s.",
                current=error.current.value,
                target=error.target.value,
            ),
            [{"path": "$.target", "message": str(error)}],
        ) from None
    except CancellationReasonRequired:
        raise invalid(
            [{"path": "$.reason", "message": _("Cancelling a session needs a reason.")}]
        ) from None
    except ExchangeError as error:
        # The gate cannot even evaluate the centre (no or unreadable records): not open.
        raise ApiError(
            409,
            "compliance_gate",
            _("The centre's records cannot be checked, so the session cannot be opened."),
            [{"path": "$.target", "message": str(problem)} for problem in error.problems],
            findings=[],
        ) from None
    except ops.SessionError as error:
        raise session_error(error) from None
    db.session.commit()
    return jsonify(session_json(session))


@bp.get("/sessions/<int:session_id>/enrolments")
def list_enrolments(session_id: int):
    session = get_session_or_404(session_id)
    return jsonify(enrolments=[enrolment_json(t) for t in ops.tickets_of(session)])


@bp.post("/sessions/<int:session_id>/enrolments")
def create_enrolment(session_id: int):
    session = get_session_or_404(session_id)
    body = Body(json_body(), ("id_number", "name", "employer", "phone", "application_no"))
    id_number = body.string("id_number", required=True, max_length=40)
    name = body.string("name", required=True, max_length=100)
    employer = body.string("employer", max_length=200, nullable=True)
    phone = body.string("phone", max_length=32, nullable=True)
    application_no = body.string("application_no", max_length=40, nullable=True)
    timezone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    if id_number is not MISSING:
        try:
            id_number = parse_id_number(id_number, on=ops.exam_day(session, timezone)).number
        except InvalidIdNumber as error:
            body.problem("id_number", explain_id_problem(error))
    body.raise_if_any()
    if session.state != SessionState.SCHEDULED:
        raise ApiError(409, "invalid_state", _("Enrolment closes when the session is released."))
    if ops.enrolled_count(session) >= session.capacity:
        raise ApiError(
            409,
            "session_full",
            _("The session is full (capacity %(capacity)s).", capacity=session.capacity),
        )
    try:
        ticket = ops.enrol(
            actor_from(current_user),
            session,
            id_number=id_number,
            name=name,
            timezone=timezone,
            employer=None if employer is MISSING else employer,
            phone=None if phone is MISSING else phone,
            application_no=None if application_no is MISSING else application_no,
        )
    except ops.SessionError as error:
        raise session_error(error) from None
    db.session.commit()
    return created(enrolment_json(ticket), url_for("api.list_enrolments", session_id=session.id))


@bp.post("/sessions/<int:session_id>/enrolments/<ticket_number>/attendance")
def record_attendance(session_id: int, ticket_number: str):
    session = get_session_or_404(session_id)
    ticket = get_ticket_or_404(session, ticket_number)
    body = Body(json_body(), ("attendance", "reason"))
    attendance = body.choice("attendance", ["checked_in", "absent"], required=True)
    reason = body.string("reason", max_length=500, nullable=True)
    body.raise_if_any()
    try:
        ops.record_attendance(
            actor_from(current_user), ticket, attendance, None if reason is MISSING else reason
        )
    except ops.SessionError as error:
        raise session_error(error) from None
    db.session.commit()
    return jsonify(enrolment_json(ticket))


@bp.put("/sessions/<int:session_id>/enrolments/<ticket_number>/seat")
def assign_seat(session_id: int, ticket_number: str):
    session = get_session_or_404(session_id)
    ticket = get_ticket_or_404(session, ticket_number)
    body = Body(json_body(), ("terminal", "reason"))
    code = body.string("terminal", required=True, max_length=32)
    reason = body.string("reason", required=True, max_length=500)
    terminal = None
    if code is not MISSING:
        terminal = next((t for t in session.terminals if t.code == code), None)
        if terminal is None:
            body.problem("terminal", _("That terminal is not used by this session."))
    body.raise_if_any()
    try:
        ops.assign_seat(actor_from(current_user), ticket, terminal, reason)
    except ops.SessionError as error:
        raise session_error(error) from None
    db.session.commit()
    return jsonify(enrolment_json(ticket))
