"""Appeals and complaints: the case life cycle and its deadlines. Pure.

The closed loop of complaint handling [REPORTED: the documented practice of examination
bodies, as summarised in issue 10; the regulation (shared/spec/regulation-zh.md) names no
appeal procedure, so the steps are the centre's own]:

    received -> assessed (valid or not, with the reason)
             -> assigned (to a handler)            [valid cases]
             -> remedy_proposed (by the handler)
             -> remedy_approved (by a supervisor who is not the handler)
             -> answered                            [an invalid case is answered at once]
             -> acknowledged (by the candidate)
             -> followed_up
             -> closed

A proposed remedy can also be sent back (remedy_proposed -> assigned) by the supervisor.

Deadlines:
- the answer is due ``answer_days`` working days after the day of receipt (default 3,
  ``APPEAL_ANSWER_WORKING_DAYS``; weekends, holidays and make-up days from
  ``workdays.WorkingCalendar``); received on a Friday -> due the next Wednesday;
- the follow-up is due ``followup_days`` calendar days after the answer (default 7,
  ``APPEAL_FOLLOWUP_DAYS``): the issue says "within M days of closing"; the answer is what
  closes the complaint for the candidate, and the follow-up comes before the case is closed
  [INFERENCE].
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from ..workdays import WorkingCalendar


class CaseState(StrEnum):
    RECEIVED = "received"
    ASSESSED = "assessed"
    ASSIGNED = "assigned"
    REMEDY_PROPOSED = "remedy_proposed"
    REMEDY_APPROVED = "remedy_approved"
    ANSWERED = "answered"
    ACKNOWLEDGED = "acknowledged"
    FOLLOWED_UP = "followed_up"
    CLOSED = "closed"


class CaseType(StrEnum):
    SCORE_THEORY = "score_theory"
    SCORE_PRACTICAL = "score_practical"
    CONDUCT = "conduct"
    OTHER = "other"


OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "invalid")
C = CaseState
ORDER = tuple(CaseState)
# action -> (the state it starts from, the state it leads to)
ACTIONS: dict[str, tuple[CaseState, CaseState]] = {
    "assess": (C.RECEIVED, C.ASSESSED),
    "assign": (C.ASSESSED, C.ASSIGNED),
    "propose": (C.ASSIGNED, C.REMEDY_PROPOSED),
    "approve": (C.REMEDY_PROPOSED, C.REMEDY_APPROVED),
    "send_back": (C.REMEDY_PROPOSED, C.ASSIGNED),
    "answer": (C.REMEDY_APPROVED, C.ANSWERED),
    "acknowledge": (C.ANSWERED, C.ACKNOWLEDGED),
    "follow_up": (C.ACKNOWLEDGED, C.FOLLOWED_UP),
    "close": (C.FOLLOWED_UP, C.CLOSED),
}
OPEN_BEFORE_ANSWER = frozenset(
    {C.RECEIVED, C.ASSESSED, C.ASSIGNED, C.REMEDY_PROPOSED, C.REMEDY_APPROVED}
)


class CaseRefused(ValueError):
    """A step that may not be taken; ``code`` is stable, ``field`` names the form field."""

    def __init__(self, code: str, field: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass(frozen=True, slots=True)
class CaseFacts:
    state: str
    valid: bool | None
    handler_id: int | None


def next_state(case: CaseFacts, action: str, *, actor_id: int | None) -> CaseState:
    """Where ``action`` by ``actor_id`` takes the case, or ``CaseRefused``.

    - an invalid case skips assignment and remedy: it is answered from ``assessed``;
    - a valid case must be assigned before it can be answered;
    - the remedy is proposed by the handler and approved (or sent back) by someone else:
      four eyes, the handler never approves their own remedy.
    """
    if action == "answer" and case.state == C.ASSESSED:
        if case.valid is False:
            return C.ANSWERED
        raise CaseRefused(
            "remedy_needed", "action", "a valid case is answered after its remedy is approved"
        )
    if action not in ACTIONS:
        raise CaseRefused("unknown_action", "action", f"unknown action {action!r}")
    source, target = ACTIONS[action]
    if case.state != source:
        raise CaseRefused("not_allowed", "action", f"cannot {action} a case that is {case.state}")
    if action == "assign" and case.valid is not True:
        raise CaseRefused("invalid_case", "action", "an invalid case is not assigned")
    if action == "propose" and actor_id != case.handler_id:
        raise CaseRefused("not_handler", "remedy", "only the assigned handler proposes the remedy")
    if action in ("approve", "send_back") and actor_id == case.handler_id:
        raise CaseRefused("own_remedy", "action", "the handler cannot approve their own remedy")
    return target


def actions_for(case: CaseFacts) -> list[str]:
    """The actions the case's state allows (who may take them is checked on the way)."""
    out = [a for a, (source, _t) in ACTIONS.items() if source == case.state]
    if case.state == C.ASSESSED:
        out = ["answer"] if case.valid is False else ["assign"]
    return out


def answer_due(received_on: date, calendar: WorkingCalendar, working_days: int = 3) -> date:
    return calendar.add_working_days(received_on, working_days)


def followup_due(answered_on: date, days: int = 7) -> date:
    return answered_on + timedelta(days=days)


def overdue(
    state: str,
    today: date,
    answer_due_on: date,
    followup_due_on: date | None,
) -> str | None:
    """ "answer" or "follow_up" when that deadline has passed (the due day itself is not
    late), else None."""
    if state in OPEN_BEFORE_ANSWER and today > answer_due_on:
        return "answer"
    if (
        state in (C.ANSWERED, C.ACKNOWLEDGED)
        and followup_due_on is not None
        and today > followup_due_on
    ):
        return "follow_up"
    return None
