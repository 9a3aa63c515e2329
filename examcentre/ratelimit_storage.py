"""Sign-in limits shared by every server process on the machine: a limits storage in a
small SQLite file of its own.

The failed-sign-in limit (LOGIN_FAILURE_LIMIT) must hold across gunicorn's workers: with
``memory://`` each worker counts alone, and two workers would allow twice the attempts.
Redis would do, but a centre's exam server is one machine on a closed LAN, and the embedded
run must need nothing beside itself. So the counters live in ``instance/ratelimits.sqlite3``
(not the exam database: they are throwaway, need no migration and must not contend with the
answer saves). Only the fixed-window strategy (Flask-Limiter's default) is supported.

    RATELIMIT_STORAGE_URI = "examcentre-sqlite:///abs/path/ratelimits.sqlite3"
"""

from __future__ import annotations

import sqlite3
import threading
import time
from urllib.parse import urlparse

from limits.storage import Storage

SCHEME = "examcentre-sqlite"


class SQLiteFileStorage(Storage):
    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012 (the limits library's own declaration)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = urlparse(uri or "").path or ":memory:"
        self.local = threading.local()
        with self._connection() as connection:
            connection.execute(
                "CREATE TABLE IF NOT EXISTS counters"
                " (key TEXT PRIMARY KEY, value INTEGER NOT NULL, expires_at REAL NOT NULL)"
            )

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")  # counters, not records
            self.local.connection = connection
        return connection

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        now = time.time()
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            # A window that has ended starts again at ``amount``.
            (value,) = connection.execute(
                "INSERT INTO counters (key, value, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET"
                "  value = CASE WHEN expires_at <= ? THEN excluded.value"
                "               ELSE value + excluded.value END,"
                "  expires_at = CASE WHEN expires_at <= ? THEN excluded.expires_at"
                "                    ELSE expires_at END"
                " RETURNING value",
                (key, amount, now + expiry, now, now),
            ).fetchone()
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return value

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT value FROM counters WHERE key = ? AND expires_at > ?", (key, time.time())
        ).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute(
            "SELECT expires_at FROM counters WHERE key = ?", (key,)
        ).fetchone()
        return row[0] if row and row[0] > time.time() else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        connection = self._connection()
        count = connection.execute("SELECT COUNT(*) FROM counters").fetchone()[0]
        connection.execute("DELETE FROM counters")
        return count

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
