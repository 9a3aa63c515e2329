"""Retakes of the practical at enrolment, and the combined result, at their boundaries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from examcentre.audit.operations import Actor
from examcentre.extensions import db
from examcentre.practical import operations as practical
from examcentre.sessions import operations as sessions

from ..factories import TEST_ACTOR, valid_id_number
from .practicaldata import DAY, enrol, examiners, plan, records, theory_passed
from .test_examiner_sheets import full_marks

ID = valid_id_number(sequence=321)
SETTINGS = practical.Settings()


def far_inspection(document) -> None:
    document["equipment"][0]["next_inspection_due"] = "2030-01-01"


@pytest.fixture
def centre_and_examiners(app, make):
    centre = make.centre()
    records(centre, far_inspection)
    return centre, examiners(make, centre)


def sitting(centre, users, starts_at, *, outcome: str, id_number: str = ID):
    """A closed practical session on ``starts_at`` where the candidate passed, failed
    (both examiners 50) or was absent."""
    session = sessions.create_session(TEST_ACTOR, centre, plan(users, starts_at=starts_at))
    db.session.commit()
    ticket = enrol(session, id_number=id_number, requires_theory_pass=False)
    sessions.change_state(TEST_ACTOR, session, "released", on=starts_at.date())
    if outcome == "absent":
        sessions.record_attendance(TEST_ACTOR, ticket, "absent")
    else:
        entries = full_marks()
        if outcome == "failed":
            entries["part_identification"] = {"grades": {c: "wrong" for c in (
                "hook", "buffer", "wheel", "rail_sweeper", "rope_clips")}}
            entries["emergency_scenario"] = {"grades": {"power_loss": "wrong"}}
        for n, user in enumerate(users):
            actor = Actor("user", user.id, user.username, user.centre_id)
            row = practical.start_sheet(actor, user, ticket)
            for task, entry in entries.items():
                if outcome == "disagreed" and n == 1 and task == "part_identification":
                    entry = {"grades": {c: "wrong" for c in entry["grades"]}}  # 30 apart
                practical.save_task(actor, user, row, task, entry)
            practical.sign_sheet(actor, user, row, starts_at, SETTINGS)
    sessions.change_state(TEST_ACTOR, session, "in_progress", on=starts_at.date())
    sessions.change_state(TEST_ACTOR, session, "closed", on=starts_at.date())
    db.session.commit()
    return ticket


def try_enrol(centre, users, starts_at) -> list[str]:
    """Reason codes refusing ``ID`` in a new session on ``starts_at`` ([] = enrolled)."""
    session = sessions.create_session(TEST_ACTOR, centre, plan(users, starts_at=starts_at))
    db.session.commit()
    try:
        enrol(session, id_number=ID, requires_theory_pass=False)
    except sessions.SessionError as error:
        db.session.rollback()
        return [str(getattr(d, "code", d)) for d in error.details]
    return []


@pytest.mark.parametrize(
    ("later", "codes"),
    [
        (timedelta(hours=5), ["retake_same_day"]),
        (timedelta(days=1), []),
        (timedelta(days=365), []),
        (timedelta(days=366), ["retake_window_passed"]),
    ],
)
def test_a_failed_practical_allows_one_retake_not_the_same_day_within_365_days(
    centre_and_examiners, later, codes
):
    centre, users = centre_and_examiners
    failed = sitting(centre, users, DAY, outcome="failed")
    assert practical.newest_result(failed).passed is False
    assert practical.newest_result(failed).score_text == "50"
    assert try_enrol(centre, users, DAY + later) == codes


@pytest.mark.parametrize(("window", "codes"), [(30, ["retake_window_passed"]), (31, [])])
def test_the_configured_retake_window_applies_to_every_way_of_enrolling(
    app, centre_and_examiners, window, codes
):
    """Roster import, the API and the CLI pass no window: the setting decides."""
    centre, users = centre_and_examiners
    app.config["PRACTICAL_RETAKE_WINDOW_DAYS"] = window
    sitting(centre, users, DAY, outcome="failed")
    assert try_enrol(centre, users, DAY + timedelta(days=31)) == codes


def test_the_theory_first_setting_applies_when_the_caller_passes_none(app, centre_and_examiners):
    centre, users = centre_and_examiners
    session = sessions.create_session(TEST_ACTOR, centre, plan(users, starts_at=DAY))
    db.session.commit()
    with pytest.raises(sessions.SessionError) as refused:
        enrol(session, id_number=ID)
    db.session.rollback()
    assert "theory_not_passed" in [str(getattr(d, "code", d)) for d in refused.value.details]
    app.config["PRACTICAL_REQUIRES_THEORY_PASS"] = False
    assert enrol(session, id_number=ID).session_id == session.id


def test_a_second_retake_is_refused(centre_and_examiners):
    centre, users = centre_and_examiners
    sitting(centre, users, DAY, outcome="failed")
    retake = sitting(centre, users, DAY + timedelta(days=2), outcome="failed")
    assert practical.newest_result(retake).sitting == 2
    assert try_enrol(centre, users, DAY + timedelta(days=4)) == ["retakes_used_up"]


def test_a_practical_awaiting_the_lead_is_pending_even_after_closing(centre_and_examiners):
    centre, users = centre_and_examiners
    ticket = sitting(centre, users, DAY, outcome="disagreed")
    assert practical.newest_result(ticket) is None
    assert try_enrol(centre, users, DAY + timedelta(days=3)) == ["pending_result"]


def test_absence_fails_with_no_retake(centre_and_examiners):
    centre, users = centre_and_examiners
    sitting(centre, users, DAY, outcome="absent")
    assert try_enrol(centre, users, DAY + timedelta(days=3)) == ["absent_no_retake"]


def test_a_passed_practical_is_not_sat_again(centre_and_examiners):
    centre, users = centre_and_examiners
    sitting(centre, users, DAY, outcome="passed")
    assert try_enrol(centre, users, DAY + timedelta(days=3)) == ["already_passed"]


@pytest.mark.parametrize(
    ("theory", "practical_outcome", "passed"),
    [(70, "passed", True), (69.5, "passed", False), (82, "failed", False)],
)
def test_the_combined_result_needs_both_subjects(app, make, theory, practical_outcome, passed):
    centre = make.centre()
    records(centre, far_inspection)
    users = examiners(make, centre)
    theory_ticket = theory_passed(make, centre, score=theory, passed=theory >= 70)
    sitting(centre, users, DAY, outcome=practical_outcome,
            id_number=theory_ticket.candidate.id_number)
    history, combined = practical.candidate_history(
        theory_ticket.candidate, theory_ticket.item, SETTINGS
    )
    assert [(r.subject, r.sitting) for r in history] == [("theory", 1), ("practical", 1)]
    assert combined.passed is passed
    assert set(history[1].examiners) == {u.display_name for u in users}


def test_an_absent_practical_shows_no_retake_on_the_record(centre_and_examiners):
    centre, users = centre_and_examiners
    ticket = sitting(centre, users, DAY, outcome="absent")
    history, combined = practical.candidate_history(ticket.candidate, ticket.item, SETTINGS)
    assert history[0].absent and combined.practical.outcome == "absent"
    assert combined.practical.retake_refusal == "absent_no_retake"
