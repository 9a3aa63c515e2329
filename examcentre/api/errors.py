"""One error shape for the whole API, and the handlers that produce it.

Every refusal is ``{"error": code, "message": text, "errors": [{"path", "message"}]}``
(plus ``status``, as the app-wide handler in ``web/main.py`` sends for unknown /api/ paths).
``path`` is a JSON path into the request body (``$.terminals[1]``) or ``query.<name>`` for
a query parameter. Some errors add a key of their own (``findings``, ``reasons``).

Any error rolls the database session back: a request either writes everything or nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from ..extensions import db


class ApiError(Exception):
    """Raise from a view or the gate to answer with the API's error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: list[dict[str, str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = str(message)
        self.errors = errors or []
        self.extra = extra


def error_response(
    status: int, code: str, message: str, errors: list[dict[str, str]] | None = None, **extra: Any
):
    body = {"error": code, "message": str(message), "errors": errors or [], "status": status}
    body.update(extra)
    return jsonify(body), status


# HTTP errors raised by Flask, Flask-Login, Flask-WTF or abort(): a machine code and a
# message for each one the API can produce.
def _http_code_and_message(error: HTTPException) -> tuple[str, str]:
    if isinstance(error, CSRFError):
        return "csrf_failed", _(
            "The CSRF token is missing or invalid. Send it in the X-CSRFToken header"
            " (GET /api/v1/csrf-token)."
        )
    known = {
        400: ("bad_request", _("The request could not be understood")),
        401: ("unauthenticated", _("Sign in first.")),
        403: ("forbidden", _("You do not have access to this page")),
        404: ("not_found", _("The page or record does not exist, or it is not yours to see.")),
        405: ("method_not_allowed", _("This action is not allowed here")),
        415: ("unsupported_media_type", _("Send the request body as application/json.")),
        429: ("too_many_requests", _("Too many attempts")),
    }
    code = error.code or 500
    if code in known:
        return known[code]
    return "server_error" if code >= 500 else "http_error", error.name


def init_errors(bp: Blueprint) -> None:
    @bp.errorhandler(ApiError)
    def _api_error(error: ApiError):
        db.session.rollback()
        return error_response(error.status, error.code, error.message, error.errors, **error.extra)

    @bp.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        db.session.rollback()
        if error.code is None or error.code < 400:
            return error
        code, message = _http_code_and_message(error)
        response = error_response(error.code, code, message)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response[0].headers["Allow"] = ", ".join(error.valid_methods)
        return response
