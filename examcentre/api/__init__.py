"""The JSON API, /api/v1: sessions, enrolment and check-in, described by an OpenAPI document.

- ``sessions.py``: the endpoints, the role gate (``ENDPOINT_ROLES``) and the CSRF check.
- ``stations.py``: simulator stations post their runs (HMAC-signed, no session).
- ``hub.py``: the authority hub ingests centres' results batches (Ed25519-signed, no session).
- ``validation.py``: reading request bodies; every problem is reported with its JSON path.
- ``errors.py``: the one error shape, ``{"error", "message", "errors": [{"path", "message"}]}``.
- ``openapi.yaml``: the OpenAPI 3.1 document, served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import document, errors, hub, sessions, stations, terminal  # noqa: E402, F401  (they attach to bp)

errors.init_errors(bp)
