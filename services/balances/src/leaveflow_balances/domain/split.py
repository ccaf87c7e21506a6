"""A request's amount spread over its leave days, and split by leave year."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from .calendar import LeaveYear
from .policy import CENT, ZERO

HALF = Decimal("0.5")


def day_amounts(
    working_days: Sequence[date],
    amount: Decimal,
    *,
    start_date: date,
    end_date: date,
    start_part: str = "full",
    end_part: str = "full",
) -> dict[date, Decimal]:
    """Each working day's share of `amount` (a half for a half day), summing to `amount`
    exactly: where the parts do not explain the amount (hours, part-time patterns) it is
    spread in proportion, the last day taking the rounding remainder."""
    days = sorted(set(working_days)) or [start_date]
    weights = {d: Decimal(1) for d in days}
    if start_date == end_date:
        if start_part != "full" and start_date in weights:
            weights[start_date] = HALF
    else:
        if start_part == "pm" and start_date in weights:
            weights[start_date] = HALF
        if end_part == "am" and end_date in weights:
            weights[end_date] = HALF
    total = sum(weights.values(), ZERO)
    if total == amount:
        return weights
    out: dict[date, Decimal] = {}
    for d in days[:-1]:
        out[d] = (amount * weights[d] / total).quantize(CENT, ROUND_HALF_UP)
    out[days[-1]] = amount - sum(out.values(), ZERO)
    return out


def by_leave_year(
    amounts: dict[date, Decimal], year_of: Callable[[date], LeaveYear]
) -> dict[LeaveYear, dict[date, Decimal]]:
    """The per-day amounts grouped by the leave year each day falls in, in date order."""
    out: dict[LeaveYear, dict[date, Decimal]] = {}
    for day in sorted(amounts):
        out.setdefault(year_of(day), {})[day] = amounts[day]
    return out
