"""A throwaway PostgreSQL database for a benchmark run (EXAMCENTRE_TEST_POSTGRES_URL, the
tests' server by default), shared by the benchmarks in this folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

from sqlalchemy import create_engine, make_url, text


def scratch_postgres() -> tuple[str, Callable[[], None]]:
    """Create an empty database; return its URL and a function that drops it."""
    admin_url = os.environ.get(
        "EXAMCENTRE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ).replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"examcentre_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop
