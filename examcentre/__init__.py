"""examcentre: the platform a crane-operator examination centre runs on every exam day."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from .config import DefaultConfig


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: config -> extensions -> auth -> blueprints -> cli.

    Never runs migrations and never starts the scheduler: ``examcentre db upgrade`` and
    ``examcentre jobs run`` (or ``examcentre serve``) do those, once, in one process.
    """
    # EXAMCENTRE_INSTANCE_PATH moves instance/ (database, secret key, generated files), e.g.
    # to a data disk; by default it is ./instance beside the code.
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("EXAMCENTRE_INSTANCE_PATH") or None,
    )
    _configure(app, test_config)
    # JSON responses as UTF-8 text, keys in the order they were built: a 100-question paper
    # in Chinese is half the bytes without \uXXXX escapes, and sorting every object's keys
    # was work on every response of the exam's API.
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    from . import database, ratelimit_storage  # noqa: F401 (registers the limits storage)
    from .extensions import babel, csrf, db, limiter, login_manager, migrate

    database.configure_engine(app)
    db.init_app(app)
    database.install_sqlite_pragmas(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)

    from . import i18n

    babel.init_app(app, locale_selector=i18n.select_locale)
    i18n.init_app(app)

    from .auth import init_auth

    init_auth(app)

    from .web import register_blueprints

    register_blueprints(app)

    from .cli import register_commands

    register_commands(app)
    return app


def _configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_object(DefaultConfig)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("EXAMCENTRE")
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        from .ratelimit_storage import SCHEME

        path = Path(app.instance_path) / "ratelimits.sqlite3"
        app.config["RATELIMIT_STORAGE_URI"] = f"{SCHEME}://{path}"


def _instance_secret_key(instance: Path) -> str:
    """The key in instance/secret_key, created with owner-only permissions on first run."""
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
