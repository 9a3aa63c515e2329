"""The candidate's terminal (signed in with an admission ticket)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..auth.roles import require_role
from ..auth.views import current_terminal
from ..models import Role

bp = Blueprint("terminal", __name__, url_prefix="/terminal")
bp.before_request(require_role(Role.CANDIDATE))


@bp.before_request
def _still_at_this_terminal():
    """A candidate is signed in at one terminal only: if this browser is no longer it (the
    invigilator moved them, or the machine was unregistered), this session ends here."""
    terminal = current_terminal()
    if terminal is None or current_user.active_terminal_id != terminal.id:
        logout_user()
        session.clear()
        flash(_("You have been moved to another terminal. Ask the invigilator where to sit."),
              "warning")
        return redirect(url_for("auth.terminal_login"))
    return None


@bp.route("/")
def home():
    return render_template("terminal/home.html", ticket=current_user)
