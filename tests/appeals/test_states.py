"""The appeal life cycle, the four-eyes rule and the deadlines (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from examcentre.appeals import states
from examcentre.appeals.states import CaseFacts, CaseRefused
from examcentre.workdays import WorkingCalendar

HANDLER, SUPERVISOR = 7, 8


def walk(valid: bool) -> list[str]:
    """Take every step a case of this validity goes through; return the states visited."""
    case = CaseFacts("received", None, None)
    visited = [case.state]
    plan = (
        [
            ("assess", SUPERVISOR),
            ("assign", SUPERVISOR),
            ("propose", HANDLER),
            ("approve", SUPERVISOR),
            ("answer", HANDLER),
            ("acknowledge", HANDLER),
            ("follow_up", HANDLER),
            ("close", SUPERVISOR),
        ]
        if valid
        else [
            ("assess", SUPERVISOR),
            ("answer", SUPERVISOR),
            ("acknowledge", SUPERVISOR),
            ("follow_up", SUPERVISOR),
            ("close", SUPERVISOR),
        ]
    )
    for action, actor in plan:
        target = states.next_state(case, action, actor_id=actor)
        case = CaseFacts(
            str(target),
            valid if action == "assess" else case.valid,
            HANDLER if action == "assign" else case.handler_id,
        )
        visited.append(case.state)
    return visited


def test_a_valid_case_goes_through_every_state():
    assert walk(True) == [str(s) for s in states.ORDER]


def test_an_invalid_case_is_answered_without_assignment():
    assert walk(False) == [
        "received",
        "assessed",
        "answered",
        "acknowledged",
        "followed_up",
        "closed",
    ]
    with pytest.raises(CaseRefused) as refused:
        states.next_state(CaseFacts("assessed", False, None), "assign", actor_id=SUPERVISOR)
    assert refused.value.code == "invalid_case"
    with pytest.raises(CaseRefused) as refused:
        states.next_state(CaseFacts("assessed", True, None), "answer", actor_id=SUPERVISOR)
    assert refused.value.code == "remedy_needed"


def test_the_handler_cannot_approve_their_own_remedy():
    proposed = CaseFacts("remedy_proposed", True, HANDLER)
    for action in ("approve", "send_back"):
        with pytest.raises(CaseRefused) as refused:
            states.next_state(proposed, action, actor_id=HANDLER)
        assert refused.value.code == "own_remedy"
    assert states.next_state(proposed, "approve", actor_id=SUPERVISOR) == "remedy_approved"
    assert states.next_state(proposed, "send_back", actor_id=SUPERVISOR) == "assigned"
    # ...and only the handler proposes.
    with pytest.raises(CaseRefused) as refused:
        states.next_state(CaseFacts("assigned", True, HANDLER), "propose", actor_id=SUPERVISOR)
    assert refused.value.code == "not_handler"


def test_steps_out_of_order_are_refused():
    for state, action in [
        ("received", "assign"),
        ("assigned", "answer"),
        ("answered", "close"),
        ("closed", "assess"),
        ("remedy_approved", "approve"),
    ]:
        with pytest.raises(CaseRefused) as refused:
            states.next_state(CaseFacts(state, True, HANDLER), action, actor_id=SUPERVISOR)
        assert refused.value.code == "not_allowed", (state, action)


def test_answer_deadline_skips_the_weekend_and_holidays():
    plain = WorkingCalendar()
    friday = date(2026, 12, 4)
    assert states.answer_due(friday, plain, 3) == date(2026, 12, 9)  # Wednesday
    assert states.answer_due(date(2026, 12, 5), plain, 3) == date(2026, 12, 9)  # Saturday
    assert states.answer_due(date(2026, 12, 7), plain, 3) == date(2026, 12, 10)  # Monday
    with_holiday = WorkingCalendar.from_config(holidays=["2026-12-07"])
    assert states.answer_due(friday, with_holiday, 3) == date(2026, 12, 10)
    make_up = WorkingCalendar.from_config(extra_working_days=["2026-12-05"])
    assert states.answer_due(friday, make_up, 3) == date(2026, 12, 8)


def test_overdue_from_the_day_after_the_due_day():
    due = date(2026, 12, 9)
    assert states.overdue("assigned", due, due, None) is None
    assert states.overdue("assigned", date(2026, 12, 10), due, None) == "answer"
    assert states.overdue("answered", date(2026, 12, 10), due, None) is None
    follow = states.followup_due(date(2026, 12, 9), 7)
    assert follow == date(2026, 12, 16)
    assert states.overdue("acknowledged", date(2026, 12, 16), due, follow) is None
    assert states.overdue("acknowledged", date(2026, 12, 17), due, follow) == "follow_up"
    assert states.overdue("closed", date(2027, 1, 30), due, follow) is None
