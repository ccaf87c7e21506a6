"""The working-day engine on the rules users complain about, over real holiday calendars.

Every expected amount below was counted by hand on a calendar; none comes from the library.
"""

# fixed-clock: pure functions of the dates given (no clock)

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from leaveflow_requests.domain.errors import InvalidRequest
from leaveflow_requests.domain.holiday_calendar import HolidayCalendar
from leaveflow_requests.domain.work_schedule import WorkSchedule
from leaveflow_requests.domain.working_days import count_hours, count_working_days

BY = HolidayCalendar("DE", "BY")
BE = HolidayCalendar("DE", "BE")
US = HolidayCalendar("US")
US_CA = HolidayCalendar("US", "CA")
GB_SCT = HolidayCalendar("GB", "SCT")
GB_ENG = HolidayCalendar("GB", "ENG")
IL = HolidayCalendar("IL")
BE_COMPANY = HolidayCalendar(
    "DE",
    "BE",
    extra_holidays=[(date(2026, 12, 24), "Christmas Eve"), (date(2026, 12, 31), "New Year's Eve")],
)
SUN_TO_THU = frozenset({7, 1, 2, 3, 4})
# Mon 8h, Tue 8h, Wed 4h, Thu 0h, Fri 0h on an 8-hour day
PART_TIME = WorkSchedule(
    pattern={1: Decimal(8), 2: Decimal(8), 3: Decimal(4), 4: Decimal(0), 5: Decimal(0)}
)
FULL_TIME = WorkSchedule()
SETTINGS = settings(max_examples=60, deadline=None)


def d(text: str) -> date:
    return date.fromisoformat(text)


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
        (date(2026, 3, 3), date(2026, 3, 3), "am", "am", "0.5", 1),
        # a half day that falls on a weekend counts nothing
        (date(2026, 3, 7), date(2026, 3, 9), "pm", "full", "1", 1),
    ],
)
def test_counts_working_days_and_halves(
    start: Any, end: Any, start_part: Any, end_part: Any, amount: Any, days: Any
) -> None:
    counted = count_working_days(start, end, start_part=start_part, end_part=end_part)
    assert counted.amount == Decimal(amount)
    assert len(counted.days) == days


def test_a_holiday_counts_nothing() -> None:
    counted = count_working_days(
        date(2026, 12, 24), date(2026, 12, 28), holidays={date(2026, 12, 25)}
    )
    assert [d.isoformat() for d in counted.days] == ["2026-12-24", "2026-12-28"]


def test_sunday_to_thursday_work_week() -> None:
    counted = count_working_days(date(2026, 3, 6), date(2026, 3, 8), workweek={7, 1, 2, 3, 4})
    assert counted.days == (date(2026, 3, 8),)


