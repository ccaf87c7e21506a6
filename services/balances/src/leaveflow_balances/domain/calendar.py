"""Leave years and accrual periods: pure date arithmetic.

A leave year starts on a location's `leave_year_start` ("MM-DD") and is named by the
calendar year it starts in (a year starting 1 April 2026 is leave year 2026). A start of
29 February is read as 28 February so every year has one.

At a location whose `leave_year_start` is "anniversary" each person's year starts on their
start date's anniversary (`person_year_start`): "MM-DD" of that date, or for 29 February
`LEAP_DAY`, which starts on 29 February in leap years and on 28 February in the others.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

MONTHLY, SEMIMONTHLY, BIWEEKLY, UPFRONT = "monthly", "semimonthly", "biweekly", "upfront"
PERIODS_PER_YEAR = {MONTHLY: 12, SEMIMONTHLY: 24, BIWEEKLY: 26}
ANNIVERSARY = "anniversary"
LEAP_DAY = "leap-02-29"
DEFAULT_YEAR_START = "01-01"


def person_year_start(location_start: str, start_date: date | None) -> str:
    """The day a person's leave year starts: the location's, or at an "anniversary"
    location their start date's (the calendar year's without a start date)."""
    if location_start != ANNIVERSARY:
        return location_start
    if start_date is None:
        return DEFAULT_YEAR_START
    if (start_date.month, start_date.day) == (2, 29):
        return LEAP_DAY
    return f"{start_date.month:02d}-{start_date.day:02d}"


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_month_day(text: str) -> tuple[int, int]:
    """ "MM-DD" -> (month, day); ValueError when it names no day of a leap year."""
    month_text, _, day_text = text.partition("-")
    month, day = int(month_text), int(day_text)
    date(2024, month, day)  # raises for 13-01 or 02-30
    return month, day


@dataclass(frozen=True)
class LeaveYear:
    label: int
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    def next(self, month_day: str) -> LeaveYear:
        return leave_year_labelled(self.label + 1, month_day)

    def previous(self, month_day: str) -> LeaveYear:
        return leave_year_labelled(self.label - 1, month_day)


def _start_in(year: int, month_day: str) -> date:
    if month_day == LEAP_DAY:
        return date(year, 2, 29 if calendar.isleap(year) else 28)
    month, day = parse_month_day(month_day)
    if (month, day) == (2, 29):
        day = 28
    return date(year, month, day)


def leave_year_labelled(label: int, month_day: str) -> LeaveYear:
    start = _start_in(label, month_day)
    return LeaveYear(label, start, _start_in(label + 1, month_day) - timedelta(days=1))


def leave_year_of(day: date, month_day: str) -> LeaveYear:
    label = day.year if day >= _start_in(day.year, month_day) else day.year - 1
    return leave_year_labelled(label, month_day)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _from_starts(starts: list[date], year: LeaveYear) -> list[Period]:
    ends = [s - timedelta(days=1) for s in starts[1:]] + [year.end]
    return [Period(s, e) for s, e in zip(starts, ends, strict=True)]


def periods(
    year: LeaveYear,
    accrual: str,
    *,
    semimonthly_days: tuple[int, int] = (1, 15),
    biweekly_anchor: date | None = None,
) -> list[Period]:
    """The accrual periods that tile the leave year, in order.

    monthly: 12 periods from the year's start day. semimonthly: each leave-year month split
    where the second configured day falls (1st and 15th by default: 1st-14th, 15th-end).
    biweekly: 26 periods; the first starts with the year, the others on the anchor's
    fortnightly rhythm, the last runs to the year's end.
    """
    if accrual == MONTHLY:
        return _from_starts([add_months(year.start, k) for k in range(12)], year)
    if accrual == SEMIMONTHLY:
        first, second = semimonthly_days
        starts: list[date] = []
        for k in range(12):
            month_start = add_months(year.start, k)
            month_end = add_months(year.start, k + 1) - timedelta(days=1)
            split = month_start + timedelta(days=max(1, second - first))
            starts += [month_start, min(split, month_end)]
        return _from_starts(starts, year)
    if accrual == BIWEEKLY:
        anchor = biweekly_anchor or year.start
        offset = (year.start - anchor).days % 14
        aligned = year.start + timedelta(days=(14 - offset) % 14 or 14)
        starts = [year.start] + [aligned + timedelta(days=14 * k) for k in range(25)]
        return _from_starts(starts, year)
    raise ValueError(f"no periods for accrual {accrual!r}")
