"""The working-day engine on the rules users complain about."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leaveflow_requests.domain.errors import InvalidRequest
from leaveflow_requests.domain.working_days import count_working_days


@pytest.mark.parametrize(
    ("start", "end", "start_part", "end_part", "amount", "days"),
    [
        # Mon-Fri of one week
        (date(2026, 3, 2), date(2026, 3, 6), "full", "full", "5", 5),
        # Fri to Mon skips the weekend
        (date(2026, 3, 6), date(2026, 3, 9), "full", "full", "2", 2),
        # afternoon of the first day, morning of the last
        (date(2026, 3, 2), date(2026, 3, 4), "pm", "am", "2", 3),
        # a one-day morning
        (date(2026, 3, 3), date(2026, 3, 3), "am", "full", "0.5", 1),
        (date(2026, 3, 3), date(2026, 3, 3), "pm", "full", "0.5", 1),
        # a half day that falls on a weekend counts nothing
        (date(2026, 3, 7), date(2026, 3, 9), "pm", "full", "1", 1),
    ],
)
def test_counts_working_days_and_halves(start, end, start_part, end_part, amount, days):
    counted = count_working_days(start, end, start_part=start_part, end_part=end_part)
    assert counted.amount == Decimal(amount)
    assert len(counted.days) == days


def test_a_holiday_counts_nothing():
    counted = count_working_days(
        date(2026, 12, 24), date(2026, 12, 28), holidays={date(2026, 12, 25)}
    )
    assert [d.isoformat() for d in counted.days] == ["2026-12-24", "2026-12-28"]


def test_sunday_to_thursday_work_week():
    counted = count_working_days(date(2026, 3, 6), date(2026, 3, 8), workweek={7, 1, 2, 3, 4})
    assert counted.days == (date(2026, 3, 8),)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2026, 3, 5), date(2026, 3, 4), "end_date"),
        (date(2026, 3, 7), date(2026, 3, 8), "start_date"),  # only a weekend
        (date(2026, 1, 1), date(2027, 1, 2), "end_date"),  # 367 days
    ],
)
def test_rejects_impossible_ranges(start, end, field):
    with pytest.raises(InvalidRequest) as info:
        count_working_days(start, end)
    assert info.value.field == field


def test_multi_day_request_cannot_start_in_the_morning_only():
    with pytest.raises(InvalidRequest):
        count_working_days(date(2026, 3, 2), date(2026, 3, 3), start_part="am")


starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(start=starts, length=st.integers(min_value=0, max_value=120))
def test_amount_never_exceeds_calendar_days(start, length):
    end = start + timedelta(days=length)
    try:
        counted = count_working_days(start, end)
    except InvalidRequest:
        assert all((start + timedelta(days=i)).isoweekday() > 5 for i in range(length + 1))
        return
    assert counted.amount <= length + 1
    assert all(d.isoweekday() <= 5 for d in counted.days)


@given(start=starts, length=st.integers(min_value=1, max_value=60), cut=st.integers(0, 59))
def test_splitting_a_range_keeps_the_amount(start, length, cut):
    end = start + timedelta(days=length)
    middle = start + timedelta(days=min(cut, length - 1))

    def amount(a: date, b: date) -> Decimal:
        try:
            return count_working_days(a, b).amount
        except InvalidRequest:
            return Decimal(0)

    assert amount(start, end) == amount(start, middle) + amount(middle + timedelta(days=1), end)
