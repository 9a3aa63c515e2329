"""Migrations and models agree, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

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


def assert_outcomes_backfilled(database_url: str) -> None:
    """Migration 0013 on a hub that already holds sittings: the four flags from the results
    (a simulator pass under a signed practical fail does not count; an absent candidate and
    an undecided run are not decided)."""
    app = make_app(database_url)
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as connection:
            run = lambda sql: connection.execute(text(sql))  # noqa: E731
            run(
                "INSERT INTO hub_centres (id, code, name, public_key, key_fingerprint,"
                " registered_at, registered_by) VALUES (1, 'C1', 'C1', '-', '0',"
                " '2026-11-24 00:00:00', 'tests')"
            )
            run(
                "INSERT INTO hub_batches (id, batch_id, hub_centre_id, centre_code, scope,"
                " session_ref, content_sha256, document, signature, key_fingerprint,"
                " created_at, received_at, received_via, receipt, current) VALUES (1, 'b1', 1,"
                " 'C1', 'session', 1, '0', '{}', '-', '0', '2026-11-24 00:00:00',"
                " '2026-11-24 00:00:00', 'file', '{}', true)"
            )
            for sitting, attendance in enumerate(("checked_in",) * 3 + ("absent",), start=1):
                run(
                    "INSERT INTO hub_sittings (id, hub_batch_id, centre_code, session_ref, item,"
                    f" starts_at, ticket, id_number, name, attendance) VALUES ({sitting}, 1,"
                    f" 'C1', 1, 'Q1', '2026-11-23 01:00:00', 'T{sitting}', '{sitting:018d}',"
                    f" 'x', '{attendance}')"
                )
            results = [
                (1, "theory", "true"),
                (1, "simulator", "true"),
                (1, "practical", "false"),
                (2, "theory", "false"),
                (2, "simulator", "true"),
                (3, "simulator", "null"),
            ]
            for n, (sitting, subject, passed) in enumerate(results, start=1):
                run(
                    "INSERT INTO hub_subject_results (id, hub_batch_id, sitting_id, centre_code,"
                    f" item, starts_at, subject, score, total, passed, details) VALUES ({n}, 1,"
                    f" {sitting}, 'C1', 'Q1', '2026-11-23 01:00:00', '{subject}', 50, 100,"
                    f" {passed}, '{{}}')"
                )
        upgrade()
        with db.engine.connect() as connection:
            flags = connection.execute(
                text(
                    "SELECT theory_decided, theory_passed, practical_decided, practical_passed"
                    " FROM hub_sittings ORDER BY id"
                )
            ).all()
        assert [tuple(bool(v) for v in row) for row in flags] == [
            (True, True, True, False),
            (True, False, True, True),
            (False, False, False, False),
            (False, False, False, False),
        ]
        # And back, with the data in place (ALTER TABLE, no copy of the table).
        downgrade(revision="0012")
        columns = {c["name"] for c in inspect(db.engine).get_columns("hub_sittings")}
        assert "seq" in columns and not columns & {"theory_decided", "practical_passed"}
        db.engine.dispose()


def test_sqlite_migration_0013_backfills_the_outcome_flags(tmp_path):
    assert_outcomes_backfilled(f"sqlite:///{tmp_path / 'hub.sqlite3'}")


@pytest.mark.postgres
def test_postgresql_migration_0013_backfills_the_outcome_flags():
    url, drop = dbutil.create_scratch_postgres(dbutil.postgres_admin_url())
    try:
        assert_outcomes_backfilled(url)
    finally:
        drop()
