"""Two examiners score independently; signed sheets and results never change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy.exc
from sqlalchemy import text

from examcentre.audit.operations import Actor
from examcentre.extensions import db
from examcentre.models import AuditEntry, ExaminerSheet, PracticalResult
from examcentre.practical import operations as practical
from examcentre.practical.scoring import EntryError
from examcentre.sessions import operations as sessions

from ..factories import TEST_ACTOR
from .practicaldata import enrol, practical_session

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
SETTINGS = practical.Settings()


def full_marks() -> dict:
    """Entries that score 100 on Q2-PRACTICAL v1 (every task, no deduction)."""
    return {
        "part_identification": {"grades": {c: "correct" for c in (
            "hook", "buffer", "wheel", "rail_sweeper", "rope_clips")}},
        "obstacle_run": {"counts": {"bump": 0, "knock_down": 0, "stop": 0, "spill": 0},
                         "time_seconds": 200, "severe": None},
        "fixed_point_drop": {"zone": "inner"},
        "handling": {"items": {c: True for c in (
            "bell", "smooth", "steady_hook", "no_limit_stop", "no_three_mechanisms")}},
        "emergency_scenario": {"grades": {"power_loss": "correct"}},
    }  # fmt: skip


def actor(user) -> Actor:
    return Actor("user", user.id, user.username, user.centre_id)


def score(user, ticket, entries: dict, vetoes=()) -> ExaminerSheet:
    row = practical.start_sheet(actor(user), user, ticket)
    for task, entry in entries.items():
        practical.save_task(actor(user), user, row, task, entry)
    for code in vetoes:
        practical.set_veto(actor(user), user, row, code, "吊物从人员头顶越过")
    db.session.commit()
    return row


@pytest.fixture
def scene(app, make):
    session, users = practical_session(make)
    ticket = enrol(session, requires_theory_pass=False)
    session.state = "released"
    db.session.commit()
    return session, users, ticket


def test_close_totals_give_the_mean_and_sheets_stay_private_until_both_sign(scene):
    _session, (first, second), ticket = scene
    a = score(first, ticket, full_marks())
    entries = full_marks()
    entries["obstacle_run"]["counts"]["bump"] = 2  # -4
    entries["fixed_point_drop"] = {"zone": "middle"}  # -6: 90, a difference of 10 (agreed)
    b = score(second, ticket, entries)
    assert ticket.attendance == "checked_in"  # the examiner saw the candidate
    assert practical.sign_sheet(actor(first), first, a, NOW, SETTINGS) is None
    db.session.commit()
    # The second examiner still sees only their own sheet.
    assert [s.id for s in practical.visible_sheets(second, ticket)] == [b.id]
    result = practical.sign_sheet(actor(second), second, b, NOW, SETTINGS)
    db.session.commit()
    assert result is not None and result.version == 1
    assert result.score_text == "95" and result.passed and result.status == "agreed"
    assert result.mode == "real" and result.sitting == 1
    assert {e["username"] for e in result.examiners} == {first.username, second.username}
    assert len(result.content_sha256) == 64
    assert {s.id for s in practical.visible_sheets(second, ticket)} == {a.id, b.id}


def test_more_than_the_threshold_goes_to_the_lead_with_a_reason(scene):
    _session, (lead, other), ticket = scene
    a = score(lead, ticket, full_marks())
    entries = full_marks()
    entries["obstacle_run"]["counts"]["knock_down"] = 3  # -15: 85, a difference of 15
    b = score(other, ticket, entries)
    practical.sign_sheet(actor(lead), lead, a, NOW, SETTINGS)
    assert practical.sign_sheet(actor(other), other, b, NOW, SETTINGS) is None
    db.session.commit()
    state = practical.standing(ticket, SETTINGS)
    assert state.reconciliation.status == "needs_lead" and state.result is None
    with pytest.raises(practical.PracticalError):
        practical.decide(actor(other), other, ticket, score=90, reason="x", vetoes=[], now=NOW,
                         settings=SETTINGS)  # fmt: skip
    with pytest.raises(practical.PracticalError):
        practical.decide(actor(lead), lead, ticket, score=90, reason=" ", vetoes=[], now=NOW,
                         settings=SETTINGS)  # fmt: skip
    result = practical.decide(actor(lead), lead, ticket, score="88.5", reason="复看录像：倒杆2次",
                              vetoes=[], now=NOW, settings=SETTINGS)  # fmt: skip
    db.session.commit()
    assert result.status == "lead_decided" and result.score_text == "88.5"
    assert result.reason == "复看录像：倒杆2次" and result.lead == lead.display_name


def test_exactly_the_threshold_is_still_agreed():
    from examcentre.practical.results import reconcile

    assert reconcile(80, 70, threshold=10).score == 75
    assert reconcile(80.5, 70, threshold=10).status == "needs_lead"


def test_a_veto_fails_whatever_the_points(scene):
    _session, (first, second), ticket = scene
    a = score(first, ticket, full_marks(), vetoes=["lift_over_person"])
    b = score(second, ticket, full_marks(), vetoes=["lift_over_person"])
    practical.sign_sheet(actor(first), first, a, NOW, SETTINGS)
    result = practical.sign_sheet(actor(second), second, b, NOW, SETTINGS)
    assert result.score_text == "100" and result.passed is False
    assert result.vetoes == ["lift_over_person"]


def test_a_veto_needs_a_note_and_bad_entries_name_their_path(scene):
    _session, (first, _second), ticket = scene
    row = practical.start_sheet(actor(first), first, ticket)
    with pytest.raises(practical.PracticalError) as refused:
        practical.set_veto(actor(first), first, row, "lift_over_person", "  ")
    assert refused.value.field == "note"
    with pytest.raises(EntryError) as bad:
        practical.save_task(actor(first), first, row, "obstacle_run",
                            {"counts": {"bump": -1}, "time_seconds": 10, "severe": None})
    assert any(p.path.startswith("$.entries.obstacle_run.counts") for p in bad.value.problems)
    with pytest.raises(practical.PracticalError):
        practical.sign_sheet(actor(first), first, row, NOW, SETTINGS)  # tasks missing


def test_signed_sheets_are_immutable_even_to_raw_sql_and_amendments_are_versions(scene):
    _session, (first, second), ticket = scene
    a = score(first, ticket, full_marks())
    practical.sign_sheet(actor(first), first, a, NOW, SETTINGS)
    db.session.commit()
    with pytest.raises(practical.PracticalError):
        practical.save_task(actor(first), first, a, "fixed_point_drop", {"zone": "outer"})
    for statement in ("UPDATE examiner_sheets SET total = 1 WHERE id = :id",
                      "DELETE FROM examiner_sheets WHERE id = :id"):  # fmt: skip
        with pytest.raises(sqlalchemy.exc.DatabaseError):
            db.session.execute(text(statement), {"id": a.id})
        db.session.rollback()
    assert db.session.get(ExaminerSheet, a.id).total == 100
    # A draft is still editable by SQL (the trigger guards signed rows only).
    b = score(second, ticket, full_marks())
    db.session.execute(text("UPDATE examiner_sheets SET total = 1 WHERE id = :id"), {"id": b.id})
    db.session.rollback()
    result = practical.sign_sheet(actor(second), second, b, NOW, SETTINGS)
    db.session.commit()
    for statement in ("UPDATE practical_results SET score = 1 WHERE id = :id",
                      "DELETE FROM practical_results WHERE id = :id"):  # fmt: skip
        with pytest.raises(sqlalchemy.exc.DatabaseError):
            db.session.execute(text(statement), {"id": result.id})
        db.session.rollback()
    # Amend: a new draft version with a reason, audited; signing it makes result version 2.
    with pytest.raises(practical.PracticalError):
        practical.amend_sheet(actor(first), first, a, " ")
    amended = practical.amend_sheet(actor(first), first, a, "漏记一次碰杆")
    practical.save_task(actor(first), first, amended, "obstacle_run",
                        {"counts": {"bump": 1, "knock_down": 0, "stop": 0, "spill": 0},
                         "time_seconds": 200, "severe": None})  # fmt: skip
    second_result = practical.sign_sheet(actor(first), first, amended, NOW, SETTINGS)
    db.session.commit()
    assert amended.version == 2 and a.signed and db.session.get(ExaminerSheet, a.id).total == 100
    assert second_result.version == 2 and second_result.score_text == "99"
    assert db.session.get(PracticalResult, result.id).score == 100
    amend_entry = db.session.query(AuditEntry).filter_by(action="examiner_sheet.amend").one()
    assert amend_entry.reason == "漏记一次碰杆"


def test_a_conflicted_or_unassigned_examiner_cannot_score(scene, make):
    _session, (first, _second), ticket = scene
    practical.declare_conflict(TEST_ACTOR, first, ticket.candidate, "own_trainee", None)
    with pytest.raises(practical.PracticalError):
        practical.start_sheet(actor(first), first, ticket)
    stranger = make.user("examiner", centre=ticket.centre)
    with pytest.raises(practical.PracticalError):
        practical.start_sheet(actor(stranger), stranger, ticket)


def test_an_absent_candidate_is_not_scored(scene):
    _session, (first, _second), ticket = scene
    sessions.record_attendance(TEST_ACTOR, ticket, "absent")
    with pytest.raises(practical.PracticalError):
        practical.start_sheet(actor(first), first, ticket)
