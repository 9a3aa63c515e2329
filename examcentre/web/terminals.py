"""Registering this machine as an exam terminal (centre administrators, on the machine).

An administrator signs in on the terminal itself, picks its code and registers it. The
browser then holds a long-lived device token in a cookie; the server keeps only the token's
SHA-256 (``sessions.operations.register_terminal``). Registering again gives a new token
and cuts off whatever machine held the old one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, ValidationError
from wtforms.validators import Length

from ..audit.operations import actor_from
from ..auth.forms import ReasonForm
from ..auth.roles import get_in_centre_or_404, require_role
from ..extensions import db
from ..models import Role, Terminal
from ..sessions.operations import SessionError, register_terminal, unregister_terminal

bp = Blueprint("terminals", __name__, url_prefix="/centre/terminals")
bp.before_request(require_role(Role.CENTRE_ADMIN))


def _address_parts(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]


class RegisterTerminalForm(FlaskForm):
    allowed_addresses = StringField(
        _l("Allowed addresses"),
        validators=[Length(max=1000, message=_l("Use at most 1000 characters."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def validate_allowed_addresses(self, field) -> None:
        networks = []
        for part in _address_parts(field.data):
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValidationError(
                    _("“%(value)s” is not an IP address or network (CIDR).", value=part)
                ) from None
        if not networks:
            return
        # The administrator registers from the terminal itself: an allow-list that leaves
        # out this very machine would lock it out at once.
        here = get_remote_address()
        try:
            address = ipaddress.ip_address(here)
        except ValueError:
            address = None
        if address is None or not any(address in network for network in networks):
            raise ValidationError(
                _(
                    "This machine's address (%(address)s) is not in the list, so the terminal"
                    " would refuse itself. Add it, or leave the field empty.",
                    address=here,
                )
            )


@dataclass(frozen=True)
class BrowserTerminal:
    """What the terminal cookie of this browser says."""

    state: str  # "none", "this_centre", "other_centre", "invalid"
    terminal: Terminal | None = None


def browser_terminal() -> BrowserTerminal:
    """Which registered terminal this browser is (the same test as the candidate sign-in)."""
    from ..auth.views import current_terminal

    if not request.cookies.get(current_app.config["TERMINAL_COOKIE_NAME"]):
        return BrowserTerminal("none")
    terminal = current_terminal()
    if terminal is None:
        return BrowserTerminal("invalid")
    if terminal.centre_id != current_user.centre_id:
        return BrowserTerminal("other_centre")
    return BrowserTerminal("this_centre", terminal)


def _set_terminal_cookie(response, token: str) -> None:
    config = current_app.config
    response.set_cookie(
        config["TERMINAL_COOKIE_NAME"],
        token,
        max_age=config["TERMINAL_COOKIE_MAX_AGE"],
        path="/",
        secure=bool(config["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Strict",
    )


def _clear_terminal_cookie(response) -> None:
    config = current_app.config
    response.delete_cookie(
        config["TERMINAL_COOKIE_NAME"],
        path="/",
        secure=bool(config["SESSION_COOKIE_SECURE"]),
        httponly=True,
        samesite="Strict",
    )


@bp.route("/")
def overview():
    terminals = db.session.scalars(
        select(Terminal)
        .where(Terminal.centre_id == current_user.centre_id)
        .order_by(Terminal.code)
    ).all()
    return render_template(
        "terminals/overview.html",
        terminals=terminals,
        browser=browser_terminal(),
        address=get_remote_address(),
    )


@bp.route("/<int:terminal_id>/register", methods=["GET", "POST"])
def register(terminal_id: int):
    terminal = get_in_centre_or_404(Terminal, terminal_id, current_user)
    form = RegisterTerminalForm()
    if request.method == "GET":
        form.allowed_addresses.data = terminal.allowed_addresses or ""
    elif form.validate_on_submit():
        allowed = ", ".join(_address_parts(form.allowed_addresses.data)) or None
        try:
            token = register_terminal(actor_from(current_user), terminal, allowed)
        except SessionError as error:
            db.session.rollback()
            form.allowed_addresses.errors = [*form.allowed_addresses.errors, error.message]
        else:
            db.session.commit()
            response = redirect(url_for("terminals.registered", terminal_id=terminal.id))
            _set_terminal_cookie(response, token)
            return response
    return render_template(
        "terminals/register.html",
        form=form,
        terminal=terminal,
        browser=browser_terminal(),
        address=get_remote_address(),
    )


@bp.route("/<int:terminal_id>/registered")
def registered(terminal_id: int):
    """After registering: confirm that this browser now is the terminal (the cookie works)."""
    terminal = get_in_centre_or_404(Terminal, terminal_id, current_user)
    browser = browser_terminal()
    works = browser.terminal is not None and browser.terminal.id == terminal.id
    return render_template(
        "terminals/registered.html",
        terminal=terminal,
        works=works,
        secure_cookie=bool(current_app.config["SESSION_COOKIE_SECURE"]),
    )


@bp.route("/<int:terminal_id>/unregister", methods=["GET", "POST"])
def unregister(terminal_id: int):
    terminal = get_in_centre_or_404(Terminal, terminal_id, current_user)
    if terminal.token_hash is None:
        flash(_("Terminal %(code)s is not registered.", code=terminal.code), "info")
        return redirect(url_for("terminals.overview"))
    form = ReasonForm()
    browser = browser_terminal()
    is_this_browser = browser.terminal is not None and browser.terminal.id == terminal.id
    if form.validate_on_submit():
        unregister_terminal(actor_from(current_user), terminal, form.reason.data.strip())
        db.session.commit()
        flash(
            _(
                "Terminal %(code)s is unregistered: candidates can no longer sign in on it.",
                code=terminal.code,
            ),
            "success",
        )
        response = redirect(url_for("terminals.overview"))
        if is_this_browser:
            _clear_terminal_cookie(response)
        return response
    return render_template(
        "terminals/unregister.html", form=form, terminal=terminal, is_this_browser=is_this_browser
    )


@bp.route("/sign-out", methods=["POST"])
def sign_out_to_start_page():
    """Sign the administrator out and leave the machine on the terminal's start page."""
    logout_user()
    session.clear()  # and no flash message: the start page is left clean for candidates
    return redirect(url_for("auth.terminal_login"))
