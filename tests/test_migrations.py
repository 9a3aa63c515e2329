"""Migrations and models agree, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from examcentre.extensions import db

from . import dbutil
from .conftest import make_app


def assert_schema_matches_models(database_url: str) -> None:
    app = make_app(database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        assert differences == [], f"models and migrations differ: {differences}"
        # ...and the way back works too.
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        db.engine.dispose()


def test_sqlite_empty_database_upgrades_to_a_schema_matching_the_models(tmp_path):
    assert_schema_matches_models(f"sqlite:///{tmp_path / 'empty.sqlite3'}")


@pytest.mark.postgres
def test_postgresql_empty_database_upgrades_to_a_schema_matching_the_models():
    url, drop = dbutil.create_scratch_postgres(dbutil.postgres_admin_url())
    try:
        assert_schema_matches_models(url)
    finally:
        drop()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas apply to SQLite only")
    with db.engine.connect() as connection:
        pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == app.config["SQLITE_BUSY_TIMEOUT_MS"]
        assert pragma("synchronous") == 2  # FULL
