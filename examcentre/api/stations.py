"""/api/v1/stations: crane-simulator stations post their runs.

A station authenticates each request itself, with the ``X-Station-Timestamp`` and
``X-Station-Signature`` headers (HMAC-SHA256 over ``timestamp + "." + body`` with the
station's secret; ``practical/simulator.py``). No cookie session is read and no CSRF token
is needed: a cross-site form cannot set those headers, and a signed-in browser gains nothing
here. The endpoint is therefore in ``PUBLIC_ENDPOINTS`` (the session gate steps aside).

The checks, their order and their error codes are ``practical.stations.accept_run``'s. A
refused run stores nothing; a new run answers 201, an idempotent retry (same run id, same
payload) 200 with the stored result. ``examcentre station send`` is the reference client.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from ..clock import now_utc
from ..extensions import db
from ..models import SimulatorRun
from ..practical import stations as ops
from . import bp
from .errors import ApiError
from .validation import utc_iso

# A run is well under 2 KiB; anything this large is not one.
MAX_BODY_BYTES = 64 * 1024


def run_json(run: SimulatorRun) -> dict[str, Any]:
    """The stored run as the station sees it: its score on the sheet, and its mode."""
    return {
        "station": run.station.code,
        "run_id": run.run_id,
        "ticket": run.ticket.number,
        "scenario": {"id": run.scenario_id, "version": run.scenario_version},
        "mode": run.mode,
        "requested_mode": run.requested_mode,
        "sheet": {"id": run.sheet, "version": run.sheet_version, "content_hash": run.sheet_hash},
        "score": run.score,
        "received_at": utc_iso(run.received_at),
    }


def _accept(station_code: str, body: bytes) -> ops.RunOutcome:
    try:
        return ops.accept_run(
            station_code,
            request.headers.get(ops.TIMESTAMP_HEADER),
            request.headers.get(ops.SIGNATURE_HEADER),
            body,
            now_utc(),
        )
    except ops.RunRefused as refusal:
        db.session.rollback()
        ops.note_refusal(station_code, refusal)
        raise ApiError(refusal.status, refusal.code, str(refusal.message), refusal.errors) from None


@bp.post("/stations/<station_code>/runs")
def station_post_run(station_code: str):
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", _("The request body is too large."))
    if request.mimetype != "application/json":
        raise ApiError(
            415, "unsupported_media_type", _("Send the request body as application/json.")
        )
    body = request.get_data()
    try:
        outcome = _accept(station_code, body)
        db.session.commit()
    except IntegrityError:
        # The same run id arrived twice at once and the other request stored it first: this
        # one is now a retry (or a conflict), like any later one.
        db.session.rollback()
        outcome = _accept(station_code, body)
        db.session.commit()
    response = jsonify(run=run_json(outcome.run))
    response.status_code = 201 if outcome.created else 200
    return response
