"""Configuration layers and the instance folder."""

from __future__ import annotations

import stat

from examcentre import create_app
from examcentre.database import database_url


def test_layers_default_then_instance_file_then_environment(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("AUDIT_VERIFY_HOUR = 4\nSQLITE_BUSY_TIMEOUT_MS = 1234\n")
    monkeypatch.setenv("EXAMCENTRE_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("EXAMCENTRE_AUDIT_VERIFY_HOUR", "5")
    monkeypatch.setenv("EXAMCENTRE_SESSION_COOKIE_SECURE", "true")
    app = create_app()
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"  # default
    assert app.config["SQLITE_BUSY_TIMEOUT_MS"] == 1234  # instance/config.py
    assert app.config["AUDIT_VERIFY_HOUR"] == 5  # environment beats the file
    assert app.config["SESSION_COOKIE_SECURE"] is True  # parsed as JSON


def test_secret_key_is_generated_once_into_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMCENTRE_INSTANCE_PATH", str(tmp_path))
    first = create_app().config["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == first and len(first) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert create_app().config["SECRET_KEY"] == first


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMCENTRE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("EXAMCENTRE_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'examcentre.sqlite3'}"


def test_plain_postgresql_urls_select_psycopg3(tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMCENTRE_INSTANCE_PATH", str(tmp_path))
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": "postgresql://u@db:5432/exams"})
    assert database_url(app) == "postgresql+psycopg://u@db:5432/exams"


def test_each_process_keeps_a_connection_per_thread_and_the_scheduler(tmp_path, monkeypatch):
    """A busy moment must not open connections that are closed again when returned: the
    pool keeps DATABASE_POOL_SIZE, more than the embedded server's 8 threads per worker."""
    monkeypatch.setenv("EXAMCENTRE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("EXAMCENTRE_DATABASE_URL", raising=False)
    from examcentre.extensions import db

    for url in (None, "postgresql://u@db:5432/exams"):
        app = create_app({"SECRET_KEY": "x", "DATABASE_URL": url})
        assert app.config["DATABASE_POOL_SIZE"] == 10
        with app.app_context():
            assert db.engine.pool.size() == 10  # (no connection is opened to ask)
    app = create_app({"SECRET_KEY": "x", "DATABASE_POOL_SIZE": 3})
    with app.app_context():
        assert db.engine.pool.size() == 3
    # An in-memory database keeps its one connection per thread, as SQLAlchemy chooses.
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    with app.app_context():
        assert type(db.engine.pool).__name__ in ("SingletonThreadPool", "StaticPool")
