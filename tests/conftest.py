from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from flask import g
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from examcentre import create_app
from examcentre.extensions import db

from . import dbutil
from .factories import Factory

TEST_DATABASE_URL = os.environ.get("EXAMCENTRE_TEST_DATABASE_URL")


def make_app(database_url: str, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    config.update(overrides)
    app = create_app(config)

    @app.before_request
    def _forget_the_previous_request() -> None:
        # Tests keep one app context open across requests (so they can use db.session),
        # and Flask-Login caches the signed-in user on `g`, which lives as long as that
        # context: without this, one test client's user would be seen by the next client.
        # In production every request has its own app context.
        g.pop("_login_user", None)
        g.pop("csrf_token", None)  # Flask-WTF keeps the request's token there too

    return app


def migrate_to_head(database_url: str) -> None:
    app = make_app(database_url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    """A database migrated to head once per run: a SQLite file, or a PostgreSQL database."""
    if TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgres"):
        url, drop = dbutil.create_scratch_postgres(
            TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        )
        migrate_to_head(url)
        yield url
        drop()
        return
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    migrate_to_head(f"sqlite:///{path}")
    yield path


def _fresh_database(template, tmp_path: Path) -> str:
    if isinstance(template, Path):
        copy = tmp_path / "examcentre.sqlite3"
        shutil.copyfile(template, copy)
        return f"sqlite:///{copy}"
    engine = create_engine(template)
    with engine.begin() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'alembic_version'"
                )
            )
        ]
        # TRUNCATE does not fire the append-only row triggers: this is test set-up, not
        # tampering.
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        connection.execute(
            text("INSERT INTO audit_chain_head (id, seq, last_hash) VALUES (1, 0, :h)"),
            {"h": "0" * 64},
        )
        # A tamper test drops the append-only trigger; every test starts with it in place.
        connection.execute(
            text(
                "CREATE OR REPLACE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE"
                " ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
            )
        )
    engine.dispose()
    return template


@pytest.fixture
def database_url(template_database, tmp_path) -> str:
    return _fresh_database(template_database, tmp_path)


@pytest.fixture
def app(database_url):
    app = make_app(database_url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app) -> Factory:
    return Factory()


@pytest.fixture
def login_as(client, make):
    """Sign a test client in as a new account of the given role (or a candidate ticket)."""

    def _login(role: str, centre=None, test_client=None):
        test_client = test_client or client
        if role == "candidate":
            ticket = make.ticket(centre=centre)
            make.at_terminal(test_client, ticket.terminal_id)
            response = test_client.post(
                "/auth/terminal",
                data={"ticket_number": ticket.number, "id_number": ticket.candidate.id_number},
            )
            # The sign-in answers with the exam page itself (no redirect).
            assert response.status_code == 200, response.get_data(as_text=True)
            assert 'id="exam-app"' in response.get_data(as_text=True)
            return ticket
        user = make.user(role, centre=centre)
        response = test_client.post(
            "/auth/login", data={"username": user.username, "password": Factory.PASSWORD}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login


def pytest_collection_modifyitems(config, items):
    """Mark the tests that never touch the test database ``nodb`` (pure logic, config,
    files): CI runs them once, and runs only the database-touching rest again on
    PostgreSQL, where running pure code a second time would prove nothing."""
    for item in items:
        touches_db = "database_url" in getattr(item, "fixturenames", ())
        if not touches_db and item.get_closest_marker("postgres") is None:
            item.add_marker(pytest.mark.nodb)
