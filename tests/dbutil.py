"""Test databases: a migrated template per test run, a fresh copy per test.

SQLite (default): the template file is migrated once and copied for every test.
PostgreSQL (EXAMCENTRE_TEST_DATABASE_URL=postgresql://...): a throwaway database is created
for the run, migrated once, and its tables are truncated before every test.
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, make_url, text

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def postgres_admin_url() -> str:
    url = os.environ.get("EXAMCENTRE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def require_postgres(admin_url: str):
    """An engine on the PostgreSQL server, or a skip (locally) / a failure (CI=true)."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        engine.dispose()
        message = f"PostgreSQL is not reachable at {admin_url}: {error}"
        if on_ci():
            pytest.fail(message + " (CI=true: a PostgreSQL test fails rather than skips)")
        pytest.skip(message)
    return engine


def create_scratch_postgres(admin_url: str) -> tuple[str, callable]:
    """Create an empty database for this run; return its URL and a function that drops it."""
    admin = require_postgres(admin_url)
    name = f"examcentre_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop
