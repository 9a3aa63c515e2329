"""Signing in, roles, and the scoped getters that keep each centre's records its own."""

from __future__ import annotations

from flask import Flask

from .roles import init_roles
from .views import bp


def init_auth(app: Flask) -> None:
    init_roles(app)
    app.register_blueprint(bp)
