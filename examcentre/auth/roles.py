"""Who may reach what.

Every area is a blueprint gated as a whole with ``bp.before_request(require_role(...))``,
so a view that forgets a decorator is still closed. Objects are fetched through
``get_in_centre_or_404``, so a centre administrator asking for another centre's record is
told it does not exist (404), not that it is forbidden (which would confirm it exists).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from flask import Flask, abort, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, bindparam, select

from ..extensions import db, login_manager
from ..models import AdmissionTicket, Role, User

M = TypeVar("M")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The only writes authority staff may make: to their own session.
AUTHORITY_WRITABLE_ENDPOINTS = frozenset({"auth.logout", "main.set_language"})


def init_roles(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_principal(principal_id: str) -> Any:
        kind, _, raw_id = principal_id.partition(":")
        if not raw_id.isdigit():
            return None
        if kind == "ticket":
            principal = _load_candidate(int(raw_id))
        else:
            principal = db.session.get(User, int(raw_id)) if kind == "user" else None
        # A disabled account or revoked ticket loses the session it already has.
        if principal is None or not principal.is_active:
            return None
        return principal

    @app.before_request
    def _authority_is_read_only() -> Any:
        if (
            current_user.is_authenticated
            and current_user.role == Role.AUTHORITY
            and request.method not in SAFE_METHODS
            and request.endpoint not in AUTHORITY_WRITABLE_ENDPOINTS
        ):
            abort(403)
        return None


# The signed-in candidate's active terminal, read with their ticket (auth.views.current_terminal
# uses it when it is the terminal the request comes from).
ACTIVE_TERMINAL_KEY = "examcentre.active_terminal"


@cache
def _candidate_query():
    """Built once, the ticket's id a parameter: every request of every candidate runs it."""
    from ..models import Attempt, Terminal

    return (
        select(AdmissionTicket, Attempt, Terminal)
        .outerjoin(Attempt, Attempt.ticket_id == AdmissionTicket.id)
        .outerjoin(Terminal, Terminal.id == AdmissionTicket.active_terminal_id)
        .where(AdmissionTicket.id == bindparam("ticket_id"))
    )


def _load_candidate(ticket_id: int) -> AdmissionTicket | None:
    """A candidate's ticket, with their attempt and their active terminal in the same query:
    every request from an exam terminal needs all three (a query each before; the answer
    saves and the start of an exam are the busiest requests there are)."""
    from ..exams.operations import remember_attempt

    row = db.session.execute(_candidate_query(), {"ticket_id": ticket_id}).first()
    if row is None:
        return None
    ticket, attempt, terminal = row
    remember_attempt(ticket, attempt)
    if terminal is not None:
        request.environ[ACTIVE_TERMINAL_KEY] = terminal
    return ticket


def require_role(*roles: Role) -> Callable[[], Any]:
    """A ``before_request`` hook that admits only signed-in principals with one of ``roles``."""
    allowed = frozenset(roles)

    def _gate() -> Any:
        if not current_user.is_authenticated:
            if Role.CANDIDATE in allowed:
                return redirect(url_for("auth.terminal_login"))
            flash(login_manager.login_message, login_manager.login_message_category)
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if current_user.role not in allowed:
            abort(403)
        return None

    return _gate


def sees_all_centres(actor: Any) -> bool:
    return actor.role == Role.AUTHORITY


def get_in_centre_or_404(model: type[M], object_id: int, actor: Any) -> M:
    """Fetch a record the actor's centre owns (any record, for authority staff), or 404."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    if not sees_all_centres(actor) and obj.centre_id != actor.centre_id:  # type: ignore[attr-defined]
        abort(404)
    return obj


def in_centre(statement: Select, model: Any, actor: Any) -> Select:
    """Restrict a query to the actor's centre (unrestricted for authority staff)."""
    if sees_all_centres(actor):
        return statement
    return statement.where(model.centre_id == actor.centre_id)
