"""Engine set-up for the two supported databases: SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from sqlalchemy import event

from .extensions import db


def database_url(app: Flask) -> str:
    """The SQLAlchemy URL from DATABASE_URL, defaulting to SQLite in the instance folder."""
    url = app.config.get("DATABASE_URL") or app.config.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        return f"sqlite:///{Path(app.instance_path) / 'examcentre.sqlite3'}"
    # Plain postgresql:// (as libpq and most tools write it) means psycopg 3 here.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def configure_engine(app: Flask) -> None:
    url = database_url(app)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        connect_args = dict(options.get("connect_args") or {})
        # Python-level wait for the lock, in seconds; PRAGMA busy_timeout below does the same
        # inside SQLite.
        connect_args.setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
        options["connect_args"] = connect_args
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def install_sqlite_pragmas(app: Flask) -> None:
    """WAL, foreign keys, a busy timeout and full fsync on every new SQLite connection."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets terminals read while one writer saves; readers never block the writer.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        # FULL: a saved answer is on disk before it is acknowledged, even on power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()
