"""Sign-in pages: one for staff, one for candidates at a terminal."""

from __future__ import annotations

import hmac
import secrets
from functools import cache
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.operations import actor_from
from ..database import commit_keeping_loaded
from ..exams.operations import question_count_of, remember_attempt
from ..extensions import db, limiter
from ..models import AdmissionTicket, Attempt, Role, User
from .forms import StaffLoginForm, TerminalLoginForm
from .operations import note_failed_sign_in, note_sign_in
from .roles import ACTIVE_TERMINAL_KEY

bp = Blueprint("auth", __name__, url_prefix="/auth")

HOME_ENDPOINTS = {
    Role.CANDIDATE: "terminal.home",
    Role.EXAMINER: "examiner.home",
    Role.INVIGILATOR: "invigilator.home",
    Role.CENTRE_ADMIN: "centre.home",
    Role.AUTHORITY: "authority.home",
}


@cache
def _dummy_hash() -> str:
    """A hash to check when the username does not exist, so that a wrong username takes as
    long as a wrong password and timing does not reveal which accounts exist."""
    return generate_password_hash(secrets.token_hex(16))


def home_url_for(principal: Any) -> str:
    return url_for(HOME_ENDPOINTS[Role(principal.role)])


def _safe_next(target: str | None) -> str | None:
    # Only a path on this site: never an absolute or scheme-relative URL (open redirect).
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _failure_counts(response) -> bool:
    # Only a refused sign-in (the form shown again) counts toward the lock-out; a candidate's
    # successful sign-in also answers 200 (the exam page itself, _exam_page_after_sign_in).
    return response.status_code == 200 and _SIGNED_IN_KEY not in request.environ


# Kept in the request's WSGI environ, not in ``g``: ``g`` belongs to the app context, which a
# request shares with one already pushed (as in the tests).
_SIGNED_IN_KEY = "examcentre.signed_in"


def _staff_key() -> str:
    return f"staff|{get_remote_address()}|{request.form.get('username', '').strip().lower()}"


def _terminal_key() -> str:
    return f"terminal|{get_remote_address()}|{request.form.get('ticket_number', '').strip()}"


def _login_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _start_session(principal: Any, *, audited: bool = False) -> None:
    """Sign ``principal`` in on a new session and record it (not yet committed; ``audited``:
    already recorded, as ``sessions.operations.admit`` records a candidate's)."""
    session.clear()  # nothing from before sign-in carries over into the new session
    # ...including the form's CSRF token, which Flask-WTF also keeps for the request in ``g``:
    # a page rendered in this request must carry a token of the new session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    login_user(principal)
    if not audited:
        note_sign_in(actor_from(principal), principal)


def _complete_sign_in(principal: Any, target: str):
    _start_session(principal)
    db.session.commit()
    return redirect(target)


def _exam_page_after_sign_in(ticket: AdmissionTicket, terminal):
    """A candidate's sign-in answers with the exam page itself, not a redirect to it: at the
    start of an exam the whole room signs in at once, and the redirect's second request was
    about a sixth of the start's server work (bench/exam_storm.py). The page puts its own
    address into the browser's history (exam.js, ``history.replaceState``), so a reload
    fetches the page and never posts the form again. Committed once rendered (exam_page)."""
    from ..web.terminal import exam_page

    _start_session(ticket, audited=True)  # (admit recorded the sign-in)
    # Committed before the page is rendered, keeping what is loaded: the sign-in's writes
    # hold SQLite's write lock (PostgreSQL: the rows written) until the commit, and the
    # whole room signs in at once. The page is still sent only once the sign-in is
    # durable.
    commit_keeping_loaded()
    request.environ[_SIGNED_IN_KEY] = True
    return exam_page(terminal)


def _record_refusal(attempted: str, area: str) -> None:
    note_failed_sign_in(attempted, area, get_remote_address())
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=_staff_key, methods=["POST"], deduct_when=_failure_counts)
def login():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = StaffLoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        user = db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))
        password_ok = check_password_hash(
            user.password_hash if user else _dummy_hash(), form.password.data
        )
        if user is not None and password_ok and user.is_active:
            return _complete_sign_in(
                user, _safe_next(request.args.get("next")) or home_url_for(user)
            )
        _record_refusal(username, "staff")
        if user is not None and password_ok:
            form.username.errors.append(
                _("This account is disabled. Ask your centre administrator.")
            )
        else:
            form.password.errors.append(_("The username or password is wrong."))
    return render_template("auth/login.html", form=form)


