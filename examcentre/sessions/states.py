"""The life of an exam session (考试场次), as a state machine. Pure: no framework, no clock.

::

    scheduled ──> released ──> in_progress ──> closed
        │             │
        └──> cancelled <┘   (with a reason)

- ``scheduled``: being planned; the only state in which the session may be edited
  (date, times, room, item, roster, terminal assignment).
- ``released``: published to candidates (admission tickets issued). Editing is frozen once
  released, so that a printed ticket never disagrees with the session.
- ``in_progress``: the exam has started; check-in and answering happen here.
- ``closed``: over; results are final. Nothing leaves this state.
- ``cancelled``: called off before it started, always with a reason (kept for the audit
  log). Nothing leaves this state: a new session is scheduled instead.

The states and transitions are this project's design [INFERENCE]; the regulation
(TSG Z6001-2019) does not name session states. A session that has started cannot be
cancelled, because candidates have already sat (part of) it: it is closed and the sittings
are dealt with one by one.
"""

from __future__ import annotations

from enum import StrEnum


class SessionState(StrEnum):
    """Where an exam session is in its life; the values are what the database stores."""

    SCHEDULED = "scheduled"
    RELEASED = "released"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    CANCELLED = "cancelled"


ALLOWED: dict[SessionState, frozenset[SessionState]] = {
    SessionState.SCHEDULED: frozenset({SessionState.RELEASED, SessionState.CANCELLED}),
    SessionState.RELEASED: frozenset({SessionState.IN_PROGRESS, SessionState.CANCELLED}),
    SessionState.IN_PROGRESS: frozenset({SessionState.CLOSED}),
    SessionState.CLOSED: frozenset(),
    SessionState.CANCELLED: frozenset(),
}
"""For each state, the states it may move to. A state never moves to itself."""


class ForbiddenTransition(ValueError):
    """A move the state machine does not allow, e.g. ``closed -> scheduled``."""

    def __init__(self, current: SessionState, target: SessionState) -> None:
        allowed = ", ".join(sorted(ALLOWED[current])) or "none (final state)"
        super().__init__(
            f"An exam session cannot go from {current.value!r} to {target.value!r}; "
            f"allowed from {current.value!r}: {allowed}."
        )
        self.current = current
        self.target = target


class CancellationReasonRequired(ValueError):
    """Cancelling a session without saying why."""

    def __init__(self) -> None:
        super().__init__("Cancelling an exam session needs a reason.")


def check_transition(
    current: SessionState | str, target: SessionState | str, *, reason: str | None = None
) -> None:
    """Return if ``current -> target`` is allowed, else raise ``ForbiddenTransition``.

    Moving to ``cancelled`` also needs a non-blank ``reason``
    (``CancellationReasonRequired`` otherwise). Plain strings are accepted (as stored);
    an unknown state name raises ``ValueError``.
    """
    current_state = SessionState(current)
    target_state = SessionState(target)
    if target_state not in ALLOWED[current_state]:
        raise ForbiddenTransition(current_state, target_state)
    if target_state is SessionState.CANCELLED and not (reason and reason.strip()):
        raise CancellationReasonRequired()


def is_editable(state: SessionState | str) -> bool:
    """Whether the session's details may still change: only while ``scheduled``.

    Editing is frozen once released: tickets have gone out with these details.
    """
    return SessionState(state) is SessionState.SCHEDULED


def is_final(state: SessionState | str) -> bool:
    """Whether nothing can happen to the session any more (``closed`` or ``cancelled``)."""
    return not ALLOWED[SessionState(state)]
