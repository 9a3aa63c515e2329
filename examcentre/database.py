"""Engine set-up for the two supported databases: SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
import time
from functools import cache
from pathlib import Path

from flask import Flask
from sqlalchemy import bindparam, event, insert, inspect, make_url, update
from sqlalchemy.orm import attributes

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
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if not _in_memory(url):  # (an in-memory SQLite database has a pool of its own kind)
        options.setdefault("pool_size", int(app.config["DATABASE_POOL_SIZE"]))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if url.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        # Python-level wait for the lock, in seconds; PRAGMA busy_timeout below does the same
        # inside SQLite.
        connect_args.setdefault("timeout", app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000)
        connect_args.setdefault("factory", serialising_connection_class())
        options["connect_args"] = connect_args
        # A file does not drop the connection as a server can: no "SELECT 1" before every
        # request's first statement (PostgreSQL keeps the check: a restarted server).
        options["pool_pre_ping"] = False
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _in_memory(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def install_sqlite_pragmas(app: Flask) -> None:
    """WAL, foreign keys, a busy timeout and full fsync on every new SQLite connection."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.lock_timeout = busy_ms / 1000
        cursor = dbapi_connection.cursor()
        # WAL lets terminals read while one writer saves; readers never block the writer.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        # FULL: a saved answer is on disk before it is acknowledged, even on power loss.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()


# --- One writer at a time, queued rather than polled --------------------------------------
#
# SQLite admits one writer. A second one waits in SQLite's busy handler, which polls with
# sleeps of up to 100 ms: with a room of terminals saving at once, that polling (not the
# work) made the slowest saves wait seconds. So a connection queues before its first write
# statement: first for a lock shared by the threads of its process (handed over the moment
# the writer commits or rolls back), then for an flock on "<database>-writelock", shared
# with the other worker processes (polled every half millisecond, not every 100). Both are
# released at commit or rollback. Reads never queue (WAL: readers do not block the writer).

_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)
_POLL_SECONDS = 0.0005


def serialising_connection_class(lock: threading.Lock | None = None) -> type[sqlite3.Connection]:
    """A sqlite3 connection class whose connections share one write lock (one per engine)."""
    write_lock = lock or threading.Lock()

    class SerialisingCursor(sqlite3.Cursor):
        def execute(self, sql, parameters=(), /):
            self.connection.before_statement(sql)
            return super().execute(sql, parameters)

        def executemany(self, sql, seq_of_parameters, /):
            self.connection.before_statement(sql)
            return super().executemany(sql, seq_of_parameters)

    class SerialisingConnection(sqlite3.Connection):
        holds_write_lock = False
        lock_timeout = 10.0  # set from SQLITE_BUSY_TIMEOUT_MS on connect
        lock_file: int | None = None

        def __init__(self, database, *args, **kwargs):
            super().__init__(database, *args, **kwargs)
            name = str(database)
            if name and name != ":memory:" and not name.startswith("file:"):
                self.lock_file = os.open(f"{name}-writelock", os.O_RDWR | os.O_CREAT, 0o600)

        def cursor(self, factory=SerialisingCursor):
            return super().cursor(factory)

        # sqlite3's own shortcuts make a plain cursor in C, past cursor() above.
        def execute(self, sql, parameters=(), /):
            return self.cursor().execute(sql, parameters)

        def executemany(self, sql, seq_of_parameters, /):
            return self.cursor().executemany(sql, seq_of_parameters)

        def before_statement(self, sql: str) -> None:
            if self.holds_write_lock or not _WRITE.match(sql):
                return
            deadline = time.monotonic() + self.lock_timeout
            # As long as SQLite itself would wait (busy_timeout), then its error.
            if not write_lock.acquire(timeout=self.lock_timeout):
                raise sqlite3.OperationalError("database is locked")
            if self.lock_file is not None:
                while True:
                    try:
                        fcntl.flock(self.lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() > deadline:
                            write_lock.release()
                            raise sqlite3.OperationalError("database is locked") from None
                        time.sleep(_POLL_SECONDS)
            self.holds_write_lock = True

        def _release(self) -> None:
            if self.holds_write_lock:
                self.holds_write_lock = False
                if self.lock_file is not None:
                    fcntl.flock(self.lock_file, fcntl.LOCK_UN)
                write_lock.release()

        def commit(self):
            try:
                return super().commit()
            finally:
                self._release()

        def rollback(self):
            try:
                return super().rollback()
            finally:
                self._release()

        def close(self):
            try:
                return super().close()
            finally:
                self._release()
                if self.lock_file is not None:
                    os.close(self.lock_file)
                    self.lock_file = None

    return SerialisingConnection


def commit_keeping_loaded() -> None:
    """Commit the request's transaction without expiring what it has loaded.

    For a request that writes first and then renders what it wrote: a plain commit expires
    every loaded row, and the rendering would read each back (a query per row). The rows
    hold what this transaction wrote, so they are what the database now holds; what other
    transactions commit afterwards is not seen, as it was not seen before the commit.
    """
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


# --- Writes at once, past the unit of work ---------------------------------------------------
#
# At the start of an exam the whole room signs in and starts at once, and the ORM's flush
# (working out what changed, ordering it, building each statement) was a quarter of the
# sign-in's instructions (bench/request_cost.py --instructions). For the few writes of those
# two requests, a statement built once per table and columns is executed at once instead;
# what it wrote is set as the row's loaded state, so the page rendered afterwards shows it
# without reading it back (as ``commit_keeping_loaded``). A rollback expires every loaded
# row, these included, so nothing stale outlives a failed transaction.


@cache
def _update_by_id(mapper_class: type, columns: tuple[str, ...]):
    table = inspect(mapper_class).local_table
    # Parameters named apart from the columns: SQLAlchemy reserves a column's own name.
    new_values = {
        table.c[name]: bindparam(f"new_{name}", type_=table.c[name].type) for name in columns
    }
    return update(table).where(table.c.id == bindparam("row_id")).values(new_values)


def update_now(obj, **values) -> None:
    """``UPDATE`` ``obj``'s row (by id) with ``values`` now, and keep them as its loaded
    state. Only for a row already in the database, and only for plain columns."""
    db.session.connection().execute(
        _update_by_id(type(obj), tuple(values)),
        {"row_id": obj.id, **{f"new_{name}": value for name, value in values.items()}},
    )
    for name, value in values.items():
        attributes.set_committed_value(obj, name, value)


@cache
def _insert_into(mapper_class: type):
    return insert(inspect(mapper_class).local_table)


def insert_now(mapper_class: type, **values) -> None:
    """``INSERT`` a row of ``mapper_class`` now, with no object for it in the session: for
    append-only rows that the request does not read back. Every column without a database
    default must be given (the model's Python defaults still apply)."""
    db.session.connection().execute(_insert_into(mapper_class), values)
