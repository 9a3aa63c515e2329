"""POST /api/v1/hub/batches: the authority hub ingests a centre's signed results batch.

Authenticated by the batch's Ed25519 signature alone, against the public key registered for
the centre the batch names (``transmission.hub.ingest``): no cookie session is read and no
CSRF token is needed, so the endpoint is in ``PUBLIC_ENDPOINTS``. Why that is safe:

- the signature, not the caller, is what the hub trusts: a batch relayed by anyone (a proxy,
  a USB stick, an attacker replaying it) is the centre's batch or is refused;
- a forged cross-site request can only carry a batch some centre signed, and a duplicate is
  a no-op that returns the original receipt;
- a browser signed in as authority staff is still refused by the app-wide read-only rule
  (``auth.roles``): authority staff never write, not even here.

Only an install in authority-hub mode (``HUB_MODE``) answers; elsewhere this is a 404.
A refused batch stores nothing (not even an audit entry); the refusal is logged.
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..clock import now_utc
from ..extensions import db
from ..transmission import hub
from . import bp
from .errors import ApiError

# A session of a few hundred candidates is well under 1 MiB; a period batch may be larger.
MAX_BODY_BYTES = 32 * 1024 * 1024


def _ingest(body: bytes) -> hub.IngestOutcome:
    try:
        return hub.ingest(body, "https", now_utc())
    except hub.Refused as refusal:
        db.session.rollback()
        current_app.logger.warning(
            "hub refused a batch from %s: %s %s",
            request.remote_addr,
            refusal.code,
            refusal.message,
        )
        raise ApiError(refusal.status, refusal.code, refusal.message, refusal.errors()) from None


@bp.post("/hub/batches")
def hub_ingest_batch():
    if not current_app.config.get("HUB_MODE"):
        abort(404)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", _("The request body is too large."))
    if request.mimetype != "application/json":
        raise ApiError(
            415, "unsupported_media_type", _("Send the request body as application/json.")
        )
    # Also for a chunked body, which has no Content-Length: reading past this is a 413.
    request.max_content_length = MAX_BODY_BYTES
    body = request.get_data()
    try:
        outcome = _ingest(body)
        db.session.commit()
    except IntegrityError:
        # The same batch arrived twice at once and the other request stored it first: this
        # one is now a duplicate (or a conflict), like any later one.
        db.session.rollback()
        outcome = _ingest(body)
        db.session.commit()
    response = jsonify(receipt=outcome.batch.receipt, duplicate=not outcome.created)
    response.status_code = 201 if outcome.created else 200
    return response
