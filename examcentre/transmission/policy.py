"""When a batch is due and when a failed delivery is tried again (pure).

Plain values in and out: the calendar and the clock are parameters.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..workdays import WorkingCalendar


def due_on(
    session_end: datetime, timezone: str, working_days: int, calendar: WorkingCalendar
) -> date:
    """The reporting deadline: ``working_days`` working days after the day (centre local
    time) the session ended. Ended on Friday with 5 days -> due the next Friday."""
    local_day = session_end.astimezone(ZoneInfo(timezone)).date()
    return calendar.add_working_days(local_day, working_days)


def is_overdue(due: date, today: date, delivered_on: date | None = None) -> bool:
    """Overdue: not delivered by the end of the due day (or delivered after it)."""
    if delivered_on is not None:
        return delivered_on > due
    return today > due


def retry_delay(attempts: int, base_seconds: int, max_seconds: int) -> timedelta:
    """Exponential backoff after the ``attempts``-th failure: base, 2 base, 4 base... capped.

    No jitter: one centre has one outbox, so there is no herd of clients to spread out.
    """
    if attempts < 1:
        raise ValueError("attempts starts at 1")
    exponent = min(attempts - 1, 32)  # 2**32 * base is past any cap; keeps the int small
    return timedelta(seconds=min(base_seconds * 2**exponent, max_seconds))