@pytest.mark.parametrize(
    ("calendar", "schedule", "start", "end", "parts", "amount", "days"),
    [
        # Corpus Christi, Thu 2026-06-04: a holiday in Bavaria, a working day in Berlin
        (BY, FULL_TIME, "2026-06-01", "2026-06-05", ("full", "full"), "4", "1 2 3 5"),
        (BE, FULL_TIME, "2026-06-01", "2026-06-05", ("full", "full"), "5", "1 2 3 4 5"),
        (BY, FULL_TIME, "2026-06-04", "2026-06-05", ("pm", "full"), "1", "5"),
        (BE, FULL_TIME, "2026-06-04", "2026-06-05", ("pm", "full"), "1.5", "4 5"),
        # Ascension, Thu 2026-05-14, in both
        (BY, FULL_TIME, "2026-05-11", "2026-05-15", ("full", "full"), "4", "11 12 13 15"),
        (BE, FULL_TIME, "2026-05-11", "2026-05-15", ("full", "full"), "4", "11 12 13 15"),
        # four weeks: BY loses Ascension, Whit Monday (05-25) and Corpus Christi; BE two
        (BY, FULL_TIME, "2026-05-11", "2026-06-05", ("full", "full"), "17", None),
        (BE, FULL_TIME, "2026-05-11", "2026-06-05", ("full", "full"), "18", None),
        # Assumption Day, Fri 2025-08-15: Bavaria only
        (BY, FULL_TIME, "2025-08-11", "2025-08-15", ("full", "full"), "4", "11 12 13 14"),
        (BE, FULL_TIME, "2025-08-11", "2025-08-15", ("full", "full"), "5", "11 12 13 14 15"),
        (BE, FULL_TIME, "2025-08-14", "2025-08-15", ("pm", "am"), "1", "14 15"),
        # International Women's Day, Mon 2027-03-08: Berlin only
        (BE, FULL_TIME, "2027-03-08", "2027-03-12", ("full", "full"), "4", "9 10 11 12"),
        (BY, FULL_TIME, "2027-03-08", "2027-03-12", ("full", "full"), "5", "8 9 10 11 12"),
        # Thanksgiving Thu 2026-11-26; California also closes the day after
        (US, FULL_TIME, "2026-11-23", "2026-11-27", ("full", "full"), "4", "23 24 25 27"),
        (US_CA, FULL_TIME, "2026-11-23", "2026-11-27", ("full", "full"), "3", "23 24 25"),
        # Independence Day on Sat 2026-07-04 is observed on Fri 07-03
        (US, FULL_TIME, "2026-06-29", "2026-07-03", ("full", "full"), "4", "29 30 1 2"),
        # Christmas 2021 (Sat) observed Fri 12-24, New Year 2022 (Sat) observed Fri 12-31
        (US, FULL_TIME, "2021-12-24", "2021-12-31", ("full", "full"), "4", "27 28 29 30"),
        # St Andrew's Day, Mon 2026-11-30: Scotland, not England
        (GB_SCT, FULL_TIME, "2026-11-30", "2026-12-04", ("full", "full"), "4", "1 2 3 4"),
        (GB_ENG, FULL_TIME, "2026-11-30", "2026-12-04", ("full", "full"), "5", "30 1 2 3 4"),
        # Christmas Fri 12-25, Boxing Day Sat 12-26 observed on Mon 12-28
        (GB_SCT, FULL_TIME, "2026-12-24", "2026-12-31", ("pm", "full"), "3.5", "24 29 30 31"),
        # Sun-Thu: Israel; Yom Kippur Mon 2026-09-21
        (
            IL,
            WorkSchedule.of(SUN_TO_THU),
            "2026-09-20",
            "2026-09-26",
            ("full", "full"),
            "4",
            "20 22 23 24",
        ),
        # a custom Sun-Thu week in Berlin around Ascension (Thu 2026-05-14)
        (
            BE,
            WorkSchedule.of(SUN_TO_THU),
            "2026-05-09",
            "2026-05-16",
            ("full", "full"),
            "4",
            "10 11 12 13",
        ),
        # company days off: Christmas Eve and New Year's Eve on top of Berlin's holidays
        (BE, FULL_TIME, "2026-12-21", "2027-01-01", ("full", "full"), "8", None),
        (
            BE_COMPANY,
            FULL_TIME,
            "2026-12-21",
            "2027-01-01",
            ("full", "full"),
            "6",
            "21 22 23 28 29 30",
        ),
        # part-time Mon 8 / Tue 8 / Wed 4 / Thu 0 / Fri 0
        (None, PART_TIME, "2026-03-02", "2026-03-06", ("full", "full"), "2.5", "2 3 4"),
        (None, PART_TIME, "2026-03-04", "2026-03-04", ("am", "full"), "0.25", "4"),
        (None, PART_TIME, "2026-03-04", "2026-03-04", ("pm", "full"), "0.25", "4"),
        (None, PART_TIME, "2026-03-02", "2026-03-04", ("pm", "am"), "1.75", "2 3 4"),
        (None, PART_TIME, "2026-03-03", "2026-03-09", ("full", "am"), "2", "3 4 9"),
        # Whit Monday 2026-05-25 takes the part-timer's full Monday
        (BY, PART_TIME, "2026-05-25", "2026-05-29", ("full", "full"), "1.5", "26 27"),
        # Corpus Christi falls on the part-timer's day off anyway
        (BY, PART_TIME, "2026-06-01", "2026-06-05", ("full", "full"), "2.5", "1 2 3"),
        # 6h of a 7.5h day
        (
            None,
            WorkSchedule(
                hours_per_day=Decimal("7.5"), pattern=dict.fromkeys(range(1, 6), Decimal(6))
            ),
            "2026-03-02",
            "2026-03-06",
            ("pm", "full"),
            "3.6",
            None,
        ),
    ],
)
def test_real_calendars(
    calendar: Any, schedule: Any, start: Any, end: Any, parts: Any, amount: Any, days: Any
) -> None:
    counted = count_working_days(
        d(start),
        d(end),
        start_part=parts[0],
        end_part=parts[1],
        schedule=schedule,
        holidays=calendar if calendar is not None else (),
    )
    assert counted.amount == Decimal(amount)
    if days is not None:
        assert [day.day for day in counted.days] == [int(n) for n in days.split()]


