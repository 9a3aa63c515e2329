"""The hash-chained audit log: appends chain, tampering is found, the database refuses edits."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from examcentre.audit.operations import SYSTEM, record, verify_chain
from examcentre.extensions import db
from examcentre.models import GENESIS_HASH, AuditEntry


def append(n: int) -> list[AuditEntry]:
    entries = [record(SYSTEM, "test.event", details={"n": i}, reason=f"r{i}") for i in range(n)]
    db.session.commit()
    return entries


def drop_append_only_triggers() -> None:
    """What a determined tamperer with database access would do first."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER audit_entries_no_update"))
        db.session.execute(text("DROP TRIGGER audit_entries_no_delete"))
    else:
        db.session.execute(text("DROP TRIGGER audit_entries_append_only ON audit_entries"))
    db.session.commit()


def test_entries_form_a_chain_from_genesis(app):
    entries = append(3)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    report = verify_chain()
    assert report.intact and report.entries_checked == 3


def test_database_refuses_to_update_or_delete_an_entry(app):
    append(2)
    with pytest.raises(DatabaseError):
        db.session.execute(text("UPDATE audit_entries SET reason = 'x' WHERE seq = 1"))
    db.session.rollback()
    with pytest.raises(DatabaseError):
        db.session.execute(text("DELETE FROM audit_entries WHERE seq = 2"))
    db.session.rollback()
    assert verify_chain().intact


@pytest.mark.parametrize(
    ("tamper", "first_broken", "problem"),
    [
        ("UPDATE audit_entries SET reason = 'nothing to see' WHERE seq = 3", 3, "hash"),
        ("UPDATE audit_entries SET details = '[99]' WHERE seq = 2", 2, "hash"),
        ("UPDATE audit_entries SET actor_label = 'someone else' WHERE seq = 4", 4, "hash"),
        ("DELETE FROM audit_entries WHERE seq = 2", 2, "gap"),
        ("DELETE FROM audit_entries WHERE seq = 5", 5, "head"),
    ],
)
def test_verify_finds_the_first_broken_link_after_tampering(app, tamper, first_broken, problem):
    append(5)
    drop_append_only_triggers()
    db.session.execute(text(tamper))
    db.session.commit()
    report = verify_chain()
    assert not report.intact
    assert (report.first_break.seq, report.first_break.problem) == (first_broken, problem)
    assert report.entries_checked == first_broken - 1


def test_rewriting_a_whole_tail_consistently_is_still_caught_by_the_head(app):
    from examcentre.audit.chain import entry_hash
    from examcentre.audit.operations import content_of

    append(3)
    drop_append_only_triggers()
    last = db.session.scalar(select(AuditEntry).where(AuditEntry.seq == 3))
    last.reason = "rewritten"
    last.hash = entry_hash(last.prev_hash, content_of(last))
    db.session.commit()
    report = verify_chain()
    assert not report.intact and report.first_break.problem == "head"


def test_cli_verify_exits_nonzero_and_names_the_entry(app, runner):
    append(4)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    drop_append_only_triggers()
    db.session.execute(text("UPDATE audit_entries SET action = 'x' WHERE seq = 2"))
    db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN at entry 2" in result.output


def test_operations_are_audited_with_actor_object_and_reason(client, login_as, make):
    admin = login_as("centre_admin")
    examiner = make.user("examiner", centre=admin.centre)
    client.post(f"/centre/users/{examiner.id}/disable", data={"reason": "left the centre"})
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.disable")).one()
    assert (entry.actor_label, entry.object_type, entry.object_id, entry.reason) == (
        admin.username,
        "users",
        str(examiner.id),
        "left the centre",
    )
    assert entry.centre_id == admin.centre_id
    assert verify_chain().intact
