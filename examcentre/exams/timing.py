"""The exam clock, owned by the server (pure: times in, decisions out).

An attempt's life::

    ready ──start──> in_progress ──submit──> submitted
                        │    ^
                  pause │    │ resume (deadline moves on by the time paused)
                        v    │
                        paused ──submit (invigilator)──> submitted

- The deadline is fixed when the candidate first opens question 1: start + duration.
  It moves only by an invigilator's extension (with a reason) or by a pause.
- Saves are accepted until the deadline plus a grace period (default 60 s,
  ``ANSWER_GRACE_SECONDS``), which covers saves already in flight when time ran out.
  After that the attempt is overdue and is submitted automatically: by the scheduled job,
  by any request that touches it, and after a restart (the job runs at start-up).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class AttemptState(StrEnum):
    READY = "ready"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    SUBMITTED = "submitted"


def deadline_for(started_at: datetime, duration_seconds: int, extra_seconds: int = 0) -> datetime:
    return started_at + timedelta(seconds=duration_seconds + extra_seconds)


def remaining_seconds(
    state: str, deadline: datetime | None, paused_at: datetime | None, now: datetime, duration: int
) -> float:
    """Seconds left on the candidate's clock; frozen while paused, full before the start."""
    if state == AttemptState.READY or deadline is None:
        return float(duration)
    if state == AttemptState.SUBMITTED:
        return 0.0
    reference = paused_at if state == AttemptState.PAUSED and paused_at else now
    return max(0.0, (deadline - reference).total_seconds())


def accepts_answers(
    state: str, deadline: datetime | None, now: datetime, grace_seconds: int
) -> bool:
    """May a save be recorded now? Only while running, up to deadline + grace."""
    if state != AttemptState.IN_PROGRESS or deadline is None:
        return False
    return now <= deadline + timedelta(seconds=grace_seconds)


def is_overdue(state: str, deadline: datetime | None, now: datetime, grace_seconds: int) -> bool:
    """Running past deadline + grace: due for automatic submission. A paused attempt is not
    overdue (its clock is stopped)."""
    if state != AttemptState.IN_PROGRESS or deadline is None:
        return False
    return now > deadline + timedelta(seconds=grace_seconds)


def resumed_deadline(deadline: datetime, paused_at: datetime, now: datetime) -> datetime:
    """A pause does not cost the candidate time: the deadline moves on by the pause."""
    return deadline + max(timedelta(0), now - paused_at)