@pytest.mark.parametrize(
    ("calendar", "schedule", "start", "end", "field"),
    [
        (BY, FULL_TIME, "2025-08-15", "2025-08-15", "start_date"),  # Assumption Day
        (BY, FULL_TIME, "2026-06-04", "2026-06-04", "start_date"),  # Corpus Christi
        (GB_SCT, FULL_TIME, "2026-12-25", "2026-12-28", "start_date"),  # Christmas + weekend
        (IL, WorkSchedule.of(SUN_TO_THU), "2026-09-18", "2026-09-19", "start_date"),  # Fri-Sat
        (BE_COMPANY, FULL_TIME, "2026-12-24", "2026-12-25", "start_date"),
        (None, PART_TIME, "2026-03-05", "2026-03-08", "start_date"),  # Thu-Sun, all 0 hours
        (None, FULL_TIME, "2026-03-05", "2026-03-04", "end_date"),
        (None, FULL_TIME, "2026-01-01", "2027-01-02", "end_date"),  # 367 days
    ],
)
def test_real_calendars_reject(
    calendar: Any, schedule: Any, start: Any, end: Any, field: Any
) -> None:
    with pytest.raises(InvalidRequest) as info:
        count_working_days(
            d(start), d(end), schedule=schedule, holidays=calendar if calendar else ()
        )
    assert info.value.field == field


def test_a_full_leap_year_is_allowed() -> None:
    counted = count_working_days(d("2028-01-01"), d("2028-12-31"))
    assert counted.amount == 260  # 366 days, 2028 starts on a Saturday: 52 weeks + Sat, Sun


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2026, 3, 5), date(2026, 3, 4), "end_date"),
        (date(2026, 3, 7), date(2026, 3, 8), "start_date"),  # only a weekend
        (date(2026, 1, 1), date(2027, 1, 2), "end_date"),  # 367 days
    ],
)
def test_rejects_impossible_ranges(start: Any, end: Any, field: Any) -> None:
    with pytest.raises(InvalidRequest) as info:
        count_working_days(start, end)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("start", "end", "start_part", "end_part", "field"),
    [
        (date(2026, 3, 2), date(2026, 3, 3), "am", "full", "start_part"),
        (date(2026, 3, 2), date(2026, 3, 3), "full", "pm", "end_part"),
        (date(2026, 3, 2), date(2026, 3, 2), "am", "pm", "end_part"),
        (date(2026, 3, 2), date(2026, 3, 2), "evening", "full", "start_part"),
    ],
)
def test_rejects_impossible_parts(
    start: Any, end: Any, start_part: Any, end_part: Any, field: Any
) -> None:
    with pytest.raises(InvalidRequest) as info:
        count_working_days(start, end, start_part=start_part, end_part=end_part)
    assert info.value.field == field


def test_schedule_and_workweek_are_exclusive() -> None:
    with pytest.raises(TypeError):
        count_working_days(d("2026-03-02"), d("2026-03-02"), workweek={1}, schedule=FULL_TIME)


@pytest.mark.parametrize(
    ("day", "hours", "schedule", "calendar", "amount"),
    [
        ("2026-03-02", "8", FULL_TIME, None, "8"),
        ("2026-03-02", "0.25", FULL_TIME, None, "0.25"),
        ("2026-03-04", "4", PART_TIME, None, "4"),
        ("2026-03-04", "1.5", PART_TIME, None, "1.5"),
        ("2026-06-04", "2", FULL_TIME, BE, "2"),  # Corpus Christi is a Berlin working day
        ("2026-03-02", "7.5", WorkSchedule(hours_per_day=Decimal("7.5")), None, "7.5"),
        ("2026-03-08", "3", WorkSchedule.of(SUN_TO_THU), IL, "3"),
    ],
)
def test_counts_hours(day: Any, hours: Any, schedule: Any, calendar: Any, amount: Any) -> None:
    counted = count_hours(d(day), Decimal(hours), schedule, calendar if calendar else ())
    assert counted.amount == Decimal(amount)
    assert counted.days == (d(day),)


