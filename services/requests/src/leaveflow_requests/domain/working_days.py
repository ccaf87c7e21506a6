"""The working-day engine: which dates of a range count, and how much they count.

Pure and synchronous. Only the schedule's work-week days that are not public or extra
holidays count; `start_part="pm"` and `end_part="am"` make those days halves; a one-day
request uses `start_part` alone (am, pm or full). With a part-time pattern a day counts in
proportion to its scheduled hours against the full day, and a half day is half of that
(half of a 4-hour day on an 8-hour schedule = 0.25). A day of weight 0 is not a working day.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .errors import InvalidRequest
from .holiday_calendar import HolidayCalendar
from .work_schedule import MON_TO_FRI, WorkSchedule

MAX_RANGE_DAYS = 366
HALF = Decimal("0.5")
ONE = Decimal("1")
ZERO = Decimal(0)

__all__ = [
    "HALF",
    "MAX_RANGE_DAYS",
    "MON_TO_FRI",
    "HolidayCalendar",
    "WorkSchedule",
    "WorkingDays",
    "count_hours",
    "count_working_days",
]

Holidays = Collection[date] | HolidayCalendar


@dataclass(frozen=True)
class WorkingDays:
    days: tuple[date, ...]
    amount: Decimal


def _schedule(schedule: WorkSchedule | None, workweek: Collection[int] | None) -> WorkSchedule:
    if schedule is not None and workweek is not None:
        raise TypeError("pass either schedule or workweek, not both")
    if schedule is not None:
        return schedule
    return WorkSchedule(workweek=frozenset(workweek if workweek is not None else MON_TO_FRI))


def _holiday_dates(holidays: Holidays, start: date, end: date) -> Collection[date]:
    if isinstance(holidays, HolidayCalendar):
        return holidays.holidays_between(start, end).keys()
    return holidays


def count_working_days(
    start: date,
    end: date,
    *,
    start_part: str = "full",
    end_part: str = "full",
    workweek: Collection[int] | None = None,
    schedule: WorkSchedule | None = None,
    holidays: Holidays = (),
) -> WorkingDays:
    """Count a range in days. `workweek` is shorthand for `WorkSchedule(workweek=...)`."""
    if end < start:
        raise InvalidRequest("end_date is before start_date", field="end_date")
    span = (end - start).days + 1
    if span > MAX_RANGE_DAYS:
        raise InvalidRequest(f"a request spans at most {MAX_RANGE_DAYS} days", field="end_date")
    single = start == end
    if single and end_part not in ("full", "am") and end_part != start_part:
        raise InvalidRequest("a one-day request uses start_part only", field="end_part")
    if single and start_part not in ("full", "am", "pm"):
        raise InvalidRequest("start_part is full, am or pm", field="start_part")
    if not single and start_part not in ("full", "pm"):
        raise InvalidRequest("start_part of a multi-day request is full or pm", field="start_part")
    if not single and end_part not in ("full", "am"):
        raise InvalidRequest("end_part of a multi-day request is full or am", field="end_part")
    work = _schedule(schedule, workweek)
    off = _holiday_dates(holidays, start, end)

    days: list[date] = []
    amount = ZERO
    for offset in range(span):
        day = start + timedelta(days=offset)
        weight = work.day_weight(day)
        if weight <= 0 or day in off:
            continue
        if (day == start and start_part != "full") or (
            not single and day == end and end_part != "full"
        ):
            weight *= HALF
        days.append(day)
        amount += weight
    if not days:
        raise InvalidRequest("the range holds no working day", field="start_date")
    return WorkingDays(days=tuple(days), amount=amount)


def count_hours(
    day: date,
    hours: Decimal,
    schedule: WorkSchedule | None = None,
    holidays: Holidays = (),
) -> WorkingDays:
    """Count an hour-unit request: one working day, 0 < hours <= the day's scheduled hours.

    The amount is in hours. A day that is not a working day is refused on `start_date`, like
    a range without one; a bad number of hours on `hours`.
    """
    work = schedule if schedule is not None else WorkSchedule()
    if isinstance(hours, float):  # a float has already lost the exact value
        raise InvalidRequest("hours must be exact, not a float", field="hours")
    hours = Decimal(hours)
    scheduled = work.day_hours(day)
    if scheduled <= 0 or day in _holiday_dates(holidays, day, day):
        raise InvalidRequest(f"{day.isoformat()} is not a working day", field="start_date")
    if not hours.is_finite() or hours <= 0:
        raise InvalidRequest("hours must be more than 0", field="hours")
    if hours > scheduled:
        raise InvalidRequest(
            f"at most {scheduled} hours are scheduled on {day.isoformat()}", field="hours"
        )
    return WorkingDays(days=(day,), amount=hours)