def current_terminal():
    """The registered exam terminal this browser is, or None. Looked up once per request
    (kept in the request's WSGI environ): a candidate's requests ask for it in the gate and
    again in the view."""
    from ..sessions.operations import terminal_for

    if _TERMINAL_KEY not in request.environ:
        cookie = request.cookies.get(current_app.config["TERMINAL_COOKIE_NAME"])
        request.environ[_TERMINAL_KEY] = terminal_for(
            cookie, get_remote_address(), request.environ.get(ACTIVE_TERMINAL_KEY)
        )
    return request.environ[_TERMINAL_KEY]


_TERMINAL_KEY = "examcentre.terminal"


@cache
def _sign_in_query():
    """The ticket by its number, with what the check, the admission and the exam page read
    of it: its candidate, session and centre, its attempt and its paper's question count.
    Built once, with the number as a parameter: building this statement (its joins and
    loader options) was half the query's cost, a ninth of the sign-in's instructions
    (bench/request_cost.py --instructions), and the whole room signs in at once."""
    return (
        select(AdmissionTicket, Attempt, question_count_of(Attempt.paper_id))
        .outerjoin(Attempt, Attempt.ticket_id == AdmissionTicket.id)
        .where(AdmissionTicket.number == bindparam("number"))
        .options(
            joinedload(AdmissionTicket.candidate, innerjoin=True),
            joinedload(AdmissionTicket.session),
            joinedload(AdmissionTicket.centre, innerjoin=True),
        )
    )


@bp.route("/terminal", methods=["GET", "POST"])
@limiter.limit(_login_limit, key_func=_terminal_key, methods=["POST"], deduct_when=_failure_counts)
def terminal_login():
    """The terminal's start page: its id, and the candidate sign-in. Registered machines only."""
    from ..sessions.operations import admit, note_refused_admission

    terminal = current_terminal()
    if terminal is None:
        return render_template("auth/not_a_terminal.html"), 403
    if current_user.is_authenticated and current_user.role == Role.CANDIDATE:
        return redirect(home_url_for(current_user))
    form = TerminalLoginForm()
    if form.validate_on_submit():
        number = form.ticket_number.data.strip()
        # With what the check, the admission and the exam page it answers with read of the
        # ticket, the attempt and its paper's question count: one query rather than one
        # each (the whole room signs in at once).
        ticket, attempt, question_count = db.session.execute(
            _sign_in_query(), {"number": number}
        ).first() or (None, None, None)
        if ticket is not None:
            remember_attempt(ticket, attempt, question_count)
        id_matches = ticket is not None and hmac.compare_digest(
            ticket.candidate.id_number, form.id_number.data
        )
        if ticket is not None and id_matches and ticket.is_active:
            refusal = admit(ticket, terminal)
            if refusal is None:
                return _exam_page_after_sign_in(ticket, terminal)
            note_refused_admission(ticket, terminal, refusal)
            db.session.commit()
            form.ticket_number.errors.append(refusal.message)
            return render_template("auth/terminal_login.html", form=form, terminal=terminal)
        _record_refusal(number, "terminal")
        if ticket is not None and id_matches:
            form.ticket_number.errors.append(
                _("This admission ticket has been withdrawn. Ask the invigilator.")
            )
        else:
            form.id_number.errors.append(
                _("The ticket number and ID number do not match our records. Ask the invigilator.")
            )
    return render_template("auth/terminal_login.html", form=form, terminal=terminal)


@bp.route("/logout", methods=["POST"])
def logout():
    was_candidate = current_user.is_authenticated and current_user.role == Role.CANDIDATE
    if was_candidate:
        from ..sessions.operations import release_terminal

        release_terminal(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.terminal_login" if was_candidate else "auth.login"))