@pytest.mark.parametrize(
    ("day", "hours", "schedule", "calendar", "field"),
    [
        ("2026-03-02", "8.5", FULL_TIME, None, "hours"),
        ("2026-03-02", "0", FULL_TIME, None, "hours"),
        ("2026-03-02", "-1", FULL_TIME, None, "hours"),
        ("2026-03-02", "NaN", FULL_TIME, None, "hours"),
        ("2026-03-04", "4.5", PART_TIME, None, "hours"),  # Wed holds 4 hours only
        ("2026-03-02", "8", WorkSchedule(hours_per_day=Decimal("7.5")), None, "hours"),
        ("2026-03-05", "1", PART_TIME, None, "start_date"),  # Thu holds 0 hours
        ("2026-03-07", "1", FULL_TIME, None, "start_date"),  # Saturday
        ("2026-06-04", "2", FULL_TIME, BY, "start_date"),  # Corpus Christi in Bavaria
        ("2026-11-30", "2", FULL_TIME, GB_SCT, "start_date"),  # St Andrew's Day
    ],
)
def test_rejects_impossible_hours(
    day: Any, hours: Any, schedule: Any, calendar: Any, field: Any
) -> None:
    with pytest.raises(InvalidRequest) as info:
        count_hours(d(day), Decimal(hours), schedule, calendar if calendar else ())
    assert info.value.field == field


# --- properties -------------------------------------------------------------------------

starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
workweeks = st.frozensets(st.integers(1, 7), min_size=1)
hours = st.decimals(min_value=0, max_value=8, places=2)
patterns = st.none() | st.dictionaries(st.integers(1, 7), hours, max_size=7)
schedules = st.builds(
    lambda week, pattern: WorkSchedule(workweek=week, pattern=pattern), workweeks, patterns
)
calendars = st.sampled_from([(), BY, BE, US_CA, GB_SCT, IL, BE_COMPANY])


def amount_or_zero(a: date, b: date, **kwargs: object) -> Decimal:
    try:
        return count_working_days(a, b, **kwargs).amount  # type: ignore[arg-type]
    except InvalidRequest as error:
        field = error.field
    assert field == "start_date"  # the only refusal of a valid range: no working day
    return Decimal(0)


@SETTINGS
@given(
    start=starts,
    length=st.integers(min_value=0, max_value=120),
    schedule=schedules,
    calendar=calendars,
    start_part=st.sampled_from(["full", "pm"]),
)
def test_amount_never_exceeds_calendar_days(
    start: Any, length: Any, schedule: Any, calendar: Any, start_part: Any
) -> None:
    end = start + timedelta(days=length)
    counted = amount_or_zero(
        start, end, schedule=schedule, holidays=calendar, start_part=start_part
    )
    assert 0 <= counted <= length + 1


@SETTINGS
@given(start=starts, length=st.integers(min_value=0, max_value=120))
def test_default_schedule_counts_only_weekdays(start: Any, length: Any) -> None:
    end = start + timedelta(days=length)
    try:
        counted = count_working_days(start, end)
    except InvalidRequest:
        assert all((start + timedelta(days=i)).isoweekday() > 5 for i in range(length + 1))
        return
    assert counted.amount == len(counted.days)
    assert all(d.isoweekday() <= 5 for d in counted.days)


@SETTINGS
@given(
    start=starts,
    length=st.integers(min_value=1, max_value=60),
    cut=st.integers(0, 59),
    schedule=st.just(FULL_TIME) | st.just(PART_TIME) | schedules,
    calendar=calendars,
)
def test_splitting_a_range_keeps_the_amount(
    start: Any, length: Any, cut: Any, schedule: Any, calendar: Any
) -> None:
    end = start + timedelta(days=length)
    middle = start + timedelta(days=min(cut, length - 1))
    kwargs = {"schedule": schedule, "holidays": calendar}
    whole = amount_or_zero(start, end, **kwargs)
    left = amount_or_zero(start, middle, **kwargs)
    right = amount_or_zero(middle + timedelta(days=1), end, **kwargs)
    assert whole == left + right


@SETTINGS
@given(start=starts, length=st.integers(min_value=0, max_value=5), schedule=schedules)
def test_a_range_of_days_off_is_refused(start: Any, length: Any, schedule: Any) -> None:
    span = [start + timedelta(days=i) for i in range(length + 1)]
    off_week = frozenset(range(1, 8)) - {day.isoweekday() for day in span}
    assume(off_week)
    # the work week avoids every weekday of the range...
    with pytest.raises(InvalidRequest) as info:
        count_working_days(span[0], span[-1], schedule=WorkSchedule(workweek=off_week))
    assert info.value.field == "start_date"
    # ...or every working day of the range is a holiday
    with pytest.raises(InvalidRequest) as info:
        count_working_days(span[0], span[-1], schedule=schedule, holidays=set(span))
    assert info.value.field == "start_date"
