"""Pages for everyone: the front door, the language switcher, health, errors, headers."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from ..auth.views import current_terminal, home_url_for
from ..extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    # A registered exam terminal opens on its own start page, not the staff sign-in.
    if current_terminal() is not None:
        return redirect(url_for("auth.terminal_login"))
    return redirect(url_for("auth.login"))


@bp.route("/lang/<code>")
def set_language(code: str):
    """Switch the interface language; back to the page the person was on."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.args.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)


@bp.route("/healthz")
def healthz():
    """For the centre's monitoring: is the app up and can it reach its database?"""
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        database = "unreachable"
    status = 200 if database == "ok" else 503
    return jsonify(status="ok" if status == 200 else "degraded", database=database), status


def init_app(app: Flask) -> None:
    @app.after_request
    def _security_headers(response):
        # Everything is served from this host: no CDN, no inline script, no framing.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        titles = {
            400: _("The request could not be understood"),
            403: _("You do not have access to this page"),
            404: _("Page not found"),
            405: _("This action is not allowed here"),
            429: _("Too many attempts"),
            500: _("Server error"),
        }
        explanations = {
            400: _("The form may have expired. Go back, reload the page and try again."),
            403: _(
                "Your role does not include this area. Sign in with another account"
                " or go back to your home page."
            ),
            404: _("The page or record does not exist, or it is not yours to see."),
            429: _(
                "Too many failed sign-ins from here for this account (limit: %(limit)s)."
                " Wait and try again, or ask your centre administrator.",
                limit=error.description,
            ),
            500: _(
                "Something went wrong on the server. Nothing you saved has been lost;"
                " try again, and tell the centre administrator if it happens again."
            ),
        }
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            return jsonify(error=error.name, status=error.code), error.code
        return render_template(
            "error.html",
            code=error.code,
            title=titles.get(error.code, error.name),
            explanation=explanations.get(error.code, ""),
        ), error.code
