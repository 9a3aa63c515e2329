"""The OpenAPI 3.1 document (``openapi.yaml`` beside this file), served as JSON without sign-in."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import jsonify

from . import bp

DOCUMENT_PATH = Path(__file__).with_name("openapi.yaml")


@cache
def openapi_document() -> dict[str, Any]:
    """The parsed document (read once per process)."""
    with DOCUMENT_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@bp.get("/openapi.json", endpoint="openapi_document")
def serve_openapi_document():
    """Public, so that tools can read it: it describes the API, not any centre's data."""
    return jsonify(openapi_document())
