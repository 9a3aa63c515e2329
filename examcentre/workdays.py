"""Working days: the calendar behind every "within N working days" deadline.

Pure. Used by appeal deadlines (answer within 3 working days) and the authority's reporting
deadline. China's public holidays move every year and some weekends become working days
(调休), so both lists are data from configuration (``HOLIDAYS``, ``EXTRA_WORKING_DAYS``),
not code: the centre enters the State Council's annual notice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class WorkingCalendar:
    """Monday to Friday, minus ``holidays``, plus ``extra_working_days`` (make-up weekends)."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def from_config(
        cls, holidays: Iterable[str | date] = (), extra_working_days: Iterable[str | date] = ()
    ) -> WorkingCalendar:
        """Build from ISO date strings (as configuration holds them) or dates."""

        def dates(values: Iterable[str | date]) -> frozenset[date]:
            return frozenset(v if isinstance(v, date) else date.fromisoformat(v) for v in values)

        return cls(dates(holidays), dates(extra_working_days))

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself does not count:
        received on Friday with 3 days to answer -> due the next Wednesday)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        remaining = days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count
