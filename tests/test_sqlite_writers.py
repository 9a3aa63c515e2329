"""SQLite writers queue on a lock (per process) and an flock (across processes) instead of
polling SQLite's busy handler (examcentre/database.py)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from examcentre.database import serialising_connection_class


def connect(path, connection_class):
    connection = sqlite3.connect(path, factory=connection_class, timeout=0.05,
                                 check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "db.sqlite3")
    setup = sqlite3.connect(path)
    setup.execute("CREATE TABLE log (who TEXT)")
    setup.commit()
    setup.close()
    return path


@pytest.mark.parametrize("same_process", [True, False])
def test_a_second_writer_waits_for_the_first_to_commit(database, same_process):
    first_class = serialising_connection_class()
    # Another process has its own in-process lock: only the flock is shared.
    second_class = first_class if same_process else serialising_connection_class()
    first, second = connect(database, first_class), connect(database, second_class)
    second.lock_timeout = 30
    first.execute("INSERT INTO log VALUES ('first')")  # holds the write locks now
    assert first.holds_write_lock
    second_done = threading.Event()

    def write_second():
        second.execute("INSERT INTO log VALUES ('second')")
        second.commit()
        second_done.set()

    thread = threading.Thread(target=write_second)
    thread.start()
    # It cannot finish while the first writer holds the lock...
    assert not second_done.wait(0.3)
    first.execute("INSERT INTO log VALUES ('first again')")
    first.commit()
    assert not first.holds_write_lock
    thread.join(30)
    assert second_done.is_set()
    rows = [r[0] for r in first.execute("SELECT who FROM log ORDER BY rowid")]
    assert rows == ["first", "first again", "second"]


def test_a_writer_gives_up_as_sqlite_would(database):
    first = connect(database, serialising_connection_class())
    second = connect(database, serialising_connection_class())
    second.lock_timeout = 0.05
    first.execute("INSERT INTO log VALUES ('first')")
    assert first.holds_write_lock
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.execute("INSERT INTO log VALUES ('second')")
    assert not second.holds_write_lock and not second.in_transaction  # refused by the queue
    first.rollback()
    second.execute("INSERT INTO log VALUES ('second')")  # free again after the rollback
    second.commit()


def test_reads_do_not_queue(database):
    first = connect(database, serialising_connection_class())
    second = connect(database, serialising_connection_class())
    first.execute("INSERT INTO log VALUES ('first')")
    assert second.execute("SELECT COUNT(*) FROM log").fetchone() == (0,)  # WAL snapshot
    assert not second.holds_write_lock
    first.commit()
