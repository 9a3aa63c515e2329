"""The exam-session state machine: every allowed and every forbidden move."""

from __future__ import annotations

import itertools

import pytest

from examcentre.sessions.states import (
    ALLOWED,
    CancellationReasonRequired,
    ForbiddenTransition,
    SessionState,
    check_transition,
    is_editable,
    is_final,
)

S = SessionState
EXPECTED_ALLOWED = {
    (S.SCHEDULED, S.RELEASED),
    (S.SCHEDULED, S.CANCELLED),
    (S.RELEASED, S.IN_PROGRESS),
    (S.RELEASED, S.CANCELLED),
    (S.IN_PROGRESS, S.CLOSED),
}
ALL_PAIRS = list(itertools.product(S, S))


def test_the_table_is_exactly_the_designed_one():
    assert {(a, b) for a, targets in ALLOWED.items() for b in targets} == EXPECTED_ALLOWED
    assert set(ALLOWED) == set(S)


@pytest.mark.parametrize(("current", "target"), sorted(EXPECTED_ALLOWED))
def test_allowed_moves_pass(current, target):
    assert check_transition(current, target, reason="storm warning") is None


@pytest.mark.parametrize(("current", "target"), [p for p in ALL_PAIRS if p not in EXPECTED_ALLOWED])
def test_every_other_move_is_forbidden(current, target):
    with pytest.raises(ForbiddenTransition) as caught:
        check_transition(current, target, reason="any")
    assert caught.value.current is current
    assert caught.value.target is target


def test_forbidden_message_names_both_states_and_what_is_allowed():
    with pytest.raises(ForbiddenTransition) as caught:
        check_transition("closed", "scheduled")
    assert str(caught.value) == (
        "An exam session cannot go from 'closed' to 'scheduled'; "
        "allowed from 'closed': none (final state)."
    )
    with pytest.raises(ForbiddenTransition) as caught:
        check_transition(S.SCHEDULED, S.IN_PROGRESS)
    assert str(caught.value) == (
        "An exam session cannot go from 'scheduled' to 'in_progress'; "
        "allowed from 'scheduled': cancelled, released."
    )


@pytest.mark.parametrize("reason", [None, "", "   "])
@pytest.mark.parametrize("current", [S.SCHEDULED, S.RELEASED])
def test_cancelling_needs_a_reason(current, reason):
    with pytest.raises(CancellationReasonRequired):
        check_transition(current, S.CANCELLED, reason=reason)


def test_stored_strings_are_accepted_and_unknown_ones_refused():
    check_transition("released", "in_progress")
    with pytest.raises(ValueError, match="'paused' is not a valid SessionState"):
        check_transition("released", "paused")


@pytest.mark.parametrize("state", list(S))
def test_only_a_scheduled_session_is_editable(state):
    assert is_editable(state) is (state is S.SCHEDULED)
    assert is_editable(state.value) is (state is S.SCHEDULED)


@pytest.mark.parametrize("state", list(S))
def test_closed_and_cancelled_are_final(state):
    assert is_final(state) is (state in (S.CLOSED, S.CANCELLED))
