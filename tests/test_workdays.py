from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from examcentre.workdays import WorkingCalendar

FRIDAY = date(2026, 12, 4)


def test_three_working_days_from_friday_skip_the_weekend():
    assert WorkingCalendar().add_working_days(FRIDAY, 3) == date(2026, 12, 9)


def test_received_on_saturday_counts_from_monday():
    assert WorkingCalendar().add_working_days(date(2026, 12, 5), 1) == date(2026, 12, 7)


def test_holidays_are_skipped_and_make_up_weekends_count():
    calendar = WorkingCalendar.from_config(
        holidays=["2026-12-07", "2026-12-08"], extra_working_days=["2026-12-05"]
    )
    assert calendar.add_working_days(FRIDAY, 1) == date(2026, 12, 5)
    assert calendar.add_working_days(FRIDAY, 2) == date(2026, 12, 9)


def test_zero_days_is_the_same_day_and_negative_is_refused():
    assert WorkingCalendar().add_working_days(FRIDAY, 0) == FRIDAY
    with pytest.raises(ValueError):
        WorkingCalendar().add_working_days(FRIDAY, -1)


def test_working_days_between():
    calendar = WorkingCalendar()
    assert calendar.working_days_between(FRIDAY, date(2026, 12, 9)) == 3
    assert calendar.working_days_between(date(2026, 12, 9), FRIDAY) == 0


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)),
       st.integers(min_value=0, max_value=40))
def test_between_inverts_add(start, days):
    calendar = WorkingCalendar()
    assert calendar.working_days_between(start, calendar.add_working_days(start, days)) == days
