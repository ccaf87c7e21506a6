"""The working-day engine: which dates of a range count, and how much they count.

Pure and synchronous. Only the location's work-week days that are not holidays count;
`start_part="pm"` and `end_part="am"` make those days halves; a one-day request uses
`start_part` alone (am, pm or full).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .errors import InvalidRequest

MAX_RANGE_DAYS = 366
HALF = Decimal("0.5")
ONE = Decimal("1")
MON_TO_FRI = frozenset({1, 2, 3, 4, 5})


@dataclass(frozen=True)
class WorkingDays:
    days: tuple[date, ...]
    amount: Decimal


def count_working_days(
    start: date,
    end: date,
    *,
    start_part: str = "full",
    end_part: str = "full",
    workweek: Collection[int] = MON_TO_FRI,
    holidays: Collection[date] = (),
) -> WorkingDays:
    if end < start:
        raise InvalidRequest("end_date is before start_date", field="end_date")
    span = (end - start).days + 1
    if span > MAX_RANGE_DAYS:
        raise InvalidRequest(f"a request spans at most {MAX_RANGE_DAYS} days", field="end_date")
    single = start == end
    if single and end_part not in ("full", "am") and end_part != start_part:
        raise InvalidRequest("a one-day request uses start_part only", field="end_part")
    if not single and start_part not in ("full", "pm"):
        raise InvalidRequest("start_part of a multi-day request is full or pm", field="start_part")
    if not single and end_part not in ("full", "am"):
        raise InvalidRequest("end_part of a multi-day request is full or am", field="end_part")

    days: list[date] = []
    amount = Decimal(0)
    for offset in range(span):
        day = start + timedelta(days=offset)
        if day.isoweekday() not in workweek or day in holidays:
            continue
        weight = ONE
        if (day == start and start_part != "full") or (
            not single and day == end and end_part != "full"
        ):
            weight = HALF
        days.append(day)
        amount += weight
    if not days:
        raise InvalidRequest("the range holds no working day", field="start_date")
    return WorkingDays(days=tuple(days), amount=amount)
