"""Writes at once, past the ORM's unit of work (``database.update_now``, ``insert_now``): the
sign-in and the start write their rows this way, and what they wrote must be what the
request then shows, what the database holds after the commit, and nothing after a
rollback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select

from examcentre.database import insert_now, update_now
from examcentre.extensions import db
from examcentre.models import Alert, Terminal

SEEN = datetime(2026, 11, 23, 1, 2, 3, tzinfo=UTC)


@pytest.fixture
def statements(app):
    """The first word of every statement sent to the database, in order."""
    log: list[str] = []

    def note(_conn, _cursor, sql, *_args):
        log.append(sql.lstrip().split()[0].upper())

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        yield log
        event.remove(db.engine, "before_cursor_execute", note)


def test_update_now_writes_at_once_and_keeps_what_it_wrote_as_loaded(app, make, statements):
    terminal = make.terminal(make.centre())
    assert terminal.last_seen_at is None  # loaded again after the factory's commit
    statements.clear()

    update_now(terminal, last_seen_at=SEEN)

    assert statements == ["UPDATE"]  # now, not at the flush
    assert terminal.last_seen_at == SEEN  # read without a query...
    assert statements == ["UPDATE"]
    assert terminal not in db.session.dirty  # ...and nothing left for the flush to write
    db.session.commit()
    assert "UPDATE" not in statements[1:]
    db.session.expire_all()
    stored = db.session.scalar(select(Terminal.last_seen_at).where(Terminal.id == terminal.id))
    assert stored == SEEN


def test_a_rollback_undoes_update_now_and_the_row_is_read_again(app, make):
    terminal = make.terminal(make.centre())
    assert terminal.last_seen_at is None

    update_now(terminal, last_seen_at=SEEN)
    assert terminal.last_seen_at == SEEN
    db.session.rollback()

    assert terminal.last_seen_at is None


def test_insert_now_writes_a_row_with_the_models_defaults_and_no_object(app, make, statements):
    centre_id = make.centre().id
    statements.clear()

    insert_now(Alert, centre_id=centre_id, kind="test", level="warn",
               message="测试", message_en="A test")

    assert statements == ["INSERT"]
    assert not db.session.new
    db.session.commit()
    alert = db.session.scalar(select(Alert).where(Alert.centre_id == centre_id))
    assert (alert.kind, alert.message, alert.message_en) == ("test", "测试", "A test")
    assert alert.created_at is not None  # the model's Python default (utcnow) applied
